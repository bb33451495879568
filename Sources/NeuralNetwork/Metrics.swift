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
