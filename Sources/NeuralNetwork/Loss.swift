import Foundation

/// How per-sample losses become the training loss.
public enum LossReduction: String, Codable {
    /// The mean over the batch (the default everywhere).
    case mean
    /// The sum over the batch.
    case sum
    /// One loss per sample, shape (batch).
    case none

    /// Reduces per-sample losses of shape (batch).
    public func reduce(_ losses: Variable) -> Variable {
        switch self {
        case .mean: return losses.mean()
        case .sum: return losses.sum()
        case .none: return losses
        }
    }
}

/// Mean squared error between predictions and targets of shape (batch, ...):
/// per sample, mean over its values of (ŷ - y)².
public func meanSquaredError(predicted: Variable, expected: Tensor, reduction: LossReduction) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("meanSquaredError", predicted.shape, expected.shape) }
    let difference = predicted - expected
    return reduction.reduce(perSampleMean(difference * difference))
}

/// Cross-entropy between softmax(logits) and integer class labels:
/// per sample, -log softmax(logits)[label]. Logits are (batch, classes).
/// The `.mean` reduction uses the fused, exactly-differentiated primitive.
public func crossEntropy(logits: Variable, labels: [Int], reduction: LossReduction = .mean) -> Variable {
    switch reduction {
    case .mean: return softmaxCrossEntropy(logits: logits, labels: labels)
    case .sum: return softmaxCrossEntropy(logits: logits, labels: labels) * Float(labels.count)
    case .none:
        let target = oneHotRows(labels, classCount: logits.shape[1])
        return -(logSoftmax(logits, axis: 1) * target).sum(alongAxes: [1])
    }
}

/// Binary cross-entropy of probabilities ŷ in (0, 1) against targets y in [0, 1]:
/// per sample, the mean over its values of -(y log ŷ + (1 - y) log(1 - ŷ)).
/// ŷ is clamped to [1e-7, 1 - 1e-7] so that saturated outputs give a finite loss; prefer
/// `binaryCrossEntropy(logits:expected:)` after a sigmoid, which is exact.
public func binaryCrossEntropy(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("binaryCrossEntropy", predicted.shape, expected.shape) }
    let p = clamp(predicted, min: 1e-7, max: 1 - 1e-7)
    let losses = -(log(p) * expected + log(1 - p) * (1 - expected))
    return reduction.reduce(perSampleMean(losses))
}

/// Binary cross-entropy of sigmoid(logits), computed stably from the logits z:
/// max(z, 0) - z y + log(1 + e^-|z|).
public func binaryCrossEntropy(logits: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if logits.shape != expected.shape { shapeMismatch("binaryCrossEntropy(logits:)", logits.shape, expected.shape) }
    let losses = relu(logits) - logits * expected + log(exp(-abs(logits)) + 1)
    return reduction.reduce(perSampleMean(losses))
}

/// Kullback-Leibler divergence KL(p ‖ q) = Σ p log(p / q) of the predicted distribution q from
/// the target p, both (batch, classes) probabilities; per sample, summed over classes.
/// Terms with p = 0 contribute 0; q is clamped to at least 1e-7.
public func klDivergence(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("klDivergence", predicted.shape, expected.shape) }
    let safeTarget = Tensor.where(expected .> 0, expected, Tensor.ones(like: expected))
    let targetTerm = expected * log(safeTarget)     // p log p, 0 where p = 0 (a constant)
    let losses = (Variable(targetTerm) - log(clamp(predicted, min: 1e-7, max: 1)) * expected)
    let perSample = losses.rank > 1 ? losses.sum(alongAxes: Array(1..<losses.rank)) : losses
    return reduction.reduce(perSample)
}

/// One-hot rows: (labels.count, classCount), 1 at each label's column.
/// (Datasets' public `oneHot` builds the same rows; this one's message names crossEntropy.)
func oneHotRows(_ labels: [Int], classCount: Int) -> Tensor {
    var result = Tensor.zeros([labels.count, classCount])
    for (row, label) in labels.enumerated() {
        if label < 0 || label >= classCount { engineFailure("crossEntropy: label \(label) outside 0..<\(classCount)") }
        result.scalars[row * classCount + label] = 1
    }
    return result
}

/// The mean over all axes but the first: (batch, ...) -> (batch).
private func perSampleMean(_ x: Variable) -> Variable {
    x.rank > 1 ? x.mean(alongAxes: Array(1..<x.rank)) : x
}

/// The loss a `Sequential` model trains with. Targets are given to `fit` as a tensor:
/// class indices (batch) for `crossEntropy`, values of the output's shape for the others.
public enum Loss: Codable, Equatable, CustomStringConvertible {
    case meanSquaredError
    /// From logits (the model ends with a Linear layer, no softmax), targets are class indices.
    case crossEntropy
    /// From probabilities (the model ends with a sigmoid).
    case binaryCrossEntropy
    /// From logits (no sigmoid at the end), exact and stable.
    case binaryCrossEntropyWithLogits
    /// From probabilities (the model ends with a softmax) against target distributions.
    case klDivergence

    public var description: String {
        switch self {
        case .meanSquaredError: return "mean squared error"
        case .crossEntropy: return "cross-entropy"
        case .binaryCrossEntropy: return "binary cross-entropy"
        case .binaryCrossEntropyWithLogits: return "binary cross-entropy (logits)"
        case .klDivergence: return "KL divergence"
        }
    }

    /// The loss of `output` against `target`, reduced as asked.
    public func callAsFunction(_ output: Variable, _ target: Tensor, reduction: LossReduction = .mean) -> Variable {
        switch self {
        case .meanSquaredError: return NeuralNetwork.meanSquaredError(predicted: output, expected: target, reduction: reduction)
        case .crossEntropy: return NeuralNetwork.crossEntropy(logits: output, labels: classIndices(target), reduction: reduction)
        case .binaryCrossEntropy: return NeuralNetwork.binaryCrossEntropy(predicted: output, expected: target, reduction: reduction)
        case .binaryCrossEntropyWithLogits: return NeuralNetwork.binaryCrossEntropy(logits: output, expected: target, reduction: reduction)
        case .klDivergence: return NeuralNetwork.klDivergence(predicted: output, expected: target, reduction: reduction)
        }
    }

    /// Whether targets are class indices (so accuracy compares them with the argmax).
    var takesClassIndices: Bool { self == .crossEntropy }
}

/// Class indices stored in a float tensor of shape (batch) or (batch, 1). Stops on a value that
/// is not a whole number in Int's range (NaN, 1.5, 1e30): `Int(_:)` of it is undefined in the
/// release engine, and 1.5 would silently count as class 1.
func classIndices(_ target: Tensor) -> [Int] {
    target.scalars.enumerated().map { index, value in
        engineCheck(value == value.rounded() && Swift.abs(value) < 0x1p62,
                    "crossEntropy: target \(value) (sample \(index)) is not a class index; pass whole numbers 0, 1, 2, ...")
        return Int(value)
    }
}
