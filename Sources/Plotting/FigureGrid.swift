/// Several figures in one PNG, row by row (matplotlib's subplots).
///
///     Figure.grid(rows: 1, columns: 2, [
///         Figure(title: "Loss").line(losses),
///         Figure(title: "Accuracy").line(accuracies),
///     ])
public struct FigureGrid: PNGRepresentable {
    public var rows: Int
    public var columns: Int
    public var figures: [Figure]
    public var title: String
    /// Size in logical pixels of the whole grid.
    public var width: Int
    public var height: Int
    public var scale: Int

    /// Without a size, each cell gets about two thirds of `Figure.defaultWidth` by four
    /// fifths of `Figure.defaultHeight`; text keeps its size, as in matplotlib.
    public init(rows: Int, columns: Int, _ figures: [Figure], title: String = "", width: Int? = nil, height: Int? = nil) {
        self.rows = rows
        self.columns = columns
        self.figures = figures
        self.title = title
        let titleHeight = title.isEmpty ? 0 : Int(Style.titleFont * 2)
        self.width = width ?? (columns <= 1 ? Figure.defaultWidth : Int(Double(Figure.defaultWidth) * 0.68 * Double(columns)))
        self.height = height ?? (rows <= 1 ? Figure.defaultHeight : Int(Double(Figure.defaultHeight) * 0.8 * Double(rows))) + titleHeight
        self.scale = Figure.defaultScale
    }

    public func pngData() throws -> [UInt8] {
        guard rows >= 1, columns >= 1 else {
            throw PlotError("grid: rows and columns must be at least 1 (got \(rows)x\(columns))")
        }
        guard !figures.isEmpty else { throw PlotError("grid: no figures") }
        guard figures.count <= rows * columns else {
            throw PlotError("grid: \(figures.count) figures do not fit in \(rows)x\(columns) cells")
        }
        for (i, figure) in figures.enumerated() {
            do { try figure.validate() } catch let error as PlotError {
                throw PlotError("grid: figure \(i + 1)\(figure.title.isEmpty ? "" : " (\"\(figure.title)\")"): \(error.message)")
            }
        }
        let canvas = try Canvas(width: width, height: height, scale: scale)
        let top = title.isEmpty ? 0 : Style.titleFont * 2
        if !title.isEmpty {
            canvas.text(title, at: Point(Double(width) / 2, Style.titleFont * 0.7), size: Style.titleFont * 1.05,
                        horizontal: .center, vertical: .top)
        }
        let cellWidth = Double(width) / Double(columns)
        let cellHeight = (Double(height) - top) / Double(rows)
        for (i, figure) in figures.enumerated() {
            let frame = Rect(x: Double(i % columns) * cellWidth, y: top + Double(i / columns) * cellHeight,
                             width: cellWidth, height: cellHeight)
            try figure.draw(on: canvas, in: frame)
        }
        return try canvas.pngData()
    }
}

extension Figure {
    /// Figures side by side in one PNG: `rows` x `columns` cells filled row by row.
    public static func grid(rows: Int, columns: Int, _ figures: [Figure], title: String = "",
                            width: Int? = nil, height: Int? = nil) -> FigureGrid {
        FigureGrid(rows: rows, columns: columns, figures, title: title, width: width, height: height)
    }
}
