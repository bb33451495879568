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
// 16 output columns of 6 filters at a time, in 12 SIMD8 accumulators, or, for wider layers,
// 6 positions of 16 filters. The same loops give the input gradient: a convolution of the
// zero-padded output gradient with the flipped filters. The weight gradient accumulates per tap,
// with output columns or (wider layers) filters in the lanes.

/// Whether `convolution2D` (or, with `backward`, its backward pass) convolves directly rather
/// than through chunks of unfolded columns and sgemm (Tensor+Unfold.swift): stride 1, padding
/// below the kernel size, and fewer than 64 filters (32 for the backward pass). Every
/// convolution the backward runs directly ran directly forward, and kept the padded input.
///
/// Measured with `benchmarks cnn conv` (one core, least CPU time, OpenBLAS's SkylakeX kernels,
/// batch 128 unless said), direct vs columns in ms: forward, the direct loops won for every
/// layer of fewer than 64 filters (LeNet's 1->6 5x5: 0.62 vs 2.0; 6->16: 1.1 vs 1.9; 1->32 3x3:
/// 2.0 vs 3.2; 16->32 5x5, batch 32: 0.65 vs 1.1, batch 1000: 27 vs 37) and lost from 64 on
/// (32->64 3x3: 43 vs 29; 64->128 3x3, batch 64: 23 vs 17), where each unfolded value feeds 64
/// multiply-adds at sgemm's 16-wide AVX-512 rate while these loops run 8 wide. Backward, the
/// columns won from 32 filters on (1->32: 4.5 vs 6.3; 16->32: 1.8 vs 2.1, batch 1000: 63 vs 75)
/// and lost below (1->6: 2.9 vs 1.4; 6->16: 4.1 vs 3.3; 1->16, batch 32: 0.65 vs 0.35).
func convolvesDirectly(_ window: Window2D, filters: Int, backward: Bool = false) -> Bool {
    let possible = window.strideHeight == 1 && window.strideWidth == 1
        && window.paddingHeight < window.kernelHeight && window.paddingWidth < window.kernelWidth
    switch ConvolutionKernel.forced {
    case .direct?: return possible
    case .columns?, .winograd?: return false
    case nil: return possible && filters < (backward ? 32 : 64)
    }
}

/// The three ways `convolution2D` computes, for `benchmarks cnn conv` to time each on any shape
/// and the tests to check each: `ConvolutionKernel.$forced.withValue(.columns) { ... }`.
package enum ConvolutionKernel: Sendable {
    case direct, columns, winograd
    /// Every convolution in this task runs this kernel where it can (nil: chosen by shape,
    /// `convolvesByWinograd`, then `convolvesDirectly`).
    @TaskLocal package static var forced: ConvolutionKernel?
}

/// Values per SIMD register: one SIMD8 of output columns.
private let lanes = 8
/// The convolution loop's block: 6 outputs (filters, or channels for the input gradient) by
/// 16 columns (two SIMD8), 12 accumulators, so each weight broadcast feeds two multiply-adds
/// and each input load six (8 loads per 12 multiply-adds; 8 by 8 columns took 9 per 8).
private let filterGroup = 6
private let columnStep = 2 * lanes

