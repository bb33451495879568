/// A marker drawn at each data point of a line or scatter series.
public enum Marker: Sendable {
    case circle, square, triangle, diamond, plus, cross
}

/// Where the legend goes; `best` picks the corner that hides the fewest data points.
public enum LegendPosition: Sendable {
    case best, upperRight, upperLeft, lowerLeft, lowerRight
    case upperCenter, lowerCenter, centerLeft, centerRight, hidden
}

/// A figure: one set of axes (lines, scatter, bars, histograms, heatmap, decision regions)
/// or a grid of images, with a title, drawn to PNG on demand.
///
/// A `Figure` is a value: every chainable method returns a modified copy.
///
///     let x = Tensor.linspace(-5, 5, count: 200)
///     Figure(title: "Activations")
///         .line(x, sigmoid(x), label: "sigmoid")
///         .line(x, tanh(x), label: "tanh")
///         .xLabel("x")
///
/// Problems with the data (an empty series, x and y of different lengths) are kept and
/// thrown as a `PlotError` by `pngData()`.
public struct Figure: PNGRepresentable {
    /// Width of figures created without one, in logical pixels (the notebook kernel sets it
    /// per cell from `fig-width`).
    nonisolated(unsafe) public static var defaultWidth = 640
    /// Height of figures created without one, in logical pixels (`fig-height`).
    nonisolated(unsafe) public static var defaultHeight = 400
    /// Physical pixels per logical pixel: 2 renders sharp images for high-DPI screens (the
    /// report shows them at the logical size).
    nonisolated(unsafe) public static var defaultScale = 2

    public var title: String
    /// Size in logical pixels.
    public var width: Int
    public var height: Int
    /// Physical pixels per logical pixel.
    public var scale: Int
    /// Whether `height` was given (an image grid without one sizes itself to its images).
    var heightWasGiven: Bool

    /// What the figure draws, readable (the notebook kernel sends it beside the PNG).
    public internal(set) var series: [Series] = []
    public internal(set) var heatmap: HeatmapSpec? = nil
    public internal(set) var regions: RegionSpec? = nil
    public internal(set) var images: ImageGridSpec? = nil
    var xAxis = AxisSettings()
    var yAxis = AxisSettings()
    var showsGrid: Bool? = nil
    var legendPosition: LegendPosition = .best
    var problems: [PlotError] = []

    public init(title: String = "", width: Int? = nil, height: Int? = nil) {
        self.title = title
        self.width = width ?? Figure.defaultWidth
        self.height = height ?? Figure.defaultHeight
        self.heightWasGiven = height != nil
        self.scale = Figure.defaultScale
    }

    // MARK: Axes

    /// The axes' labels as set (empty when there is none).
    public var xAxisLabel: String { xAxis.label }
    public var yAxisLabel: String { yAxis.label }

    /// The label under the x axis.
    public func xLabel(_ label: String) -> Figure { with { $0.xAxis.label = label } }
    /// The label beside the y axis.
    public func yLabel(_ label: String) -> Figure { with { $0.yAxis.label = label } }
    /// Fixes the x view; `nil` keeps that end automatic.
    public func xLimits(_ lower: Double?, _ upper: Double?) -> Figure {
        with { $0.xAxis.lower = lower; $0.xAxis.upper = upper }
    }
    /// Fixes the y view; `nil` keeps that end automatic.
    public func yLimits(_ lower: Double?, _ upper: Double?) -> Figure {
        with { $0.yAxis.lower = lower; $0.yAxis.upper = upper }
    }
    /// Linear or logarithmic x axis.
    public func xScale(_ scale: AxisScale) -> Figure { with { $0.xAxis.scale = scale } }
    /// Linear or logarithmic y axis (e.g. a loss spanning decades).
    public func yScale(_ scale: AxisScale) -> Figure { with { $0.yAxis.scale = scale } }
    /// Light grid lines at the major ticks (on by default for line, scatter and bar plots).
    public func grid(_ visible: Bool = true) -> Figure { with { $0.showsGrid = visible } }
    /// Legend placement.
    public func legend(_ position: LegendPosition) -> Figure { with { $0.legendPosition = position } }
    /// Another size, in logical pixels.
    public func size(width: Int, height: Int) -> Figure {
        with { $0.width = width; $0.height = height; $0.heightWasGiven = true }
    }
    /// Physical pixels per logical pixel (1 for small files, 2 for high-DPI screens).
    public func pixelScale(_ scale: Int) -> Figure { with { $0.scale = max(1, scale) } }

    // MARK: Output

    /// Throws the first problem recorded while series were added, if any.
    public func validate() throws {
        if let problem = problems.first { throw problem }
        if let problem = unusableStyle() { throw problem }
        if series.isEmpty && heatmap == nil && regions == nil && images == nil {
            throw PlotError("figure: nothing to draw (add a series such as .line(y))")
        }
    }

    /// A line width, marker size or opacity that is NaN or infinite (a NaN size used to
    /// crash the renderer), named with its call.
    private func unusableStyle() -> PlotError? {
        func check(_ call: String, _ name: String, _ value: Double) -> PlotError? {
            value.isFinite ? nil : PlotError("\(call): \(name) must be a finite number, got \(value)")
        }
        for s in series {
            let problem: PlotError?
            switch s {
            case .line(let l): problem = check("line", "width", l.width)
            case .scatter(let c): problem = check("scatter", "size", c.size) ?? check("scatter", "alpha", c.alpha)
            case .bars(let b): problem = b.alpha.flatMap { check(b.kind == .histogram ? "histogram" : "bar", "alpha", $0) }
            }
            if let problem { return problem }
        }
        return regions.flatMap { check("decisionBoundary", "alpha", $0.alpha) }
    }

    /// The figure drawn and encoded as PNG. The same figure always gives the same bytes.
    public func pngData() throws -> [UInt8] {
        try validate()
        let canvas = try Canvas(width: width, height: outputHeight, scale: scale)
        try draw(on: canvas, in: Rect(x: 0, y: 0, width: Double(width), height: Double(outputHeight)))
        return try canvas.pngData()
    }

    /// Draws into a region of a canvas (used by `FigureGrid` too).
    func draw(on canvas: Canvas, in frame: Rect) throws {
        if let images {
            ImageGridRenderer(figure: self, spec: images, canvas: canvas, frame: frame).draw()
        } else {
            AxesRenderer(figure: self, canvas: canvas, frame: frame).draw()
        }
    }

    /// The height actually drawn: an image grid without an explicit height takes the height
    /// its rows need at this width.
    var outputHeight: Int {
        guard let images, !heightWasGiven else { return height }
        return ImageGridRenderer.naturalHeight(width: Double(width), title: title, spec: images)
    }

    func with(_ change: (inout Figure) -> Void) -> Figure {
        var copy = self
        change(&copy)
        return copy
    }

    mutating func record(_ problem: PlotError) { problems.append(problem) }
}

/// Per-axis settings.
struct AxisSettings {
    var label = ""
    var scale = AxisScale.linear
    var lower: Double? = nil
    var upper: Double? = nil
}
