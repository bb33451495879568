// The primitive operations of the tape, and the ONE place giving each one's backward.
//
// Everything else on `Variable` (mean, variance, clamp, mse, dropout, ...) is composed
// from these and needs no gradient code. The fused softmax + cross-entropy is the
// documented exception: its backward (softmax - target) is simpler and more accurate
// than the composed one.

/// A recorded operation. Associated values hold what the backward pass needs beyond the
/// inputs' and output's values.
enum Primitive {
    // Elementwise with broadcasting; gradients are summed back over broadcast axes.
    case add, subtract, multiply, divide
    case maximum, minimum
    case select(condition: Tensor)
    // Elementwise with a constant.
    case addScalar
    case multiplyScalar(Float)
    case power(Float)
    // Elementwise unary.
    case negate, exp, log, sqrt, tanh, sigmoid, relu, abs
    case leakyRelu(alpha: Float)
    case elu(alpha: Float)
    // Linear algebra.
    case matmul(transposeA: Bool, transposeB: Bool)
    /// A dense layer, fused (inputs x (batch, in), weight (in, out), and a bias (out) when there
    /// are three): x W + b, followed by a ReLU when `rectified`.
    case dense(rectified: Bool)
    // Reductions.
    case sum(axes: [Int], keepDims: Bool)
    case max(axes: [Int], keepDims: Bool)
    // Movement.
    case reshape
    case transpose(permutation: [Int])
    case slice(axis: Int, range: Range<Int>)
    case concatenate(axis: Int)
    case gatherRows([Int])
    case pad(before: [Int], after: [Int])
    // Convolution and pooling (NCHW).
    case unfold(Window2D)
    // Fused convolution (inputs x, weight (C*KH*KW, F), bias (F)), followed by a ReLU when
    // `rectified`; holds what the forward saved for the backward (the padded input, or x).
    case conv2D(Window2D, saved: Tensor, rectified: Bool)
    case maxPool2D(Window2D, indices: [Int32])
    case avgPool2D(Window2D)
    // Batch normalisation in training (inputs x, scale, offset); fused, like the softmax
    // cross-entropy: holds x̂ and 1/sqrt(var + eps) per channel.
    case batchNorm(normalized: Tensor, inverseDeviation: Tensor)
    // Softmax family along an axis.
    case softmax(axis: Int)
    case logSoftmax(axis: Int)
    /// Fused mean over the batch of -sum(target * logSoftmax(logits)); holds softmax(logits).
    case softmaxCrossEntropy(probabilities: Tensor, target: Tensor)

    var name: String {
        switch self {
        case .select: return "where"
        case .multiplyScalar: return "multiplyScalar"
        case .power: return "power"
        case .leakyRelu: return "leakyRelu"
        case .elu: return "elu"
        case .matmul: return "matmul"
        case .dense: return "dense"
        case .sum: return "sum"
        case .max: return "max"
        case .transpose: return "transpose"
        case .slice: return "slice"
        case .concatenate: return "concatenate"
        case .gatherRows: return "gatherRows"
        case .pad: return "pad"
        case .unfold: return "unfold"
        case .conv2D: return "conv2D"
        case .maxPool2D: return "maxPool2D"
        case .avgPool2D: return "avgPool2D"
        case .batchNorm: return "batchNorm"
        case .softmax: return "softmax"
        case .logSoftmax: return "logSoftmax"
        case .softmaxCrossEntropy: return "softmaxCrossEntropy"
        default: return "\(self)"
        }
    }