/// Eight values from `p`, aligned or not (also Winograd's transforms' load).
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
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

    /// The layout alone, for planes the caller fills part by part (`fill`) in its own memory.
    init(n: Int, c: Int, height: Int, width: Int) {
        (self.n, self.c, self.height, self.width) = (n, c, height, width)
        values = Tensor.zeros([0])
    }

    /// Writes `planes` of `source` (each h x w), zero-padded, into `to`: each at (top, left) of
    /// a `height` x `width` plane.
    static func fill(_ to: UnsafeMutablePointer<Float>, planes: Range<Int>, from source: UnsafePointer<Float>,
                     h: Int, w: Int, top: Int, left: Int, height: Int, width: Int) {
        for plane in planes {
            let to = to + plane * height * width, from = source + plane * h * w
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

/// Filters packed for the direct loops. With `filtersInLanes` (16 outputs or more, 32 taps or more):
/// (taps, outputs padded to a multiple of 16), each tap's outputs side by side. Otherwise, for
/// each group of `filterGroup` outputs, the taps in (input channel, ky, kx) order,
/// `filterGroup` values each. Zeros past the last output either way.
///
/// `weight` is (C*KH*KW, F). Forward, the inputs are the C channels and the outputs the F
/// filters. `flipped` packs what the input gradient convolves with: the inputs are the F
/// filters, the outputs the C channels, and each kernel is rotated by 180 degrees.
private struct PackedFilters {
    var values: [Float]
    var filtersInLanes: Bool
    var stride: Int

    init(_ weight: UnsafePointer<Float>, inputs: Int, outputs: Int, kh: Int, kw: Int, flipped: Bool) {
        let taps = inputs * kh * kw
        // Measured (convolution2D timed alone on these shapes): outputs in lanes won for LeNet's second layer (150
        // taps: forward 1.3-1.6 -> 0.83 ms) and 32 -> 64 channels (288 taps), lost for a first
        // layer of 9 taps (1.5 -> 3.6 ms: per position block, the set-up outweighs the taps).
        filtersInLanes = outputs >= columnStep && taps >= 32
        stride = (outputs + columnStep - 1) / columnStep * columnStep
        let groups = (outputs + filterGroup - 1) / filterGroup
        values = [Float](repeating: 0, count: filtersInLanes ? taps * stride : groups * taps * filterGroup)
        for i in 0..<inputs {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let tap = (i * kh + ky) * kw + kx
                    for o in 0..<outputs {
                        let value = flipped ? weight[((o * kh + kh - 1 - ky) * kw + kw - 1 - kx) * inputs + i]
                                            : weight[tap * outputs + o]
                        if filtersInLanes {
                            values[tap * stride + o] = value
                        } else {
                            values[((o / filterGroup) * taps + tap) * filterGroup + o % filterGroup] = value
                        }
                    }
                }
            }
        }
    }
}

/// For each tap (channel, ky, kx), its offset in an image of `planes`: where the tap's input for
/// output (0, 0) lies; output (y, x) adds y * planes.width + x.
private func tapOffsets(_ planes: PaddedPlanes, kh: Int, kw: Int) -> [Int] {
    var offsets = [Int](repeating: 0, count: planes.c * kh * kw)
    for channel in 0..<planes.c {
        for ky in 0..<kh {
            for kx in 0..<kw { offsets[(channel * kh + ky) * kw + kx] = (channel * planes.height + ky) * planes.width + kx }
        }
    }
    return offsets
}

/// out (images of N, O, OH, OW) = the direct convolution of `input` (padded planes with I
/// channels) with `packed` filters, plus `bias` (O) when given, by the loop that suits the layout.
private func convolve(_ input: PaddedPlanes, _ inputBase: UnsafePointer<Float>, packed: PackedFilters, _ packedBase: UnsafePointer<Float>,
                      outputs: Int, kh: Int, kw: Int, oh: Int, ow: Int, bias: UnsafePointer<Float>?,
                      out: UnsafeMutablePointer<Float>, images: Range<Int>, rows: Range<Int>) {
    if packed.filtersInLanes {
        directConvolveFiltersInLanes(input, inputBase, packed: packedBase, stride: packed.stride, outputs: outputs, kh: kh, kw: kw,
                                     oh: oh, ow: ow, bias: bias, out: out, images: images)
    } else {
        directConvolve(input, inputBase, packed: packedBase, outputs: outputs, kh: kh, kw: kw, oh: oh, ow: ow, bias: bias,
                       out: out, images: images, rows: rows)
    }
}

