// unfold / fold: im2col in the channels-first layout (PyTorch's F.unfold and F.fold), and the
// fused 2-D convolution Conv2D uses, built on the same copy loops.
//
//     cols = unfold(x, window)                    // (N, C*KH*KW, OH*OW)
//     y    = matmul(w, cols, transposeA: true)    // w is (C*KH*KW, F): y is (N, F, OH*OW)
//
// Each row of `cols` (one kernel position over all output positions) is a run of input
// values: with stride 1, a plain copy of OW values per output row.
//
// `convolution2D`, where it does not run the direct loops (Tensor+DirectConvolution.swift),
// lays the columns of a chunk of images out with the images inside the rows,
// (C*KH*KW, images*OH*OW), so a chunk is ONE matrix product (and its backward two) rather than
// one small product per image (measured on LeNet-5: per-image products left sgemm mostly
// packing and padding its micro-kernel), and never the whole batch at once (the Keras
// example's second layer would need 85 MB of columns per batch of 128; a chunk stays in cache).

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
/// in (channel, row, column) order) plus `bias` (F): output (N, F, OH, OW); with `rectified`,
/// max(0, ·) of it, computed on the way (the Conv2D-then-ReLU of a `Sequential`, fused).
///
/// Three kernels, chosen by shape: Winograd's F(2x2, 3x3) for 3x3 kernels of stride 1 between
/// enough channels (`convolvesByWinograd`, Tensor+Winograd.swift); the direct SIMD loops for few
/// filters (`convolvesDirectly`), which also return the zero-padded input the backward pass
/// reads; else chunks of unfolded columns through sgemm. The last two keep nothing (`saved` is
/// `x` itself, shared; the backward transforms or unfolds it again). Either way the batch is cut
/// into `batchParts` fixed parts (one per core), run side by side when the machine has idle
/// cores, else one after another: the bits do not depend on the load.
package func convolution2D(_ x: Tensor, weight: Tensor, bias: Tensor, window: Window2D, rectified: Bool = false)
    -> (output: Tensor, saved: Tensor) {
    let g = window.geometry(x.shape, "convolution2D")
    let rows = g.c * window.kernelHeight * window.kernelWidth
    if weight.rank != 2 || weight.shape[0] != rows || bias.shape != [weight.shape[1]] {
        shapeMismatch("convolution2D", x.shape, weight.shape,
                      "do not match (input vs weight, which must be (\(rows), filters), with bias (filters), got bias \(bias.shape))")
    }
    if convolvesByWinograd(window, channels: g.c, filters: weight.shape[1]) {
        return (winogradConvolutionForward(x, weight: weight, bias: bias, window: window, rectified: rectified), x)
    }
    if convolvesDirectly(window, filters: weight.shape[1]) {
        let (output, planes) = directConvolutionForward(x, weight: weight, bias: bias, window: window, oh: g.oh, ow: g.ow,
                                                        rectified: rectified)
        return (output, planes.values)
    }
    return (columnConvolutionForward(x, weight: weight, bias: bias, window: window, rectified: rectified), x)
}

/// The gradients of `convolution2D` of `input` given d(loss)/d(output) `gradient` (N, F, OH, OW)
/// and what the forward pass `saved`: for the input (when `needsInput`; nil otherwise), the
/// weight (C*KH*KW, F) and the bias (F). For a `rectified` convolution, `rectifiedOutput` is its
/// output: the gradient flows only where it is positive. The weight and bias gradients are
/// summed part by part in a fixed order, so the result does not depend on whether the parts ran
/// side by side.
package func convolution2DBackward(_ gradient: Tensor, input: Tensor, saved: Tensor, weight: Tensor, window: Window2D,
                                  needsInput: Bool, rectifiedOutput: Tensor? = nil) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let inputShape = input.shape
    let g = window.geometry(inputShape, "convolution2DBackward")
    if gradient.shape != [g.n, weight.shape[1], g.oh, g.ow] {
        shapeMismatch("convolution2DBackward", gradient.shape, [g.n, weight.shape[1], g.oh, g.ow], "differ (gradient vs output)")
    }
    if let rectifiedOutput, rectifiedOutput.shape != gradient.shape {
        shapeMismatch("convolution2DBackward", rectifiedOutput.shape, gradient.shape, "differ (rectified output vs gradient)")
    }
    if convolvesByWinograd(window, channels: g.c, filters: weight.shape[1]) {
        return winogradConvolutionBackward(gradient, input: input, weight: weight, window: window, needsInput: needsInput,
                                           rectifiedOutput: rectifiedOutput)
    }
    if convolvesDirectly(window, filters: weight.shape[1], backward: true) {
        return directConvolutionBackward(gradient, rectifiedOutput: rectifiedOutput, planes: PaddedPlanes(saved), weight: weight,
                                         inputShape: inputShape, window: window, needsInput: needsInput)
    }
    return columnConvolutionBackward(gradient, input: input, weight: weight, window: window, needsInput: needsInput,
                                     rectifiedOutput: rectifiedOutput)
}

