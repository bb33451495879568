/// Samples that a training loop reads a mini-batch at a time: `Sequential.fit(_:)` and
/// `evaluate(_:)` take any of them. A pair of tensors is one (`TensorSamples`); so is a
/// `LabeledDataset`, which converts only the rows of each batch (MNIST stays bytes).
///
/// It lives here, beside `Tensor`, so that the training loop (NeuralNetwork) and the datasets
/// (Datasets) both know it without depending on each other.
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
