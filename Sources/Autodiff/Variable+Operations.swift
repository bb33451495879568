import Foundation

// Differentiable operations on `Variable`, named as their `Tensor` counterparts.
// Primitives record one `Primitive`; composites are built from primitives and need
// no backward code of their own.

// MARK: - Arithmetic (broadcasting)

extension Variable {
    public static func + (lhs: Variable, rhs: Variable) -> Variable { record(lhs.value + rhs.value, .add, [lhs, rhs]) }
    public static func - (lhs: Variable, rhs: Variable) -> Variable { record(lhs.value - rhs.value, .subtract, [lhs, rhs]) }
    public static func * (lhs: Variable, rhs: Variable) -> Variable { record(lhs.value * rhs.value, .multiply, [lhs, rhs]) }
    public static func / (lhs: Variable, rhs: Variable) -> Variable { record(lhs.value / rhs.value, .divide, [lhs, rhs]) }
    public static prefix func - (x: Variable) -> Variable { record(-x.value, .negate, [x]) }

    public static func + (lhs: Variable, rhs: Float) -> Variable { record(lhs.value + rhs, .addScalar, [lhs]) }
    public static func - (lhs: Variable, rhs: Float) -> Variable { record(lhs.value - rhs, .addScalar, [lhs]) }
    public static func * (lhs: Variable, rhs: Float) -> Variable { record(lhs.value * rhs, .multiplyScalar(rhs), [lhs]) }
    public static func / (lhs: Variable, rhs: Float) -> Variable { lhs * (1 / rhs) }
    public static func + (lhs: Float, rhs: Variable) -> Variable { rhs + lhs }
    public static func - (lhs: Float, rhs: Variable) -> Variable { -rhs + lhs }
    public static func * (lhs: Float, rhs: Variable) -> Variable { rhs * lhs }
    public static func / (lhs: Float, rhs: Variable) -> Variable { Variable(Tensor(scalar: lhs), requiresGrad: false) / rhs }

    // A Tensor operand is a constant.
    public static func + (lhs: Variable, rhs: Tensor) -> Variable { lhs + Variable(rhs, requiresGrad: false) }
    public static func - (lhs: Variable, rhs: Tensor) -> Variable { lhs - Variable(rhs, requiresGrad: false) }
    public static func * (lhs: Variable, rhs: Tensor) -> Variable { lhs * Variable(rhs, requiresGrad: false) }
    public static func / (lhs: Variable, rhs: Tensor) -> Variable { lhs / Variable(rhs, requiresGrad: false) }
    public static func + (lhs: Tensor, rhs: Variable) -> Variable { Variable(lhs, requiresGrad: false) + rhs }
    public static func - (lhs: Tensor, rhs: Variable) -> Variable { Variable(lhs, requiresGrad: false) - rhs }
    public static func * (lhs: Tensor, rhs: Variable) -> Variable { Variable(lhs, requiresGrad: false) * rhs }
    public static func / (lhs: Tensor, rhs: Variable) -> Variable { Variable(lhs, requiresGrad: false) / rhs }

    /// `a` where `condition` is nonzero, else `b` (broadcasting); the condition is a constant.
    public static func `where`(_ condition: Tensor, _ a: Variable, _ b: Variable) -> Variable {
        record(Tensor.where(condition, a.value, b.value), .select(condition: condition), [a, b])
    }
}

/// Elementwise maximum (broadcasting); at ties the gradient goes to `a`.
public func max(_ a: Variable, _ b: Variable) -> Variable { Variable.record(max(a.value, b.value), .maximum, [a, b]) }
/// Elementwise minimum (broadcasting); at ties the gradient goes to `a`.
public func min(_ a: Variable, _ b: Variable) -> Variable { Variable.record(min(a.value, b.value), .minimum, [a, b]) }
/// Elementwise maximum with a constant.
public func max(_ a: Variable, _ b: Float) -> Variable { max(a, Variable(Tensor(scalar: b), requiresGrad: false)) }
/// Elementwise minimum with a constant.
public func min(_ a: Variable, _ b: Float) -> Variable { min(a, Variable(Tensor(scalar: b), requiresGrad: false)) }
/// Values clamped to `[minimum, maximum]` (gradient 1 inside, 0 outside).
public func clamp(_ x: Variable, min minimum: Float, max maximum: Float) -> Variable { min(max(x, minimum), maximum) }

// MARK: - Elementwise functions

