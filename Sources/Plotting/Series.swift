/// One drawable series of an axes figure, in data units (Double; non-finite values are kept
/// here and skipped when drawing, so they can be counted in the figure's note).
enum Series {
    case line(LineSeries)
    case scatter(ScatterSeries)
    case bars(BarSeries)

    var label: String? {
        switch self {
        case .line(let s): return s.label
        case .scatter(let s): return s.label
        case .bars(let s): return s.label
        }
    }
}

struct LineSeries {
    var x: [Double]
    var y: [Double]
    var label: String?
    var color: Color?
    var width: Double
    var marker: Marker?
    var dashed: Bool
}

struct ScatterSeries {
    var x: [Double]
    var y: [Double]
    /// Class of each point (colours from tab10), or nil for one colour.
    var classes: [Int]?
    var classNames: [String]?
    var label: String?
    var color: Color?
    var size: Double
    var marker: Marker
    var alpha: Double
}

struct BarSeries {
    enum Kind { case histogram, categories }
    var kind: Kind
    /// Left and right edges and heights of each bar (histograms), or category positions.
    var lefts: [Double]
    var rights: [Double]
    var heights: [Double]
    var categoryLabels: [String]?
    var label: String?
    var color: Color?
    /// nil: 1, or 0.6 when the figure overlays several histograms.
    var alpha: Double?
    /// Values that were not finite (histograms count them before binning).
    var skipped: Int
}

/// A matrix drawn as coloured cells (`heatmap`, `confusionMatrix`).
struct HeatmapSpec {
    var values: [Double]  // (rows, columns), row-major
    var rows: Int
    var columns: Int
    var rowLabels: [String]?
    var columnLabels: [String]?
    var colormap: Colormap
    var showValues: Bool?
    var colorBar: Bool
    var range: ClosedRange<Double>?
    var integerValues: Bool
}

/// Class regions of a 2-D classifier sampled on a grid (`decisionBoundary`).
struct RegionSpec {
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    /// Grid nodes per axis; node (i, j) is at x = lower + i * width / (nx - 1).
    var nx: Int
    var ny: Int
    var classCount: Int
    /// scores (ny, nx, classCount), row j = y index from yRange.lowerBound: one-hot class
    /// indicators or class probabilities. Bilinear interpolation of these and an argmax per
    /// pixel gives smooth boundaries (the same idea as marching squares).
    var scores: [Float]
    var alpha: Double
}

/// A batch of square images with optional captions (`imageGrid`).
struct ImageGridSpec {
    var pixels: [Float]  // (count, side, side)
    var count: Int
    var side: Int
    var columns: Int?
    var captions: [String]?
    var highlighted: [Bool]?
    var colormap: Colormap
    var range: ClosedRange<Float>?
}
