/// One drawable series of an axes figure, in data units (Double; non-finite values are kept
/// here and skipped when drawing, so they can be counted in the figure's note). Readable outside
/// Plotting (the notebook kernel sends a figure's data beside its PNG), changed only by `Figure`'s calls.
public enum Series {
    case line(LineSeries)
    case scatter(ScatterSeries)
    case bars(BarSeries)

    public var label: String? {
        switch self {
        case .line(let s): return s.label
        case .scatter(let s): return s.label
        case .bars(let s): return s.label
        }
    }
}

public struct LineSeries {
    public internal(set) var x: [Double]
    public internal(set) var y: [Double]
    public internal(set) var label: String?
    var color: Color?
    var width: Double
    var marker: Marker?
    var dashed: Bool
}

public struct ScatterSeries {
    public internal(set) var x: [Double]
    public internal(set) var y: [Double]
    /// Class of each point (colours from tab10), or nil for one colour.
    public internal(set) var classes: [Int]?
    var classNames: [String]?
    public internal(set) var label: String?
    var color: Color?
    var size: Double
    var marker: Marker
    var alpha: Double
}

public struct BarSeries {
    public enum Kind: Sendable { case histogram, categories }
    public internal(set) var kind: Kind
    /// Left and right edges and heights of each bar (histograms), or category positions.
    public internal(set) var lefts: [Double]
    public internal(set) var rights: [Double]
    public internal(set) var heights: [Double]
    public internal(set) var categoryLabels: [String]?
    public internal(set) var label: String?
    var color: Color?
    /// nil: 1, or 0.6 when the figure overlays several histograms.
    var alpha: Double?
    /// Values that were not finite (histograms count them before binning).
    var skipped: Int
}

/// A matrix drawn as coloured cells (`heatmap`, `confusionMatrix`).
public struct HeatmapSpec {
    public internal(set) var values: [Double]  // (rows, columns), row-major
    public internal(set) var rows: Int
    public internal(set) var columns: Int
    public internal(set) var rowLabels: [String]?
    public internal(set) var columnLabels: [String]?
    var colormap: Colormap
    var showValues: Bool?
    var colorBar: Bool
    var range: ClosedRange<Double>?
    var integerValues: Bool
}

/// Class regions of a 2-D classifier sampled on a grid (`decisionBoundary`).
public struct RegionSpec {
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    /// Grid nodes per axis; node (i, j) is at x = lower + i * width / (nx - 1).
    public internal(set) var nx: Int
    public internal(set) var ny: Int
    public internal(set) var classCount: Int
    /// scores (ny, nx, classCount), row j = y index from yRange.lowerBound: one-hot class
    /// indicators or class probabilities. Bilinear interpolation of these and an argmax per
    /// pixel gives smooth boundaries (the same idea as marching squares).
    public internal(set) var scores: [Float]
    var alpha: Double
}

/// A batch of square images with optional captions (`imageGrid`).
public struct ImageGridSpec {
    public internal(set) var pixels: [Float]  // (count, side, side)
    public internal(set) var count: Int
    public internal(set) var side: Int
    var columns: Int?
    public internal(set) var captions: [String]?
    public internal(set) var highlighted: [Bool]?
    var colormap: Colormap
    var range: ClosedRange<Float>?
}
