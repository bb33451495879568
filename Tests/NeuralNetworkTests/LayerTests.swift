import Foundation
import Testing
@testable import NeuralNetwork

@Suite struct LinearTests {
    @Test func forwardIsXWPlusB() {
        let layer = Linear(3, 2)
        layer.weight.value = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        layer.bias!.value = Tensor([0.5, -1])
        let y = layer(Variable(Tensor([[1, 0, -1], [2, 1, 0]])))
        // Row 1: (1·1 + 0·3 - 1·5, 1·2 + 0·4 - 1·6) + b = (-4 + .5, -4 - 1)
        // Row 2: (2 + 3, 4 + 4) + b = (5.5, 7)
        expectClose(y.value, [-3.5, -5, 5.5, 7], shape: [2, 2])
    }

    @Test func gradientsMatchFiniteDifferences() {
        RandomGenerator.seedGlobal(1)
        let layer = Linear(4, 3)
        layer.bias!.value = Tensor([0.1, -0.2, 0.3])
        #expect(layerGradientError(layer, input: Tensor.randomNormal(shape: [5, 4])) < 2e-3)
    }

    @Test func heInitialisationHasTheRightSpread() {
        var generator = RandomGenerator(seed: 3)
        let layer = Linear(1000, 200, initializer: .heUniform, generator: &generator)
        let values = layer.weight.value.scalars
        let limit = (6 / Float(1000)).squareRoot()
        #expect(values.allSatisfy { abs($0) <= limit })
        let variance = values.map { $0 * $0 }.reduce(0, +) / Float(values.count)
        #expect(abs(variance - 2 / Float(1000)) < 0.1 * 2 / Float(1000))
    }

    @Test func defaultInitialisationIsGlorotUniformAsInKeras() {
        // U(-a, a), a = sqrt(6 / (fanIn + fanOut)): variance a^2 / 3 = 2 / (fanIn + fanOut).
        var generator = RandomGenerator(seed: 4)
        let layer = Linear(1000, 200, generator: &generator)
        let values = layer.weight.value.scalars
        let limit = (6 / Float(1200)).squareRoot()
        #expect(values.allSatisfy { abs($0) <= limit } && values.contains { abs($0) > 0.9 * limit })
        let variance = values.map { $0 * $0 }.reduce(0, +) / Float(values.count)
        #expect(abs(variance - 2 / Float(1200)) < 0.05 * 2 / Float(1200))
        let conv = Conv2D(3, 8, kernelSize: 5, generator: &generator)
        let convLimit = (6 / Float(3 * 25 + 8 * 25)).squareRoot()
        #expect(conv.weight.value.scalars.allSatisfy { abs($0) <= convLimit })
        #expect(conv.weight.value.scalars.contains { abs($0) > 0.9 * convLimit })
    }
}

