// Windows over NCHW images, the textbook im2col / col2im, and 2-D pooling.
//
// A 2-D convolution is im2col + one matmul:
//     cols = im2col(x, window)                                // (N*OH*OW, C*KH*KW)
//     y = matmul(cols, w.reshaped(to: [F, C*KH*KW]), transposeB: true)   // (N*OH*OW, F)
//     y.reshaped(to: [N, OH, OW, F]).transposed(permutation: [0, 3, 1, 2])   // (N, F, OH, OW)
// and col2im (the adjoint of im2col) carries the gradient back to the image. The engine's own
// convolution (`convolution2D`, Tensor+Unfold.swift) computes the same by chunks of images.

/// A sliding window over the last two axes of NCHW images: kernel size, stride and zero padding.
public struct Window2D: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var kernelHeight: Int, kernelWidth: Int
    public var strideHeight: Int, strideWidth: Int
    public var paddingHeight: Int, paddingWidth: Int

    /// A window of `kernel` (height, width), moved by `stride`, over images padded by `padding`.
    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)) {
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (paddingHeight, paddingWidth) = padding
        if kernelHeight < 1 || kernelWidth < 1 || strideHeight < 1 || strideWidth < 1 || paddingHeight < 0 || paddingWidth < 0 {
            engineFailure("Window2D: need kernel and stride >= 1, padding >= 0; got \(self)")
        }
        // Bounded so that the output size's arithmetic cannot overflow (no image is that large).
        if max(kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth) > Self.largest {
            engineFailure("Window2D: kernel, stride and padding must be at most \(Self.largest); got \(self)")
        }
    }

    /// The largest kernel, stride or padding a window takes (2^24).
    public static let largest = 1 << 24

    /// A square window: `Window2D(size: 2, stride: 2)` is the usual 2x2 pooling.
    public init(size: Int, stride: Int = 1, padding: Int = 0) {
        self.init(kernel: (size, size), stride: (stride, stride), padding: (padding, padding))
    }

    /// Output (height, width) for an input of `height` x `width`:
    /// (H + 2 * padding - kernel) / stride + 1 on each axis; 0 where the kernel is larger than
    /// the padded input (Swift's division truncates toward 0, so -1 / 2 + 1 would be 1).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        func size(_ extent: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int {
            let room = extent + 2 * padding - kernel
            return room < 0 ? 0 : room / stride + 1
        }
        return (size(height, kernelHeight, strideHeight, paddingHeight), size(width, kernelWidth, strideWidth, paddingWidth))
    }

    public var description: String {
        "Window2D(kernel: (\(kernelHeight), \(kernelWidth)), stride: (\(strideHeight), \(strideWidth)), padding: (\(paddingHeight), \(paddingWidth)))"
    }

    /// Checks an NCHW shape against this window; returns (N, C, H, W, OH, OW).
    func geometry(_ shape: [Int], _ operation: String) -> (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int) {
        if shape.count != 4 { engineFailure("\(operation): needs an NCHW input of rank 4, got shape \(shape)") }
        let (oh, ow) = outputSize(height: shape[2], width: shape[3])
        if oh < 1 || ow < 1 { engineFailure("\(operation): \(self) does not fit an input of shape \(shape)") }
        return (shape[0], shape[1], shape[2], shape[3], oh, ow)
    }
}

/// Patches of NCHW `x` as rows: result is (N*OH*OW, C*KH*KW), row (n, oh, ow), column (c, kh, kw);
/// positions in the padding read 0. The same patches as `unfold`, in the transposed layout
/// textbooks draw (one patch per row).
public func im2col(_ x: Tensor, window: Window2D) -> Tensor {
    let g = window.geometry(x.shape, "im2col")
    return unfold(x, window: window).transposed(permutation: [0, 2, 1])
        .reshaped(to: [g.n * g.oh * g.ow, g.c * window.kernelHeight * window.kernelWidth])
}

