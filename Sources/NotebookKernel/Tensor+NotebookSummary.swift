import Foundation

extension Tensor {
    /// What a notebook shows for a tensor: shape, dtype, min/mean/max and a preview.
    ///
    ///     Tensor shape [2, 3], Float32, min -1, mean 0.5, max 2
    ///     [[ 1, -1, 0.5],
    ///      [ 2,  0, 0.5]]
    public var notebookSummary: String {
        let values = scalars
        var header = "Tensor shape \(shape), Float32"
        if !values.isEmpty {
            var low = values[0], high = values[0], sum: Double = 0
            for value in values {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
                sum += Double(value)
            }
            header += ", min \(Self.format(low)), mean \(Self.format(Float(sum / Double(values.count)))), max \(Self.format(high))"
        }
        return header + "\n" + preview(maxPerAxis: 6)
    }

    /// Nested brackets, eliding the middle of any axis longer than `maxPerAxis`.
    func preview(maxPerAxis: Int) -> String {
        let values = scalars
        if shape.isEmpty { return values.first.map(Self.format) ?? "[]" }
        if values.isEmpty { return "[]" }
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        func indices(_ count: Int) -> [Int?] {
            if count <= maxPerAxis { return Array(0..<count) }
            let half = maxPerAxis / 2
            return Array(0..<half) + [nil] + Array((count - half)..<count)
        }
        func render(axis: Int, offset: Int) -> String {
            if axis == shape.count - 1 {
                let items = indices(shape[axis]).map { $0.map { Self.format(values[offset + $0]) } ?? "..." }
                return "[" + items.joined(separator: ", ") + "]"
            }
            let items = indices(shape[axis]).map { index -> String in
                guard let index else { return "..." }
                return render(axis: axis + 1, offset: offset + index * strides[axis])
            }
            let gap = axis == shape.count - 2 ? "\n" : "\n\n"
            return "[" + items.joined(separator: "," + gap + String(repeating: " ", count: axis + 1)) + "]"
        }
        return render(axis: 0, offset: 0)
    }

    static func format(_ value: Float) -> String {
        if value == value.rounded(), abs(value) < 1e7 { return String(Int(value)) }
        return String(format: "%.4g", Double(value))
    }
}
