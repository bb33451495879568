// Row and slice subscripts of a variable, recorded for differentiation (a slice and a reshape):
// the gradient of `v[i]` or `v[a..<b]` flows back into those rows of `v`, zeros elsewhere.

extension Variable {
    /// Row `index` along the first axis (`-1` is the last): shape `shape.dropFirst()`.
    public subscript(_ index: Int) -> Variable {
        if rank == 0 { engineFailure("Variable[\(index)]: a scalar has no rows") }
        let row = index < 0 ? index + shape[0] : index
        if row < 0 || row >= shape[0] { engineFailure("Variable[\(index)]: index \(index) out of range for axis 0 of shape \(shape)") }
        return slice(alongAxis: 0, range: row..<(row + 1)).reshaped(to: Array(shape.dropFirst()))
    }

    /// Rows `range` along the first axis (`v[a..<b]`, `v[..<n]`, `v[a...]`; negative bounds
    /// from the end).
    public subscript<Rows: RangeExpression>(_ range: Rows) -> Variable where Rows.Bound == Int {
        if rank == 0 { engineFailure("Variable[\(range)]: a scalar has no rows") }
        return slice(alongAxis: 0, range: firstAxisRange(range, extent: shape[0], shape: shape, "Variable[\(range)]"))
    }
}
