import Testing
@testable import TensorCore

/// Expects equal shapes and values within `tolerance` (absolute, plus relative for large values),
/// reporting the first differing position at the caller's location.
func expectClose(_ observed: Tensor, _ expected: Tensor, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(observed.shape == expected.shape, "shapes \(observed.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
    guard observed.shape == expected.shape else { return }
    for i in 0..<observed.count {
        let a = observed.scalars[i], b = expected.scalars[i]
        if a.isNaN || b.isNaN || Swift.abs(a - b) > tolerance * Swift.max(1, Swift.abs(b)) {
            Issue.record("value \(i): \(a) vs expected \(b) (tolerance \(tolerance))", sourceLocation: sourceLocation)
            return
        }
    }
}

/// A deterministic tensor of `shape` with values in [-1, 1).
func sample(_ shape: [Int], seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape: shape, lowerBound: -1, upperBound: 1, using: &generator)
}

/// The value of `x` at a multi-index computed the slow way, for oracle loops.
func value(_ x: Tensor, _ index: [Int]) -> Float { x[index: index] }

/// All multi-indices of `shape` in row-major order.
func allIndices(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for extent in shape {
        result = result.flatMap { prefix in (0..<extent).map { prefix + [$0] } }
    }
    return result
}
