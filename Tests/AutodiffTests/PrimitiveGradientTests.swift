import Testing
@testable import Autodiff
import TensorCore

// One gradient check per primitive, including broadcast and reduced shapes.

@Suite struct ArithmeticGradientTests {
    static let shapePairs: [([Int], [Int])] = [([3, 4], [3, 4]), ([3, 4], [4]), ([2, 3, 1], [3, 4]), ([3, 4], []), ([1], [2, 2])]

    @Test(arguments: shapePairs)
    func binaryOperatorsUndoBroadcasting(_ shapes: ([Int], [Int])) {
        let a = awayFromZero(shapes.0, seed: 1), b = positive(shapes.1, seed: 2)
        expectGradient({ $0[0] + $0[1] }, [a, b])
        expectGradient({ $0[0] - $0[1] }, [a, b])
        expectGradient({ $0[1] - $0[0] }, [a, b])
        expectGradient({ $0[0] * $0[1] }, [a, b])
        expectGradient({ $0[0] / $0[1] }, [a, b])
        expectGradient({ $0[1] / ($0[0] * $0[0] + 1) }, [a, b])
    }

    @Test(arguments: shapePairs)
    func maximumAndMinimum(_ shapes: ([Int], [Int])) {
        // b - 1 lies in [-0.5, 0.5); a is at least 0.1 from 0. Keep |a - b| > h by construction.
        let a = distinct(shapes.0, seed: 3) * 3 + 0.05, b = distinct(shapes.1, seed: 4) * 2
        expectGradient({ max($0[0], $0[1]) }, [a, b])
        expectGradient({ min($0[0], $0[1]) }, [a, b])
        expectGradient({ clamp($0[0], min: -0.33, max: 0.27) }, [a])
    }

    @Test func scalarOperatorsAndNegation() {
        let x = awayFromZero([2, 3])
        expectGradient({ $0[0] + 2 }, [x])
        expectGradient({ 3 - $0[0] }, [x])
        expectGradient({ $0[0] * 1.5 + $0[0] / 4 }, [x])
        expectGradient({ 2 / ($0[0] * $0[0] + 1) }, [x])
        expectGradient({ -$0[0] }, [x])
        expectGradient({ $0[0] * Tensor([1, 2, 3]) - Tensor([[1], [2]]) }, [x])
    }

    @Test func whereRoutesGradientsByCondition() {
        let condition = Tensor([[1, 0, 1], [0, 0, 1]])
        expectGradient({ Variable.where(condition, $0[0], $0[1] * 2) }, [awayFromZero([2, 3]), awayFromZero([3], seed: 5)])
    }
}

@Suite struct UnaryGradientTests {
    @Test func smoothFunctions() {
        let x = awayFromZero([3, 4]), p = positive([3, 4])
        expectGradient({ exp($0[0]) }, [x])
        expectGradient({ log($0[0]) }, [p])
        expectGradient({ sqrt($0[0]) }, [p])
        expectGradient({ pow($0[0], 3) }, [x])
        expectGradient({ pow($0[0], -1.5) }, [p])
        expectGradient({ square($0[0]) }, [x])
        expectGradient({ tanh($0[0]) }, [x * 2])
        expectGradient({ sigmoid($0[0]) }, [x * 3])
    }

    @Test func piecewiseFunctionsAwayFromTheirKinks() {
        let x = awayFromZero([3, 4]) * 2
        expectGradient({ relu($0[0]) }, [x])
        expectGradient({ leakyRelu($0[0], alpha: 0.2) }, [x])
        expectGradient({ elu($0[0], alpha: 0.7) }, [x])
        expectGradient({ abs($0[0]) }, [x])
    }

    @Test func reluGradientAtZeroIsZero() {
        let x = Variable(Tensor([0, 1, -1]), requiresGrad: true)
        relu(x).sum().backward()
        #expect(x.grad == Tensor([0, 1, 0]))
    }
}

