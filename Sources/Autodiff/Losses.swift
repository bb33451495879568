// Losses and regularisers on variables, each formula written once: `Loss` (NeuralNetwork), the
// training loop and the notebooks call these. Only the softmax cross-entropy is a fused
// primitive (see Primitive.swift); the others are composites.

/// How per-sample losses become the training loss.
public enum LossReduction: String, Codable, Sendable {
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

/// Mean over the batch of the cross-entropy between softmax(logits) and integer class labels.
///
/// loss = -(1/B) sum_b log softmax(logits)[b, labels[b]]. Fused: the gradient is
/// (softmax(logits) - onehot(labels)) / B, exact and stable for any logits.
/// - Parameters:
///   - logits: (batch, classes) unnormalised scores.
///   - labels: `batch` class indices in `0..<classes`.
public func softmaxCrossEntropy(logits: Variable, labels: [Int]) -> Variable {
    if logits.rank != 2 || logits.shape[0] != labels.count {
        shapeMismatch("softmaxCrossEntropy(logits:labels:)", logits.shape, [labels.count], "do not match (need (batch, classes) and batch labels)")
    }
    return softmaxCrossEntropy(logits: logits, probabilities: oneHotRows(labels, classCount: logits.shape[1], "softmaxCrossEntropy"))
}

/// Mean over the batch of -sum_c target[b, c] * log softmax(logits)[b, c], for one-hot or
/// probability (e.g. label-smoothed) targets of shape (batch, classes). Fused, as above.
public func softmaxCrossEntropy(logits: Variable, probabilities target: Tensor) -> Variable {
    if logits.rank != 2 || target.shape != logits.shape {
        shapeMismatch("softmaxCrossEntropy(logits:probabilities:)", logits.shape, target.shape, "differ (need equal (batch, classes))")
    }
    let logProbabilities = logSoftmax(logits.value, axis: 1)
    let loss = -(target * logProbabilities).sum().scalar / Float(logits.shape[0])
    return Variable.record(Tensor(scalar: loss),
                           .softmaxCrossEntropy(probabilities: exp(logProbabilities), target: target), [logits])
}

/// Cross-entropy between softmax(logits) and integer class labels:
/// per sample, -log softmax(logits)[label]. Logits are (batch, classes).
/// The `.mean` reduction is the fused, exactly differentiated `softmaxCrossEntropy`.
public func crossEntropy(logits: Variable, labels: [Int], reduction: LossReduction = .mean) -> Variable {
    switch reduction {
    case .mean: return softmaxCrossEntropy(logits: logits, labels: labels)
    case .sum: return softmaxCrossEntropy(logits: logits, labels: labels) * Float(labels.count)
    case .none:
        if logits.rank != 2 || logits.shape[0] != labels.count {
            shapeMismatch("crossEntropy(logits:labels:)", logits.shape, [labels.count], "do not match (need (batch, classes) and batch labels)")
        }
        let target = oneHotRows(labels, classCount: logits.shape[1], "crossEntropy")
        return -(logSoftmax(logits, axis: 1) * target).sum(alongAxes: [1])
    }
}

/// Mean squared error between predictions and targets of shape (batch, ...):
/// per sample, the mean over its values of (ŷ - y)².
public func meanSquaredError(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("meanSquaredError", predicted.shape, expected.shape) }
    let difference = predicted - expected
    return reduction.reduce(perSampleMean(difference * difference))
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

/// Binary cross-entropy of sigmoid(logits) against 0/1 (or probability) targets, computed
/// stably from the logits z: per value max(z, 0) - z y + log(1 + e^-|z|), per sample the mean.
public func binaryCrossEntropy(logits: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if logits.shape != expected.shape { shapeMismatch("binaryCrossEntropy(logits:)", logits.shape, expected.shape) }
    let losses = relu(logits) - logits * expected + log(exp(-abs(logits)) + 1)
    return reduction.reduce(perSampleMean(losses))
}

/// The mean binary cross-entropy of sigmoid(logits) against `labels`: another name for
/// `binaryCrossEntropy(logits:expected:)` (TensorFlow's `sigmoid_cross_entropy`).
public func sigmoidCrossEntropy(logits: Variable, labels: Tensor) -> Variable {
    binaryCrossEntropy(logits: logits, expected: labels)
}

/// Kullback-Leibler divergence KL(p ‖ q) = Σ p log(p / q) of the predicted distribution q from
/// the target p, both (batch, classes) probabilities; per sample, summed over classes.
/// Terms with p = 0 contribute 0; q is clamped to at least 1e-7.
public func klDivergence(predicted: Variable, expected: Tensor, reduction: LossReduction = .mean) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("klDivergence", predicted.shape, expected.shape) }
    let safeTarget = Tensor.where(expected .> 0, expected, Tensor.ones(like: expected))
    let targetTerm = expected * log(safeTarget)     // p log p, 0 where p = 0 (a constant)
    let losses = (Variable(targetTerm, requiresGrad: false) - log(clamp(predicted, min: 1e-7, max: 1)) * expected)
    let perSample = losses.rank > 1 ? losses.sum(alongAxes: Array(1..<losses.rank)) : losses
    return reduction.reduce(perSample)
}

/// One-hot rows: (labels.count, classCount), 1 at each label's column. Labels are checked
/// here, naming `operation` (Datasets' `oneHot` checks with `precondition`, which
/// -Ounchecked removes).
func oneHotRows(_ labels: [Int], classCount: Int, _ operation: String) -> Tensor {
    var result = Tensor.zeros([labels.count, classCount])
    for (row, label) in labels.enumerated() {
        if label < 0 || label >= classCount { engineFailure("\(operation): label \(label) out of range 0..<\(classCount)") }
        result.scalars[row * classCount + label] = 1
    }
    return result
}

/// The mean over all axes but the first: (batch, ...) -> (batch).
private func perSampleMean(_ x: Variable) -> Variable {
    x.rank > 1 ? x.mean(alongAxes: Array(1..<x.rank)) : x
}

/// Inverted dropout: zeroes each value with probability `rate` and scales the rest by
/// 1 / (1 - rate), so the expectation is unchanged; a multiplication by a constant mask.
public func dropout(_ x: Variable, rate: Float, using generator: inout RandomGenerator) -> Variable {
    if rate < 0 || rate >= 1 { engineFailure("dropout: rate \(rate) must be in [0, 1)") }
    if rate == 0 { return x }
    // The mask (Bernoulli draws times 1/(1 - rate)) and the product in one pass; recorded as
    // the product by a constant, whose gradient is the upstream times the mask.
    let (output, mask) = Tensor.dropout(x.value, keep: 1 - rate, scale: 1 / (1 - rate), using: &generator)
    return Variable.record(output, .multiply, [x, Variable(mask, requiresGrad: false)])
}

/// Dropout drawing from the default generator (`RandomGenerator.global`).
public func dropout(_ x: Variable, rate: Float) -> Variable {
    dropout(x, rate: rate, using: &RandomGenerator.global)
}
