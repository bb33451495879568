import TensorCore

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
