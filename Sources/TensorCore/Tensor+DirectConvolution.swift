// Direct 2-D convolution for stride 1, the common case (LeNet, VGG-style 3x3 and 5x5 layers).
//
// Why not im2col + sgemm here: with few channels and filters (LeNet's first layer has 1 input
// channel, 6 filters, 25 taps) the unfolded columns are 25 times the image and the product is
// too skinny for sgemm's micro-kernel: measured on a 128-image LeNet batch, unfold + sgemm +
// the copy to NCHW took about 3 ms for 15M multiply-adds. A direct loop over zero-padded
// images keeps everything in cache and does the multiply-adds in registers:
//
//     out[o, y, x] = Σ over (i, ky, kx) of w[(i, ky, kx), o] · in[i, y + ky, x + kx]
//
// 8 output columns of 8 filters at a time, in 8 SIMD8 accumulators (64 values). The same
// loop gives the input gradient: a convolution of the zero-padded output gradient with the
// flipped filters. The weight gradient keeps 8 accumulators per tap.

/// Whether `convolution2D` convolves directly (stride 1 and padding below the kernel size)
/// rather than through unfolded columns.
func convolvesDirectly(_ window: Window2D) -> Bool {
    window.strideHeight == 1 && window.strideWidth == 1
        && window.paddingHeight < window.kernelHeight && window.paddingWidth < window.kernelWidth
}

/// Output columns computed per step: one SIMD8 of positions.
private let lanes = 8

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func multiplyAdd(_ accumulator: inout SIMD8<Float>, _ v: SIMD8<Float>, _ w: Float) {
    #if NBRUN_FMA
    accumulator = accumulator.addingProduct(v, w)
    #else
    accumulator += v * w
    #endif
}

@inline(__always)
private func multiplyAdd(_ accumulator: inout SIMD8<Float>, _ v: SIMD8<Float>, _ w: SIMD8<Float>) {
    #if NBRUN_FMA
    accumulator = accumulator.addingProduct(v, w)
    #else
    accumulator += v * w
    #endif
}

/// Stores the first `valid` lanes of `v` at `to` (all 8 in one store when `valid` is 8).
@inline(__always)
private func store(_ v: SIMD8<Float>, _ to: UnsafeMutablePointer<Float>, valid: Int) {
    if valid == lanes {
        UnsafeMutableRawPointer(to).storeBytes(of: v, as: SIMD8<Float>.self)
    } else {
        for lane in 0..<valid { to[lane] = v[lane] }
    }
}

/// Zero-padded NCHW planes for the direct loops: (N, C, height, width), each image placed at
/// (top, left). `width` leaves room for the last SIMD8 of output columns to read past the image.
struct PaddedPlanes {
    var n: Int, c: Int, height: Int, width: Int
    var values: Tensor

    /// Planes kept from an earlier call (the forward pass's, for the backward).
    init(_ values: Tensor) {
        (n, c, height, width) = (values.shape[0], values.shape[1], values.shape[2], values.shape[3])
        self.values = values
    }

    /// Copies `source` (N, C, H, W) into the planes, at (top, left) in each.
    init(_ source: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int, top: Int, left: Int, height: Int, width: Int) {
        (self.n, self.c, self.height, self.width) = (n, c, height, width)
        values = Tensor(shape: [n, c, height, width]) { out in
            let o = out.baseAddress!
            for plane in 0..<(n * c) {
                let to = o + plane * height * width, from = source + plane * h * w
                to.update(repeating: 0, count: top * width)
                for y in 0..<h {
                    let row = to + (top + y) * width
                    for x in 0..<left { row[x] = 0 }
                    for x in 0..<w { row[left + x] = from[y * w + x] }
                    for x in (left + w)..<width { row[x] = 0 }
                }
                (to + (top + h) * width).update(repeating: 0, count: (height - top - h) * width)
            }
        }
    }
}

/// Filters packed for the direct loop: for each group of 8 outputs, the taps in (input
/// channel, ky, kx) order, 8 values each (zeros past the last output).
///
/// `weight` is (C*KH*KW, F). Forward, the inputs are the C channels and the outputs the F
/// filters. `flipped` packs what the input gradient convolves with: the inputs are the F
/// filters, the outputs the C channels, and each kernel is rotated by 180 degrees.
private func packFilters(_ weight: UnsafePointer<Float>, inputs: Int, outputs: Int, kh: Int, kw: Int, flipped: Bool) -> [Float] {
    let groups = (outputs + lanes - 1) / lanes, taps = inputs * kh * kw
    var packed = [Float](repeating: 0, count: groups * taps * lanes)
    for i in 0..<inputs {
        for ky in 0..<kh {
            for kx in 0..<kw {
                let tap = (i * kh + ky) * kw + kx
                for o in 0..<outputs {
                    let value = flipped ? weight[((o * kh + kh - 1 - ky) * kw + kw - 1 - kx) * inputs + i]
                                        : weight[tap * outputs + o]
                    packed[((o / lanes) * taps + tap) * lanes + o % lanes] = value
                }
            }
        }
    }
    return packed
}

