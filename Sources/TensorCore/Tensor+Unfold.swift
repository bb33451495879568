// unfold / fold: im2col in the channels-first layout (PyTorch's F.unfold and F.fold), and the
// fused 2-D convolution Conv2D uses, built on the same copy loops.
//
//     cols = unfold(x, window)                    // (N, C*KH*KW, OH*OW)
//     y    = matmul(w, cols, transposeA: true)    // w is (C*KH*KW, F): y is (N, F, OH*OW)
//
// Each row of `cols` (one kernel position over all output positions) is a run of input
// values: with stride 1, a plain copy of OW values per output row.
//
// `convolution2D` lays the columns out with the batch inside the rows instead,
// (C*KH*KW, N*OH*OW), so a whole batch is ONE matrix product (and its backward two) rather
// than one small product per image: measured on LeNet-5 (6 and 16 filters, 25 and 150 rows),
// the per-image products left sgemm mostly packing and padding its 16-wide micro-kernel.

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

/// Where the column row (c, ky, kx) of image n starts: `rowStride` apart per row, `imageStride`
/// per image. (N, K, P) layout: rowStride P, imageStride K*P; (K, N*P): rowStride N*P, imageStride P.
private struct ColumnLayout {
    var rowStride: Int, imageStride: Int
}

/// Copies the patches of NCHW `source` into `destination` laid out as `layout`.
private func unfoldPatches(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                           _ g: (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int), _ window: Window2D, _ layout: ColumnLayout,
                           images: Range<Int>) {
    let kh = window.kernelHeight, kw = window.kernelWidth
    let sh = window.strideHeight, sw = window.strideWidth, ph = window.paddingHeight, pw = window.paddingWidth
    for image in images {
        for channel in 0..<g.c {
            let plane = source + (image * g.c + channel) * g.h * g.w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = destination + ((channel * kh + ky) * kw + kx) * layout.rowStride + image * layout.imageStride
                    let (lo, hi) = validRange(kx, stride: sw, padding: pw, width: g.w, outWidth: g.ow)
                    for oy in 0..<g.oh {
                        let o = row + oy * g.ow
                        let y = oy * sh - ph + ky
                        if y < 0 || y >= g.h || lo >= hi {
                            for ox in 0..<g.ow { o[ox] = 0 }
                            continue
                        }
                        for ox in 0..<lo { o[ox] = 0 }
                        for ox in hi..<g.ow { o[ox] = 0 }
                        let input = plane + y * g.w + kx - pw
                        // Short runs (OW is 10 to 28 in LeNet): a loop beats a memmove call.
                        if sw == 1 {
                            for ox in lo..<hi { o[ox] = input[ox] }
                        } else {
                            for ox in lo..<hi { o[ox] = input[ox * sw] }
                        }
                    }
                }
            }
        }
    }
}

