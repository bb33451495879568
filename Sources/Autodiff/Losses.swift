// Losses and regularisers on variables. Only the softmax cross-entropy is a fused
// primitive (see Primitive.swift); the others are composites.

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
    let classes = logits.shape[1]
    var target = Tensor.zeros(logits.shape)
    for (row, label) in labels.enumerated() {
        if label < 0 || label >= classes { engineFailure("softmaxCrossEntropy: label \(label) out of range 0..<\(classes)") }
        target.scalars[row * classes + label] = 1
    }
    return softmaxCrossEntropy(logits: logits, probabilities: target)
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

/// Mean of (predicted - expected)^2 over all values.
public func meanSquaredError(predicted: Variable, expected: Tensor) -> Variable {
    if predicted.shape != expected.shape { shapeMismatch("meanSquaredError", predicted.shape, expected.shape) }
    let difference = predicted - expected
    return (difference * difference).mean()
}

/// Mean binary cross-entropy of sigmoid(logits) against 0/1 (or probability) labels, computed
/// stably from logits: max(z, 0) - z * t + log(1 + e^-|z|).
public func sigmoidCrossEntropy(logits: Variable, labels: Tensor) -> Variable {
    if logits.shape != labels.shape { shapeMismatch("sigmoidCrossEntropy", logits.shape, labels.shape) }
    return (relu(logits) - logits * labels + log(exp(-abs(logits)) + 1)).mean()
}

/// Inverted dropout: zeroes each value with probability `rate` and scales the rest by
/// 1 / (1 - rate), so the expectation is unchanged; a multiplication by a constant mask.
public func dropout(_ x: Variable, rate: Float, using generator: inout RandomGenerator) -> Variable {
    if rate < 0 || rate >= 1 { engineFailure("dropout: rate \(rate) must be in [0, 1)") }
    if rate == 0 { return x }
    let mask = Tensor.randomBernoulli(shape: x.shape, probability: 1 - rate, using: &generator) * (1 / (1 - rate))
    return x * mask
}

/// Dropout drawing from the default generator (`RandomGenerator.global`).
public func dropout(_ x: Variable, rate: Float) -> Variable {
    dropout(x, rate: rate, using: &RandomGenerator.global)
}