/// out (images of N, O, OH, OW) = the direct convolution of `input` (padded planes with I
/// channels) with `packed` filters, plus `bias` (O) when given.
///
/// `rows` are the rows of each input plane that can be nonzero: kernel rows falling wholly
/// outside them (in zero padding) are skipped.
private func directConvolve(_ input: PaddedPlanes, _ inputBase: UnsafePointer<Float>, packed: UnsafePointer<Float>, outputs: Int,
                            kh: Int, kw: Int, oh: Int, ow: Int, bias: UnsafePointer<Float>?,
                            out: UnsafeMutablePointer<Float>, images: Range<Int>, rows: Range<Int>) {
    let groups = (outputs + lanes - 1) / lanes, taps = input.c * kh * kw
    let planeSize = input.height * input.width, outPlane = oh * ow
    @inline(__always) func initial(_ o: Int) -> Float { o < outputs ? bias?[o] ?? 0 : 0 }
    for image in images {
        let imageBase = inputBase + image * input.c * planeSize
        for group in 0..<groups {
            let first = group * lanes, filters = packed + group * taps * lanes
            let count = Swift.min(lanes, outputs - first)
            let (b0, b1, b2, b3) = (initial(first), initial(first + 1), initial(first + 2), initial(first + 3))
            let (b4, b5, b6, b7) = (initial(first + 4), initial(first + 5), initial(first + 6), initial(first + 7))
            let target = out + (image * outputs + first) * outPlane
            for oy in 0..<oh {
                // Kernel rows ky with input row oy + ky inside `rows`.
                let firstRow = Swift.max(0, rows.lowerBound - oy), lastRow = Swift.min(kh, rows.upperBound - oy)
                var ox = 0
                while ox < ow {
                    var a0 = SIMD8<Float>(repeating: b0), a1 = SIMD8<Float>(repeating: b1)
                    var a2 = SIMD8<Float>(repeating: b2), a3 = SIMD8<Float>(repeating: b3)
                    var a4 = SIMD8<Float>(repeating: b4), a5 = SIMD8<Float>(repeating: b5)
                    var a6 = SIMD8<Float>(repeating: b6), a7 = SIMD8<Float>(repeating: b7)
                    for channel in 0..<input.c {
                        for ky in firstRow..<lastRow {
                            let row = imageBase + channel * planeSize + (oy + ky) * input.width + ox
                            var w = filters + ((channel * kh + ky) * kw) * lanes
                            for kx in 0..<kw {
                                let v = load8(row + kx)
                                multiplyAdd(&a0, v, w[0]); multiplyAdd(&a1, v, w[1])
                                multiplyAdd(&a2, v, w[2]); multiplyAdd(&a3, v, w[3])
                                multiplyAdd(&a4, v, w[4]); multiplyAdd(&a5, v, w[5])
                                multiplyAdd(&a6, v, w[6]); multiplyAdd(&a7, v, w[7])
                                w += lanes
                            }
                        }
                    }
                    let valid = Swift.min(lanes, ow - ox), to = target + oy * ow + ox
                    store(a0, to, valid: valid)
                    if count > 1 { store(a1, to + outPlane, valid: valid) }
                    if count > 2 { store(a2, to + 2 * outPlane, valid: valid) }
                    if count > 3 { store(a3, to + 3 * outPlane, valid: valid) }
                    if count > 4 { store(a4, to + 4 * outPlane, valid: valid) }
                    if count > 5 { store(a5, to + 5 * outPlane, valid: valid) }
                    if count > 6 { store(a6, to + 6 * outPlane, valid: valid) }
                    if count > 7 { store(a7, to + 7 * outPlane, valid: valid) }
                    ox += lanes
                }
            }
        }
    }
}