/// e^x.
public func exp(_ x: Variable) -> Variable { Variable.record(exp(x.value), .exp, [x]) }
/// Natural logarithm.
public func log(_ x: Variable) -> Variable { Variable.record(log(x.value), .log, [x]) }
/// Square root.
public func sqrt(_ x: Variable) -> Variable { Variable.record(sqrt(x.value), .sqrt, [x]) }
/// x^p for a constant p.
public func pow(_ x: Variable, _ p: Float) -> Variable { Variable.record(pow(x.value, p), .power(p), [x]) }
/// x * x.
public func square(_ x: Variable) -> Variable { x * x }
/// Hyperbolic tangent.
public func tanh(_ x: Variable) -> Variable { Variable.record(tanh(x.value), .tanh, [x]) }
/// Logistic sigmoid 1 / (1 + e^-x).
public func sigmoid(_ x: Variable) -> Variable { Variable.record(sigmoid(x.value), .sigmoid, [x]) }
/// max(0, x); the gradient at 0 is 0.
public func relu(_ x: Variable) -> Variable { Variable.record(relu(x.value), .relu, [x]) }
/// x for x > 0, alpha * x otherwise.
public func leakyRelu(_ x: Variable, alpha: Float = 0.01) -> Variable {
    Variable.record(leakyRelu(x.value, alpha: alpha), .leakyRelu(alpha: alpha), [x])
}
/// x for x > 0, alpha * (e^x - 1) otherwise.
public func elu(_ x: Variable, alpha: Float = 1) -> Variable { Variable.record(elu(x.value, alpha: alpha), .elu(alpha: alpha), [x]) }
/// |x|; the gradient at 0 is 0.
public func abs(_ x: Variable) -> Variable { Variable.record(abs(x.value), .abs, [x]) }

// MARK: - Matrix product

/// `op(a) x op(b)` (see `matmul(_:_:transposeA:transposeB:)` on tensors for shapes and batching).
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    Variable.record(matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB),
                    .matmul(transposeA: transposeA, transposeB: transposeB), [a, b])
}

/// A dense layer's forward, fused: x (batch, inputs) times `weight` (inputs, outputs), plus
/// `bias` (outputs) when given, and with `rectified`, `relu` of it. The same values and gradients
/// as `relu(matmul(x, weight) + bias)`, recorded as one operation.
public func dense(_ x: Variable, weight: Variable, bias: Variable?, rectified: Bool = false) -> Variable {
    Variable.record(dense(x.value, weight: weight.value, bias: bias?.value, rectified: rectified), .dense(rectified: rectified),
                    bias.map { [x, weight, $0] } ?? [x, weight])
}

/// The product of data (a constant tensor) and a variable: `matmul(x, w)` for inputs `x`.
public func matmul(_ a: Tensor, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    matmul(Variable(a, requiresGrad: false), b, transposeA: transposeA, transposeB: transposeB)
}

/// The product of a variable and a constant tensor.
public func matmul(_ a: Variable, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    matmul(a, Variable(b, requiresGrad: false), transposeA: transposeA, transposeB: transposeB)
}

// MARK: - Reductions

extension Variable {
    /// Sum of all values (rank 0).
    public func sum() -> Variable { sum(alongAxes: Array(0..<rank)) }
    /// Sum along `axes`.
    public func sum(alongAxes axes: [Int], keepDims: Bool = false) -> Variable {
        let axes = axes.map { $0 < 0 ? $0 + rank : $0 }
        return Variable.record(value.sum(alongAxes: axes, keepDims: keepDims), .sum(axes: axes, keepDims: keepDims), [self])
    }
    /// Sum along one axis.
    public func sum(alongAxis axis: Int, keepDims: Bool = false) -> Variable { sum(alongAxes: [axis], keepDims: keepDims) }

    /// Mean of all values (rank 0).
    public func mean() -> Variable { mean(alongAxes: Array(0..<rank)) }
    /// Mean along `axes`: the sum times 1/n.
    public func mean(alongAxes axes: [Int], keepDims: Bool = false) -> Variable {
        let total = sum(alongAxes: axes, keepDims: keepDims)   // checks the axes first
        let n = Set(axes.map { $0 < 0 ? $0 + rank : $0 }).reduce(1) { $0 * shape[$1] }
        return total * (1 / Float(n))
    }
    /// Mean along one axis.
    public func mean(alongAxis axis: Int, keepDims: Bool = false) -> Variable { mean(alongAxes: [axis], keepDims: keepDims) }

