/// The mini-batches of one epoch: (x, y) pairs cut along the first axis, in a
/// seeded random order.
///
/// Each sample appears in exactly one batch per epoch (when `dropLast` is false).
/// The order depends only on (seed, epoch), so a run can be repeated exactly;
/// pass the epoch number so that each epoch sees a different order.
///
///     for epoch in 0..<5 {
///         for (x, y) in MiniBatches(x: images, y: labels, batchSize: 128, seed: 42, epoch: epoch) {
///             // x is (128, 784), y is (128) or (128, 10); the last batch may be smaller
///         }
///     }
public struct MiniBatches: Sequence {
    /// One batch: x is (batch,) + x.shape[1...], y is (batch,) + y.shape[1...].
    public typealias Element = (x: Tensor, y: Tensor)

    public let x: Tensor
    public let y: Tensor
    public let batchSize: Int
    public let dropLast: Bool
    /// The sample indices in visiting order.
    public let order: [Int]

    /// - Parameters:
    ///   - x: inputs, first axis is the sample.
    ///   - y: targets, first axis is the sample (same count as x).
    ///   - batchSize: samples per batch, positive.
    ///   - shuffle: visit samples in a random order drawn from `seed` and `epoch`.
    ///   - seed: fixes the order.
    ///   - epoch: mixed into the seed.
    ///   - dropLast: drop a final batch smaller than `batchSize`.
    public init(x: Tensor, y: Tensor, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0,
                epoch: Int = 0, dropLast: Bool = false)
    {
        // Each epoch's generator starts from a distinct, well-mixed seed.
        var seeder = SeededGenerator(seed: seed ^ (UInt64(truncatingIfNeeded: epoch) &* 0xD1B5_4A32_D192_ED03))
        var generator = SeededGenerator(seed: seeder.next())
        self.init(x: x, y: y, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast, using: &generator)
    }

    /// Batches whose order is drawn from `generator` (any `RandomNumberGenerator`,
    /// such as TensorCore's); the generator advances by one permutation.
    public init<G: RandomNumberGenerator>(x: Tensor, y: Tensor, batchSize: Int, shuffle: Bool = true,
                                          dropLast: Bool = false, using generator: inout G)
    {
        engineCheck(batchSize > 0, "MiniBatches: batchSize must be positive, got \(batchSize)")
        engineCheck(!x.shape.isEmpty && !y.shape.isEmpty && x.shape[0] == y.shape[0],
                    "MiniBatches: x and y need the same number of samples on axis 0, got \(x.shape) and \(y.shape)")
        self.x = x
        self.y = y
        self.batchSize = batchSize
        self.dropLast = dropLast
        let count = x.shape[0]
        order = shuffle ? generator.permutation(of: count) : Array(0..<count)
    }

    /// The number of samples.
    public var sampleCount: Int { order.count }

    /// The number of batches in the epoch.
    public var count: Int {
        dropLast ? sampleCount / batchSize : (sampleCount + batchSize - 1) / batchSize
    }

    public var underestimatedCount: Int { count }

    public func makeIterator() -> Iterator {
        Iterator(batches: self)
    }

    public struct Iterator: IteratorProtocol {
        let batches: MiniBatches
        var start = 0

        public mutating func next() -> Element? {
            let end = Swift.min(start + batches.batchSize, batches.sampleCount)
            guard end > start, !(batches.dropLast && end - start < batches.batchSize) else { return nil }
            let indices = Array(batches.order[start..<end])
            start = end
            return (batches.x.gathering(rows: indices), batches.y.gathering(rows: indices))
        }
    }
}