/// The padded planes a stride-1 convolution of `x` reads: padding on every side, and on the
/// right enough for the last SIMD8 of output columns.
func convolutionInputPlanes(_ x: Tensor, window: Window2D) -> PaddedPlanes {
    let g = window.geometry(x.shape, "convolution2D")
    let width = (g.ow + lanes - 1) / lanes * lanes + window.kernelWidth - 1
    return x.scalars.withUnsafeBufferPointer { p in
        PaddedPlanes(p.baseAddress!, n: g.n, c: g.c, h: g.h, w: g.w, top: window.paddingHeight, left: window.paddingWidth,
                     height: g.h + 2 * window.paddingHeight, width: width)
    }
}

/// Forward: (N, F, OH, OW) from the padded input planes.
func directConvolutionForward(_ planes: PaddedPlanes, weight: Tensor, bias: Tensor, window: Window2D,
                              oh: Int, ow: Int) -> Tensor {
    let filters = weight.shape[1], kh = window.kernelHeight, kw = window.kernelWidth
    let packed = weight.scalars.withUnsafeBufferPointer {
        packFilters($0.baseAddress!, inputs: planes.c, outputs: filters, kh: kh, kw: kw, flipped: false)
    }
    let parts = batchParts(planes.n)
    return Tensor(shape: [planes.n, filters, oh, ow]) { out in
        planes.values.scalars.withUnsafeBufferPointer { input in
            packed.withUnsafeBufferPointer { w in
                bias.scalars.withUnsafeBufferPointer { b in
                    let (inputBase, wBase, bBase, outBase) = (input.baseAddress!, w.baseAddress!, b.baseAddress!, out.baseAddress!)
                    runBatchParts(parts, work: planes.n * filters * oh * ow * planes.c * kh * kw, blas: (1, 1, 1)) { images in
                        directConvolve(planes, inputBase, packed: wBase, outputs: filters, kh: kh, kw: kw, oh: oh, ow: ow,
                                       bias: bBase, out: outBase, images: images,
                                       rows: window.paddingHeight..<(planes.height - window.paddingHeight))
                    }
                }
            }
        }
    }
}