// MARK: - Convolution by chunks of unfolded columns and sgemm

/// How many values of columns (C*KH*KW rows by images*OH*OW) a convolution unfolds at a time:
/// enough images for a large product, few enough that the columns stay in the core's cache
/// between the copy that writes them and the product that reads them. Measured with `benchmarks
/// cnn conv` on the Keras example's 32->64 3x3 layer: 2^16 to 2^20 values within 10% of each
/// other, the least CPU time at 2^17-2^18.
nonisolated(unsafe) package var columnChunkValues = 1 << 18

/// The images a chunk holds: at least one.
private func chunkImages(rows: Int, positions: Int, images: Int) -> Int {
    Swift.max(1, Swift.min(images, columnChunkValues / Swift.max(1, rows * positions)))
}

/// Forward by chunks: cols (K, images*P) = unfold; product (F, images*P) = Wᵀ cols; copied to
/// NCHW with the bias added (and max(0, ·) when `rectified`).
private func columnConvolutionForward(_ x: Tensor, weight: Tensor, bias: Tensor, window: Window2D, rectified: Bool) -> Tensor {
    let g = window.geometry(x.shape, "convolution2D")
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    let filters = weight.shape[1]
    let parts = batchParts(g.n)
    let chunk = chunkImages(rows: rows, positions: positions, images: parts.map(\.count).max() ?? 1)
    let perPart = chunk * positions * (rows + filters)
    var output = Tensor(shape: [g.n, filters, g.oh, g.ow]) { _ in }
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * perPart)
    defer { scratch.deallocate() }
    x.scalars.withUnsafeBufferPointer { xBuffer in
    weight.scalars.withUnsafeBufferPointer { wBuffer in
    bias.scalars.withUnsafeBufferPointer { bBuffer in
    output.scalars.withUnsafeMutableBufferPointer { outBuffer in
        let (source, w, b, out) = (xBuffer.baseAddress!, wBuffer.baseAddress!, bBuffer.baseAddress!, outBuffer.baseAddress!)
        runBatchParts(parts, work: rows * filters * g.n * positions) { part, images in
            let cols = scratch + part * perPart          // (rows, count*P)
            let product = cols + chunk * positions * rows  // (filters, count*P)
            var first = images.lowerBound
            while first < images.upperBound {
                let count = Swift.min(chunk, images.upperBound - first), width = count * positions
                // The chunk's images as a batch of their own: image i at column i*P.
                unfoldPatches(source + first * g.c * g.h * g.w, cols, g, window,
                              ColumnLayout(rowStride: width, imageStride: positions), images: 0..<count)
                sgemmBlock(transposeA: true, transposeB: false, m: filters, n: width, k: rows,
                           a: w, lda: filters, b: cols, ldb: width, c: product, ldc: width)
                for image in 0..<count {
                    for filter in 0..<filters {
                        let from = product + filter * width + image * positions
                        let to = out + ((first + image) * filters + filter) * positions
                        let offset = b[filter]
                        if rectified {
                            for i in 0..<positions { let v = from[i] + offset; to[i] = v > 0 ? v : 0 }
                        } else {
                            for i in 0..<positions { to[i] = from[i] + offset }
                        }
                    }
                }
                first += count
            }
        }
    }
    }
    }
    }
    return output
}

/// Copies `count` values from `from` to `to`, zero where `mask` (when given) is not positive, and
/// returns their sum. Sixteen lanes at a time: summed one by one in order, the additions wait for
/// each other and nothing vectorises (measured: this copy was 4% of the Keras CNN's epoch, for its
/// first layer's gradient).
@inline(__always)
private func copyAndSum(_ from: UnsafePointer<Float>, mask: UnsafePointer<Float>?, to: UnsafeMutablePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>.zero
    var i = 0
    while i + 16 <= count {
        var values = UnsafeRawPointer(from + i).loadUnaligned(as: SIMD16<Float>.self)
        if let mask {
            values = SIMD16<Float>.zero.replacing(with: values, where: UnsafeRawPointer(mask + i).loadUnaligned(as: SIMD16<Float>.self) .> 0)
        }
        UnsafeMutableRawPointer(to + i).storeBytes(of: values, as: SIMD16<Float>.self)
        lanes += values
        i += 16
    }
    var rest: Float = 0
    while i < count {
        let value = mask.map { $0[i] > 0 } ?? true ? from[i] : 0
        to[i] = value
        rest += value
        i += 1
    }
    return lanes.sum() + rest
}

