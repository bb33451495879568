import Foundation
import Testing
@testable import Autodiff

@Suite struct TapeTests {
    /// A chain of 300,000 recorded operations is differentiated and then dropped without
    /// overflowing the stack (its release used to recurse once per operation), on a thread whose
    /// stack is a small 512 KiB, as secondary threads' are.
    @Test func longChainsAreReleasedWithoutRecursion() async {
        let finished = await withCheckedContinuation { continuation in
            let thread = Thread {
                let x = Variable(Tensor([1]))
                var y = x
                for _ in 0..<300_000 { y = y * 1 }
                y.sum().backward()
                let gradient = x.grad?.scalars.first
                y = x   // drops the chain
                continuation.resume(returning: gradient)
            }
            thread.stackSize = 512 << 10
            thread.start()
        }
        #expect(finished == 1)
    }

    @Test func gradientsAccumulateUntilZeroGrad() {
        let x = Variable(Tensor([1, 2, 3]), requiresGrad: true)
        (x * x).sum().backward()
        #expect(x.grad == Tensor([2, 4, 6]))
        (x * 3).sum().backward()
        #expect(x.grad == Tensor([5, 7, 9]))
        x.zeroGrad()
        #expect(x.grad == nil)
        (x * 3).sum().backward()
        #expect(x.grad == Tensor([3, 3, 3]))
    }

    @Test func reusedVariableSumsItsPaths() {
        // y = x * x + x: a diamond in the graph; dy/dx = 2x + 1.
        let x = Variable(Tensor([0.5, -2]), requiresGrad: true)
        let y = x * x + x
        y.sum().backward()
        #expect(x.grad == Tensor([2, -3]))
    }

    @Test func withoutGradientsRecordsNothing() {
        let x = Variable(Tensor([1, 2]), requiresGrad: true)
        let y = withoutGradients { exp(x) * 2 }
        #expect(!y.requiresGrad && y.isLeaf)
        #expect(GradientMode.isEnabled)
        let z = exp(x) * 2
        #expect(z.requiresGrad && !z.isLeaf)
    }

    @Test func constantsAndDetachedValuesGetNoGradient() {
        let w = Variable(Tensor([2, 3]), requiresGrad: true)
        let c = Variable(Tensor([5, 7]), requiresGrad: false)
        let t = Tensor([1, 1])
        (w * c + w.detached() * w + t * w).sum().backward()
        #expect(w.grad == Tensor([8, 11]))   // c + w + t (the detached factor is a constant)
        #expect(c.grad == nil)
    }

    /// A variable made without saying requires gradients (a weight made as
    /// `Variable(Tensor.randomNormal(...) * 0.05)` trains); results computed without gradients,
    /// and detached copies, do not.
    @Test func aVariableRequiresGradientsUnlessToldOtherwise() {
        let w = Variable(Tensor([2, 3]))
        #expect(w.requiresGrad)
        (w * w).sum().backward()
        #expect(w.grad == Tensor([4, 6]))
        #expect(!w.detached().requiresGrad)
        #expect(!withoutGradients { w * 2 }.requiresGrad)
        #expect(!Variable(Tensor([1]), requiresGrad: false).requiresGrad)
    }

    @Test func backwardWithExplicitUpstreamGradient() {
        let x = Variable(Tensor([[1, 2], [3, 4]]), requiresGrad: true)
        (x * 2).backward(gradient: Tensor([[1, 0], [0, 1]]))
        #expect(x.grad == Tensor([[2, 0], [0, 2]]))
    }

    @Test func longChainsDoNotOverflowTheStack() {
        let x = Variable(Tensor([1]), requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1.0001 }
        y.sum().backward()
        // d/dx of x * c^20000 is c^20000 (with c the Float nearest 1.0001); Float rounding over
        // 20000 steps drifts by about 1e-3 relative.
        let expected = Float(pow(Double(Float(1.0001)), 20000))
        #expect(Swift.abs(x.grad!.scalar - expected) < 1e-2 * expected)
    }

    @Test func gradientCheckCatchesAWrongGradient() {
        // A variable that claims to be 2x (multiplyScalar(2)) but holds x^3: the checker must object.
        let wrong: ([Variable]) -> Variable = { v in
            Variable(value: pow(v[0].value, 3), primitive: .multiplyScalar(2), inputs: [v[0]])
        }
        #expect(gradientCheck(wrong, inputs: [Tensor([0.5, 1, 1.5])]) > 0.1)
        #expect(gradientCheck({ pow($0[0], 3) }, inputs: [Tensor([0.5, 1, 1.5])]) < gradientTolerance)
    }

    /// Below and above the size from which the draws come in blocks (`Tensor.dropout`).
    @Test(arguments: [1000, 100_000])
    func dropoutScalesKeptValuesAndIsReproducible(_ count: Int) {
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let x = Variable(Tensor.ones([count]), requiresGrad: true)
        let y = dropout(x, rate: 0.25, using: &a)
        #expect(y.value.scalars.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
        #expect(Swift.abs(y.value.mean().scalar - 1) < 0.1)
        #expect(dropout(x, rate: 0.25, using: &b).value == y.value)
        y.sum().backward()
        #expect(x.grad == y.value)
    }

    @Test func trainsXOR() {
        // A 2-8-1 tanh network learns XOR by plain gradient descent.
        var generator = RandomGenerator(seed: 1)
        let w1 = Variable(Tensor.randomNormal(shape: [2, 8], using: &generator), requiresGrad: true)
        let b1 = Variable(Tensor.zeros([8]), requiresGrad: true)
        let w2 = Variable(Tensor.randomNormal(shape: [8, 1], using: &generator) * 0.5, requiresGrad: true)
        let b2 = Variable(Tensor.zeros([1]), requiresGrad: true)
        let x = Variable(Tensor([[0, 0], [0, 1], [1, 0], [1, 1]]))
        let y = Tensor([[0], [1], [1], [0]])
        var loss: Float = 1
        for _ in 0..<500 {
            let logits = matmul(tanh(matmul(x, w1) + b1), w2) + b2
            let l = sigmoidCrossEntropy(logits: logits, labels: y)
            loss = l.scalar
            for p in [w1, b1, w2, b2] { p.zeroGrad() }
            l.backward()
            for p in [w1, b1, w2, b2] { p.value -= p.grad! * 0.5 }
        }
        #expect(loss < 0.05)
        let predictions = withoutGradients { sigmoid(matmul(tanh(matmul(x, w1) + b1), w2) + b2) }
        #expect(predictions.value.scalars.map { $0 > 0.5 ? 1 : 0 } == [0, 1, 1, 0])
    }
}

@Suite struct AutodiffErrorTests {
    @Test func backwardFromANonScalarAsksForAGradient() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Variable(Tensor.ones([2, 3]), requiresGrad: true)
            (x * 2).backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("backward(): needs a one-element variable (a loss), got shape [2, 3]"), "\(message)")
    }

    @Test func crossEntropyLabelCountMismatchNamesShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = softmaxCrossEntropy(logits: Variable(Tensor.zeros([4, 10])), labels: [1, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("softmaxCrossEntropy(logits:labels:): shapes [4, 10] and [2]"), "\(message)")
    }
}
