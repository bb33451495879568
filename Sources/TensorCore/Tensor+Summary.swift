import Foundation

// How a tensor is written as text: `description` (print, string interpolation) and `summary`
// (what a notebook shows for a cell's last value) share the statistics, the nested rendering
// and the number format below, so they agree on every value, NaN and infinities included.

extension Tensor {
    /// Summary statistics of the values. NaNs are counted apart: the minimum and maximum are
    /// over the other values, and the mean is NaN when any value is.
    public struct Statistics: Equatable, Sendable {
        /// The number of values.
        public var count: Int
        /// How many of them are NaN.
        public var nanCount: Int
        /// The smallest value that is not NaN; nil when there is none.
        public var minimum: Float?
        /// The largest value that is not NaN; nil when there is none.
        public var maximum: Float?
        /// The mean (computed in Double); NaN when a value is NaN or there are none.
        public var mean: Float
    }

    /// The count, NaN count, minimum, maximum and mean of the values, in one pass.
    public var statistics: Statistics {
        var minimum = Float.infinity, maximum = -Float.infinity, total = 0.0, nans = 0
        withUnsafeBufferPointer { values in
            for value in values {
                if value.isNaN { nans += 1; continue }
                minimum = Swift.min(minimum, value)
                maximum = Swift.max(maximum, value)
                total += Double(value)
            }
        }
        let numbers = count - nans
        return Statistics(count: count, nanCount: nans, minimum: numbers > 0 ? minimum : nil, maximum: numbers > 0 ? maximum : nil,
                          mean: nans > 0 || count == 0 ? .nan : Float(total / Double(count)))
    }

    /// The values nested by axis in brackets (rows on their own lines, blank lines between
    /// matrices). An axis longer than `maxPerAxis` shows its first and last `maxPerAxis / 2`
    /// entries with "..." between. Each value is written by `formatValue(_:significantDigits:)`.
    public func formattedValues(maxPerAxis: Int = .max, significantDigits: Int = 6) -> String {
        if rank == 0 { return scalars.first.map { formatValue($0, significantDigits: significantDigits) } ?? "[]" }
        if count == 0 { return "[]" }
        let strides = self.strides
        func indices(_ extent: Int) -> [Int?] {
            if extent <= maxPerAxis { return Array(0..<extent) }
            let half = maxPerAxis / 2
            return Array(0..<half) + [nil] + Array((extent - half)..<extent)
        }
        func render(axis: Int, offset: Int) -> String {
            if axis == rank - 1 {
                let items = indices(shape[axis]).map { index in
                    index.map { formatValue(scalars[offset + $0], significantDigits: significantDigits) } ?? "..."
                }
                return "[" + items.joined(separator: ", ") + "]"
            }
            let items = indices(shape[axis]).map { index -> String in
                guard let index else { return "..." }
                return render(axis: axis + 1, offset: offset + index * strides[axis])
            }
            let gap = axis == rank - 2 ? "\n" : "\n\n"
            return "[" + items.joined(separator: "," + gap + String(repeating: " ", count: axis + 1)) + "]"
        }
        return render(axis: 0, offset: 0)
    }

    /// What a notebook shows for a tensor: shape, element type, statistics and the values, long
    /// axes elided (six entries at most per axis, four significant digits).
    ///
    ///     Tensor shape [2, 3], Float32, min -1, mean 0.5, max 2
    ///     [[1, -1, 0.5],
    ///      [2, 0, 0.5]]
    ///
    /// A scalar (shape `[]`) shows as its value alone: `2.5`.
    public var summary: String {
        // A scalar (a loss, a sum) is a number, shown as one.
        if rank == 0 { return formatValue(scalars[0]) }
        var header = "Tensor shape \(shape), Float32"
        if count > 0 {
            let statistics = self.statistics
            var parts: [String] = []
            if statistics.nanCount > 0 { parts.append("\(statistics.nanCount) NaN") }
            if let minimum = statistics.minimum { parts.append("min \(formatValue(minimum, significantDigits: 4))") }
            parts.append("mean \(formatValue(statistics.mean, significantDigits: 4))")
            if let maximum = statistics.maximum { parts.append("max \(formatValue(maximum, significantDigits: 4))") }
            header += ", " + parts.joined(separator: ", ")
        }
        return header + "\n" + formattedValues(maxPerAxis: 6, significantDigits: 4)
    }
}

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
    /// The shape, then the values nested by axis when there are at most 100 of them,
    /// else the first values and the statistics (NaNs counted; min and max over the other values).
    /// A scalar (shape `[]`, a loss or a sum) is its value alone, as a number prints: `2.5`.
    public var description: String {
        if rank == 0 { return formatValue(scalars[0]) }
        // Empty: no nested brackets, one per row of a (100000, 0) tensor would be 100000 lines.
        if count == 0 { return "Tensor\(shape) []" }
        if count <= 100 { return "Tensor\(shape) " + formattedValues() }
        let head = scalars.prefix(6).map { formatValue($0) }.joined(separator: ", ")
        let statistics = self.statistics
        var parts = ["\(count) values"]
        if statistics.nanCount > 0 { parts.append("\(statistics.nanCount) NaN") }
        if let minimum = statistics.minimum, let maximum = statistics.maximum {
            parts += ["min \(formatValue(minimum))", "max \(formatValue(maximum))"]
        }
        parts.append("mean \(formatValue(statistics.mean))")
        return "Tensor\(shape) [\(head), ...] (\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
}

/// Short, exact-enough text for one value: integers without a fraction, others to
/// `significantDigits` significant digits; "nan", "inf" and "-inf" for the others.
func formatValue(_ value: Float, significantDigits: Int = 6) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    if value == value.rounded(), Swift.abs(value) < 1e7 { return String(Int(value)) }
    var text = String(format: "%.\(significantDigits)g", Double(value))
    if text.contains("e") { return text }
    while text.contains("."), text.hasSuffix("0") { text.removeLast() }
    return text
}