    /// Maximum of all values (rank 0).
    public func max() -> Variable { max(alongAxes: Array(0..<rank)) }
    /// Maximum along `axes`; tied maxima share the gradient equally.
    public func max(alongAxes axes: [Int], keepDims: Bool = false) -> Variable {
        let axes = axes.map { $0 < 0 ? $0 + rank : $0 }
        return Variable.record(value.max(alongAxes: axes, keepDims: keepDims), .max(axes: axes, keepDims: keepDims), [self])
    }
    /// Maximum along one axis.
    public func max(alongAxis axis: Int, keepDims: Bool = false) -> Variable { max(alongAxes: [axis], keepDims: keepDims) }

    /// Minimum along `axes`: -max(-x).
    public func min(alongAxes axes: [Int], keepDims: Bool = false) -> Variable {
        -(-self).max(alongAxes: axes, keepDims: keepDims)
    }
    /// Minimum of all values (rank 0).
    public func min() -> Variable { min(alongAxes: Array(0..<rank)) }

    /// Population variance along `axes`: mean((x - mean(x))^2).
    public func variance(alongAxes axes: [Int], keepDims: Bool = false) -> Variable {
        let centered = self - mean(alongAxes: axes, keepDims: true)
        return (centered * centered).mean(alongAxes: axes, keepDims: keepDims)
    }
    /// Population variance of all values.
    public func variance() -> Variable { variance(alongAxes: Array(0..<rank)) }
}

// MARK: - Movement

extension Variable {
    /// The same values with a new shape (one extent may be -1).
    public func reshaped(to shape: [Int]) -> Variable { Variable.record(value.reshaped(to: shape), .reshape, [self]) }
    /// Rank 1.
    public func flattened() -> Variable { reshaped(to: [count]) }
    /// An axis of extent 1 inserted at `axis` (a reshape).
    public func expandingShape(at axis: Int) -> Variable { reshaped(to: value.expandingShape(at: axis).shape) }
    /// Axes of extent 1 removed (all of them when `axes` is empty; a reshape).
    public func squeezingShape(at axes: [Int] = []) -> Variable { reshaped(to: value.squeezingShape(at: axes).shape) }
    /// Repeated along broadcast axes to `shape`: adding a zero constant of that shape, so the
    /// gradient is summed back over the repeated axes by `add`'s rule.
    public func broadcasted(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        return self + Variable(Tensor.zeros(shape), requiresGrad: false)
    }
    /// Axes reordered: axis i of the result is axis `permutation[i]`.
    public func transposed(permutation: [Int]) -> Variable {
        Variable.record(value.transposed(permutation: permutation), .transpose(permutation: permutation), [self])
    }
    /// The last two axes swapped.
    public func transposed() -> Variable {
        if rank < 2 { return self }
        var permutation = Array(0..<rank)
        permutation.swapAt(rank - 1, rank - 2)
        return transposed(permutation: permutation)
    }
    /// The values at `range` along `axis` (e.g. one LSTM gate out of four).
    public func slice(alongAxis axis: Int, range: Range<Int>) -> Variable {
        let axis = axis < 0 ? axis + rank : axis
        return Variable.record(value.slice(alongAxis: axis, range: range), .slice(axis: axis, range: range), [self])
    }
    /// Rows (first-axis entries) at `indices`; repeated rows accumulate their gradients.
    public func gathering(rows indices: [Int]) -> Variable {
        Variable.record(value.gathering(rows: indices), .gatherRows(indices), [self])
    }
    /// Padded with zeros (`before[i]`, `after[i]` entries on each side of axis i).
    public func padded(before: [Int], after: [Int]) -> Variable {
        Variable.record(value.padded(before: before, after: after), .pad(before: before, after: after), [self])
    }
    /// `variables` joined along `axis`.
    public static func concatenate(_ variables: [Variable], alongAxis axis: Int = 0) -> Variable {
        guard let first = variables.first else { engineFailure("Variable.concatenate: no variables") }
        let axis = axis < 0 ? axis + first.rank : axis
        return record(Tensor.concatenate(variables.map { $0.value }, alongAxis: axis), .concatenate(axis: axis), variables)
    }
    /// `variables` (one shape) stacked along a new axis.
    public static func stack(_ variables: [Variable], alongAxis axis: Int = 0) -> Variable {
        guard let first = variables.first else { engineFailure("Variable.stack: no variables") }
        let original = axis, axis = axis < 0 ? axis + first.rank + 1 : axis
        if axis < 0 || axis > first.rank {
            engineFailure("Variable.stack: axis \(original) out of range for stacking shape \(first.shape)")
        }
        return concatenate(variables.map { v in
            var shape = v.shape
            shape.insert(1, at: axis)
            return v.reshaped(to: shape)
        }, alongAxis: axis)
    }
}

// MARK: - Convolution and pooling (NCHW)