@Suite struct MatmulGradientTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyTransposeFlag(_ flags: (Bool, Bool)) {
        let (m, k, n) = (3, 5, 4)
        let a = awayFromZero(flags.0 ? [k, m] : [m, k], seed: 6), b = awayFromZero(flags.1 ? [n, k] : [k, n], seed: 7)
        expectGradient({ matmul($0[0], $0[1], transposeA: flags.0, transposeB: flags.1) }, [a, b])
    }

    @Test func batchedAndSharedOperands() {
        expectGradient({ matmul($0[0], $0[1]) }, [awayFromZero([2, 3, 4], seed: 8), awayFromZero([2, 4, 5], seed: 9)])
        expectGradient({ matmul($0[0], $0[1]) }, [awayFromZero([2, 3, 4], seed: 8), awayFromZero([4, 5], seed: 9)])
        expectGradient({ matmul($0[0], $0[1], transposeB: true) }, [awayFromZero([2, 3, 4], seed: 8), awayFromZero([5, 4], seed: 9)])
        expectGradient({ matmul($0[0], $0[1], transposeA: true) }, [awayFromZero([4, 3], seed: 8), awayFromZero([2, 4, 5], seed: 9)])
        // A constant tensor on either side: the variable's gradient is the same, the tensor gets none.
        let data = awayFromZero([3, 4], seed: 10), weight = awayFromZero([4, 2], seed: 11)
        expectGradient({ matmul(data, $0[0]) }, [weight])
        expectGradient({ matmul($0[0], weight, transposeB: false) }, [data])
        let w = Variable(weight)
        matmul(data, w).sum().backward()
        let reference = Variable(weight)
        matmul(Variable(data, requiresGrad: false), reference).sum().backward()
        #expect(w.grad == reference.grad)
    }
}

@Suite struct ReductionGradientTests {
    static let axesCases: [[Int]] = [[0], [1], [2], [0, 2], [0, 1, 2], [-1]]

    @Test(arguments: axesCases)
    func sumMeanVarianceAlongAxes(_ axes: [Int]) {
        let x = awayFromZero([2, 3, 4])
        for keepDims in [false, true] {
            expectGradient({ $0[0].sum(alongAxes: axes, keepDims: keepDims) }, [x])
            expectGradient({ $0[0].mean(alongAxes: axes, keepDims: keepDims) }, [x])
            expectGradient({ $0[0].variance(alongAxes: axes, keepDims: keepDims) }, [x])
        }
    }

    @Test(arguments: axesCases)
    func maxAndMinAlongAxes(_ axes: [Int]) {
        let x = distinct([2, 3, 4], seed: 10)
        for keepDims in [false, true] {
            expectGradient({ $0[0].max(alongAxes: axes, keepDims: keepDims) }, [x])
            expectGradient({ $0[0].min(alongAxes: axes, keepDims: keepDims) }, [x])
        }
    }

    @Test func maxSharesGradientAmongTies() {
        let x = Variable(Tensor([[1, 3, 3], [2, 0, 1]]), requiresGrad: true)
        x.max(alongAxes: [1]).sum().backward()
        #expect(x.grad == Tensor([[0, 0.5, 0.5], [1, 0, 0]]))
    }

    @Test func wholeTensorReductions() {
        let x = distinct([3, 4], seed: 11)
        expectGradient({ $0[0].sum() }, [x])
        expectGradient({ $0[0].mean() }, [x])
        expectGradient({ $0[0].max() }, [x])
        expectGradient({ $0[0].min() }, [x])
        expectGradient({ $0[0].variance() }, [x])
    }
}

