import Testing
@testable import TensorCore

/// `convolution2D` and its backward, by each kernel: the direct SIMD loops (stride 1) and the
/// chunks of unfolded columns through sgemm (any stride), forced, and as chosen by shape,
/// against the oracle loops.
@Suite(.serialized) struct FusedConvolutionTests {
    static let kernels: [ConvolutionKernel?] = [nil, .direct, .columns, .winograd]

    /// (batch, channels, filters, height, width, window): widths off and on multiples of 8,
    /// filter and channel counts on both sides of 8 and 16 (where the loops change layout),
    /// LeNet's two layers, and the strided path.
    static let cases: [(Int, Int, Int, Int, Int, Window2D)] = [
        (3, 1, 6, 28, 28, Window2D(size: 5, padding: 2)),
        (2, 6, 16, 14, 14, Window2D(size: 5)),
        (3, 3, 11, 9, 13, Window2D(size: 3, padding: 1)),
        (1, 2, 8, 7, 17, Window2D(kernel: (2, 3), padding: (1, 2))),
        (2, 4, 3, 6, 5, Window2D(size: 1)),
        (2, 17, 5, 6, 7, Window2D(size: 3, padding: 1)),
        (1, 4, 33, 5, 9, Window2D(size: 3)),
        (2, 3, 5, 9, 8, Window2D(size: 3, stride: 2, padding: 1)),
        (3, 2, 9, 8, 7, Window2D(kernel: (3, 2), stride: (2, 1))),
        (2, 3, 40, 6, 7, Window2D(size: 3, padding: 1)),     // direct forward, columns backward
        (2, 5, 70, 7, 6, Window2D(size: 3)),                 // columns both ways
        // Winograd by shape: rows of tiles longer than one group of eight, padding 0 and 2.
        (2, 16, 32, 5, 19, Window2D(size: 3, padding: 2)),
        (2, 16, 33, 9, 21, Window2D(size: 3)),
        // The weight gradient's channels-last staging: channels past a multiple of eight, and a
        // row exactly one block of eight wide.
        (2, 11, 32, 10, 12, Window2D(size: 3, padding: 1)),
        (3, 8, 32, 8, 8, Window2D(size: 3)),
    ]

    /// Weight as (C*KH*KW, F) from (F, C, KH, KW), the oracle's layout.
    func columnsWeight(_ w: Tensor) -> Tensor { w.reshaped(to: [w.shape[0], -1]).transposed() }

    @Test(arguments: 0..<cases.count, kernels)
    func forwardMatchesTheOracle(_ index: Int, _ kernel: ConvolutionKernel?) {
        ConvolutionKernel.$forced.withValue(kernel) { forwardMatchesTheOracle(index) }
    }

    func forwardMatchesTheOracle(_ index: Int) {
        let (n, c, f, h, w, window) = Self.cases[index]
        let x = sample([n, c, h, w], seed: 70), filters = sample([f, c, window.kernelHeight, window.kernelWidth], seed: 71)
        let bias = sample([f], seed: 72)
        let (output, _) = convolution2D(x, weight: columnsWeight(filters), bias: bias, window: window)
        let expected = convolutionOracle(x, filters, window) + bias.reshaped(to: [1, f, 1, 1])
        expectClose(output, expected, tolerance: 1e-5)
        // Rectified: exactly relu of the same output.
        let (rectified, _) = convolution2D(x, weight: columnsWeight(filters), bias: bias, window: window, rectified: true)
        #expect(rectified == relu(output))
    }

    @Test(arguments: 0..<cases.count, kernels)
    func backwardIsTheAdjointOfTheForward(_ index: Int, _ kernel: ConvolutionKernel?) {
        ConvolutionKernel.$forced.withValue(kernel) { backwardIsTheAdjointOfTheForward(index) }
    }

