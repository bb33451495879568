// Creating tensors: constants, ranges and random values.

extension Tensor {
    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        _ = shapeCount(shape, "Tensor(repeating:shape:)")
        self.init(shape: shape) { buffer in buffer.initialize(repeating: value) }
    }

    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
    /// All `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor { Tensor(repeating: value, shape: shape) }
    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { Tensor(repeating: 0, shape: other.shape) }
    /// Ones with the shape of `other`.
    public static func ones(like other: Tensor) -> Tensor { Tensor(repeating: 1, shape: other.shape) }

    /// `start, start + step, ...` up to but excluding `end` (rank 1), as NumPy's `arange`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        if step == 0 { engineFailure("Tensor.arange: step must not be 0") }
        let steps = ((end - start) / step).rounded(.up)
        // Int(_:) traps without a message on NaN, infinity or a count past Int.
        if !steps.isFinite || steps >= Float(Int.max) {
            engineFailure("Tensor.arange: \(start) to \(end) by \(step) is not a finite number of values")
        }
        let count = Swift.max(0, Int(steps))
        return Tensor(unchecked: (0..<count).map { start + Float($0) * step }, shape: [count])
    }

    /// `0, 1, ..., count - 1` (rank 1).
    public static func arange(_ count: Int) -> Tensor {
        if count < 0 { engineFailure("Tensor.arange: count \(count) is negative") }
        return Tensor(unchecked: (0..<count).map { Float($0) }, shape: [count])
    }

    /// `count` evenly spaced values from `start` to `end`, both included (rank 1).
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        if count < 0 { engineFailure("Tensor.linspace: count \(count) is negative") }
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(count - 1)
        var values = (0..<count).map { start + Float($0) * step }
        if count > 1 { values[count - 1] = end }
        return Tensor(unchecked: values, shape: [count])
    }

    /// The `size` x `size` identity matrix.
    public static func identity(_ size: Int) -> Tensor {
        var result = Tensor.zeros([size, size])
        for i in 0..<size { result.scalars[i * size + i] = 1 }
        return result
    }

    /// Uniform values in `[lowerBound, upperBound)` drawn from `generator`, in row-major order.
    public static func randomUniform(shape: [Int], lowerBound: Float = 0, upperBound: Float = 1,
                                     using generator: inout RandomGenerator) -> Tensor {
        let width = upperBound - lowerBound
        return Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count { buffer[i] = lowerBound + width * generator.nextUniform() }
        }
    }

    /// Uniform values from the default generator (`RandomGenerator.global`).
    public static func randomUniform(shape: [Int], lowerBound: Float = 0, upperBound: Float = 1) -> Tensor {
        randomUniform(shape: shape, lowerBound: lowerBound, upperBound: upperBound, using: &RandomGenerator.global)
    }

    /// Normal values with `mean` and `standardDeviation` drawn from `generator` (Box-Muller).
    public static func randomNormal(shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout RandomGenerator) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count { buffer[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// Normal values from the default generator (`RandomGenerator.global`).
    public static func randomNormal(shape: [Int], mean: Float = 0, standardDeviation: Float = 1) -> Tensor {
        randomNormal(shape: shape, mean: mean, standardDeviation: standardDeviation, using: &RandomGenerator.global)
    }

    /// 1 with probability `probability`, else 0 (for dropout masks).
    public static func randomBernoulli(shape: [Int], probability: Float, using generator: inout RandomGenerator) -> Tensor {
        randomBernoulli(shape: shape, probability: probability, value: 1, using: &generator)
    }

    /// `value` with `probability`, else 0, from the same draws as `randomBernoulli` (a dropout
    /// mask with its scale, in one pass).
    package static func randomBernoulli(shape: [Int], probability: Float, value: Float, using generator: inout RandomGenerator) -> Tensor {
        // A local copy: the generator's state stays in registers through the loop.
        var local = generator
        defer { generator = local }
        return Tensor(shape: shape) { buffer in
            for i in 0..<buffer.count { buffer[i] = local.nextUniform() < probability ? value : 0 }
        }
    }

    /// Bernoulli values from the default generator (`RandomGenerator.global`).
    public static func randomBernoulli(shape: [Int], probability: Float) -> Tensor {
        randomBernoulli(shape: shape, probability: probability, using: &RandomGenerator.global)
    }
}
