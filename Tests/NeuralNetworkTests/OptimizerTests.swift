import Foundation
import Testing
@testable import Optimizers

/// One parameter w = [1, -2, 3] with gradient g = [0.5, 0.1, -1], stepped twice by `optimizer`.
private func twoSteps(_ optimizer: Optimizer) -> [Float] {
    let w = Variable(Tensor([1, -2, 3]), requiresGrad: true)
    for _ in 0..<2 {
        w.grad = Tensor([0.5, 0.1, -1])
        optimizer.update([w])
    }
    return w.value.scalars
}

/// The same two steps computed in Double from the optimizer's formula, value by value.
private func reference(_ step: (inout Double, Double, inout [Double], Int) -> Void, slots: Int) -> [Float] {
    let w0: [Double] = [1, -2, 3], g: [Double] = [0.5, 0.1, -1]
    return (0..<3).map { i in
        var w = w0[i]
        var state = [Double](repeating: 0, count: slots)
        for t in 1...2 { step(&w, g[i], &state, t) }
        return Float(w)
    }
}

private func expectNear(_ a: [Float], _ b: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
    for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-5, "\(a) vs \(b)", sourceLocation: sourceLocation) }
}

@Suite struct OptimizerTests {
    @Test func plainSGDWithWeightDecay() {
        expectNear(twoSteps(SGD(learningRate: 0.1, weightDecay: 0.01)),
                   reference({ w, g, _, _ in w -= 0.1 * (g + 0.01 * w) }, slots: 0))
    }

