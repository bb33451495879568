import Foundation

/// Classification metrics computed from predicted and true class indices.

/// The fraction of `predictions` equal to `labels`.
public func accuracy(predictions: [Int], labels: [Int]) -> Double {
    checkSameCount("accuracy", predictions.count, labels.count)
    if labels.isEmpty { return 0 }
    var correct = 0
    for i in labels.indices where predictions[i] == labels[i] { correct += 1 }
    return Double(correct) / Double(labels.count)
}

/// The index of the largest value in each row of a (batch, classes) tensor: the predicted classes
/// of a classifier's logits or probabilities.
public func predictedClasses(_ scores: Tensor) -> [Int] {
    guard scores.rank == 2 else { fatalError("predictedClasses: expected (batch, classes) scores, got shape \(scores.shape)") }
    let rows = scores.shape[0], columns = scores.shape[1]
    let values = scores.scalars
    var classes = [Int](repeating: 0, count: rows)
    values.withUnsafeBufferPointer { p in
        for r in 0..<rows {
            var best = 0
            var bestValue = -Float.infinity
            for c in 0..<columns where p[r * columns + c] > bestValue {
                bestValue = p[r * columns + c]
                best = c
            }
            classes[r] = best
        }
    }
    return classes
}

/// Counts of (true class, predicted class) pairs: `counts[t][p]` samples of class `t` were
/// predicted as `p`. Rows are true classes, as in scikit-learn.
public struct ConfusionMatrix: CustomStringConvertible, Equatable, Codable {
    public var counts: [[Int]]
    public var classCount: Int { counts.count }