/// The adjoint of `im2col`: adds each patch value of `cols` (N*OH*OW, C*KH*KW) back into its
/// position in an NCHW image of `imageShape` (overlapping patches accumulate; padding is dropped).
package func col2im(_ cols: Tensor, imageShape: [Int], window: Window2D) -> Tensor {
    let g = window.geometry(imageShape, "col2im")
    let columns = g.c * window.kernelHeight * window.kernelWidth
    if cols.shape != [g.n * g.oh * g.ow, columns] {
        shapeMismatch("col2im", cols.shape, [g.n * g.oh * g.ow, columns], "differ (columns vs expected for image \(imageShape))")
    }
    let unfolded = cols.reshaped(to: [g.n, g.oh * g.ow, columns]).transposed(permutation: [0, 2, 1])
    return fold(unfolded, imageShape: imageShape, window: window)
}

/// Max pooling of NCHW `x`: (N, C, OH, OW), plus for each output the flat index into `x` of
/// the maximum it took (the first on ties; padding never wins), for the backward pass.
package func maxPool2DWithIndices(_ x: Tensor, window: Window2D) -> (output: Tensor, indices: [Int32]) {
    let g = window.geometry(x.shape, "maxPool2D")
    let outCount = g.n * g.c * g.oh * g.ow
    var indices = [Int32](repeating: 0, count: outCount)
    let output = x.scalars.withUnsafeBufferPointer { p in
        indices.withUnsafeMutableBufferPointer { index in
            Tensor(shape: [g.n, g.c, g.oh, g.ow]) { out in
                // In batch parts (a compare per window tap is work enough to share, unlike a pass
                // over memory), whole planes each.
                runBatchParts(batchParts(g.n * g.c), work: outCount * window.kernelHeight * window.kernelWidth,
                              minimumWork: Parallelism.minimumPoolingWork) { _, planes in
                    if window == Window2D(size: 2, stride: 2) {
                        maxPool2x2(p, out, index, planes: planes, height: g.h, width: g.w, outHeight: g.oh, outWidth: g.ow)
                        return
                    }
                    for planeIndex in planes {
                        let plane = planeIndex * g.h * g.w
                        for oy in 0..<g.oh {
                            for ox in 0..<g.ow {
                                var best = -Float.infinity, bestIndex = -1
                                for ky in 0..<window.kernelHeight {
                                    let y = oy * window.strideHeight - window.paddingHeight + ky
                                    if y < 0 || y >= g.h { continue }
                                    for kx in 0..<window.kernelWidth {
                                        let xx = ox * window.strideWidth - window.paddingWidth + kx
                                        if xx < 0 || xx >= g.w { continue }
                                        let v = p[plane + y * g.w + xx]
                                        if v > best || bestIndex < 0 { best = v; bestIndex = plane + y * g.w + xx }
                                    }
                                }
                                let o = (planeIndex * g.oh + oy) * g.ow + ox
                                out[o] = best
                                index[o] = Int32(bestIndex)
                            }
                        }
                    }
                }
            }
        }
    }
    return (output, indices)
}

/// The common 2x2, stride 2, unpadded case of `maxPool2DWithIndices`, without the general
/// loop's bounds tests: the same values and indices (the first maximum in row-major window
/// order wins ties; a NaN loses to the values before it, as in the general loop).
/// p is (planes, H, W); out and index are (planes, OH, OW).
private func maxPool2x2(_ p: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>,
                       _ index: UnsafeMutableBufferPointer<Int32>, planes: Range<Int>,
                       height: Int, width: Int, outHeight: Int, outWidth: Int) {
    for planeIndex in planes {
        let plane = planeIndex * height * width
        for oy in 0..<outHeight {
            let top = plane + 2 * oy * width, bottom = top + width
            let o = (planeIndex * outHeight + oy) * outWidth
            for ox in 0..<outWidth {
                var bestIndex = top + 2 * ox
                var best = p[bestIndex]
                let candidates = (bestIndex + 1, bottom + 2 * ox, bottom + 2 * ox + 1)
                if p[candidates.0] > best { best = p[candidates.0]; bestIndex = candidates.0 }
                if p[candidates.1] > best { best = p[candidates.1]; bestIndex = candidates.1 }
                if p[candidates.2] > best { best = p[candidates.2]; bestIndex = candidates.2 }
                out[o + ox] = best
                index[o + ox] = Int32(bestIndex)
            }
        }
    }
}

