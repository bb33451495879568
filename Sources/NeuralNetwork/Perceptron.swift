/// Rosenblatt's perceptron (1958): a single neuron with a step activation, trained by the
/// perceptron learning rule rather than by gradient descent.
///
///     prediction  ŷ = 1 if w·x + b > 0, else 0
///     update      w ← w + η (y − ŷ) x,   b ← b + η (y − ŷ)      (only on mistakes)
///
/// On linearly separable data the rule converges in a finite number of updates (Novikoff,
/// 1962: at most (R/γ)² mistakes, R the largest |x|, γ the margin). On data that is not
/// separable, such as XOR, it never stops making mistakes.
///
///     var p = Perceptron(inputCount: 2)
///     let history = p.train(x: points, labels: labels, epochs: 20)
///     history.last!.mistakes   // 0 once converged
public struct Perceptron: Codable {
    public var weights: [Float]
    public var bias: Float
    public var learningRate: Float

    /// One pass over the data: the mistakes made during it, and the weights after it.
    public struct Epoch: Codable, Equatable {
        public var mistakes: Int
        public var weights: [Float]
        public var bias: Float
    }

    public init(inputCount: Int, learningRate: Float = 1) {
        engineCheck(inputCount >= 0, "Perceptron: inputCount \(inputCount) must not be negative")
        weights = Array(repeating: 0, count: inputCount)
        bias = 0
        self.learningRate = learningRate
    }

    /// w·x + b for one sample.
    public func activation(_ x: [Float]) -> Float {
        engineCheck(x.count == weights.count, "Perceptron: a sample has \(x.count) features, the perceptron \(weights.count)")
        var sum = bias
        for i in 0..<x.count { sum += weights[i] * x[i] }
        return sum
    }

    /// The predicted class (0 or 1) of each row of `x` (samples, features).
    public func predict(_ x: Tensor) -> [Int] {
        rows(of: x).map { activation($0) > 0 ? 1 : 0 }
    }

    /// Applies the perceptron rule for up to `epochs` passes over `x` (samples, features) with
    /// labels 0 or 1, in order, stopping after the first pass without a mistake.
    /// Returns one entry per pass.
    @discardableResult
    public mutating func train(x: Tensor, labels: [Int], epochs: Int) -> [Epoch] {
        let samples = rows(of: x)
        guard samples.count == labels.count else {
            fatalError("Perceptron.train: \(samples.count) samples but \(labels.count) labels")
        }
        // The rule compares labels with predictions of 0 or 1: a label of -1 (the ±1 convention)
        // would count as a mistake on every pass and the weights would drift without end.
        if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            fatalError("Perceptron.train: label \(labels[bad]) at sample \(bad); labels must be 0 or 1")
        }
        guard epochs >= 0 else { fatalError("Perceptron.train: epochs \(epochs) must not be negative") }
        var history: [Epoch] = []
        for _ in 0..<epochs {
            var mistakes = 0
            for (sample, label) in zip(samples, labels) {
                let predicted = activation(sample) > 0 ? 1 : 0
                let error = Float(label - predicted)
                if error != 0 {
                    mistakes += 1
                    for i in 0..<weights.count { weights[i] += learningRate * error * sample[i] }
                    bias += learningRate * error
                }
            }
            history.append(Epoch(mistakes: mistakes, weights: weights, bias: bias))
            if mistakes == 0 { break }
        }
        return history
    }

    private func rows(of x: Tensor) -> [[Float]] {
        guard x.rank == 2, x.shape[1] == weights.count else {
            fatalError("Perceptron: expected samples of shape (n, \(weights.count)), got \(x.shape)")
        }
        let values = x.scalars, width = x.shape[1]
        return (0..<x.shape[0]).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }
}