@Suite struct MovementGradientTests {
    @Test func reshapeTransposeSlicePad() {
        let x = awayFromZero([2, 3, 4])
        expectGradient({ $0[0].reshaped(to: [6, 4]) * Tensor.arange(4) }, [x])
        expectGradient({ $0[0].transposed(permutation: [2, 0, 1]) }, [x])
        expectGradient({ $0[0].transposed() }, [x])
        expectGradient({ $0[0].slice(alongAxis: 2, range: 1..<3) }, [x])
        expectGradient({ $0[0].slice(alongAxis: 0, range: 1..<2) }, [x])
        expectGradient({ $0[0].padded(before: [0, 1, 2], after: [1, 0, 1]) }, [x])
        expectGradient({ $0[0].expandingShape(at: 1).broadcasted(to: [2, 5, 3, 4]) }, [x])
        expectGradient({ $0[0].slice(alongAxis: 1, range: 0..<1).squeezingShape(at: [1]) * Tensor([1, 2, 3, 4]) }, [x])
    }

    @Test func concatenateStackAndGather() {
        let a = awayFromZero([2, 3], seed: 12), b = awayFromZero([2, 5], seed: 13)
        expectGradient({ Variable.concatenate([$0[0], $0[1], $0[0]], alongAxis: 1) }, [a, b])
        expectGradient({ Variable.concatenate([$0[0], $0[0] * 2], alongAxis: 0) }, [a])
        expectGradient({ Variable.stack([$0[0], $0[1].slice(alongAxis: 1, range: 0..<3)], alongAxis: 1) }, [a, b])
        // Repeated rows accumulate their gradients.
        expectGradient({ $0[0].gathering(rows: [1, 0, 1, 1]) }, [awayFromZero([3, 2, 2], seed: 14)])
    }

    @Test func lstmStyleGateSlicing() {
        // An LSTM step: one matmul gives four gates, sliced along the feature axis.
        let x = awayFromZero([2, 3], seed: 15), w = awayFromZero([3, 8], seed: 16), c = awayFromZero([2, 2], seed: 17)
        expectGradient({ v in
            let gates = matmul(v[0], v[1])
            let i = sigmoid(gates.slice(alongAxis: 1, range: 0..<2)), f = sigmoid(gates.slice(alongAxis: 1, range: 2..<4))
            let g = tanh(gates.slice(alongAxis: 1, range: 4..<6)), o = sigmoid(gates.slice(alongAxis: 1, range: 6..<8))
            let cell = f * v[2] + i * g
            return o * tanh(cell)
        }, [x, w, c])
    }
}

@Suite struct DenseGradientTests {
    /// The fused dense layer (x W + b, then a ReLU or not, with a bias or not) against finite differences.
    /// (The first seeds whose pre-activations all lie 0.05 or more from the ReLU's kink, so that
    /// no finite-difference step crosses it.)
    @Test(arguments: [false, true], [false, true])
    func fusedDense(_ rectified: Bool, _ hasBias: Bool) throws {
        let seed = try #require((UInt64(30)...).prefix(100).first { seed in
            let (x, w, b) = (awayFromZero([4, 5], seed: seed), awayFromZero([5, 3], seed: seed + 1), awayFromZero([3], seed: seed + 2))
            return (matmul(x, w) + (hasBias ? b : Tensor.zeros([3]))).scalars.allSatisfy { Swift.abs($0) >= 0.05 }
        })
        let x = awayFromZero([4, 5], seed: seed), w = awayFromZero([5, 3], seed: seed + 1), b = awayFromZero([3], seed: seed + 2)
        expectGradient({ v in dense(v[0], weight: v[1], bias: hasBias ? v[2] : nil, rectified: rectified) }, [x, w, b])
    }

    @Test func fusedDenseHasTheValuesOfItsParts() {
        let x = Variable(awayFromZero([4, 5], seed: 33)), w = Variable(awayFromZero([5, 3], seed: 34)), b = Variable(awayFromZero([3], seed: 35))
        #expect(dense(x, weight: w, bias: b, rectified: true).value == relu(matmul(x, w) + b).value)
        #expect(dense(x, weight: w, bias: nil, rectified: false).value == matmul(x, w).value)
    }
}