@Suite struct ConvolutionTests {
    /// Direct convolution, the obvious loops: the oracle for the im2col version.
    func directConvolution(_ x: Tensor, _ layer: Conv2D) -> Tensor {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3]
        let k = layer.window.kernelHeight, s = layer.window.strideHeight, p = layer.window.paddingHeight
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        let filters = layer.filterImages   // (F, C, K, K)
        var out = Tensor.zeros([n, layer.filters, oh, ow])
        for b in 0..<n { for f in 0..<layer.filters { for oy in 0..<oh { for ox in 0..<ow {
            var sum = layer.bias.value.scalars[f]
            for ch in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let y = oy * s + ky - p, xx = ox * s + kx - p
                if y >= 0 && y < h && xx >= 0 && xx < w { sum += x[b, ch, y, xx] * filters[f, ch, ky, kx] }
            } } }
            out.scalars[((b * layer.filters + f) * oh + oy) * ow + ox] = sum
        } } } }
        return out
    }

    @Test(arguments: [(1, 0), (1, 1), (2, 1)])
    func forwardMatchesDirectConvolution(stride: Int, padding: Int) throws {
        RandomGenerator.seedGlobal(7)
        let layer = Conv2D(2, 3, kernelSize: 3, stride: stride, padding: padding)
        layer.bias.value = Tensor([0.1, 0.2, -0.3])
        let x = Tensor.randomNormal(shape: [2, 2, 6, 5])
        let expected = directConvolution(x, layer)
        let y = layer(Variable(x)).value
        expectClose(y, expected.scalars, shape: expected.shape, tolerance: 1e-5)
        #expect(try Array(y.shape.dropFirst()) == layer.outputShape(forInput: [2, 6, 5]))
    }

    @Test func gradientsMatchFiniteDifferences() {
        RandomGenerator.seedGlobal(8)
        let layer = Conv2D(2, 2, kernelSize: 3, stride: 1, padding: 1)
        #expect(layerGradientError(layer, input: Tensor.randomNormal(shape: [2, 2, 4, 4])) < 2e-3)
    }

    @Test func poolingForwardByHand() {
        let x = Tensor([1, 2, 5, 6,
                        3, 4, 7, 8,
                        -1, -2, 0, 9,
                        -3, -4, 1, 1], shape: [1, 1, 4, 4])
        expectClose(MaxPool2D(size: 2)(Variable(x)).value, [4, 8, -1, 9], shape: [1, 1, 2, 2])
        expectClose(AvgPool2D(size: 2)(Variable(x)).value, [2.5, 6.5, -2.5, 2.75], shape: [1, 1, 2, 2])
    }

    @Test func poolingGradients() {
        // Distinct values, spaced well beyond the finite-difference step, so max has no ties.
        let values = (0..<32).map { Float(($0 * 37) % 32) * 0.1 - 1.6 }
        let x = Tensor(values, shape: [1, 2, 4, 4])
        #expect(layerGradientError(MaxPool2D(size: 2), input: x, epsilon: 1e-3) < 2e-3)
        #expect(layerGradientError(AvgPool2D(size: 2), input: x) < 2e-3)
    }

    @Test func flattenAndReshape() {
        let x = Variable(Tensor.arange(24).reshaped(to: [2, 3, 4]))
        #expect(Flatten()(x).shape == [2, 12])
        #expect(Reshape([4, 3])(x).shape == [2, 4, 3])
    }
}

@Suite struct NormalizationTests {
    @Test func batchNormTrainingNormalisesEachFeature() {
        let layer = BatchNorm(2)
        let x = Tensor([1, 10, 2, 20, 3, 30, 6, 40], shape: [4, 2])
        let y = layer(Variable(x)).value
        // Feature 0: mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5.
        let d0 = (3.5 + 1e-5 as Float).squareRoot()
        expectClose(y.slice(alongAxis: 1, range: 0..<1).reshaped(to: [4]), [-2 / d0, -1 / d0, 0, 3 / d0], tolerance: 1e-5)
        // Running statistics after one step with momentum 0.1: mean 0.1·3, variance 0.9 + 0.1·(3.5·4/3).
        expectClose(layer.runningMean, [0.3, 2.5], tolerance: 1e-5)
        #expect(abs(layer.runningVariance.scalars[0] - (0.9 + 0.1 * 14 / 3)) < 1e-5)
    }

    @Test func batchNormEvaluationUsesRunningStatistics() {
        let layer = BatchNorm(2)
        layer.setBuffer("runningMean", Tensor([1, 2]))
        layer.setBuffer("runningVariance", Tensor([4, 9]))
        layer.scale.value = Tensor([2, 1])
        layer.offset.value = Tensor([0, 1])
        layer.isTraining = false
        let y = layer(Variable(Tensor([[3, 5]]))).value
        expectClose(y, [2 * 2 / (4 + 1e-5 as Float).squareRoot(), 3 / (9 + 1e-5 as Float).squareRoot() + 1], tolerance: 1e-5)
    }

    @Test func batchNormGradients1DAnd2D() {
        RandomGenerator.seedGlobal(5)
        let dense = BatchNorm(3)
        dense.scale.value = Tensor([1.5, 0.5, -1])
        #expect(layerGradientError(dense, input: Tensor.randomNormal(shape: [6, 3]), epsilon: 1e-2) < 5e-3)
        let spatial = BatchNorm(2)
        #expect(layerGradientError(spatial, input: Tensor.randomNormal(shape: [3, 2, 2, 2]), epsilon: 1e-2) < 5e-3)
    }

