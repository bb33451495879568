import Foundation

/// Small seeded data sets for the small notebooks: XOR, two moons, spirals,
/// Gaussian blobs and linearly separable points.
///
/// Each returns a `LabeledDataset` whose inputs are (count, 2) (blobs: (count,
/// dimensions)) and whose samples are shuffled (so a prefix holds every class);
/// the same seed gives the same set, bit for bit.
///
///     let moons = SyntheticData.twoMoons(count: 200, noise: 0.1, seed: 1)
///     moons.inputs.shape   // [200, 2]; labels 0 (upper moon) and 1 (lower moon)
public enum SyntheticData {
    /// The four XOR points (0,0) (0,1) (1,0) (1,1) with labels 0 1 1 0, in that order.
    public static func xor() -> LabeledDataset {
        LabeledDataset(inputs: Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2]),
                       labels: [0, 1, 1, 0], classNames: ["0", "1"])
    }

    /// A noisy XOR: `count` points scattered around the four XOR corners (Gaussian
    /// noise of standard deviation `noise`), labelled by the corner's XOR.
    public static func xorCloud(count: Int, noise: Float = 0.15, seed: UInt64 = 0) -> LabeledDataset {
        engineCheck(count > 0 && noise >= 0, "xorCloud: count must be positive and noise non-negative, got count \(count), noise \(noise)")
        var generator = SeededGenerator(seed: seed)
        var points: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let a = (i % 4) >> 1, b = i % 2         // corners in turn, so classes balance
            points += [Float(a) + noise * generator.nextNormal(), Float(b) + noise * generator.nextNormal()]
            labels.append(a ^ b)
        }
        return shuffled(points: points, dimensions: 2, labels: labels, classNames: ["0", "1"], using: &generator)
    }

    /// Two interleaving half circles (as scikit-learn's `make_moons`): class 0 is the
    /// upper moon (cos t, sin t), class 1 the lower (1 - cos t, 0.5 - sin t), t in
    /// [0, pi] evenly spaced, plus Gaussian noise of standard deviation `noise`.
    public static func twoMoons(count: Int, noise: Float = 0.1, seed: UInt64 = 0) -> LabeledDataset {
        engineCheck(count >= 2 && noise >= 0, "twoMoons: count must be at least 2 and noise non-negative, got count \(count), noise \(noise)")
        var generator = SeededGenerator(seed: seed)
        let upper = (count + 1) / 2, lower = count - upper
        var points: [Float] = [], labels: [Int] = []
        for (label, n) in [(0, upper), (1, lower)] {
            for i in 0..<n {
                let t = Float.pi * Float(i) / Float(max(n - 1, 1))
                let (x, y) = label == 0 ? (cos(t), sin(t)) : (1 - cos(t), 0.5 - sin(t))
                points += [x + noise * generator.nextNormal(), y + noise * generator.nextNormal()]
                labels.append(label)
            }
        }
        return shuffled(points: points, dimensions: 2, labels: labels, classNames: ["0", "1"], using: &generator)
    }

    /// K interleaved spiral arms (the CS231n spiral): for class k, radius r runs
    /// evenly over [0, 1] and the angle t over [a k, a (k+1)] with a = 12 / K (4
    /// radians for three classes, as CS231n), plus Gaussian noise of standard
    /// deviation `noise`; the point is (r sin t, r cos t).
    public static func spirals(countPerClass: Int, classes: Int = 3, noise: Float = 0.2,
                               seed: UInt64 = 0) -> LabeledDataset
    {
        engineCheck(countPerClass >= 2 && classes >= 2, "spirals: need at least 2 points per class and 2 classes, got countPerClass \(countPerClass), classes \(classes)")
        var generator = SeededGenerator(seed: seed)
        var points: [Float] = [], labels: [Int] = []
        let armLength = 12 / Float(classes)
        for k in 0..<classes {
            for i in 0..<countPerClass {
                let r = Float(i) / Float(countPerClass - 1)
                let t = armLength * (Float(k) + r) + noise * generator.nextNormal()
                points += [r * sin(t), r * cos(t)]
                labels.append(k)
            }
        }
        return shuffled(points: points, dimensions: 2, labels: labels,
                        classNames: (0..<classes).map(String.init), using: &generator)
    }

    /// Gaussian blobs around the given centres (one class per centre), each
    /// coordinate with standard deviation `standardDeviation`.
    public static func blobs(countPerClass: Int, centers: [[Float]], standardDeviation: Float = 1,
                             seed: UInt64 = 0) -> LabeledDataset
    {
        engineCheck(countPerClass > 0 && !centers.isEmpty, "blobs: need points and at least one centre, got countPerClass \(countPerClass), \(centers.count) centres")
        let dimensions = centers[0].count
        engineCheck(dimensions > 0 && centers.allSatisfy { $0.count == dimensions }, "blobs: centres must share a positive dimension, got dimensions \(centers.map(\.count))")
        var generator = SeededGenerator(seed: seed)
        var points: [Float] = [], labels: [Int] = []
        for (k, center) in centers.enumerated() {
            for _ in 0..<countPerClass {
                for coordinate in center { points.append(coordinate + standardDeviation * generator.nextNormal()) }
                labels.append(k)
            }
        }
        return shuffled(points: points, dimensions: dimensions, labels: labels,
                        classNames: centers.indices.map(String.init), using: &generator)
    }

    /// Gaussian blobs around `classes` centres drawn uniformly in [-10, 10] per
    /// coordinate (as scikit-learn's `make_blobs`).
    public static func blobs(countPerClass: Int, classes: Int = 3, dimensions: Int = 2,
                             standardDeviation: Float = 1, seed: UInt64 = 0) -> LabeledDataset
    {
        engineCheck(classes > 0 && dimensions > 0, "blobs: classes and dimensions must be positive, got classes \(classes), dimensions \(dimensions)")
        var generator = SeededGenerator(seed: seed)
        let centers = (0..<classes).map { _ in (0..<dimensions).map { _ in generator.nextUniform(in: -10, 10) } }
        return blobs(countPerClass: countPerClass, centers: centers, standardDeviation: standardDeviation,
                     seed: generator.next())
    }

    /// Points uniform in [-1, 1]^2, labelled 1 where w . x + b > 0 and 0 elsewhere,
    /// keeping only points at least `margin` from the line w . x + b = 0; the
    /// perceptron's convergence theorem (Novikoff, 1962) needs such a margin.
    ///
    /// - Parameters:
    ///   - weights: the line's normal (w1, w2), non-zero.
    ///   - bias: b.
    ///   - margin: the smallest distance from a point to the line, in [0, 0.5).
    public static func linearlySeparable(count: Int, margin: Float = 0.1, weights: [Float] = [1, -1],
                                         bias: Float = 0.1, seed: UInt64 = 0) -> LabeledDataset
    {
        engineCheck(count > 0, "linearlySeparable: count must be positive, got \(count)")
        engineCheck(weights.count == 2 && (weights[0] != 0 || weights[1] != 0), "linearlySeparable: weights must be 2 numbers, not both zero, got \(weights)")
        engineCheck(margin >= 0 && margin < 0.5, "linearlySeparable: margin must be in [0, 0.5), got \(margin)")
        var generator = SeededGenerator(seed: seed)
        let norm = (weights[0] * weights[0] + weights[1] * weights[1]).squareRoot()
        var points: [Float] = [], labels: [Int] = []
        points.reserveCapacity(2 * count)
        while labels.count < count {   // rejection sampling; the strip never fills the square
            let x = generator.nextUniform(in: -1, 1), y = generator.nextUniform(in: -1, 1)
            let signedDistance = (weights[0] * x + weights[1] * y + bias) / norm
            guard abs(signedDistance) >= margin, signedDistance != 0 else { continue }
            points += [x, y]
            labels.append(signedDistance > 0 ? 1 : 0)
        }
        return LabeledDataset(inputs: Tensor(points, shape: [count, 2]), labels: labels, classNames: ["0", "1"])
    }

    /// A dataset of the points in a seeded random order.
    private static func shuffled<G: RandomNumberGenerator>(points: [Float], dimensions: Int, labels: [Int],
                                                           classNames: [String], using generator: inout G) -> LabeledDataset
    {
        let dataset = LabeledDataset(inputs: Tensor(points, shape: [labels.count, dimensions]),
                                     labels: labels, classNames: classNames)
        return dataset.subset(generator.permutation(of: labels.count))
    }
}
