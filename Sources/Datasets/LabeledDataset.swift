import Foundation

/// Samples with integer class labels: MNIST, Fashion-MNIST and the synthetic sets.
///
/// `inputs` is (count, features): one sample per row, flattened. For images,
/// `sampleShape` is [rows, columns] (so `images(shaped:)` gives (count, 28, 28));
/// for 2-D points it is [2].
///
///     let train = try MNIST.load(split: .train)
///     train.inputs.shape       // [60000, 784], Floats in [0, 1]
///     train.labels[0]          // 5
///     let small = train.prefix(1000)
///     for batch in small.batches(size: 128, seed: 1) { ... }   // batch.x is (128, 784)
public struct LabeledDataset {
    /// Where the inputs live: a Float tensor, or bytes converted on demand (IDX images).
    enum Storage {
        case floats(Tensor)
        case bytes(ByteRows)
    }
    var storage: Storage

    /// inputs is (count, features), row-major Floats.
    ///
    /// MNIST and Fashion-MNIST keep their pixels as bytes (a quarter of the memory) and build
    /// this tensor on its first read, then keep it; `Sequential.fit(_:)` and `batch(rows:)`
    /// convert only the rows each mini-batch needs, so training need never build it.
    /// Assigning replaces the inputs with the given Floats: (count, featureCount), checked.
    public var inputs: Tensor {
        get {
            switch storage {
            case .floats(let tensor): return tensor
            case .bytes(let rows): return rows.materialized
            }
        }
        set {
            engineCheck(newValue.shape == [count, featureCount],
                        "LabeledDataset.inputs: new inputs of shape \(newValue.shape) for \(count) samples of \(featureCount) features; "
                            + "they must be (\(count), \(featureCount)) (build a new LabeledDataset for other samples)")
            storage = .floats(newValue)
        }
    }

    // The labels, class names and sample shape are checked together when set (they must agree
    // with each other and with the inputs: classCounts, oneHotLabels and the batches index by
    // them, unchecked, in the release engine).
    var storedLabels: [Int]
    var storedClassNames: [String]
    var storedSampleShape: [Int]

    /// One class index per sample, each in 0..<classNames.count. Setting checks both.
    public var labels: [Int] {
        get { storedLabels }
        set {
            engineCheck(newValue.count == storedLabels.count,
                        "LabeledDataset.labels: \(newValue.count) labels for \(storedLabels.count) samples; "
                            + "there must be one per sample (subset or prefix the dataset to change the samples)")
            Self.checkLabels(newValue, classCount: storedClassNames.count, "LabeledDataset.labels")
            storedLabels = newValue
        }
    }

    /// The name of each class, indexed by label. Setting checks that every label still names one.
    public var classNames: [String] {
        get { storedClassNames }
        set {
            Self.checkLabels(storedLabels, classCount: newValue.count, "LabeledDataset.classNames")
            storedClassNames = newValue
        }
    }

    /// The shape of one sample before flattening: [28, 28] for MNIST, [2] for points. Setting
    /// checks that it holds `featureCount` values.
    public var sampleShape: [Int] {
        get { storedSampleShape }
        set {
            Self.checkSampleShape(newValue, features: featureCount, "LabeledDataset.sampleShape")
            storedSampleShape = newValue
        }
    }

    /// Stops unless `inputs` is rank 2 with one row per label, each row holds `sampleShape`'s
    /// element count, and every label is in 0..<classNames.count (checked in release builds
    /// too, naming the first label that is not).
    public init(inputs: Tensor, labels: [Int], classNames: [String], sampleShape: [Int]? = nil) {
        engineCheck(inputs.rank == 2, "LabeledDataset: inputs must be (count, features), got shape \(inputs.shape)")
        self.init(storage: .floats(inputs), rows: inputs.shape[0], features: inputs.shape[1],
                  labels: labels, classNames: classNames, sampleShape: sampleShape)
    }