    /// The gradient with respect to each input, given the `upstream` gradient d(loss)/d(output).
    /// nil for an input that gets none (it does not require gradients).
    func backward(_ upstream: Tensor, output: Tensor, inputs: [Variable]) -> [Tensor?] {
        let g = upstream
        func needs(_ i: Int) -> Bool { inputs[i].requiresGrad }
        let x = inputs[0].value
        switch self {
        case .add:
            return [needs(0) ? g.unbroadcasted(to: x.shape) : nil,
                    needs(1) ? g.unbroadcasted(to: inputs[1].shape) : nil]
        case .subtract:
            return [needs(0) ? g.unbroadcasted(to: x.shape) : nil,
                    needs(1) ? (-g).unbroadcasted(to: inputs[1].shape) : nil]
        case .multiply:
            let y = inputs[1].value
            return [needs(0) ? (g * y).unbroadcasted(to: x.shape) : nil,
                    needs(1) ? (g * x).unbroadcasted(to: y.shape) : nil]
        case .divide:
            // d(x/y)/dx = 1/y; d(x/y)/dy = -x/y^2 = -output/y.
            let y = inputs[1].value
            return [needs(0) ? (g / y).unbroadcasted(to: x.shape) : nil,
                    needs(1) ? (-(g * output) / y).unbroadcasted(to: y.shape) : nil]
        case .maximum, .minimum:
            // Ties go to the first input (a subgradient), so exactly one side gets each value.
            let y = inputs[1].value
            let mask: Tensor
            if case .maximum = self { mask = x .>= y } else { mask = x .<= y }
            return [needs(0) ? (g * mask).unbroadcasted(to: x.shape) : nil,
                    needs(1) ? (g * (1 - mask)).unbroadcasted(to: y.shape) : nil]
        case .select(let condition):
            let zero = Tensor.zeros([])
            return [needs(0) ? Tensor.where(condition, g, zero).unbroadcasted(to: x.shape) : nil,
                    needs(1) ? Tensor.where(condition, zero, g).unbroadcasted(to: inputs[1].shape) : nil]
        case .addScalar:
            return [g]
        case .multiplyScalar(let factor):
            return [g * factor]
        case .power(let p):
            return [g * (p * pow(x, p - 1))]
        case .negate:
            return [-g]
        case .exp:
            return [g * output]
        case .log:
            return [g / x]
        case .sqrt:
            return [g / (2 * output)]
        case .tanh:
            // g * (1 - output^2), fused.
            return [tanhBackward(g, output: output)]
        case .sigmoid:
            // g * output * (1 - output), fused.
            return [sigmoidBackward(g, output: output)]
        case .relu:
            // g * (x > 0), fused: the gradient at exactly 0 is 0 (as PyTorch).
            return [reluBackward(g, input: x)]
        case .leakyRelu(let alpha):
            return [g * Tensor.where(x .> 0, Tensor(scalar: 1), Tensor(scalar: alpha))]
        case .elu(let alpha):
            // For x <= 0, d/dx alpha * (e^x - 1) = alpha * e^x = output + alpha.
            return [g * Tensor.where(x .> 0, Tensor(scalar: 1), output + alpha)]
        case .abs:
            return [g * sign(x)]
        case .matmul(let transposeA, let transposeB):
            let a = x, b = inputs[1].value
            var gradA: Tensor? = nil, gradB: Tensor? = nil
            // A rank-2 operand shared by a batched product gets the sum over the batch.
            func product(_ x: Tensor, _ y: Tensor, _ tx: Bool, _ ty: Bool, shape: [Int]) -> Tensor {
                if shape.count == 2 && x.rank > 2 && x.rank == y.rank {
                    return matmulSummingBatch(x, y, transposeA: tx, transposeB: ty)
                }
                return TensorCore.matmul(x, y, transposeA: tx, transposeB: ty).summingBatch(to: shape)
            }
            if needs(0) {
                // C = op(A) op(B): dA = dC op(B)^T, or for A transposed, op(B) dC^T.
                gradA = transposeA ? product(b, g, transposeB, true, shape: a.shape)
                                   : product(g, b, false, !transposeB, shape: a.shape)
            }
            if needs(1) {
                // dB = op(A)^T dC, or for B transposed, dC^T op(A).
                gradB = transposeB ? product(g, a, true, transposeA, shape: b.shape)
                                   : product(a, g, !transposeA, false, shape: b.shape)
            }
            return [gradA, gradB]
        case .dense(let rectified):
            // As matmul then add then relu: the ReLU's mask (from the output: y > 0 exactly
            // where x W + b > 0), then dx = g Wᵀ, dW = xᵀ g, db = g summed over the batch.
            let masked = rectified ? reluBackward(g, input: output) : g
            let weight = inputs[1].value
            return [needs(0) ? TensorCore.matmul(masked, weight, transposeB: true) : nil,
                    needs(1) ? TensorCore.matmul(x, masked, transposeA: true) : nil] +
                   (inputs.count > 2 ? [needs(2) ? masked.unbroadcasted(to: inputs[2].shape) : nil] : [])
        case .sum(let axes, _):
            return [g.reshaped(to: keptShape(x.shape, axes)).broadcasted(to: x.shape)]
        case .max(let axes, _):
            // The gradient is shared equally among the values that attain the maximum.
            let kept = keptShape(x.shape, axes)
            let mask = x .== output.reshaped(to: kept)
            let ties = mask.sum(alongAxes: axes, keepDims: true)
            return [mask * (g.reshaped(to: kept) / ties)]
        case .reshape:
            return [g.reshaped(to: x.shape)]
        case .transpose(let permutation):
            var inverse = [Int](repeating: 0, count: permutation.count)
            for (i, axis) in permutation.enumerated() { inverse[axis] = i }
            return [g.transposed(permutation: inverse)]
        case .slice(let axis, let range):
            var before = [Int](repeating: 0, count: x.rank), after = before
            before[axis] = range.lowerBound
            after[axis] = x.shape[axis] - range.upperBound
            return [g.padded(before: before, after: after)]
        case .concatenate(let axis):
            var start = 0
            return inputs.map { input in
                defer { start += input.shape[axis] }
                return input.requiresGrad ? g.slice(alongAxis: axis, range: start..<(start + input.shape[axis])) : nil
            }
        case .gatherRows(let indices):
            return [Tensor.scatterAdding(rows: g, at: indices, shape: x.shape)]
        case .pad(let before, _):
            var result = g
            for axis in 0..<x.rank where result.shape[axis] != x.shape[axis] {
                result = result.slice(alongAxis: axis, range: before[axis]..<(before[axis] + x.shape[axis]))
            }
            return [result]
        case .unfold(let window):
            return [fold(g, imageShape: x.shape, window: window)]
        case .conv2D(let window, let saved, let rectified):
            let (dx, dWeight, dBias) = convolution2DBackward(g, input: x, saved: saved, weight: inputs[1].value,
                                                             window: window, needsInput: needs(0),
                                                             rectifiedOutput: rectified ? output : nil)
            return [dx, needs(1) ? dWeight : nil, needs(2) ? dBias : nil]
        case .maxPool2D(_, let indices):
            return [maxPool2DBackward(g, indices: indices, inputShape: x.shape)]
        case .avgPool2D(let window):
            return [avgPool2DBackward(g, inputShape: x.shape, window: window)]
        case .batchNorm(let normalized, let inverseDeviation):
            let (dx, dScale, dOffset) = batchNormBackward(g, normalized: normalized, scale: inputs[1].value,
                                                          inverseDeviation: inverseDeviation)
            return [needs(0) ? dx : nil, needs(1) ? dScale : nil, needs(2) ? dOffset : nil]
        case .softmax(let axis):
            // dx = y * (g - sum(g * y)) along the axis.
            return [output * (g - (g * output).sum(alongAxes: [axis], keepDims: true))]
        case .logSoftmax(let axis):
            // dx = g - softmax(x) * sum(g) along the axis; softmax(x) = e^output.
            return [g - TensorCore.exp(output) * g.sum(alongAxes: [axis], keepDims: true)]
        case .softmaxCrossEntropy(let probabilities, let target):
            // d/dz of -sum(t * log softmax(z)) is softmax(z) * sum(t) - t, averaged over the batch.
            let batch = Float(x.shape[0])
            let gradient = (probabilities * target.sum(alongAxes: [1], keepDims: true) - target) * (g.scalar / batch)
            return [gradient]
        }
    }
}

/// `shape` with the reduced `axes` set to 1 (the keepDims shape).
func keptShape(_ shape: [Int], _ axes: [Int]) -> [Int] {
    var result = shape
    for axis in axes { result[axis < 0 ? axis + shape.count : axis] = 1 }
    return result
}

extension Tensor {
    /// A batched matmul gradient summed over its batch axes when the operand was a shared rank-2 matrix.
    func summingBatch(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        return sum(alongAxes: Array(0..<(rank - shape.count))).reshaped(to: shape)
    }
}
