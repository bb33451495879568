import Testing
@testable import Autodiff

/// Gradient-check tolerance: central differences with h = 1e-2 on values of order 1 have a
/// truncation error near h^2/6 * f''' (about 1e-4 here) plus Float rounding noise; a wrong
/// gradient (a missing factor, a wrong sign, a broadcast not undone) errs by far more.
let gradientTolerance: Float = 1e-3

/// Expects `f`'s backward pass to agree with finite differences at `inputs`.
func expectGradient(_ f: @escaping ([Variable]) -> Variable, _ inputs: [Tensor],
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let result = gradientCheckDetails(f, inputs: inputs)
    #expect(result.maxRelativeError < gradientTolerance, "\(result)", sourceLocation: sourceLocation)
}

/// Values in [-1, 1) kept at least 0.1 away from 0 (the kink of relu, abs, ...).
func awayFromZero(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let x = Tensor.randomUniform(shape: shape, lowerBound: -1, upperBound: 1, using: &generator)
    return x + sign(x) * 0.1
}

/// Values in [0.5, 1.5): safe for log, sqrt and negative powers.
func positive(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape: shape, lowerBound: 0.5, upperBound: 1.5, using: &generator)
}

/// Distinct values at least 0.1 apart (no ties within a finite-difference step), shuffled.
func distinct(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let count = shape.reduce(1, *)
    var values = (0..<count).map { Float($0) * 0.1 - Float(count) * 0.05 }
    values.shuffle(using: &generator)
    return Tensor(values, shape: shape)
}
