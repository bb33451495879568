/// A number or a nested array of numbers that `Tensor(_:)` takes: `Float`, `Double` and `Int`
/// (converted to Float), and arrays of them to any depth, each level one axis.
///
///     Tensor(labels)                        // [Int] -> shape [count]
///     Tensor([[0.5, 1.5], [2.5, 3.5]])      // literals: [[Float]]
///     Tensor(images)                        // [[[Float]]] -> shape [count, 28, 28]
///     Tensor(3.0)                           // a scalar, shape []
///
/// Rows of one level must all have the same shape: a ragged array stops the program, naming
/// the first row that differs.
public protocol ConvertibleToTensor {
    /// The shape of the value: `[]` for a number, `[count] + the first element's shape` for an array.
    var tensorShape: [Int] { get }
    /// Appends the values in row-major order, stopping when a row's shape is not `shape`
    /// (the shape the first row gave); `position` names the row in the message.
    func appendTensorScalars(to scalars: inout [Float], shape: ArraySlice<Int>, position: String)
}

extension Float: ConvertibleToTensor {
    public var tensorShape: [Int] { [] }
    public func appendTensorScalars(to scalars: inout [Float], shape: ArraySlice<Int>, position: String) { scalars.append(self) }
}

extension Double: ConvertibleToTensor {
    public var tensorShape: [Int] { [] }
    public func appendTensorScalars(to scalars: inout [Float], shape: ArraySlice<Int>, position: String) { scalars.append(Float(self)) }
}

extension Int: ConvertibleToTensor {
    public var tensorShape: [Int] { [] }
    public func appendTensorScalars(to scalars: inout [Float], shape: ArraySlice<Int>, position: String) { scalars.append(Float(self)) }
}

extension Array: ConvertibleToTensor where Element: ConvertibleToTensor {
    public var tensorShape: [Int] { [count] + (first?.tensorShape ?? []) }

    public func appendTensorScalars(to scalars: inout [Float], shape: ArraySlice<Int>, position: String) {
        if shape.first != count {
            engineFailure("Tensor(_:): \(position.isEmpty ? "the array" : "row \(position)") has \(count) entries, "
                          + "row \(String(repeating: "0, ", count: position.split(separator: ",").count - 1) + "0") has \(shape.first ?? 0): "
                          + "every row of a level must have the same length")
        }
        let inner = shape.dropFirst()
        for (index, element) in enumerated() {
            element.appendTensorScalars(to: &scalars, shape: inner, position: position.isEmpty ? "\(index)" : "\(position), \(index)")
        }
    }
}

extension Tensor {
    /// A tensor from a number or nested arrays of numbers (`[Int]` labels, `[Double]` values,
    /// `[[[Float]]]` images): each level of nesting is one axis, numbers become Floats.
    public init<Values: ConvertibleToTensor>(_ values: Values) {
        let shape = values.tensorShape
        var scalars: [Float] = []
        scalars.reserveCapacity(shapeCount(shape, "Tensor(_:)"))
        values.appendTensorScalars(to: &scalars, shape: shape[...], position: "")
        self.init(scalars, shape: shape)
    }
}
