/// Standardisation x' = (x - mean) / std, with one mean and std for all features
/// or one per feature (column).
///
///     let normalization = Normalization.fit(train.inputs)            // one mean/std
///     let x = normalization.apply(test.inputs)                       // same statistics
///     Normalization.mnist.apply(train.inputs)                         // 0.1307, 0.3081
///
/// Fit on the training set only and apply the same statistics to validation and
/// test data, or the test data leaks into the model.
public struct Normalization: Equatable, Sendable {
    /// One value (global) or one per feature.
    public var mean: [Float]
    /// One value (global) or one per feature; never zero (see `fit`).
    public var standardDeviation: [Float]

    public init(mean: Float, standardDeviation: Float) {
        self.init(mean: [mean], standardDeviation: [standardDeviation])
    }

    /// Stops unless `mean` and `standardDeviation` have the same, non-zero count and every
    /// deviation is positive (`apply` checks it again, for statistics changed since).
    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
        checkStatistics("Normalization")
    }

    /// Stops naming `operation` when the statistics cannot normalise: counts that differ (the
    /// per-feature loop reads both by column, unchecked), none, or a deviation that is not positive.
    private func checkStatistics(_ operation: String) {
        engineCheck(mean.count == standardDeviation.count && !mean.isEmpty,
                    "\(operation): mean and standardDeviation need the same non-zero count, got \(mean.count) and \(standardDeviation.count)")
        if let bad = standardDeviation.firstIndex(where: { !($0 > 0) }) {
            engineFailure("\(operation): standardDeviation must be positive, got \(standardDeviation[bad]) at \(bad)")
        }
    }

    /// The usual MNIST statistics of pixels in [0, 1]: mean 0.1307, std 0.3081.
    public static let mnist = Normalization(mean: 0.1307, standardDeviation: 0.3081)

    /// The mean and (population) standard deviation of `x`, which is (count, features).
    ///
    /// - Parameters:
    ///   - perFeature: one statistic per column rather than one for all values.
    ///   - epsilon: floor on the standard deviation, so a constant feature (a
    ///     border pixel that is always 0) maps to 0 instead of dividing by zero.
    public static func fit(_ x: Tensor, perFeature: Bool = false, epsilon: Float = 1e-7) -> Normalization {
        engineCheck(x.rank == 2 && x.shape[0] > 0, "Normalization.fit: x must be (count, features) with count > 0, got \(x.shape)")
        let rows = x.shape[0], columns = x.shape[1]
        // Sums in Double: 47 million Float additions lose digits otherwise.
        if !perFeature {
            var sum = 0.0, sumOfSquares = 0.0
            for value in x.scalars { sum += Double(value); sumOfSquares += Double(value) * Double(value) }
            let n = Double(x.scalars.count)
            let mean = sum / n
            let variance = max(0, sumOfSquares / n - mean * mean)
            return Normalization(mean: Float(mean), standardDeviation: max(Float(variance.squareRoot()), epsilon))
        }
        var sums = [Double](repeating: 0, count: columns), squares = sums
        x.scalars.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                for column in 0..<columns {
                    let value = Double(values[row * columns + column])
                    sums[column] += value
                    squares[column] += value * value
                }
            }
        }
        let n = Double(rows)
        let means = sums.map { $0 / n }
        let deviations = zip(squares, means).map { square, mean in
            max(Float(max(0, square / n - mean * mean).squareRoot()), epsilon)
        }
        return Normalization(mean: means.map(Float.init), standardDeviation: deviations)
    }

    /// (x - mean) / std; `x` is (count, features) (or any shape when global).
    public func apply(_ x: Tensor) -> Tensor {
        map(x) { value, column in (value - mean[column]) / standardDeviation[column] }
    }

    /// The inverse, x * std + mean.
    public func invert(_ x: Tensor) -> Tensor {
        map(x) { value, column in value * standardDeviation[column] + mean[column] }
    }

    private func map(_ x: Tensor, _ transform: (Float, Int) -> Float) -> Tensor {
        checkStatistics("Normalization.apply")
        if mean.count == 1 {
            return Tensor(x.scalars.map { transform($0, 0) }, shape: x.shape)
        }
        let columns = x.shape.last ?? 0
        engineCheck(x.rank == 2 && columns == mean.count,
                    "Normalization: x must be (count, \(mean.count)) for per-feature statistics, got \(x.shape)")
        var scalars = x.scalars
        for index in scalars.indices {
            scalars[index] = transform(scalars[index], index % columns)
        }
        return Tensor(scalars, shape: x.shape)
    }
}

/// One-hot encoding: row i has a 1 in column labels[i] and 0 elsewhere.
///
///     oneHot([2, 0], classCount: 3)   // [[0, 0, 1], [1, 0, 0]], shape (2, 3)
///
/// Stops, naming the first label that is not, unless every label is in 0..<classCount.
public func oneHot(_ labels: [Int], classCount: Int) -> Tensor {
    engineCheck(classCount > 0, "oneHot: classCount must be positive, got \(classCount)")
    if let row = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
        engineFailure("oneHot: label \(labels[row]) (sample \(row)) is outside 0..<\(classCount)")
    }
    var result = Tensor.zeros([labels.count, classCount])   // checks the count for overflow
    result.withUnsafeMutableBufferPointer { scalars in
        for (row, label) in labels.enumerated() { scalars[row * classCount + label] = 1 }
    }
    return result
}