/// Adds the columns in `source` (laid out as `layout`) back into the NCHW image `destination`.
private func foldPatches(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                         _ g: (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int), _ window: Window2D, _ layout: ColumnLayout,
                         images: Range<Int>) {
    let kh = window.kernelHeight, kw = window.kernelWidth
    let sh = window.strideHeight, sw = window.strideWidth, ph = window.paddingHeight, pw = window.paddingWidth
    for image in images {
        for channel in 0..<g.c {
            let plane = destination + (image * g.c + channel) * g.h * g.w
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = source + ((channel * kh + ky) * kw + kx) * layout.rowStride + image * layout.imageStride
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

/// Patches of NCHW `x` as columns: result is (N, C*KH*KW, OH*OW); row (c, ky, kx), column
/// (oy, ox) holds x[n, c, oy*sh - ph + ky, ox*sw - pw + kx], 0 in the padding.
package func unfold(_ x: Tensor, window: Window2D) -> Tensor {
    let g = window.geometry(x.shape, "unfold")
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    return x.scalars.withUnsafeBufferPointer { p in
        Tensor(shape: [g.n, rows, positions]) { out in
            parallelRanges(g.n, cost: rows * positions) { images in
                unfoldPatches(p.baseAddress!, out.baseAddress!, g, window, ColumnLayout(rowStride: positions, imageStride: rows * positions),
                              images: images)
            }
        }
    }
}

/// The adjoint of `unfold`: adds each value of `cols` (N, C*KH*KW, OH*OW) back into its
/// position in an NCHW image of `imageShape` (overlapping patches accumulate; padding is dropped).
package func fold(_ cols: Tensor, imageShape: [Int], window: Window2D) -> Tensor {
    let g = window.geometry(imageShape, "fold")
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    if cols.shape != [g.n, rows, positions] {
        shapeMismatch("fold", cols.shape, [g.n, rows, positions], "differ (columns vs expected for image \(imageShape))")
    }
    var result = Tensor.zeros(imageShape)
    cols.scalars.withUnsafeBufferPointer { p in
        result.scalars.withUnsafeMutableBufferPointer { out in
            parallelRanges(g.n, cost: rows * positions) { images in
                foldPatches(p.baseAddress!, out.baseAddress!, g, window, ColumnLayout(rowStride: positions, imageStride: rows * positions),
                            images: images)
            }
        }
    }
    return result
}

// MARK: - Fused convolution

/// A 2-D convolution of NCHW `x` with `weight` (C*KH*KW, F) (column f is filter f, its values
/// in (channel, row, column) order) plus `bias` (F): output (N, F, OH, OW).
///
/// Stride 1 convolves directly (Tensor+DirectConvolution.swift) and also returns the
/// zero-padded input the backward pass reads. Other strides unfold: they return the columns
/// (C*KH*KW, N*OH*OW) and multiply Wᵀ (F, K) x columns (K, N*P) in one product, whose (F, N*P)
/// result is copied to NCHW with the bias added. Either way the batch is cut into `batchParts`
/// fixed parts (one per core), run side by side when the machine has idle cores, else one
/// after another.
package func convolution2D(_ x: Tensor, weight: Tensor, bias: Tensor, window: Window2D) -> (output: Tensor, saved: Tensor) {
    let g = window.geometry(x.shape, "convolution2D")
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    if weight.rank != 2 || weight.shape[0] != rows || bias.shape != [weight.shape[1]] {
        shapeMismatch("convolution2D", x.shape, weight.shape,
                      "do not match (input vs weight, which must be (\(rows), filters), with bias (filters), got bias \(bias.shape))")
    }
    if convolvesDirectly(window) {
        let planes = convolutionInputPlanes(x, window: window)
        return (directConvolutionForward(planes, weight: weight, bias: bias, window: window, oh: g.oh, ow: g.ow), planes.values)
    }
    let filters = weight.shape[1], wide = g.n * positions
    let layout = ColumnLayout(rowStride: wide, imageStride: positions)
    let parts = batchParts(g.n)
    var output = Tensor(shape: [g.n, filters, g.oh, g.ow]) { _ in }
    let product = UnsafeMutablePointer<Float>.allocate(capacity: filters * wide)
    defer { product.deallocate() }
    let columns = Tensor(shape: [rows, wide]) { columnBuffer in
        x.scalars.withUnsafeBufferPointer { xBuffer in
        weight.scalars.withUnsafeBufferPointer { wBuffer in
        bias.scalars.withUnsafeBufferPointer { bBuffer in
        output.scalars.withUnsafeMutableBufferPointer { outBuffer in
            let (source, cols, w, b, out) = (xBuffer.baseAddress!, columnBuffer.baseAddress!, wBuffer.baseAddress!,
                                             bBuffer.baseAddress!, outBuffer.baseAddress!)
            runBatchParts(parts, work: rows * filters * wide) { _, images in
                let start = images.lowerBound * positions, width = images.count * positions
                unfoldPatches(source, cols, g, window, layout, images: images)
                sgemmBlock(transposeA: true, transposeB: false, m: filters, n: width, k: rows,
                           a: w, lda: filters, b: cols + start, ldb: wide, c: product + start, ldc: wide)
                for image in images {
                    for filter in 0..<filters {
                        let from = product + filter * wide + image * positions
                        let to = out + (image * filters + filter) * positions
                        let offset = b[filter]
                        for i in 0..<positions { to[i] = from[i] + offset }
                    }
                }
            }
        }
        }
        }
        }
    }
    return (output, columns)
}

/// The gradients of `convolution2D` given d(loss)/d(output) `gradient` (N, F, OH, OW) and what
/// the forward pass `saved`: for the input (when `needsInput`; nil otherwise), the weight
/// (C*KH*KW, F) and the bias (F). The weight and bias gradients are summed part by part in a
/// fixed order, so the result does not depend on whether the parts ran side by side.
package func convolution2DBackward(_ gradient: Tensor, saved: Tensor, weight: Tensor, inputShape: [Int], window: Window2D,
                                  needsInput: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let g = window.geometry(inputShape, "convolution2DBackward")
    if gradient.shape != [g.n, weight.shape[1], g.oh, g.ow] {
        shapeMismatch("convolution2DBackward", gradient.shape, [g.n, weight.shape[1], g.oh, g.ow], "differ (gradient vs output)")
    }
    if convolvesDirectly(window) {
        return directConvolutionBackward(gradient, planes: PaddedPlanes(saved), weight: weight, inputShape: inputShape,
                                         window: window, needsInput: needsInput)
    }
    let columns = saved
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    let filters = weight.shape[1], wide = g.n * positions
    if columns.shape != [rows, wide] {
        shapeMismatch("convolution2DBackward", columns.shape, [rows, wide], "differ (saved columns vs expected)")
    }
    let layout = ColumnLayout(rowStride: wide, imageStride: positions)
    let parts = batchParts(g.n)
    // Per part: the weight gradient (rows x filters) and the bias gradient (filters).
    var partialWeights = [Float](repeating: 0, count: parts.count * rows * filters)
    var partialBiases = [Double](repeating: 0, count: parts.count * filters)
    var inputGradient = needsInput ? Tensor.zeros(inputShape) : Tensor.zeros([0])
    let gathered = UnsafeMutablePointer<Float>.allocate(capacity: filters * wide)
    let columnGradient = UnsafeMutablePointer<Float>.allocate(capacity: needsInput ? rows * wide : 0)
    defer { gathered.deallocate(); columnGradient.deallocate() }
    gradient.scalars.withUnsafeBufferPointer { dBuffer in
    columns.scalars.withUnsafeBufferPointer { cBuffer in
    weight.scalars.withUnsafeBufferPointer { wBuffer in
    partialWeights.withUnsafeMutableBufferPointer { pwBuffer in
    partialBiases.withUnsafeMutableBufferPointer { pbBuffer in
    inputGradient.scalars.withUnsafeMutableBufferPointer { dxBuffer in
        let (d, cols, w, weightParts, biasParts) = (dBuffer.baseAddress!, cBuffer.baseAddress!, wBuffer.baseAddress!,
                                                    pwBuffer.baseAddress!, pbBuffer.baseAddress!)
        let dx = dxBuffer.baseAddress
        let work = rows * filters * wide * (needsInput ? 2 : 1)
        runBatchParts(parts, work: work) { part, images in
            let start = images.lowerBound * positions, width = images.count * positions
            // (N, F, P) -> (F, N*P) for these images, summing the bias gradient on the way.
            for image in images {
                for filter in 0..<filters {
                    let from = d + (image * filters + filter) * positions
                    let to = gathered + filter * wide + image * positions
                    var total: Float = 0
                    for i in 0..<positions {
                        to[i] = from[i]
                        total += from[i]
                    }
                    biasParts[part * filters + filter] += Double(total)
                }
            }
            sgemmBlock(transposeA: false, transposeB: true, m: rows, n: filters, k: width,
                       a: cols + start, lda: wide, b: gathered + start, ldb: wide, c: weightParts + part * rows * filters, ldc: filters)
            if needsInput, let dx {
                sgemmBlock(transposeA: false, transposeB: false, m: rows, n: width, k: filters,
                           a: w, lda: filters, b: gathered + start, ldb: wide, c: columnGradient + start, ldc: wide)
                foldPatches(columnGradient, dx, g, window, layout, images: images)
            }
        }
    }
    }
    }
    }
    }
    }
    return (needsInput ? inputGradient : nil,
            Tensor(sumOverParts(partialWeights, parts: parts.count, size: rows * filters), shape: [rows, filters]),
            Tensor(sumOverParts(partialBiases, parts: parts.count, size: filters), shape: [filters]))
}
