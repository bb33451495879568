import Foundation

/// What a figure shows, as data: what `nbrun test` compares with a notebook's golden outputs
/// instead of the figure's pixels (which change with a font, an anti-aliasing fix or a
/// machine). Sent beside the PNG (`DisplayItem.png`), so that the document keeps both.
///
/// It is bounded whatever the figure holds: a series of more than `maximumPoints` values keeps
/// its count, its minimum, mean and maximum and the means of `maximumPoints` runs of consecutive
/// values (a loss per mini-batch is noise point by point, its means over a few dozen steps are
/// not); a matrix larger than `maximumMatrixSide` on a
/// side keeps the means of as many blocks; an image grid keeps, for each of its first
/// `maximumImages` images, the means of a 4x4 grid of blocks (the pixels themselves when the
/// image is smaller than that); decision regions keep the share of the grid each class takes.
public struct FigureData: Codable, Sendable, Equatable {
    public static let maximumPoints = 64
    public static let maximumMatrixSide = 32
    public static let maximumImages = 64
    /// Blocks per side of an image's summary.
    public static let imageBlocks = 4

    public var title: String
    /// The axes' labels; nil when there is none.
    public var xLabel: String?
    public var yLabel: String?
    public var series: [Series]
    public var matrix: Matrix?
    public var images: ImageGrid?
    public var regions: Regions?
    /// The figures of a grid of figures (`Figure.grid`), row by row.
    public var panels: [FigureData]?

    public init(title: String, xLabel: String? = nil, yLabel: String? = nil, series: [Series] = [], matrix: Matrix? = nil,
                images: ImageGrid? = nil, regions: Regions? = nil, panels: [FigureData]? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.matrix = matrix
        self.images = images
        self.regions = regions
        self.panels = panels
    }

    /// One series of an axes figure.
    public struct Series: Codable, Sendable, Equatable {
        /// `line`, `scatter`, `bar` or `histogram`.
        public var kind: String
        /// Its legend label.
        public var name: String?
        /// Values in the series (more than `y` holds when it was summarized).
        public var count: Int
        /// x of each point; nil when x is the index (a line of y alone, bars). For a summarized
        /// series, the means of its runs, as for `y`.
        public var x: [Double]?
        /// y (heights for bars) of each point, or the means of `maximumPoints` runs of consecutive
        /// points (`FigureData.runMeans`) when there are more.
        public var y: [Double]
        /// Histograms: the bins' edges, one more than `y`.
        public var edges: [Double]?
        /// Bars' category labels.
        public var categories: [String]?
        /// Scatter plots with classes: points per class, class 0 first.
        public var classCounts: [Int]?
        /// For a summarized series: the minimum, mean and maximum of all its values.
        public var summary: [Double]?

        public init(kind: String, name: String?, x: [Double]?, y: [Double], edges: [Double]? = nil,
                    categories: [String]? = nil, classes: [Int]? = nil) {
            self.kind = kind
            self.name = name
            count = y.count
            self.categories = categories
            self.edges = edges
            classCounts = classes.map { classes in
                var counts = [Int](repeating: 0, count: (classes.max() ?? -1) + 1)
                for value in classes where value >= 0 { counts[value] += 1 }
                return counts
            }
            guard y.count > FigureData.maximumPoints else {
                self.x = x
                self.y = y
                return
            }
            self.x = x.map(FigureData.runMeans)
            self.y = FigureData.runMeans(y)
            let finite = y.filter(\.isFinite)
            summary = finite.isEmpty ? nil : [finite.min()!, finite.reduce(0, +) / Double(finite.count), finite.max()!]
        }
    }

    /// A matrix drawn as coloured cells (a heatmap, a confusion matrix).
    public struct Matrix: Codable, Sendable, Equatable {
        public var rows: Int
        public var columns: Int
        /// (rows, columns) row-major; when `blockRows` is set, the means of blocks instead,
        /// (blockRows, blockColumns).
        public var values: [Double]
        public var blockRows: Int?
        public var blockColumns: Int?
        public var rowLabels: [String]?
        public var columnLabels: [String]?