/// Backward: the input gradient (when `needsInput`), the weight gradient (C*KH*KW, F) and the
/// bias gradient (F), from the output gradient (N, F, OH, OW) and the forward's padded planes.
func directConvolutionBackward(_ gradient: Tensor, planes: PaddedPlanes, weight: Tensor, inputShape: [Int], window: Window2D,
                               needsInput: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let kh = window.kernelHeight, kw = window.kernelWidth
    let (n, filters, oh, ow) = (gradient.shape[0], gradient.shape[1], gradient.shape[2], gradient.shape[3])
    let channels = planes.c, taps = channels * kh * kw
    let groups = (filters + lanes - 1) / lanes
    let parts = batchParts(n)
    // The output gradient, zero-padded: (KH-1-ph) rows above and below, (KW-1-pw) columns left,
    // and on the right to a whole SIMD8 of input columns (for the input gradient) and of output
    // columns (for the weight gradient). Filters padded to whole groups of 8.
    let top = kh - 1 - window.paddingHeight, left = kw - 1 - window.paddingWidth
    let (h, w) = (inputShape[2], inputShape[3])
    let paddedWidth = Swift.max((w + lanes - 1) / lanes * lanes + kw - 1, left + (ow + lanes - 1) / lanes * lanes)
    let upstream = gradient.scalars.withUnsafeBufferPointer { g in
        PaddedPlanes(g.baseAddress!, n: n, c: filters, h: oh, w: ow, top: top, left: left,
                     height: oh + 2 * top, width: paddedWidth)
    }
    // Bias gradient: per part and filter, summed 8 lanes at a time (a serial sum of 600k values
    // is a 2400k-cycle chain of dependent adds).
    var partialBiases = [Float](repeating: 0, count: parts.count * filters)
    // Weight gradient: per part, per (group, tap), 8 accumulators (one per filter) whose lanes
    // are output columns; summed over lanes and parts in a fixed order at the end.
    var partials = [SIMD8<Float>](repeating: .zero, count: parts.count * groups * taps * lanes)
    let packed = needsInput ? weight.scalars.withUnsafeBufferPointer {
        packFilters($0.baseAddress!, inputs: filters, outputs: channels, kh: kh, kw: kw, flipped: true)
    } : []
    var inputGradient = needsInput ? Tensor(shape: inputShape) { _ in } : Tensor.zeros([0])
    let zeroPlane = [Float](repeating: 0, count: upstream.height * upstream.width)
    planes.values.scalars.withUnsafeBufferPointer { inputBuffer in
    upstream.values.scalars.withUnsafeBufferPointer { upstreamBuffer in
    partials.withUnsafeMutableBufferPointer { partialBuffer in
    packed.withUnsafeBufferPointer { packedBuffer in
    inputGradient.scalars.withUnsafeMutableBufferPointer { dxBuffer in
    zeroPlane.withUnsafeBufferPointer { zeroBuffer in
        let (input, dy, partial, zero) = (inputBuffer.baseAddress!, upstreamBuffer.baseAddress!, partialBuffer.baseAddress!,
                                          zeroBuffer.baseAddress!)
        let planeSize = planes.height * planes.width, upstreamPlane = upstream.height * upstream.width
        runBatchParts(parts, work: n * filters * oh * ow * taps * (needsInput ? 2 : 1), blas: (1, 1, 1)) { images in
            let part = parts.firstIndex(of: images)!
            gradient.scalars.withUnsafeBufferPointer { g in
                partialBiases.withUnsafeMutableBufferPointer { biases in
                    for filter in 0..<filters {
                        var lanesTotal = SIMD8<Float>.zero, rest: Float = 0
                        for image in images {
                            let plane = g.baseAddress! + (image * filters + filter) * oh * ow
                            var i = 0
                            while i + lanes <= oh * ow { lanesTotal += load8(plane + i); i += lanes }
                            while i < oh * ow { rest += plane[i]; i += 1 }
                        }
                        biases[part * filters + filter] = lanesTotal.sum() + rest
                    }
                }
            }
            for image in images {
                for group in 0..<groups {
                    // Each filter's gradient plane, from its first real value (a zero plane past the last filter).
                    @inline(__always) func filterPlane(_ lane: Int) -> UnsafePointer<Float> {
                        let filter = group * lanes + lane
                        return filter < filters ? dy + (image * filters + filter) * upstreamPlane + top * upstream.width + left : zero
                    }
                    let (d0, d1, d2, d3) = (filterPlane(0), filterPlane(1), filterPlane(2), filterPlane(3))
                    let (d4, d5, d6, d7) = (filterPlane(4), filterPlane(5), filterPlane(6), filterPlane(7))
                    var accumulator = partial + ((part * groups + group) * taps) * lanes
                    for channel in 0..<channels {
                        let plane = input + (image * channels + channel) * planeSize
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                var a0 = accumulator[0], a1 = accumulator[1], a2 = accumulator[2], a3 = accumulator[3]
                                var a4 = accumulator[4], a5 = accumulator[5], a6 = accumulator[6], a7 = accumulator[7]
                                for oy in 0..<oh {
                                    let row = plane + (oy + ky) * planes.width + kx
                                    let offset = oy * upstream.width
                                    var ox = 0
                                    while ox < ow {
                                        // Columns past ow read zeros from the padded gradient.
                                        let v = load8(row + ox)
                                        let o = offset + ox
                                        multiplyAdd(&a0, v, load8(d0 + o)); multiplyAdd(&a1, v, load8(d1 + o))
                                        multiplyAdd(&a2, v, load8(d2 + o)); multiplyAdd(&a3, v, load8(d3 + o))
                                        multiplyAdd(&a4, v, load8(d4 + o)); multiplyAdd(&a5, v, load8(d5 + o))
                                        multiplyAdd(&a6, v, load8(d6 + o)); multiplyAdd(&a7, v, load8(d7 + o))
                                        ox += lanes
                                    }
                                }
                                accumulator[0] = a0; accumulator[1] = a1; accumulator[2] = a2; accumulator[3] = a3
                                accumulator[4] = a4; accumulator[5] = a5; accumulator[6] = a6; accumulator[7] = a7
                                accumulator += lanes
                            }
                        }
                    }
                }
            }
            if needsInput, let packedBase = packedBuffer.baseAddress, let dx = dxBuffer.baseAddress {
                directConvolve(upstream, dy, packed: packedBase, outputs: channels, kh: kh, kw: kw, oh: h, ow: w,
                               bias: nil, out: dx, images: images, rows: top..<(top + oh))
            }
        }
    }
    }
    }
    }
    }
    }
    var weightGradient = Tensor.zeros([taps, filters])
    for part in 0..<parts.count {
        for group in 0..<groups {
            for tap in 0..<taps {
                for lane in 0..<Swift.min(lanes, filters - group * lanes) {
                    weightGradient.scalars[tap * filters + group * lanes + lane] += partials[((part * groups + group) * taps + tap) * lanes + lane].sum()
                }
            }
        }
    }
    var biasGradient = Tensor.zeros([filters])
    for part in 0..<parts.count {
        for filter in 0..<filters { biasGradient.scalars[filter] += partialBiases[part * filters + filter] }
    }
    return (needsInput ? inputGradient : nil, weightGradient, biasGradient)
}