@Suite struct ConvolutionGradientTests {
    static let windows = [Window2D(size: 3), Window2D(size: 3, stride: 2, padding: 1), Window2D(kernel: (2, 3), stride: (1, 2), padding: (0, 1))]

    @Test(arguments: windows)
    func im2colBackwardIsCol2im(_ window: Window2D) {
        expectGradient({ im2col($0[0], window: window) }, [awayFromZero([2, 2, 5, 6], seed: 18)])
    }

    @Test(arguments: windows)
    func unfoldBackwardIsFold(_ window: Window2D) {
        expectGradient({ unfold($0[0], window: window) }, [awayFromZero([2, 2, 5, 6], seed: 23)])
    }

    @Test(arguments: windows)
    func convolutionAsUnfoldMatmul(_ window: Window2D) {
        // Conv2D's formulation: a shared (C*KH*KW, F) weight times each image's columns, plus a bias per filter.
        let x = awayFromZero([2, 2, 5, 6], seed: 24), w = awayFromZero([2 * window.kernelHeight * window.kernelWidth, 3], seed: 25)
        let b = awayFromZero([3], seed: 26)
        expectGradient({ v in
            matmul(v[1], unfold(v[0], window: window), transposeA: true) + v[2].reshaped(to: [3, 1])
        }, [x, w, b])
    }

    @Test(arguments: windows)
    func convolutionAsIm2colMatmul(_ window: Window2D) {
        let x = awayFromZero([2, 2, 5, 6], seed: 19), w = awayFromZero([3, 2, window.kernelHeight, window.kernelWidth], seed: 20)
        let (oh, ow) = window.outputSize(height: 5, width: 6)
        expectGradient({ v in
            matmul(im2col(v[0], window: window), v[1].reshaped(to: [3, -1]), transposeB: true)
                .reshaped(to: [2, oh, ow, 3]).transposed(permutation: [0, 3, 1, 2])
        }, [x, w])
    }

    /// The fused convolution by each kernel, with and without its ReLU, against finite differences.
    /// (The first seeds whose pre-activations all lie 0.05 or more from the ReLU's kink.)
    @Test(arguments: windows, [ConvolutionKernel.direct, .columns, .winograd])
    func fusedConvolution(_ window: Window2D, _ kernel: ConvolutionKernel) throws {
        let rows = 2 * window.kernelHeight * window.kernelWidth
        let seed = try #require((UInt64(27)...).prefix(200).first { seed in
            let (x, w, b) = (awayFromZero([2, 2, 5, 6], seed: seed), awayFromZero([rows, 3], seed: seed + 1), awayFromZero([3], seed: seed + 2))
            return convolution2D(x, weight: w, bias: b, window: window).output.scalars.allSatisfy { Swift.abs($0) >= 0.05 }
        })
        let x = awayFromZero([2, 2, 5, 6], seed: seed), w = awayFromZero([rows, 3], seed: seed + 1), b = awayFromZero([3], seed: seed + 2)
        ConvolutionKernel.$forced.withValue(kernel) {
            expectGradient({ v in conv2D(v[0], weight: v[1], bias: v[2], window: window) }, [x, w, b])
            expectGradient({ v in conv2D(v[0], weight: v[1], bias: v[2], window: window, rectified: true) }, [x, w, b])
        }
    }

    @Test(arguments: [Window2D(size: 2, stride: 2), Window2D(size: 3, stride: 2, padding: 1), Window2D(size: 3)])
    func pooling(_ window: Window2D) {
        expectGradient({ maxPool2D($0[0], window: window) }, [distinct([2, 2, 5, 6], seed: 21)])
        expectGradient({ avgPool2D($0[0], window: window) }, [awayFromZero([2, 2, 5, 6], seed: 22)])
    }
}