/// Patches of NCHW `x` as rows (N*OH*OW, C*KH*KW): `unfold` transposed, so its backward pass
/// is `fold`'s (which is `col2im`).
public func im2col(_ x: Variable, window: Window2D) -> Variable {
    let columns = unfold(x, window: window)    // (N, C*KH*KW, OH*OW)
    let (n, rows, positions) = (columns.shape[0], columns.shape[1], columns.shape[2])
    return columns.transposed(permutation: [0, 2, 1]).reshaped(to: [n * positions, rows])
}

/// Patches as columns, (N, C*KH*KW, OH*OW) (see TensorCore's `unfold`); the gradient is `fold`.
public func unfold(_ x: Variable, window: Window2D) -> Variable {
    Variable.record(unfold(x.value, window: window), .unfold(window), [x])
}

/// A 2-D convolution of NCHW `x` with `weight` (C*KH*KW, F) and `bias` (F): (N, F, OH, OW),
/// and with `rectified`, `relu` of it. Fused (no temporaries beyond a chunk of columns); the
/// same values as `matmul(weight, unfold(x, window: window), transposeA: true) + bias` reshaped
/// to NCHW (then `relu`), to rounding.
public func conv2D(_ x: Variable, weight: Variable, bias: Variable, window: Window2D, rectified: Bool = false) -> Variable {
    let (output, saved) = convolution2D(x.value, weight: weight.value, bias: bias.value, window: window, rectified: rectified)
    return Variable.record(output, .conv2D(window, saved: saved, rectified: rectified), [x, weight, bias])
}

/// Batch normalisation with the batch's own statistics (training mode), fused: x (N, C) or
/// (N, C, H, W), `scale` γ and `offset` β (C). Returns y and the per-channel mean and biased
/// variance (for running averages). See TensorCore's `batchNormForward`.
public func batchNorm(_ x: Variable, scale: Variable, offset: Variable, epsilon: Float)
    -> (output: Variable, mean: Tensor, variance: Tensor) {
    let result = batchNormForward(x.value, scale: scale.value, offset: offset.value, epsilon: epsilon)
    let output = Variable.record(result.output, .batchNorm(normalized: result.normalized, inverseDeviation: result.inverseDeviation),
                                 [x, scale, offset])
    return (output, result.mean, result.variance)
}

/// Max pooling over `window`: (N, C, OH, OW); the gradient goes to each window's maximum.
public func maxPool2D(_ x: Variable, window: Window2D) -> Variable {
    let (output, indices) = maxPool2DWithIndices(x.value, window: window)
    return Variable.record(output, .maxPool2D(window, indices: indices), [x])
}

/// Average pooling over `window` (padding counts as zeros): (N, C, OH, OW).
public func avgPool2D(_ x: Variable, window: Window2D) -> Variable {
    Variable.record(avgPool2D(x.value, window: window), .avgPool2D(window), [x])
}

// MARK: - Softmax family

/// Softmax along `axis` (numerically stable).
public func softmax(_ x: Variable, axis: Int = -1) -> Variable {
    let axis = axis < 0 ? axis + x.rank : axis
    return Variable.record(softmax(x.value, axis: axis), .softmax(axis: axis), [x])
}

/// log(softmax(x)) along `axis`, computed stably.
public func logSoftmax(_ x: Variable, axis: Int = -1) -> Variable {
    let axis = axis < 0 ? axis + x.rank : axis
    return Variable.record(logSoftmax(x.value, axis: axis), .logSoftmax(axis: axis), [x])
}

/// log(sum(e^x)) along `axis`: max + log(sum(e^(x - max))), the max held constant
/// (its gradient contributions cancel exactly).
public func logSumExp(_ x: Variable, axis: Int = -1, keepDims: Bool = false) -> Variable {
    let axis = axis < 0 ? axis + x.rank : axis
    // Along an empty axis the result is -inf whatever the shift (the maximum of no values would stop).
    let largest = (0..<x.rank).contains(axis) && x.shape[axis] == 0 ? Tensor.zeros(keptShape(x.shape, [axis]))
                                                                   : x.value.max(alongAxes: [axis], keepDims: true)
    // An infinite maximum shifts by 0 instead (inf - inf is NaN; the answer is +inf or -inf).
    let maximum = Variable(Tensor(largest.scalars.map { $0.isFinite ? $0 : 0 }, shape: largest.shape), requiresGrad: false)
    let result = log(exp(x - maximum).sum(alongAxes: [axis], keepDims: true)) + maximum
    return keepDims ? result : result.reshaped(to: x.shape.enumerated().filter { $0.offset != axis }.map { $0.element })
}