/// Max pooling of NCHW `x` over `window`: (N, C, OH, OW).
public func maxPool2D(_ x: Tensor, window: Window2D) -> Tensor { maxPool2DWithIndices(x, window: window).output }

/// Gradient of max pooling: each output gradient goes to the input position that was the maximum.
/// Plane by plane (image and channel), side by side: each part clears its planes of the result
/// just before it adds their gradients in, so the clearing is not a pass of its own over memory
/// and no two parts write the same plane. A maximum's index lies in its own plane (the forward
/// never takes one from another); an index that does not is an error, as one outside the input.
package func maxPool2DBackward(_ gradient: Tensor, indices: [Int32], inputShape: [Int]) -> Tensor {
    if gradient.count != indices.count {
        shapeMismatch("maxPool2DBackward", gradient.shape, inputShape, "do not match \(indices.count) indices")
    }
    let inputCount = inputShape.reduce(1, *)
    let planes = inputShape.count == 4 ? inputShape[0] * inputShape[1] : 1
    let planeSize = planes > 0 ? inputCount / planes : 0
    let outputsPerPlane = planes > 0 ? indices.count / planes : 0
    if planes == 0 || outputsPerPlane * planes != indices.count {
        shapeMismatch("maxPool2DBackward", gradient.shape, inputShape, "do not match (not a whole number of outputs per plane)")
    }
    return Tensor(shape: inputShape) { out in
        gradient.scalars.withUnsafeBufferPointer { g in
        indices.withUnsafeBufferPointer { index in
            let (out, g, index) = (out.baseAddress!, g.baseAddress!, index.baseAddress!)
            runBatchParts(batchParts(planes), work: inputCount + indices.count, minimumWork: Parallelism.minimumPoolingWork) { _, range in
                let first = range.lowerBound * planeSize, end = range.upperBound * planeSize
                (out + first).update(repeating: 0, count: end - first)
                for i in (range.lowerBound * outputsPerPlane)..<(range.upperBound * outputsPerPlane) {
                    // The indices are public input: one compare each (a scatter's bounds test) keeps a
                    // wrong one from writing outside the part's planes.
                    let target = Int(index[i])
                    if target < first || target >= end { maxPoolIndexOutOfRange(target, at: i, inputShape) }
                    out[target] += g[i]
                }
            }
        }
        }
    }
}

@inline(never)
private func maxPoolIndexOutOfRange(_ index: Int, at position: Int, _ inputShape: [Int]) -> Never {
    engineFailure("maxPool2DBackward: index \(index) (position \(position)) is outside its plane of the input of shape \(inputShape)")
}

/// Average pooling of NCHW `x`: each output is the mean of its window, padding counted as zeros
/// (divides by KH*KW always, PyTorch's `count_include_pad=True`).
public func avgPool2D(_ x: Tensor, window: Window2D) -> Tensor {
    let g = window.geometry(x.shape, "avgPool2D")
    let columns = unfold(x.reshaped(to: [g.n * g.c, 1, g.h, g.w]), window: window)   // (N*C, KH*KW, OH*OW)
    return columns.mean(alongAxes: [1]).reshaped(to: [g.n, g.c, g.oh, g.ow])
}

/// Gradient of `avgPool2D`: each output gradient spread evenly over its window.
package func avgPool2DBackward(_ gradient: Tensor, inputShape: [Int], window: Window2D) -> Tensor {
    let g = window.geometry(inputShape, "avgPool2DBackward")
    let area = Float(window.kernelHeight * window.kernelWidth)
    let spread = (gradient.reshaped(to: [g.n * g.c, 1, g.oh * g.ow]) * (1 / area))
        .broadcasted(to: [g.n * g.c, window.kernelHeight * window.kernelWidth, g.oh * g.ow])
    return fold(spread, imageShape: [g.n * g.c, 1, g.h, g.w], window: window).reshaped(to: inputShape)
}
