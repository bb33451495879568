// Checking gradients against central finite differences.

/// The outcome of `gradientCheckDetails`: the largest error and where it occurred.
public struct GradientCheckResult: CustomStringConvertible {
    /// max over all input values of |analytic - numeric| / max(1, |analytic|, |numeric|); NaN when
    /// any derivative is NaN (or both are infinite).
    public var maxRelativeError: Float
    /// Which input and which of its values (flat index) gave that error.
    public var inputIndex: Int, valueIndex: Int
    /// The two derivatives there.
    public var analytic: Double, numeric: Double

    public var description: String {
        "gradient check: max relative error \(maxRelativeError) at input \(inputIndex)[\(valueIndex)] "
            + "(analytic \(analytic), numeric \(numeric))"
    }
}

/// Compares the gradients `backward()` computes for `f` with central finite differences.
///
/// The output of `f` (any shape) is reduced to a scalar L = sum(output * R) with fixed
/// random weights R (seeded), so that every output value matters and no cancellation (as
/// in sum(softmax(x)) = 1) hides an error. For each input value x_i, the numeric derivative
/// is (L(x_i + h) - L(x_i - h)) / (2h), L accumulated in Double and h the step actually
/// representable in Float. Errors are relative for derivatives above 1 and absolute below
/// (divided by max(1, |analytic|, |numeric|)).
///
/// Keep inputs at least `epsilon` away from kinks (0 for relu and abs, ties for max).
///
///     let error = gradientCheck({ x in (x[0] * x[1]).sum() }, inputs: [a, b])
///     // error < 1e-3 for a correct gradient with epsilon 1e-2 on values of order 1
///
/// - Parameters:
///   - f: builds the output from variables holding `inputs` (in that order).
///   - inputs: the point at which to check.
///   - epsilon: the finite-difference step h.
/// - Returns: the maximum relative error over all input values.
public func gradientCheck(_ f: ([Variable]) -> Variable, inputs: [Tensor], epsilon: Float = 1e-2) -> Float {
    gradientCheckDetails(f, inputs: inputs, epsilon: epsilon).maxRelativeError
}

/// `gradientCheck` with the location and values of the worst error.
public func gradientCheckDetails(_ f: ([Variable]) -> Variable, inputs: [Tensor], epsilon: Float = 1e-2) -> GradientCheckResult {
    // Analytic: one backward pass with upstream gradient R.
    let variables = inputs.map { Variable($0, requiresGrad: true) }
    let output = f(variables)
    var generator = RandomGenerator(seed: 0x6772_6164)
    let weights = Tensor.randomUniform(shape: output.shape, lowerBound: 0.5, upperBound: 1.5, using: &generator)
    let previous = GradientMode.isEnabled
    GradientMode.isEnabled = true
    output.backward(gradient: weights)
    GradientMode.isEnabled = previous

    func loss(_ values: [Tensor]) -> Double {
        let out = withoutGradients { f(values.map { Variable($0) }) }.value
        var total = 0.0
        for i in 0..<out.count { total += Double(out.scalars[i]) * Double(weights.scalars[i]) }
        return total
    }

    var result = GradientCheckResult(maxRelativeError: 0, inputIndex: -1, valueIndex: -1, analytic: 0, numeric: 0)
    var point = inputs
    for inputIndex in 0..<inputs.count {
        let analytic = variables[inputIndex].grad ?? Tensor.zeros(inputs[inputIndex].shape)
        for valueIndex in 0..<inputs[inputIndex].count {
            let original = inputs[inputIndex].scalars[valueIndex]
            let up = original + epsilon, down = original - epsilon
            point[inputIndex].scalars[valueIndex] = up
            let lossUp = loss(point)
            point[inputIndex].scalars[valueIndex] = down
            let lossDown = loss(point)
            point[inputIndex].scalars[valueIndex] = original
            let numeric = (lossUp - lossDown) / (Double(up) - Double(down))
            let exact = Double(analytic.scalars[valueIndex])
            let error = Swift.abs(exact - numeric) / Swift.max(1, Swift.abs(exact), Swift.abs(numeric))
            // A NaN error (a NaN or infinite derivative) is the worst and stays reported:
            // `NaN > x` is false, so it would otherwise be passed over after the first value.
            let worse = error.isNaN ? !result.maxRelativeError.isNaN : Float(error) > result.maxRelativeError
            if worse || result.inputIndex < 0 {
                result = GradientCheckResult(maxRelativeError: Float(error), inputIndex: inputIndex,
                                             valueIndex: valueIndex, analytic: exact, numeric: numeric)
            }
        }
    }
    return result
}