    func backwardIsTheAdjointOfTheForward(_ index: Int) {
        let (n, c, f, h, w, window) = Self.cases[index]
        let x = sample([n, c, h, w], seed: 73), filters = sample([f, c, window.kernelHeight, window.kernelWidth], seed: 74)
        let weight = columnsWeight(filters), zeroBias = Tensor.zeros([f])
        let (output, saved) = convolution2D(x, weight: weight, bias: zeroBias, window: window)
        let g = sample(output.shape, seed: 75)
        let (dx, dWeight, dBias) = convolution2DBackward(g, input: x, saved: saved, weight: weight, window: window,
                                                         needsInput: true)
        // The output is linear in x and in w: <conv(x, w), g> = <x, dx> = <w, dw>.
        let inner = (output * g).sum().scalar
        #expect(Swift.abs((x * dx!).sum().scalar - inner) < 1e-4 * Swift.max(1, Swift.abs(inner)))
        #expect(Swift.abs((weight * dWeight).sum().scalar - inner) < 1e-4 * Swift.max(1, Swift.abs(inner)))
        // The weight gradient value by value: dw[(c, ky, kx), f] = sum of g[n, f, i, j] * x at the tap.
        var expected = Tensor.zeros([c * window.kernelHeight * window.kernelWidth, f])
        for channel in 0..<c {
            for ky in 0..<window.kernelHeight {
                for kx in 0..<window.kernelWidth {
                    let tap = (channel * window.kernelHeight + ky) * window.kernelWidth + kx
                    for filter in 0..<f {
                        var total: Float = 0
                        for index in allIndices([n, output.shape[2], output.shape[3]]) {
                            let r = index[1] * window.strideHeight - window.paddingHeight + ky
                            let s = index[2] * window.strideWidth - window.paddingWidth + kx
                            if r >= 0 && r < h && s >= 0 && s < w { total += g[index[0], filter, index[1], index[2]] * x[index[0], channel, r, s] }
                        }
                        expected[tap, filter] = total
                    }
                }
            }
        }
        expectClose(dWeight, expected, tolerance: 1e-4)
        expectClose(dBias, g.sum(alongAxes: [0, 2, 3]), tolerance: 1e-5)
        // Without the input gradient, the same weight and bias gradients.
        let (none, dWeightAlone, dBiasAlone) = convolution2DBackward(g, input: x, saved: saved, weight: weight,
                                                                     window: window, needsInput: false)
        #expect(none == nil)
        #expect(dWeightAlone == dWeight && dBiasAlone == dBias)
        // Rectified (with a bias, so that some outputs are cut): the gradient of relu(conv) is the
        // convolution's gradient of the upstream gradient masked where the output is not positive.
        let bias = sample([f], seed: 79)
        let (rectified, kept) = convolution2D(x, weight: weight, bias: bias, window: window, rectified: true)
        let masked = reluBackward(g, input: rectified)
        let fused = convolution2DBackward(g, input: x, saved: kept, weight: weight, window: window, needsInput: true,
                                          rectifiedOutput: rectified)
        let (_, plainSaved) = convolution2D(x, weight: weight, bias: bias, window: window)
        let plain = convolution2DBackward(masked, input: x, saved: plainSaved, weight: weight, window: window, needsInput: true)
        expectClose(fused.input!, plain.input!, tolerance: 1e-5)
        expectClose(fused.weight, plain.weight, tolerance: 1e-5)
        expectClose(fused.bias, plain.bias, tolerance: 1e-5)
    }

    /// Winograd's transforms run a chunk of images at a time: a batch whose parts hold several
    /// chunks (32x32 outputs of 16 -> 48 channels: two images a chunk) gives the results of the
    /// columns, forward and backward, to rounding.
    @Test func winogradAcrossChunksMatchesTheColumns() {
        let x = sample([5, 16, 34, 34], seed: 80), weight = sample([144, 48], seed: 81) * 0.3, bias = sample([48], seed: 82)
        let window = Window2D(size: 3)
        func run(_ kernel: ConvolutionKernel) -> [Tensor] {
            ConvolutionKernel.$forced.withValue(kernel) {
                let (output, kept) = convolution2D(x, weight: weight, bias: bias, window: window, rectified: true)
                let g = sample(output.shape, seed: 83)
                let (dx, dw, db) = convolution2DBackward(g, input: x, saved: kept, weight: weight, window: window,
                                                         needsInput: true, rectifiedOutput: output)
                return [output, dx!, dw, db]
            }
        }
        for (winograd, columns) in zip(run(.winograd), run(.columns)) {
            expectClose(winograd, columns, tolerance: 1e-4)
        }
    }

    @Test(arguments: kernels)
    func resultsDoNotDependOnWhetherBatchPartsRunSideBySide(_ kernel: ConvolutionKernel?) {
        ConvolutionKernel.$forced.withValue(kernel) { resultsDoNotDependOnWhetherBatchPartsRunSideBySide() }
    }

    func resultsDoNotDependOnWhetherBatchPartsRunSideBySide() {
        let x = sample([9, 3, 12, 12], seed: 76), weight = sample([27, 10], seed: 77), bias = sample([10], seed: 78)
        let window = Window2D(size: 3, padding: 1)
        let saved = (Parallelism.minimumBatchWork, Parallelism.adaptsToLoad, Parallelism.workers)
        defer { (Parallelism.minimumBatchWork, Parallelism.adaptsToLoad, Parallelism.workers) = saved }
        Parallelism.workers = 2
        func run() -> [Tensor] {
            let (output, kept) = convolution2D(x, weight: weight, bias: bias, window: window)
            let (dx, dw, db) = convolution2DBackward(output, input: x, saved: kept, weight: weight, window: window,
                                                     needsInput: true)
            return [output, dx!, dw, db]
        }
        (Parallelism.minimumBatchWork, Parallelism.adaptsToLoad) = (Int.max, true)
        let oneAfterAnother = run()
        (Parallelism.minimumBatchWork, Parallelism.adaptsToLoad) = (0, false)
        let sideBySide = run()
        #expect(oneAfterAnother == sideBySide)
    }
}