    public init(predictions: [Int], labels: [Int], classCount: Int) {
        checkSameCount("ConfusionMatrix", predictions.count, labels.count)
        engineCheck(classCount >= 0, "ConfusionMatrix: classCount \(classCount) must not be negative")
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (p, t) in zip(predictions, labels) {
            guard (0..<classCount).contains(p), (0..<classCount).contains(t) else {
                fatalError("ConfusionMatrix: class \(max(p, t)) outside 0..<\(classCount)")
            }
            counts[t][p] += 1
        }
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var accuracy: Double {
        let correct = (0..<classCount).reduce(0) { $0 + counts[$1][$1] }
        return total == 0 ? 0 : Double(correct) / Double(total)
    }

    /// Of the samples predicted as each class, the fraction that truly are: tp / (tp + fp).
    /// 0 for a class never predicted.
    public var precision: [Double] {
        (0..<classCount).map { c in
            let predicted = (0..<classCount).reduce(0) { $0 + counts[$1][c] }
            return predicted == 0 ? 0 : Double(counts[c][c]) / Double(predicted)
        }
    }

    /// Of the samples of each class, the fraction predicted as it: tp / (tp + fn).
    /// 0 for a class with no samples.
    public var recall: [Double] {
        (0..<classCount).map { c in
            let actual = counts[c].reduce(0, +)
            return actual == 0 ? 0 : Double(counts[c][c]) / Double(actual)
        }
    }

    /// The counts as a (classes, classes) tensor, for a heatmap.
    public var tensor: Tensor { Tensor(counts.flatMap { $0.map(Float.init) }, shape: [classCount, classCount]) }

    /// A right-aligned table: rows are true classes, columns predictions.
    public var description: String {
        let width = max(String(counts.flatMap { $0 }.max() ?? 0).count, String(classCount - 1).count) + 1
        func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        var lines = ["true\\pred " + (0..<classCount).map { cell(String($0)) }.joined()]
        for t in 0..<classCount {
            lines.append(cell(String(t)).padding(toLength: 10, withPad: " ", startingAt: 0) + counts[t].map { cell(String($0)) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

func checkSameCount(_ operation: String, _ predictions: Int, _ labels: Int) {
    if predictions != labels {
        fatalError("\(operation): \(predictions) predictions but \(labels) labels")
    }
}

/// What `fit` and `evaluate` measure besides the loss (`compile(optimizer:loss:metrics:)`),
/// named in `History` and `Evaluation` by `name`, as in Keras: "accuracy", "mae", "mse".
public enum Metric: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The fraction of samples predicted right: the argmax of the outputs against the class
    /// index (`.crossEntropy`); outputs above 0.5 (`.binaryCrossEntropy`) or 0 (with logits)
    /// against targets above 0.5; the argmax of the outputs against the argmax of target rows
    /// (`.meanSquaredError`, `.klDivergence`, two or more classes).
    case accuracy
    /// The mean absolute difference between outputs and targets of the same shape.
    case meanAbsoluteError = "mae"
    /// The mean squared difference between outputs and targets of the same shape.
    case meanSquaredError = "mse"

    /// The name in `History` and `Evaluation`: "accuracy", "mae", "mse".
    public var name: String { rawValue }
    public var description: String { rawValue }
}

/// The metrics of a run of `fit` or `evaluate`, summed batch by batch.
struct MetricTotals {
    let metrics: [Metric]
    let loss: Loss
    /// Per metric: the sum over samples and the samples it was measured on.
    private var sums: [Double], hits: [Int], counted: [Int]

    init(_ metrics: [Metric], loss: Loss) {
        self.metrics = metrics
        self.loss = loss
        sums = Array(repeating: 0, count: metrics.count)
        hits = Array(repeating: 0, count: metrics.count)
        counted = Array(repeating: 0, count: metrics.count)
    }

    /// Adds a batch: its outputs and targets (batch first).
    mutating func add(_ output: Tensor, _ target: Tensor) {
        let samples = output.rank > 0 ? output.shape[0] : 0
        for (index, metric) in metrics.enumerated() {
            switch metric {
            case .accuracy:
                if let correct = MetricTotals.correctCount(output, target, loss: loss) {
                    hits[index] += correct
                    counted[index] += samples
                }
            case .meanAbsoluteError, .meanSquaredError:
                guard output.shape == target.shape, samples > 0 else { continue }
                let perSample = Double(output.count / samples)
                var total = 0.0
                output.withUnsafeBufferPointer { o in
                    target.withUnsafeBufferPointer { t in
                        for i in 0..<o.count {
                            let difference = Double(o[i] - t[i])
                            total += metric == .meanAbsoluteError ? Swift.abs(difference) : difference * difference
                        }
                    }
                }
                sums[index] += total / perSample
                counted[index] += samples
            }
        }
    }

    /// Each measured metric by name.
    var values: [String: Float] {
        var values: [String: Float] = [:]
        for (index, metric) in metrics.enumerated() where counted[index] > 0 {
            values[metric.name] = metric == .accuracy ? Float(hits[index]) / Float(counted[index])
                                                       : Float(sums[index] / Double(counted[index]))
        }
        return values
    }

    /// Correct predictions in a batch, when accuracy means something for this loss and target.
    static func correctCount(_ output: Tensor, _ target: Tensor, loss: Loss) -> Int? {
        switch loss {
        case .crossEntropy:
            // The argmax of each row (the first maximum, as `predictedClasses`) against the
            // class index, without building either array.
            guard output.rank == 2, output.shape[0] == target.count else {
                return zip(predictedClasses(output), classIndices(target)).filter { $0 == $1 }.count
            }
            let rows = output.shape[0], columns = output.shape[1]
            return output.withUnsafeBufferPointer { scores in
                target.withUnsafeBufferPointer { labels in
                    var hits = 0
                    for r in 0..<rows {
                        var best = 0, bestValue = -Float.infinity
                        for c in 0..<columns where scores[r * columns + c] > bestValue {
                            bestValue = scores[r * columns + c]
                            best = c
                        }
                        if best == Int(labels[r]) { hits += 1 }
                    }
                    return hits
                }
            }
        case .binaryCrossEntropy, .binaryCrossEntropyWithLogits:
            let threshold: Float = loss == .binaryCrossEntropy ? 0.5 : 0
            return zip(output.scalars, target.scalars).filter { ($0 > threshold) == ($1 > 0.5) }.count / max(output.count / output.shape[0], 1)
        case .meanSquaredError, .klDivergence:
            guard output.rank == 2, output.shape[1] > 1, target.shape == output.shape else { return nil }
            return zip(predictedClasses(output), predictedClasses(target)).filter { $0 == $1 }.count
        }
    }
}