    /// Samples stored as bytes, one row of `featureCount` bytes per label, that become Floats
    /// as `normalize` says (pixel bytes, as MNIST's): `inputs` is built on first read, and
    /// mini-batches convert only their rows.
    ///
    /// Stops unless `bytes.count == labels.count * featureCount`, `sampleShape` holds
    /// `featureCount` values and every label is in 0..<classNames.count.
    public init(bytes: [UInt8], featureCount: Int, labels: [Int], classNames: [String], sampleShape: [Int]? = nil,
                normalize: PixelNormalization = .unitInterval) {
        let (expected, overflow) = labels.count.multipliedReportingOverflow(by: featureCount)
        engineCheck(featureCount >= 0 && !overflow && bytes.count == expected,
                    "LabeledDataset: \(bytes.count) bytes are not \(labels.count) rows of \(featureCount)")
        let rows = ByteRows(bytes: Data(bytes), start: 0, rows: labels.count, width: featureCount,
                            table: (0...255).map { normalize.value(of: UInt8($0)) })
        self.init(storage: .bytes(rows), rows: labels.count, features: featureCount,
                  labels: labels, classNames: classNames, sampleShape: sampleShape)
    }

    init(storage: Storage, rows: Int, features: Int, labels: [Int], classNames: [String], sampleShape: [Int]?) {
        engineCheck(rows == labels.count, "LabeledDataset: \(rows) input rows but \(labels.count) labels; there must be one label per row")
        let shape = sampleShape ?? [features]
        Self.checkSampleShape(shape, features: features, "LabeledDataset")
        Self.checkLabels(labels, classCount: classNames.count, "LabeledDataset")
        self.storage = storage
        self.storedLabels = labels
        self.storedClassNames = classNames
        self.storedSampleShape = shape
    }

