/// A dense, row-major tensor of `Float` values.
///
/// Storage is a Swift array, so copies are copy-on-write.
public struct Tensor {
    /// The extent of each axis; `[]` for a scalar.
    public var shape: [Int]
    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Float]

    public init(_ scalars: [Float], shape: [Int]) {
        let count = shape.reduce(1, *)
        if scalars.count != count {
            fatalError("Tensor(_:shape:): \(scalars.count) values do not fill shape \(shape) (\(count) values)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A rank-2 tensor from rows of equal length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    public var rank: Int { shape.count }
    public var count: Int { scalars.count }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Float(count - 1)
        return Tensor((0..<count).map { start + Float($0) * step })
    }
}
