// unfold / fold: im2col in the channels-first layout (PyTorch's F.unfold and F.fold), the
// one Conv2D uses.
//
//     cols = unfold(x, window)                    // (N, C*KH*KW, OH*OW)
//     y    = matmul(w, cols, transposeA: true)    // w is (C*KH*KW, F): y is (N, F, OH*OW)
//
// so the product lands in NCHW order with no transpose, and each row of `cols` (one kernel
// position over all output positions) is a run of input values: with stride 1, a plain copy
// of OW values per output row. `im2col`'s row-per-position layout (N*OH*OW, C*KH*KW) wrote
// one value at a time and, with the transpose back to NCHW, was a third of a LeNet step.

/// The valid output columns `lo..<hi` for kernel column `kx`: those whose input column
/// ox*stride - padding + kx lies in 0..<width.
@inline(__always)
private func validRange(_ kx: Int, stride: Int, padding: Int, width: Int, outWidth: Int) -> (lo: Int, hi: Int) {
    let offset = kx - padding   // input column of output column 0
    var lo = 0
    if offset < 0 { lo = (-offset + stride - 1) / stride }
    var hi = outWidth
    if offset + (outWidth - 1) * stride >= width { hi = offset >= width ? 0 : (width - 1 - offset) / stride + 1 }
    return (Swift.min(lo, outWidth), Swift.max(Swift.min(hi, outWidth), Swift.min(lo, outWidth)))
}

/// Patches of NCHW `x` as columns: result is (N, C*KH*KW, OH*OW); row (c, ky, kx), column
/// (oy, ox) holds x[n, c, oy*sh - ph + ky, ox*sw - pw + kx], 0 in the padding.
public func unfold(_ x: Tensor, window: Window2D) -> Tensor {
    let g = window.geometry(x.shape, "unfold")
    let kh = window.kernelHeight, kw = window.kernelWidth
    let rows = g.c * kh * kw, positions = g.oh * g.ow
    let sh = window.strideHeight, sw = window.strideWidth, ph = window.paddingHeight, pw = window.paddingWidth
    return x.scalars.withUnsafeBufferPointer { p in
        Tensor(shape: [g.n, rows, positions]) { out in
            let source = p.baseAddress!, destination = out.baseAddress!
            parallelRanges(g.n, cost: rows * positions) { images in
                for image in images {
                    for channel in 0..<g.c {
                        let plane = source + (image * g.c + channel) * g.h * g.w
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let row = destination + (image * rows + (channel * kh + ky) * kw + kx) * positions
                                let (lo, hi) = validRange(kx, stride: sw, padding: pw, width: g.w, outWidth: g.ow)
                                for oy in 0..<g.oh {
                                    let o = row + oy * g.ow
                                    let y = oy * sh - ph + ky
                                    if y < 0 || y >= g.h || lo >= hi {
                                        o.update(repeating: 0, count: g.ow)
                                        continue
                                    }
                                    if lo > 0 { o.update(repeating: 0, count: lo) }
                                    if hi < g.ow { (o + hi).update(repeating: 0, count: g.ow - hi) }
                                    let input = plane + y * g.w + kx - pw
                                    if sw == 1 {
                                        (o + lo).update(from: input + lo, count: hi - lo)
                                    } else {
                                        for ox in lo..<hi { o[ox] = input[ox * sw] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `unfold`: adds each value of `cols` (N, C*KH*KW, OH*OW) back into its
/// position in an NCHW image of `imageShape` (overlapping patches accumulate; padding is dropped).
public func fold(_ cols: Tensor, imageShape: [Int], window: Window2D) -> Tensor {
    let g = window.geometry(imageShape, "fold")
    let kh = window.kernelHeight, kw = window.kernelWidth
    let rows = g.c * kh * kw, positions = g.oh * g.ow
    if cols.shape != [g.n, rows, positions] {
        shapeMismatch("fold", cols.shape, [g.n, rows, positions], "differ (columns vs expected for image \(imageShape))")
    }
    let sh = window.strideHeight, sw = window.strideWidth, ph = window.paddingHeight, pw = window.paddingWidth
    var result = Tensor.zeros(imageShape)
    cols.scalars.withUnsafeBufferPointer { p in
        result.scalars.withUnsafeMutableBufferPointer { out in
            let source = p.baseAddress!, destination = out.baseAddress!
            parallelRanges(g.n, cost: rows * positions) { images in
                for image in images {
                    for channel in 0..<g.c {
                        let plane = destination + (image * g.c + channel) * g.h * g.w
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let row = source + (image * rows + (channel * kh + ky) * kw + kx) * positions
                                let (lo, hi) = validRange(kx, stride: sw, padding: pw, width: g.w, outWidth: g.ow)
                                if lo >= hi { continue }
                                for oy in 0..<g.oh {
                                    let y = oy * sh - ph + ky
                                    if y < 0 || y >= g.h { continue }
                                    let o = row + oy * g.ow
                                    let target = plane + y * g.w + kx - pw
                                    if sw == 1 {
                                        for ox in lo..<hi { target[ox] += o[ox] }
                                    } else {
                                        for ox in lo..<hi { target[ox * sw] += o[ox] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return result
}