    @Test func momentumAndNesterov() {
        expectNear(twoSteps(SGD(learningRate: 0.1, momentum: 0.9)),
                   reference({ w, g, s, _ in s[0] = 0.9 * s[0] + g; w -= 0.1 * s[0] }, slots: 1))
        expectNear(twoSteps(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
                   reference({ w, g, s, _ in s[0] = 0.9 * s[0] + g; w -= 0.1 * (g + 0.9 * s[0]) }, slots: 1))
    }

    @Test func adagradAndRMSprop() {
        expectNear(twoSteps(Adagrad(learningRate: 0.1)),
                   reference({ w, g, s, _ in s[0] += g * g; w -= 0.1 * g / (s[0].squareRoot() + 1e-10) }, slots: 1))
        expectNear(twoSteps(RMSprop(learningRate: 0.01, rho: 0.9)),
                   reference({ w, g, s, _ in s[0] = 0.9 * s[0] + 0.1 * g * g; w -= 0.01 * g / (s[0].squareRoot() + 1e-8) }, slots: 1))
    }

    @Test func adamAndAdamW() {
        func adam(decay: Double) -> (inout Double, Double, inout [Double], Int) -> Void {
            { w, g, s, t in
                s[0] = 0.9 * s[0] + 0.1 * g
                s[1] = 0.999 * s[1] + 0.001 * g * g
                let m = s[0] / (1 - pow(0.9, Double(t))), v = s[1] / (1 - pow(0.999, Double(t)))
                w = w * (1 - 0.01 * decay) - 0.01 * m / (v.squareRoot() + 1e-8)
            }
        }
        expectNear(twoSteps(Adam(learningRate: 0.01)), reference(adam(decay: 0), slots: 2))
        expectNear(twoSteps(AdamW(learningRate: 0.01, weightDecay: 0.1)), reference(adam(decay: 0.1), slots: 2))
    }

    /// 21 values: Adam's eight-lane loop and its scalar tail must both follow the formula.
    @Test func adamVectorLoopAndTailAgree() {
        let count = 21
        let w0 = (0..<count).map { Float($0) * 0.25 - 2 }, g = (0..<count).map { Float(($0 * 7) % 5) * 0.3 - 0.6 }
        let w = Variable(Tensor(w0), requiresGrad: true)
        let optimizer = AdamW(learningRate: 0.01, weightDecay: 0.1)
        for _ in 0..<3 {
            w.grad = Tensor(g)
            optimizer.update([w])
        }
        for i in 0..<count {
            var weight = Double(w0[i]), m = 0.0, v = 0.0
            for t in 1...3 {
                m = 0.9 * m + 0.1 * Double(g[i])
                v = 0.999 * v + 0.001 * Double(g[i]) * Double(g[i])
                let mHat = m / (1 - pow(0.9, Double(t))), vHat = v / (1 - pow(0.999, Double(t)))
                weight = weight * (1 - 0.001) - 0.01 * mHat / (vHat.squareRoot() + 1e-8)
            }
            #expect(abs(w.value.scalars[i] - Float(weight)) < 1e-5, "value \(i): \(w.value.scalars[i]) vs \(weight)")
        }
    }

    /// A large parameter is updated as one range per core; each value must get exactly the
    /// steps it gets in one piece (ranges of odd length, so the vector loops' tails move).
    @Test(arguments: ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
    func updatingInPartsIsBitIdentical(name: String) {
        func make() -> ParameterOptimizer {
            switch name {
            case "sgd": SGD(learningRate: 0.1, weightDecay: 0.01)
            case "momentum": SGD(learningRate: 0.05, momentum: 0.9)
            case "nesterov": SGD(learningRate: 0.05, momentum: 0.9, nesterov: true)
            case "adagrad": Adagrad(learningRate: 0.5)
            case "rmsprop": RMSprop(learningRate: 0.05)
            case "adam": Adam(learningRate: 0.1)
            default: AdamW(learningRate: 0.1, weightDecay: 0.1)
            }
        }
        let count = 3 * 1021 + 7
        var generator = RandomGenerator(seed: 5)
        let w0 = Tensor.randomNormal(shape: [count], using: &generator)
        let gradients = (0..<3).map { _ in Tensor.randomNormal(shape: [count], using: &generator) }
        func run(minimumValuesPerPart: Int) -> [Float] {
            let optimizer = make()
            optimizer.minimumValuesPerPart = minimumValuesPerPart
            let w = Variable(w0, requiresGrad: true)
            for g in gradients {
                w.grad = g
                optimizer.update([w])
            }
            return w.value.scalars
        }
        let whole = run(minimumValuesPerPart: .max), split = run(minimumValuesPerPart: 1000)
        #expect(whole.map(\.bitPattern) == split.map(\.bitPattern))
        #expect(whole != w0.scalars)
    }

    /// Adam's bias correction counts each parameter's own updates (as PyTorch): a parameter that
    /// first gets a gradient at step 4 takes the step a fresh optimizer would take, not one
    /// corrected for three steps it never had (about a third of the size).
    @Test func adamCorrectsEachParameterForItsOwnUpdates() {
        let early = Variable(Tensor([1, 2, 3]), requiresGrad: true)
        let late = Variable(Tensor([0.5, -1, 2]), requiresGrad: true)
        let lateGradient = Tensor([0.3, -0.2, 0.1])
        let shared = Adam(learningRate: 0.1)
        for _ in 0..<3 {
            early.grad = Tensor([0.1, 0.1, 0.1])
            shared.update([early, late])   // late has no gradient yet: skipped
        }
        early.grad = Tensor([0.1, 0.1, 0.1])
        late.grad = lateGradient
        shared.update([early, late])

        let alone = Variable(Tensor([0.5, -1, 2]), requiresGrad: true)
        alone.grad = lateGradient
        Adam(learningRate: 0.1).update([alone])
        #expect(late.value.scalars == alone.value.scalars)
        // Adam's first step moves each value by about the learning rate.
        expectNear(late.value.scalars, [0.4, -0.9, 1.9])
    }

    /// An optimizer that does not declare its update independent per value sees the whole tensor.
    @Test func customOptimizerGetsTheWholeParameter() {
        final class Recorder: ParameterOptimizer {
            var counts: [Int] = []
            init() { super.init(learningRate: 0.1, slotCount: 1) }
            override func apply(weights: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                                slots: [UnsafeMutableBufferPointer<Float>]) {
                counts.append(weights.count)
                #expect(slots[0].count == weights.count && gradient.count == weights.count)
            }
        }
        let recorder = Recorder()
        recorder.minimumValuesPerPart = 10
        let w = Variable(Tensor.zeros([100]), requiresGrad: true)
        w.grad = Tensor.ones([100])
        recorder.update([w])
        #expect(recorder.counts == [100])
    }

    @Test(arguments: ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
    func eachOptimizerMinimisesAQuadratic(name: String) {
        let optimizer: Optimizer = switch name {
        case "sgd": SGD(learningRate: 0.1)
        case "momentum": SGD(learningRate: 0.05, momentum: 0.9)
        case "adagrad": Adagrad(learningRate: 0.5)
        case "rmsprop": RMSprop(learningRate: 0.05)
        default: Adam(learningRate: 0.1)
        }
        // f(w) = |w - target|², minimum at target.
        let target = Tensor([3, -1, 0.5])
        let w = Variable(Tensor.zeros([3]), requiresGrad: true)
        for _ in 0..<300 {
            let difference = w - target
            (difference * difference).sum().backward()
            optimizer.update([w])
            w.zeroGrad()
        }
        expectNear(w.value.scalars.map { ($0 * 100).rounded() / 100 }, target.scalars)
    }

    @Test func schedules() {
        #expect(LearningRateSchedule.step(initial: 1, factor: 0.5, every: 2).rate(epoch: 5) == 0.25)
        #expect(abs(LearningRateSchedule.exponential(initial: 1, decay: 0.9).rate(epoch: 2) - 0.81) < 1e-6)
        let cosine = LearningRateSchedule.cosine(initial: 1, minimum: 0.1, epochs: 10)
        #expect(cosine.rate(epoch: 0) == 1)
        #expect(abs(cosine.rate(epoch: 5) - 0.55) < 1e-6)
        #expect(abs(cosine.rate(epoch: 10) - 0.1) < 1e-6)
    }
}

/// A front-matter learning rate is a Double; optimizers and dropout take it as it is.
@Suite struct OptimizerNumberTypeTests {
    @Test func doubleLearningRates() {
        let learningRate: Double = 0.001, dropRate: Double = 0.25
        #expect(Adam(learningRate: learningRate).learningRate == Float(learningRate))
        #expect(AdamW(learningRate: learningRate, weightDecay: 0.1).decoupledWeightDecay == 0.1)
        #expect(SGD(learningRate: learningRate, momentum: 0.9).momentum == 0.9)
        #expect(RMSprop(learningRate: learningRate).learningRate == Float(learningRate))
        #expect(Adagrad(learningRate: learningRate).learningRate == Float(learningRate))
        #expect(Dropout(rate: dropRate).rate == 0.25)
        let optimizer: Optimizer = SGD()
        optimizer.setLearningRate(learningRate * 10)
        #expect(optimizer.learningRate == Float(0.01 as Double))
        // Literals are Floats, as before (SGD(learningRate: 50) is not ambiguous).
        #expect(SGD(learningRate: 50).learningRate == 50)
    }
}