/// The direct convolution with outputs in the SIMD lanes: per block of 6 output positions
/// (anywhere in the image) and 16 outputs, 12 accumulators over every tap (2 weight loads and
/// 6 input broadcasts per 12 multiply-adds). Every lane is useful when the outputs fill whole
/// SIMD8s, whatever the image width; the (positions, outputs) results are transposed to NCHW.
private func directConvolveFiltersInLanes(_ input: PaddedPlanes, _ inputBase: UnsafePointer<Float>, packed: UnsafePointer<Float>,
                                          stride: Int, outputs: Int, kh: Int, kw: Int, oh: Int, ow: Int,
                                          bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, images: Range<Int>) {
    let taps = input.c * kh * kw, positions = oh * ow, planeSize = input.height * input.width
    let block = 6
    let offsets = tapOffsets(input, kh: kh, kw: kw)
    // Each position's top-left input offset; the last block repeats the last position.
    let blocks = (positions + block - 1) / block
    var positionOffsets = [Int](repeating: 0, count: blocks * block)
    for p in 0..<(blocks * block) {
        let q = Swift.min(p, positions - 1)
        positionOffsets[p] = (q / ow) * input.width + q % ow
    }
    var results = [SIMD8<Float>](repeating: .zero, count: blocks * block * 2)
    offsets.withUnsafeBufferPointer { tapBuffer in
    positionOffsets.withUnsafeBufferPointer { positionBuffer in
    results.withUnsafeMutableBufferPointer { resultBuffer in
        let (tapOffset, positionOffset, result) = (tapBuffer.baseAddress!, positionBuffer.baseAddress!, resultBuffer.baseAddress!)
        for image in images {
            let imageBase = inputBase + image * input.c * planeSize
            for pair in Swift.stride(from: 0, to: stride, by: columnStep) {
                for first in Swift.stride(from: 0, to: blocks * block, by: block) {
                    let (p0, p1, p2) = (imageBase + positionOffset[first], imageBase + positionOffset[first + 1], imageBase + positionOffset[first + 2])
                    let (p3, p4, p5) = (imageBase + positionOffset[first + 3], imageBase + positionOffset[first + 4], imageBase + positionOffset[first + 5])
                    var a00 = SIMD8<Float>.zero, a01 = SIMD8<Float>.zero, a10 = SIMD8<Float>.zero, a11 = SIMD8<Float>.zero
                    var a20 = SIMD8<Float>.zero, a21 = SIMD8<Float>.zero, a30 = SIMD8<Float>.zero, a31 = SIMD8<Float>.zero
                    var a40 = SIMD8<Float>.zero, a41 = SIMD8<Float>.zero, a50 = SIMD8<Float>.zero, a51 = SIMD8<Float>.zero
                    var w = packed + pair
                    for tap in 0..<taps {
                        let w0 = load8(w), w1 = load8(w + lanes)
                        let t = tapOffset[tap]
                        var value = p0[t]
                        multiplyAdd(&a00, w0, value); multiplyAdd(&a01, w1, value)
                        value = p1[t]
                        multiplyAdd(&a10, w0, value); multiplyAdd(&a11, w1, value)
                        value = p2[t]
                        multiplyAdd(&a20, w0, value); multiplyAdd(&a21, w1, value)
                        value = p3[t]
                        multiplyAdd(&a30, w0, value); multiplyAdd(&a31, w1, value)
                        value = p4[t]
                        multiplyAdd(&a40, w0, value); multiplyAdd(&a41, w1, value)
                        value = p5[t]
                        multiplyAdd(&a50, w0, value); multiplyAdd(&a51, w1, value)
                        w += stride
                    }
                    let r = result + first * 2
                    r[0] = a00; r[1] = a01; r[2] = a10; r[3] = a11; r[4] = a20; r[5] = a21
                    r[6] = a30; r[7] = a31; r[8] = a40; r[9] = a41; r[10] = a50; r[11] = a51
                }
                // (positions, 16) -> the 16 output planes, plus the bias.
                for o in pair..<Swift.min(pair + columnStep, outputs) {
                    let plane = out + (image * outputs + o) * positions
                    let lane = o - pair, offset = bias?[o] ?? 0
                    let vector = lane / lanes, within = lane % lanes
                    for p in 0..<positions { plane[p] = result[p * 2 + vector][within] + offset }
                }
            }
        }
    }
    }
    }
}

