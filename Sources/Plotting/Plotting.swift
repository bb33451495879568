// Plotting: figures drawn to PNG with libgd and FreeType.
//
// A `Figure` is a value: each chainable method returns a modified copy, and nothing is
// drawn until `pngData()`.
//
// Files, by stage: Figure*.swift (the public, chainable API: lines and scatter, bars and
// histograms, images/heatmaps/confusion matrices, decision regions) record Series values;
// AxesRenderer*.swift and ImageGridRenderer.swift lay them out (AxisView, Ticks, Scale) and
// paint them on a Canvas (libgd image + FreeType text), whose shapes go through the
// CoverageRasterizer (exact-area anti-aliasing); FigureGrid puts several figures in one PNG. Data problems (empty series, mismatched lengths, bad shapes)
// are recorded when a series is added and thrown from `pngData()`, so a notebook cell can
// write `Figure(title: "Loss").line(losses)` without `try` and still see a clear error.
@_exported import TensorCore

/// A value the notebook kernel can show as an inline PNG image.
public protocol PNGRepresentable {
    /// The image encoded as PNG bytes.
    func pngData() throws -> [UInt8]
}

/// A problem with the data given to a figure, or with drawing it.
public struct PlotError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, in one sentence that names the plotting call: "line: x has 10 values, y has 9".
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    static func emptyData(_ call: String) -> PlotError {
        PlotError("\(call): no data (the series is empty)")
    }

    static func mismatchedLengths(_ call: String, _ first: String, _ firstCount: Int,
                                  _ second: String, _ secondCount: Int) -> PlotError {
        PlotError("\(call): \(first) has \(firstCount) value\(firstCount == 1 ? "" : "s"), \(second) has \(secondCount)")
    }
}