@Suite struct SoftmaxGradientTests {
    @Test(arguments: [0, 1, -1])
    func softmaxFamilyAlongAxis(_ axis: Int) {
        let x = awayFromZero([3, 4]) * 2
        expectGradient({ softmax($0[0], axis: axis) }, [x])
        expectGradient({ logSoftmax($0[0], axis: axis) }, [x])
        expectGradient({ logSumExp($0[0], axis: axis) }, [x])
        expectGradient({ logSumExp($0[0], axis: axis, keepDims: true) }, [x])
    }

    @Test func fusedCrossEntropyMatchesComposedLossAndGradient() {
        let logits = awayFromZero([4, 5]) * 3
        let labels = [2, 0, 4, 4]
        expectGradient({ softmaxCrossEntropy(logits: $0[0], labels: labels) }, [logits])
        var oneHot = Tensor.zeros([4, 5])
        for (row, label) in labels.enumerated() { oneHot[row, label] = 1 }
        let fused = softmaxCrossEntropy(logits: Variable(logits), labels: labels).scalar
        let composed = (-(logSoftmax(Variable(logits), axis: 1) * oneHot).sum(alongAxes: [1]).mean()).scalar
        #expect(Swift.abs(fused - composed) < 1e-5)
        let smoothed = oneHot * 0.9 + 0.02
        expectGradient({ softmaxCrossEntropy(logits: $0[0], probabilities: smoothed) }, [logits])
        expectGradient({ softmaxCrossEntropy(logits: $0[0], probabilities: smoothed * 0.5) }, [logits])
    }

    @Test func crossEntropyIsStableForHugeLogits() {
        let logits = Variable(Tensor([[1000, 0, -1000], [0, 2000, 0]]), requiresGrad: true)
        let loss = softmaxCrossEntropy(logits: logits, labels: [0, 0])
        #expect(loss.scalar == 1000)   // first row contributes 0, second 2000; mean 1000
        loss.backward()
        #expect(logits.grad! == Tensor([[0, 0, 0], [-0.5, 0.5, 0]]))
    }

    @Test func otherLosses() {
        let predicted = awayFromZero([3, 2]), expected = awayFromZero([3, 2], seed: 23)
        expectGradient({ meanSquaredError(predicted: $0[0], expected: expected) }, [predicted])
        let labels = Tensor([[1, 0], [0, 1], [1, 1]])
        expectGradient({ sigmoidCrossEntropy(logits: $0[0], labels: labels) }, [predicted * 3])
    }
}

/// `v[i]` and `v[a..<b]` are a slice and a reshape: the gradient flows back into those rows.
@Suite struct VariableSubscriptGradientTests {
    @Test func rowsAndSlicesMatchFiniteDifferences() {
        let x = awayFromZero([4, 3])
        expectGradient({ $0[0][1] * $0[0][-1] }, [x])
        expectGradient({ $0[0][1..<3] * 2 + $0[0][(-2)...] }, [x])
        expectGradient({ v in v[0][...1].sum(alongAxes: [0]) * v[0][3] }, [x])
    }

    @Test func theGradientOfARowIsZeroElsewhere() {
        let v = Variable(Tensor.arange(6).reshaped(to: [3, 2]), requiresGrad: true)
        v[1].sum().backward()
        #expect(v.grad == Tensor([[0, 0], [1, 1], [0, 0]]))
        #expect(v[2].value == Tensor([4, 5]) && v[1..<3].shape == [2, 2])
    }
}

/// Doubles and Ints (front-matter parameters) in differentiable expressions.
@Suite struct VariableNumberTypeTests {
    @Test func doublesAndIntsRecordTheFloatOperations() {
        let scale: Double = 0.5, offset: Int = 3
        let x = awayFromZero([2, 3])
        expectGradient({ ($0[0] * scale + offset) * (offset - $0[0]) / scale }, [x])
        expectGradient({ (scale / ($0[0] * $0[0] + offset)) + (scale - $0[0]) * offset / offset }, [x])
        let v = Variable(x)
        #expect((v * scale + offset).value == (v * Float(scale) + Float(offset)).value)
        #expect((offset * v - scale).value == (Float(offset) * v - Float(scale)).value)
    }
}