/// out (images of N, O, OH, OW) = the direct convolution of `input` (padded planes with I
/// channels) with `packed` filters, plus `bias` (O) when given.
///
/// `rows` are the rows of each input plane that can be nonzero: kernel rows falling wholly
/// outside them (in zero padding) are skipped.
private func directConvolve(_ input: PaddedPlanes, _ inputBase: UnsafePointer<Float>, packed: UnsafePointer<Float>, outputs: Int,
                            kh: Int, kw: Int, oh: Int, ow: Int, bias: UnsafePointer<Float>?,
                            out: UnsafeMutablePointer<Float>, images: Range<Int>, rows: Range<Int>) {
    let groups = (outputs + filterGroup - 1) / filterGroup, taps = input.c * kh * kw
    let planeSize = input.height * input.width, outPlane = oh * ow
    @inline(__always) func initial(_ o: Int) -> SIMD8<Float> { SIMD8(repeating: o < outputs ? bias?[o] ?? 0 : 0) }
    for image in images {
        let imageBase = inputBase + image * input.c * planeSize
        for group in 0..<groups {
            let first = group * filterGroup, filters = packed + group * taps * filterGroup
            let count = Swift.min(filterGroup, outputs - first)
            let (b0, b1, b2) = (initial(first), initial(first + 1), initial(first + 2))
            let (b3, b4, b5) = (initial(first + 3), initial(first + 4), initial(first + 5))
            let target = out + (image * outputs + first) * outPlane
            for oy in 0..<oh {
                // Kernel rows ky with input row oy + ky inside `rows`.
                let firstRow = Swift.max(0, rows.lowerBound - oy), lastRow = Swift.min(kh, rows.upperBound - oy)
                var ox = 0
                while ox < ow {
                    // a<filter><block>: filter 0...5 of the group, columns ox..<ox+8 and ox+8..<ox+16.
                    var a00 = b0, a10 = b1, a20 = b2, a30 = b3, a40 = b4, a50 = b5
                    var a01 = b0, a11 = b1, a21 = b2, a31 = b3, a41 = b4, a51 = b5
                    for channel in 0..<input.c {
                        for ky in firstRow..<lastRow {
                            let row = imageBase + channel * planeSize + (oy + ky) * input.width + ox
                            var w = filters + ((channel * kh + ky) * kw) * filterGroup
                            for kx in 0..<kw {
                                let v0 = load8(row + kx), v1 = load8(row + kx + lanes)
                                var weight = w[0]
                                multiplyAdd(&a00, v0, weight); multiplyAdd(&a01, v1, weight)
                                weight = w[1]
                                multiplyAdd(&a10, v0, weight); multiplyAdd(&a11, v1, weight)
                                weight = w[2]
                                multiplyAdd(&a20, v0, weight); multiplyAdd(&a21, v1, weight)
                                weight = w[3]
                                multiplyAdd(&a30, v0, weight); multiplyAdd(&a31, v1, weight)
                                weight = w[4]
                                multiplyAdd(&a40, v0, weight); multiplyAdd(&a41, v1, weight)
                                weight = w[5]
                                multiplyAdd(&a50, v0, weight); multiplyAdd(&a51, v1, weight)
                                w += filterGroup
                            }
                        }
                    }
                    let valid0 = Swift.min(lanes, ow - ox), valid1 = Swift.min(lanes, ow - ox - lanes)
                    let to = target + oy * ow + ox
                    @inline(__always) func put(_ low: SIMD8<Float>, _ high: SIMD8<Float>, _ filter: Int) {
                        store(low, to + filter * outPlane, valid: valid0)
                        if valid1 > 0 { store(high, to + filter * outPlane + lanes, valid: valid1) }
                    }
                    put(a00, a01, 0)
                    if count > 1 { put(a10, a11, 1) }
                    if count > 2 { put(a20, a21, 2) }
                    if count > 3 { put(a30, a31, 3) }
                    if count > 4 { put(a40, a41, 4) }
                    if count > 5 { put(a50, a51, 5) }
                    ox += columnStep
                }
            }
        }
    }
}

