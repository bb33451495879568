/// Samples that a training loop reads a mini-batch at a time: `Sequential.fit(_:)` and
/// `evaluate(_:)` take any of them. A pair of tensors is one (`TensorSamples`); so is a
/// `LabeledDataset`, which converts only the rows of each batch (MNIST stays bytes).
///
///     let batch = train.batch(rows: [3, 14, 15])   // x (3, 784) Floats, y (3) class indices
public protocol BatchSource {
    /// The number of samples.
    var sampleCount: Int { get }
    /// The samples at `rows`, in that order: x is (rows.count,) + one input's shape,
    /// y is (rows.count,) + one target's shape. Always new tensors.
    func batch<Rows: Collection>(rows: Rows) -> (x: Tensor, y: Tensor) where Rows.Element == Int
}

/// Inputs and targets held as two tensors whose first axis is the sample.
public struct TensorSamples: BatchSource {
    public var x: Tensor
    public var y: Tensor

    /// Stops unless x and y have at least one axis and the same extent on the first.
    public init(x: Tensor, y: Tensor) {
        engineCheck(x.rank >= 1 && y.rank >= 1 && x.shape[0] == y.shape[0],
                    "TensorSamples: x \(x.shape) and y \(y.shape) need the same number of samples on axis 0")
        self.x = x
        self.y = y
    }

    public var sampleCount: Int { x.shape[0] }

    public func batch<Rows: Collection>(rows: Rows) -> (x: Tensor, y: Tensor) where Rows.Element == Int {
        (x.gathering(rows: rows), y.gathering(rows: rows))
    }
}

extension LabeledDataset: BatchSource {
    public var sampleCount: Int { count }

    /// x is (rows.count, featureCount), converted from the bytes when the inputs are kept as
    /// bytes (bit-identical to the same rows of `inputs`); y holds the labels as Floats
    /// (rows of `labelsTensor`).
    public func batch<Rows: Collection>(rows: Rows) -> (x: Tensor, y: Tensor) where Rows.Element == Int {
        let indices = Array(rows)
        checkSampleIndices(indices, "LabeledDataset.batch")
        let n = indices.count, width = featureCount
        let x: Tensor
        switch storage {
        case .floats(let inputs):
            x = inputs.gathering(rows: indices)
        case .bytes(let bytes):
            let scalars = [Float](unsafeUninitializedCapacity: n * width) { buffer, initialized in
                if let base = buffer.baseAddress { indices.withUnsafeBufferPointer { bytes.floats(rows: $0, into: base) } }
                initialized = n * width
            }
            x = Tensor(scalars, shape: [n, width])
        }
        let y = labels.withUnsafeBufferPointer { labels in
            [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                for (i, row) in indices.enumerated() { buffer[i] = Float(labels[row]) }   // checked above
                initialized = n
            }
        }
        return (x, Tensor(y, shape: [n]))
    }
}
