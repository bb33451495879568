import Testing
@testable import NeuralNetwork

/// Checks a module's gradients (with respect to its input and every parameter) against central
/// finite differences of L = sum(output ⊙ R), R fixed random weights, L accumulated in Double.
/// Returns the largest error, relative above 1 and absolute below.
func layerGradientError(_ module: Module, input: Tensor, epsilon: Float = 1e-2) -> Float {
    var generator = RandomGenerator(seed: 99)
    let x = Variable(input, requiresGrad: true)
    module.zeroGradients()
    let output = module(x)
    let weights = Tensor.randomUniform(shape: output.shape, lowerBound: 0.5, upperBound: 1.5, using: &generator)
    output.backward(gradient: weights)

    func loss() -> Double {
        let out = withoutGradients { module(Variable(x.value)).value }
        var total = 0.0
        for i in 0..<out.count { total += Double(out.scalars[i]) * Double(weights.scalars[i]) }
        return total
    }

    var worst: Float = 0
    let targets: [Variable] = [x] + module.parameters
    for target in targets {
        let analytic = target.grad ?? Tensor.zeros(target.shape)
        for i in 0..<target.count {
            let original = target.value.scalars[i]
            target.value.scalars[i] = original + epsilon
            let up = loss()
            target.value.scalars[i] = original - epsilon
            let down = loss()
            target.value.scalars[i] = original
            let numeric = (up - down) / (2 * Double(epsilon))
            let exact = Double(analytic.scalars[i])
            worst = max(worst, Float(abs(exact - numeric) / max(1, abs(exact), abs(numeric))))
        }
    }
    return worst
}

/// Asserts every value of `observed` is within `tolerance` of `expected` (same shape).
func expectClose(_ observed: Tensor, _ expected: [Float], shape: [Int]? = nil, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    if let shape { #expect(observed.shape == shape, sourceLocation: sourceLocation) }
    #expect(observed.count == expected.count, sourceLocation: sourceLocation)
    for (o, e) in zip(observed.scalars, expected) where abs(o - e) > tolerance * max(1, abs(e)) {
        Issue.record("value \(o) differs from \(e) by more than \(tolerance)", sourceLocation: sourceLocation)
        return
    }
}