/// Forward: (N, F, OH, OW), with `rectified` max(0, ·) of it, and the zero-padded input planes
/// it read (kept for the backward). Each batch part pads its own images, then convolves them
/// while they are in its core's cache.
func directConvolutionForward(_ x: Tensor, weight: Tensor, bias: Tensor, window: Window2D,
                              oh: Int, ow: Int, rectified: Bool) -> (output: Tensor, planes: PaddedPlanes) {
    let g = window.geometry(x.shape, "convolution2D")
    let width = (g.ow + columnStep - 1) / columnStep * columnStep + window.kernelWidth - 1
    let layout = PaddedPlanes(n: g.n, c: g.c, height: g.h + 2 * window.paddingHeight, width: width)
    let filters = weight.shape[1], kh = window.kernelHeight, kw = window.kernelWidth
    let packed = weight.scalars.withUnsafeBufferPointer {
        PackedFilters($0.baseAddress!, inputs: g.c, outputs: filters, kh: kh, kw: kw, flipped: false)
    }
    let parts = batchParts(g.n)
    var output = Tensor.zeros([0])
    let padded = Tensor(shape: [g.n, g.c, layout.height, layout.width]) { paddedBuffer in
        output = Tensor(shape: [g.n, filters, oh, ow]) { out in
            x.scalars.withUnsafeBufferPointer { source in
            packed.values.withUnsafeBufferPointer { w in
            bias.scalars.withUnsafeBufferPointer { b in
                let (inputBase, sourceBase, wBase, bBase, outBase) = (paddedBuffer.baseAddress!, source.baseAddress!, w.baseAddress!,
                                                                      b.baseAddress!, out.baseAddress!)
                runBatchParts(parts, work: g.n * filters * oh * ow * g.c * kh * kw) { _, images in
                    PaddedPlanes.fill(inputBase, planes: (images.lowerBound * g.c)..<(images.upperBound * g.c), from: sourceBase,
                                      h: g.h, w: g.w, top: window.paddingHeight, left: window.paddingWidth,
                                      height: layout.height, width: layout.width)
                    convolve(layout, inputBase, packed: packed, wBase, outputs: filters, kh: kh, kw: kw, oh: oh, ow: ow,
                             bias: bBase, out: outBase, images: images,
                             rows: window.paddingHeight..<(layout.height - window.paddingHeight))
                    // While the part's output is still in this core's cache.
                    if rectified { rectify(outBase + images.lowerBound * filters * oh * ow, count: images.count * filters * oh * ow) }
                }
            }
            }
            }
        }
    }
    return (output, PaddedPlanes(padded))
}