/// Backward by chunks, unfolding the input again (a copy, cheap next to the products, where
/// keeping a batch of columns would cost memory): per chunk, the output gradient gathered to
/// (F, images*P) (masked by the rectified output, and summed for the bias, on the way); the
/// weight gradient cols x gatheredᵀ accumulated by sgemm; the columns' gradient W x gathered
/// folded back into the input gradient.
private func columnConvolutionBackward(_ gradient: Tensor, input x: Tensor, weight: Tensor, window: Window2D,
                                       needsInput: Bool, rectifiedOutput: Tensor?) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let g = window.geometry(x.shape, "convolution2DBackward")
    let rows = g.c * window.kernelHeight * window.kernelWidth, positions = g.oh * g.ow
    let filters = weight.shape[1]
    let parts = batchParts(g.n)
    let chunk = chunkImages(rows: rows, positions: positions, images: parts.map(\.count).max() ?? 1)
    var partialWeights = [Float](repeating: 0, count: parts.count * rows * filters)
    var partialBiases = [Float](repeating: 0, count: parts.count * filters)
    var inputGradient = needsInput ? Tensor.zeros(x.shape) : Tensor.zeros([0])
    let perPart = chunk * positions * (2 * rows + filters)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * perPart)
    defer { scratch.deallocate() }
    let mask = rectifiedOutput ?? Tensor.zeros([0])
    gradient.scalars.withUnsafeBufferPointer { dBuffer in
    mask.scalars.withUnsafeBufferPointer { maskBuffer in
    x.scalars.withUnsafeBufferPointer { xBuffer in
    weight.scalars.withUnsafeBufferPointer { wBuffer in
    partialWeights.withUnsafeMutableBufferPointer { pwBuffer in
    partialBiases.withUnsafeMutableBufferPointer { pbBuffer in
    inputGradient.scalars.withUnsafeMutableBufferPointer { dxBuffer in
        let (d, source, w, weightParts, biasParts) = (dBuffer.baseAddress!, xBuffer.baseAddress!, wBuffer.baseAddress!,
                                                      pwBuffer.baseAddress!, pbBuffer.baseAddress!)
        let (dx, rectified) = (dxBuffer.baseAddress, rectifiedOutput == nil ? nil : maskBuffer.baseAddress)
        runBatchParts(parts, work: rows * filters * g.n * positions * (needsInput ? 2 : 1)) { part, images in
            let cols = scratch + part * perPart                          // (rows, count*P)
            let gathered = cols + chunk * positions * rows                 // (filters, count*P)
            let columnGradient = gathered + chunk * positions * filters    // (rows, count*P)
            let weightPart = weightParts + part * rows * filters
            var first = images.lowerBound
            while first < images.upperBound {
                let count = Swift.min(chunk, images.upperBound - first), width = count * positions
                let layout = ColumnLayout(rowStride: width, imageStride: positions)
                for image in 0..<count {
                    for filter in 0..<filters {
                        let at = ((first + image) * filters + filter) * positions
                        let to = gathered + filter * width + image * positions
                        biasParts[part * filters + filter] += copyAndSum(d + at, mask: rectified.map { $0 + at }, to: to, count: positions)
                    }
                }
                unfoldPatches(source + first * g.c * g.h * g.w, cols, g, window, layout, images: 0..<count)
                // dW (rows, F) += cols (rows, count*P) x gatheredᵀ (count*P, F)
                sgemmBlock(transposeA: false, transposeB: true, m: rows, n: filters, k: width, a: cols, lda: width,
                           b: gathered, ldb: width, c: weightPart, ldc: filters, accumulate: first > images.lowerBound)
                if needsInput, let dx {
                    sgemmBlock(transposeA: false, transposeB: false, m: rows, n: width, k: filters,
                               a: w, lda: filters, b: gathered, ldb: width, c: columnGradient, ldc: width)
                    foldPatches(columnGradient, dx + first * g.c * g.h * g.w, g, window, layout, images: 0..<count)
                }
                first += count
            }
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
