// Row and slice subscripts along the first axis, as NumPy and PyTorch spell them: `x[i]` is
// row i (a tensor of one rank less), `x[a..<b]` rows a to b-1. Negative positions count from
// the end. With one index per axis, `x[i, j]` is still a value (a `Float`), and so is `x[i]`
// of a rank-1 tensor wherever a `Float` is expected (`let v: Float = x[i]`).

extension Tensor {
    /// Row `index` along the first axis (`-1` is the last): shape `shape.dropFirst()`.
    /// For a (60000, 784) batch of images, `images[0]` is the first image, shape (784).
    public subscript(_ index: Int) -> Tensor {
        get {
            let (row, size) = rowPosition(index, "Tensor[\(index)]")
            return withUnsafeBufferPointer { values in
                Tensor(unchecked: Array(values[(row * size)..<((row + 1) * size)]), shape: Array(shape.dropFirst()))
            }
        }
        set {
            let (row, size) = rowPosition(index, "Tensor[\(index)] = ")
            if newValue.shape != Array(shape.dropFirst()) {
                shapeMismatch("Tensor[\(index)] = ", newValue.shape, Array(shape.dropFirst()), "differ (the new row vs a row)")
            }
            newValue.withUnsafeBufferPointer { source in
                withUnsafeMutableBufferPointer { values in
                    for i in 0..<size { values[row * size + i] = source[i] }
                }
            }
        }
    }

    /// Rows `range` along the first axis: `x[10..<20]`, `x[..<100]`, `x[50...]`; negative
    /// bounds count from the end (`x[(-10)...]`, the last ten rows). Shape (count,) + the rest.
    public subscript<Rows: RangeExpression>(_ range: Rows) -> Tensor where Rows.Bound == Int {
        get { slice(alongAxis: 0, range: rowRange(range, "Tensor[\(range)]")) }
        set {
            let rows = rowRange(range, "Tensor[\(range)] = ")
            let expected = [rows.count] + shape.dropFirst()
            if newValue.shape != expected { shapeMismatch("Tensor[\(range)] = ", newValue.shape, expected, "differ (the new rows vs the rows)") }
            let size = count / Swift.max(shape[0], 1)
            newValue.withUnsafeBufferPointer { source in
                withUnsafeMutableBufferPointer { values in
                    for i in 0..<source.count { values[rows.lowerBound * size + i] = source[i] }
                }
            }
        }
    }

    /// The row `index` stands for (negative from the end), checked, and the values in a row.
    private func rowPosition(_ index: Int, _ operation: String) -> (row: Int, size: Int) {
        if rank == 0 { engineFailure("\(operation): a scalar tensor has no rows") }
        let row = index < 0 ? index + shape[0] : index
        if row < 0 || row >= shape[0] { engineFailure("\(operation): index \(index) out of range for axis 0 of shape \(shape)") }
        return (row, count / shape[0])
    }
}

extension Tensor {
    /// `range` as rows of the first axis (negative bounds from the end), checked.
    func rowRange<Rows: RangeExpression>(_ range: Rows, _ operation: String) -> Range<Int> where Rows.Bound == Int {
        if rank == 0 { engineFailure("\(operation): a scalar tensor has no rows") }
        return firstAxisRange(range, extent: shape[0], shape: shape, operation)
    }
}

/// `range` as positions in 0..<extent, negative bounds counting from the end; stops naming
/// `operation` and `shape` when it does not fit. (Also the rule of `Variable`'s subscripts.)
package func firstAxisRange<Rows: RangeExpression>(_ range: Rows, extent: Int, shape: [Int], _ operation: String) -> Range<Int>
    where Rows.Bound == Int {
    func fromEnd(_ bound: Int) -> Int { bound < 0 ? bound + extent : bound }
    let lower: Int, upper: Int
    if let closed = range as? ClosedRange<Int> {
        // A closed range's upper bound is a row too: `x[(-3)...(-1)]` is the last three rows.
        (lower, upper) = (fromEnd(closed.lowerBound), fromEnd(closed.upperBound) + 1)
    } else if let through = range as? PartialRangeThrough<Int> {
        (lower, upper) = (0, fromEnd(through.upperBound) + 1)
    } else {
        // The bounds as written: `relative(to:)` of a huge collection keeps them, and tells a
        // missing bound (`x[5...]`, `x[..<5]`) by the collection's own.
        let written = range.relative(to: Int.min / 2..<Int.max / 2)
        lower = written.lowerBound == Int.min / 2 ? 0 : fromEnd(written.lowerBound)
        upper = written.upperBound == Int.max / 2 ? extent : fromEnd(written.upperBound)
    }
    if lower < 0 || upper > extent || lower > upper {
        engineFailure("\(operation): rows \(range) out of range for axis 0 of shape \(shape)")
    }
    return lower..<upper
}