/// Backward: the input gradient (when `needsInput`), the weight gradient (C*KH*KW, F) and the
/// bias gradient (F), from the output gradient (N, F, OH, OW) and the forward's padded planes.
///
/// With `rectifiedOutput`, the gradient is the rectified convolution's: `gradient` is kept only
/// where the output is positive. Each batch part masks and pads its own images' gradient, so
/// that neither is a pass over the batch on one thread.
func directConvolutionBackward(_ gradient: Tensor, rectifiedOutput: Tensor?, planes: PaddedPlanes, weight: Tensor,
                               inputShape: [Int], window: Window2D, needsInput: Bool) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let kh = window.kernelHeight, kw = window.kernelWidth
    let (n, filters, oh, ow) = (gradient.shape[0], gradient.shape[1], gradient.shape[2], gradient.shape[3])
    let channels = planes.c, taps = channels * kh * kw
    let parts = batchParts(n)
    // The output gradient, zero-padded: (KH-1-ph) rows above and below, (KW-1-pw) columns left,
    // and on the right to a whole step of 16 input columns (for the input gradient) and of output
    // columns (for the weight gradient with columns in the lanes). Only those two read it: the
    // weight gradient with filters in the lanes reads `gradient` itself.
    let top = kh - 1 - window.paddingHeight, left = kw - 1 - window.paddingWidth
    let (h, w) = (inputShape[2], inputShape[3])
    let columnsInLanes = filters <= lanes
    let paddedWidth = Swift.max((w + columnStep - 1) / columnStep * columnStep + kw - 1, left + (ow + lanes - 1) / lanes * lanes)
    let upstream = needsInput || columnsInLanes
        ? PaddedPlanes(n: n, c: filters, height: oh + 2 * top, width: paddedWidth) : nil
    // The masked gradient, for the loops that read it unpadded (filters in lanes, the bias).
    let maskedValues = rectifiedOutput == nil ? 0 : n * filters * oh * ow
    let masked = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, maskedValues))
    defer { masked.deallocate() }
    let upstreamBuffer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, upstream.map { $0.n * $0.c * $0.height * $0.width } ?? 0))
    defer { upstreamBuffer.deallocate() }
    // Bias gradient: per part and filter, summed 8 lanes at a time (a serial sum of 600k values
    // is a 2400k-cycle chain of dependent adds).
    var partialBiases = [Float](repeating: 0, count: parts.count * filters)
    // Weight gradient: per part (taps, filters).
    var partials = [Float](repeating: 0, count: parts.count * taps * filters)
    let packed = weight.scalars.withUnsafeBufferPointer {
        PackedFilters($0.baseAddress!, inputs: filters, outputs: needsInput ? channels : 0, kh: kh, kw: kw, flipped: true)
    }
    var inputGradient = needsInput ? Tensor(shape: inputShape) { _ in } : Tensor.zeros([0])
    let zeroPlane = [Float](repeating: 0, count: Swift.max(upstream.map { $0.height * $0.width } ?? 0, planes.height * planes.width))
    let rectified = rectifiedOutput ?? Tensor.zeros([0])
    planes.values.scalars.withUnsafeBufferPointer { inputBuffer in
    rectified.scalars.withUnsafeBufferPointer { maskBuffer in
    partials.withUnsafeMutableBufferPointer { partialBuffer in
    packed.values.withUnsafeBufferPointer { packedBuffer in
    inputGradient.scalars.withUnsafeMutableBufferPointer { dxBuffer in
    zeroPlane.withUnsafeBufferPointer { zeroBuffer in
    gradient.scalars.withUnsafeBufferPointer { gradientBuffer in
    partialBiases.withUnsafeMutableBufferPointer { biasBuffer in
        let (input, partialWeights, zero) = (inputBuffer.baseAddress!, partialBuffer.baseAddress!, zeroBuffer.baseAddress!)
        let biases = biasBuffer.baseAddress!
        // The gradient the loops read: as given, or masked by each part below.
        let gBase: UnsafePointer<Float> = rectifiedOutput == nil ? gradientBuffer.baseAddress! : UnsafePointer(masked)
        let dy = UnsafePointer(upstreamBuffer)
        runBatchParts(parts, work: n * filters * oh * ow * taps * (needsInput ? 2 : 1)) { part, images in
            let planeRange = (images.lowerBound * filters)..<(images.upperBound * filters)
            if let mask = maskBuffer.baseAddress, rectifiedOutput != nil {
                let from = gradientBuffer.baseAddress!
                for i in (planeRange.lowerBound * oh * ow)..<(planeRange.upperBound * oh * ow) { masked[i] = mask[i] > 0 ? from[i] : 0 }
            }
            if let upstream {
                PaddedPlanes.fill(upstreamBuffer, planes: planeRange, from: gBase, h: oh, w: ow, top: top, left: left,
                                  height: upstream.height, width: upstream.width)
            }
            for filter in 0..<filters {
                var lanesTotal = SIMD8<Float>.zero, rest: Float = 0
                for image in images {
                    let plane = gBase + (image * filters + filter) * oh * ow
                    var i = 0
                    while i + lanes <= oh * ow { lanesTotal += load8(plane + i); i += lanes }
                    while i < oh * ow { rest += plane[i]; i += 1 }
                }
                biases[part * filters + filter] = lanesTotal.sum() + rest
            }
            let weightPart = partialWeights + part * taps * filters
            if let upstream, columnsInLanes {
                weightGradientColumnsInLanes(planes, input, upstream: upstream, dy, filters: filters, kh: kh, kw: kw, oh: oh, ow: ow,
                                             top: top, left: left, images: images, into: weightPart, zero: zero)
            } else {
                weightGradientFiltersInLanes(planes, input, gradient: gBase, filters: filters, kh: kh, kw: kw, oh: oh, ow: ow,
                                             images: images, into: weightPart, zero: zero)
            }
            if needsInput, let upstream, let packedBase = packedBuffer.baseAddress,
               let dx = dxBuffer.baseAddress {
                convolve(upstream, dy, packed: packed, packedBase, outputs: channels, kh: kh, kw: kw, oh: h, ow: w,
                         bias: nil, out: dx, images: images, rows: top..<(top + oh))
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
    return (needsInput ? inputGradient : nil,
            Tensor(sumOverParts(partials, parts: parts.count, size: taps * filters), shape: [taps, filters]),
            Tensor(sumOverParts(partialBiases, parts: parts.count, size: filters), shape: [filters]))
}

/// Adds the weight gradient of `images` into `result` (taps, filters), with output columns in
/// the SIMD lanes: per tap, 8 accumulators (one per filter) over each row of output columns.
/// For layers of up to 8 filters (LeNet's first).
private func weightGradientColumnsInLanes(_ planes: PaddedPlanes, _ input: UnsafePointer<Float>, upstream: PaddedPlanes,
                                          _ dy: UnsafePointer<Float>, filters: Int, kh: Int, kw: Int, oh: Int, ow: Int,
                                          top: Int, left: Int, images: Range<Int>, into result: UnsafeMutablePointer<Float>,
                                          zero: UnsafePointer<Float>) {
    let channels = planes.c, taps = channels * kh * kw
    let planeSize = planes.height * planes.width, upstreamPlane = upstream.height * upstream.width
    var accumulators = [SIMD8<Float>](repeating: .zero, count: taps * lanes)
    accumulators.withUnsafeMutableBufferPointer { buffer in
        for image in images {
            // Each filter's gradient plane, from its first real value (a zero plane past the last filter).
            @inline(__always) func filterPlane(_ filter: Int) -> UnsafePointer<Float> {
                filter < filters ? dy + (image * filters + filter) * upstreamPlane + top * upstream.width + left : zero
            }
            let (d0, d1, d2, d3) = (filterPlane(0), filterPlane(1), filterPlane(2), filterPlane(3))
            let (d4, d5, d6, d7) = (filterPlane(4), filterPlane(5), filterPlane(6), filterPlane(7))
            var accumulator = buffer.baseAddress!
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
        for tap in 0..<taps {
            for filter in 0..<filters { result[tap * filters + filter] = buffer[tap * lanes + filter].sum() }
        }
    }
}

/// Adds the weight gradient of `images` into `result` (taps, filters), with filters in the SIMD
/// lanes: per block of 6 taps and 16 filters, 12 accumulators over every output position (8
/// loads per 12 multiply-adds, every lane useful when the filters fill whole SIMD8s). For layers
/// of more than 8 filters, where columns in lanes would load each filter's gradient separately.
private func weightGradientFiltersInLanes(_ planes: PaddedPlanes, _ input: UnsafePointer<Float>, gradient: UnsafePointer<Float>,
                                          filters: Int, kh: Int, kw: Int, oh: Int, ow: Int, images: Range<Int>,
                                          into result: UnsafeMutablePointer<Float>, zero: UnsafePointer<Float>) {
    let channels = planes.c, taps = channels * kh * kw, positions = oh * ow
    let planeSize = planes.height * planes.width
    let paddedFilters = (filters + columnStep - 1) / columnStep * columnStep     // to pairs of SIMD8
    let tapBlock = 6
    // The output gradient of one image as (positions, paddedFilters): each position's filters side by side.
    var transposed = [Float](repeating: 0, count: positions * paddedFilters)
    var accumulators = [SIMD8<Float>](repeating: .zero, count: taps * paddedFilters / lanes)
    let offsets = tapOffsets(planes, kh: kh, kw: kw)
    transposed.withUnsafeMutableBufferPointer { dyT in
    accumulators.withUnsafeMutableBufferPointer { acc in
        let d = dyT.baseAddress!, a = acc.baseAddress!
        for image in images {
            for filter in 0..<filters {
                let from = gradient + (image * filters + filter) * positions
                for p in 0..<positions { d[p * paddedFilters + filter] = from[p] }
            }
            let imageBase = input + image * channels * planeSize
            for pair in Swift.stride(from: 0, to: paddedFilters, by: columnStep) {
                for block in Swift.stride(from: 0, to: taps, by: tapBlock) {
                    // The 6 taps' input planes, shifted to the tap (a zero plane past the last tap).
                    @inline(__always) func tapInput(_ j: Int) -> UnsafePointer<Float> {
                        block + j < taps ? imageBase + offsets[block + j] : zero
                    }
                    let (x0, x1, x2, x3, x4, x5) = (tapInput(0), tapInput(1), tapInput(2), tapInput(3), tapInput(4), tapInput(5))
                    @inline(__always) func slot(_ j: Int) -> Int { (Swift.min(block + j, taps - 1) * paddedFilters + pair) / lanes }
                    var a00 = a[slot(0)], a01 = a[slot(0) + 1], a10 = a[slot(1)], a11 = a[slot(1) + 1]
                    var a20 = a[slot(2)], a21 = a[slot(2) + 1], a30 = a[slot(3)], a31 = a[slot(3) + 1]
                    var a40 = a[slot(4)], a41 = a[slot(4) + 1], a50 = a[slot(5)], a51 = a[slot(5) + 1]
                    var position = d + pair
                    for oy in 0..<oh {
                        var offset = oy * planes.width
                        for _ in 0..<ow {
                            let g0 = load8(position), g1 = load8(position + lanes)
                            var value = x0[offset]
                            multiplyAdd(&a00, g0, value); multiplyAdd(&a01, g1, value)
                            value = x1[offset]
                            multiplyAdd(&a10, g0, value); multiplyAdd(&a11, g1, value)
                            value = x2[offset]
                            multiplyAdd(&a20, g0, value); multiplyAdd(&a21, g1, value)
                            value = x3[offset]
                            multiplyAdd(&a30, g0, value); multiplyAdd(&a31, g1, value)
                            value = x4[offset]
                            multiplyAdd(&a40, g0, value); multiplyAdd(&a41, g1, value)
                            value = x5[offset]
                            multiplyAdd(&a50, g0, value); multiplyAdd(&a51, g1, value)
                            position += paddedFilters
                            offset += 1
                        }
                    }
                    // Write back in reverse so that, past the last tap, the real last tap's values win.
                    a[slot(5)] = a50; a[slot(5) + 1] = a51; a[slot(4)] = a40; a[slot(4) + 1] = a41
                    a[slot(3)] = a30; a[slot(3) + 1] = a31; a[slot(2)] = a20; a[slot(2) + 1] = a21
                    a[slot(1)] = a10; a[slot(1) + 1] = a11; a[slot(0)] = a00; a[slot(0) + 1] = a01
                }
            }
        }
        for tap in 0..<taps {
            for filter in 0..<filters { result[tap * filters + filter] = a[(tap * paddedFilters + filter) / lanes][filter % lanes] }
        }
    }
    }
}

/// max(0, x) in place, as `relu` computes it (x > 0 ? x : 0, so NaN becomes 0).
func rectify(_ values: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { values[i] = values[i] > 0 ? values[i] : 0 }
}