    /// Stops naming the first label outside 0..<classCount.
    static func checkLabels(_ labels: [Int], classCount: Int, _ operation: String) {
        if let index = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            engineFailure("\(operation): label \(labels[index]) (sample \(index)) is outside 0..<\(classCount), "
                          + "the \(classCount) class names")
        }
    }

    /// Stops unless `shape` is a shape (no negative extent, no overflow) of `features` values.
    static func checkSampleShape(_ shape: [Int], features: Int, _ operation: String) {
        let count = checkedShapeCount(shape)
        engineCheck(count == features,
                    "\(operation): sampleShape \(shape) does not hold \(features) features"
                        + (count.map { " (it holds \($0))" } ?? " (negative or overflowing extents)"))
    }

    /// Whether the inputs are kept as bytes and have not been turned into a Float tensor yet
    /// (reading `inputs` builds and keeps it).
    public var inputsAreLazy: Bool {
        if case .bytes(let rows) = storage { return !rows.isMaterialized }
        return false
    }

    /// The number of samples.
    public var count: Int { labels.count }
    /// The number of features of one sample (784 for MNIST).
    public var featureCount: Int {
        switch storage {
        case .floats(let tensor): return tensor.shape[1]
        case .bytes(let rows): return rows.width
        }
    }
    /// The number of classes.
    public var classCount: Int { classNames.count }

    /// The inputs under the name images: (count, features), e.g. (60000, 784).
    public var images: Tensor { inputs }

    /// The inputs as (count, rows, columns) (generally (count,) + sampleShape).
    public var shapedImages: Tensor {
        Tensor(inputs.scalars, shape: [count] + sampleShape)
    }

    /// The labels as Floats, shape (count).
    public var labelsTensor: Tensor {
        Tensor(labels.map(Float.init), shape: [count])
    }

    /// The labels one-hot encoded, shape (count, classCount).
    public var oneHotLabels: Tensor {
        oneHot(labels, classCount: classCount)
    }

    /// How many samples each class has, indexed by label.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The first `n` samples (all of them if there are fewer), for quick tests and notebooks.
    public func prefix(_ n: Int) -> LabeledDataset {
        engineCheck(n >= 0, "LabeledDataset.prefix: n must be non-negative, got \(n)")
        let kept = min(n, count)
        var copy = self
        copy.storedLabels = Array(labels[0..<kept])
        switch storage {
        case .floats(let inputs):
            copy.storage = .floats(Tensor(Array(inputs.scalars[0..<(kept * featureCount)]), shape: [kept, featureCount]))
        case .bytes(let rows):
            copy.storage = .bytes(rows.prefix(kept))
        }
        return copy
    }

    /// The samples at `indices`, in that order (indices may repeat).
    public func subset(_ indices: [Int]) -> LabeledDataset {
        checkSampleIndices(indices, "LabeledDataset.subset")
        var copy = self
        switch storage {
        case .floats(let inputs): copy.storage = .floats(inputs.gathering(rows: indices))
        case .bytes(let rows): copy.storage = .bytes(rows.gathering(indices))
        }
        copy.storedLabels = indices.map { labels[$0] }
        return copy
    }

    /// Stops naming the first index outside 0..<count: the rows are then read without checks.
    func checkSampleIndices<Indices: Sequence>(_ indices: Indices, _ operation: String) where Indices.Element == Int {
        let count = count
        if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
            engineFailure("\(operation): sample index \(bad) is outside 0..<\(count)")
        }
    }

    /// Splits off a validation set.
    ///
    /// - Parameters:
    ///   - validationFraction: the share of samples for validation, in [0, 1];
    ///     the count is rounded to the nearest integer.
    ///   - shuffle: draw the validation samples at random (seeded) rather than
    ///     taking the last ones.
    ///   - seed: fixes the draw.
    /// - Returns: the two sets; together they hold every sample exactly once.
    public func split(validationFraction: Double, shuffle: Bool = true, seed: UInt64 = 0)
        -> (train: LabeledDataset, validation: LabeledDataset)
    {
        engineCheck((0...1).contains(validationFraction),
                    "LabeledDataset.split: validationFraction must be in [0, 1], got \(validationFraction)")
        let validationCount = Int((Double(count) * validationFraction).rounded())
        var order = Array(0..<count)
        if shuffle {
            var generator = SeededGenerator(seed: seed)
            order = generator.permutation(of: count)
        }
        let trainCount = count - validationCount
        return (subset(Array(order[0..<trainCount])), subset(Array(order[trainCount...])))
    }

    /// The inputs mapped by `normalization` (labels unchanged).
    ///
    /// Byte-backed inputs stay bytes under one global mean and deviation: the map is applied
    /// to the 256-entry table, which gives exactly the Floats `normalization.apply(inputs)` would.
    public func normalized(with normalization: Normalization) -> LabeledDataset {
        var copy = self
        if case .bytes(let rows) = storage, normalization.mean.count == 1, normalization.standardDeviation.count == 1 {
            copy.storage = .bytes(rows.mappingTable { normalization.apply(Tensor([$0])).scalars[0] })
        } else {
            copy.inputs = normalization.apply(inputs)
        }
        return copy
    }

    /// Shuffled mini-batches of (x: inputs, y: labels) for one epoch; see `MiniBatches`.
    ///
    /// - Parameters:
    ///   - size: samples per batch.
    ///   - shuffle: visit the samples in a seeded random order (else in order).
    ///   - seed: fixes the order; pass a different seed (or `epoch:`) per epoch.
    ///   - epoch: mixed into the seed so each epoch has its own order.
    ///   - dropLast: drop a final batch smaller than `size`.
    ///   - oneHot: y as (batch, classCount) one-hot rather than (batch) class indices.
    public func batches(size: Int, shuffle: Bool = true, seed: UInt64 = 0, epoch: Int = 0,
                        dropLast: Bool = false, oneHot: Bool = false) -> MiniBatches
    {
        MiniBatches(x: inputs, y: oneHot ? oneHotLabels : labelsTensor, batchSize: size,
                    shuffle: shuffle, seed: seed, epoch: epoch, dropLast: dropLast)
    }
}

extension LabeledDataset {
    /// Feeds `body`, in pieces, every byte that defines the dataset: its inputs as kept (the
    /// bytes and their conversion table, or the Floats), labels, class names and sample shape.
    /// The notebook cell cache hashes a dataset a cell reads this way, without building the
    /// 188 MB Float matrix of MNIST's byte-backed images.
    public func withContentBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        func feed<T>(_ values: [T]) {
            withUnsafeBytes(of: values.count) { body($0) }
            values.withUnsafeBytes { body($0) }
        }
        switch storage {
        case .floats(let tensor):
            withUnsafeBytes(of: UInt8(0)) { body($0) }
            feed(tensor.shape)
            tensor.withUnsafeBufferPointer { body(UnsafeRawBufferPointer($0)) }
        case .bytes(let rows):
            withUnsafeBytes(of: UInt8(1)) { body($0) }
            feed([rows.rows, rows.width])
            feed(rows.table)
            rows.bytes.withUnsafeBytes { all in
                body(UnsafeRawBufferPointer(rebasing: all[rows.start..<(rows.start + rows.rows * rows.width)]))
            }
        }
        feed(storedLabels)
        feed(storedSampleShape)
        for name in storedClassNames { feed(Array(name.utf8)) }
    }
}