        public init(rows: Int, columns: Int, values: [Double], rowLabels: [String]?, columnLabels: [String]?) {
            self.rows = rows
            self.columns = columns
            self.rowLabels = rowLabels
            self.columnLabels = columnLabels
            let side = FigureData.maximumMatrixSide
            guard rows > side || columns > side else {
                self.values = values
                return
            }
            let blockRows = min(rows, side), blockColumns = min(columns, side)
            self.blockRows = blockRows
            self.blockColumns = blockColumns
            self.values = FigureData.blockMeans(values, rows: rows, columns: columns, blockRows: blockRows, blockColumns: blockColumns)
        }
    }

    /// A grid of images (`imageGrid`).
    public struct ImageGrid: Codable, Sendable, Equatable {
        public var count: Int
        public var side: Int
        public var captions: [String]?
        public var highlighted: [Bool]?
        /// For each of the first `maximumImages` images: the means of its `imageBlocks` x
        /// `imageBlocks` blocks, row by row (its pixels when its side is smaller).
        public var blocks: [[Double]]

        /// `pixels` is (count, side, side).
        public init(pixels: [Float], count: Int, side: Int, captions: [String]?, highlighted: [Bool]?) {
            self.count = count
            self.side = side
            self.captions = captions
            self.highlighted = highlighted
            let perImage = side * side
            let blocksPerSide = min(side, FigureData.imageBlocks)
            blocks = (0..<min(count, FigureData.maximumImages)).map { image in
                let start = image * perImage
                guard start + perImage <= pixels.count else { return [] }
                return FigureData.blockMeans(pixels[start..<(start + perImage)].map(Double.init), rows: side, columns: side,
                                             blockRows: blocksPerSide, blockColumns: blocksPerSide)
            }
        }
    }

    /// A classifier's regions sampled on a grid (`decisionBoundary`).
    public struct Regions: Codable, Sendable, Equatable {
        public var columns: Int
        public var rows: Int
        public var classCount: Int
        /// The share of the grid's nodes whose highest score is each class.
        public var shares: [Double]

        /// `scores` is (rows, columns, classCount).
        public init(columns: Int, rows: Int, classCount: Int, scores: [Float]) {
            self.columns = columns
            self.rows = rows
            self.classCount = classCount
            var counts = [Int](repeating: 0, count: classCount)
            let nodes = classCount > 0 ? scores.count / classCount : 0
            for node in 0..<nodes {
                let slice = scores[(node * classCount)..<((node + 1) * classCount)]
                if let best = slice.indices.max(by: { slice[$0] < slice[$1] }) { counts[best - node * classCount] += 1 }
            }
            shares = counts.map { nodes > 0 ? Double($0) / Double(nodes) : 0 }
        }
    }

    /// The means of `maximumPoints` runs of consecutive values (run i covers
    /// i*count/maximumPoints ..< (i+1)*count/maximumPoints), non-finite values left out.
    public static func runMeans(_ values: [Double]) -> [Double] {
        guard values.count > maximumPoints else { return values }
        return blockMeans(values, rows: 1, columns: values.count, blockRows: 1, blockColumns: maximumPoints)
    }

    /// The means of `blockRows` x `blockColumns` blocks of a (rows, columns) row-major matrix;
    /// block (i, j) covers rows i*rows/blockRows ..< (i+1)*rows/blockRows, and so for columns.
    /// Non-finite values are left out of a block's mean.
    static func blockMeans(_ values: [Double], rows: Int, columns: Int, blockRows: Int, blockColumns: Int) -> [Double] {
        var means: [Double] = []
        means.reserveCapacity(blockRows * blockColumns)
        for i in 0..<blockRows {
            for j in 0..<blockColumns {
                var sum = 0.0, count = 0
                for row in (i * rows / blockRows)..<((i + 1) * rows / blockRows) {
                    for column in (j * columns / blockColumns)..<((j + 1) * columns / blockColumns) {
                        let value = values[row * columns + column]
                        if value.isFinite { sum += value; count += 1 }
                    }
                }
                means.append(count > 0 ? sum / Double(count) : .nan)
            }
        }
        return means
    }
}