    @Test func dropoutScalesInTrainingAndIsIdentityInEvaluation() {
        RandomGenerator.seedGlobal(11)
        let layer = Dropout(rate: 0.25)
        let x = Tensor.ones([100, 100])
        let y = layer(Variable(x)).value
        let zeros = y.scalars.filter { $0 == 0 }.count
        #expect(abs(Float(zeros) / 10_000 - 0.25) < 0.02)
        #expect(y.scalars.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        layer.isTraining = false
        #expect(layer(Variable(x)).value == x)
    }
}

@Suite struct LSTMTests {
    /// The LSTM equations for one sample, in scalar loops: the oracle.
    func referenceLSTM(_ layer: LSTM, _ sequence: [[Float]]) -> [[Float]] {
        let n = layer.hiddenCount, wx = layer.inputWeight.value, wh = layer.hiddenWeight.value, b = layer.bias.value
        var h = [Float](repeating: 0, count: n), c = [Float](repeating: 0, count: n)
        var outputs: [[Float]] = []
        func sigma(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
        for x in sequence {
            var gates = [Float](repeating: 0, count: 4 * n)
            for j in 0..<(4 * n) {
                var sum = b.scalars[j]
                for i in 0..<x.count { sum += x[i] * wx[i, j] }
                for i in 0..<n { sum += h[i] * wh[i, j] }
                gates[j] = sum
            }
            for j in 0..<n {
                let input = sigma(gates[j]), forget = sigma(gates[n + j])
                let candidate = Foundation.tanh(gates[2 * n + j]), output = sigma(gates[3 * n + j])
                c[j] = forget * c[j] + input * candidate
                h[j] = output * Foundation.tanh(c[j])
            }
            outputs.append(h)
        }
        return outputs
    }

    @Test func forwardMatchesTheEquations() {
        RandomGenerator.seedGlobal(21)
        let layer = LSTM(3, 4, returnSequences: true)
        let x = Tensor.randomNormal(shape: [2, 5, 3])
        let y = layer(Variable(x)).value
        #expect(y.shape == [2, 5, 4])
        for sample in 0..<2 {
            let sequence = (0..<5).map { t in (0..<3).map { x[sample, t, $0] } }
            let expected = referenceLSTM(layer, sequence)
            for t in 0..<5 { for j in 0..<4 { #expect(abs(y[sample, t, j] - expected[t][j]) < 1e-5) } }
        }
        let last = LSTM(3, 4, returnSequences: false)
        #expect(last(Variable(x)).shape == [2, 4])
    }

    @Test func gradientsMatchFiniteDifferences() {
        RandomGenerator.seedGlobal(22)
        let layer = LSTM(2, 3, returnSequences: true)
        #expect(layerGradientError(layer, input: Tensor.randomNormal(shape: [2, 3, 2])) < 3e-3)
    }

    @Test func emptySequencesGiveNoStatesOrTheInitialState() {
        let empty = Variable(Tensor.zeros([2, 0, 3]))
        // returnSequences stopped the program in Variable.stack (no variables).
        #expect(LSTM(3, 4, returnSequences: true)(empty).shape == [2, 0, 4])
        #expect(LSTM(3, 4)(empty).value == Tensor.zeros([2, 4]))
    }
}

@Suite struct ActivationTests {
    @Test(arguments: [Activation.sigmoid, .tanh, .relu, .leakyRelu(alpha: 0.1), .elu(alpha: 1)])
    func derivativeMatchesFiniteDifferences(activation: Activation) {
        // Points away from the kink at 0.
        let x = Tensor([-3, -1.5, -0.4, 0.3, 1.2, 2.5])
        let h: Float = 1e-3
        let numeric = (activation(x + h) - activation(x - h)) / (2 * h)
        expectClose(activation.derivative(x), numeric.scalars, tolerance: 2e-3)
    }

    @Test func valuesByHand() {
        let x = Tensor([-2, 0, 3])
        expectClose(Activation.sigmoid(x), [1 / (1 + Foundation.exp(2)), 0.5, 1 / (1 + Foundation.exp(-3))])
        expectClose(Activation.relu(x), [0, 0, 3])
        expectClose(Activation.leakyRelu(alpha: 0.1)(x), [-0.2, 0, 3])
        expectClose(Activation.elu(alpha: 1)(x), [Foundation.exp(-2) - 1, 0, 3])
        expectClose(Activation.softmax(Tensor([[1, 2, 3]])), [0.09003057, 0.24472847, 0.66524096])
    }
}
