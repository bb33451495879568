import KernelProtocol
import Plotting

extension FigureData {
    /// What `value` shows as data, when it is a figure (nil for other images: a diagram is
    /// drawn from its structure, which its cell's code states).
    static func describing(_ value: Any) -> FigureData? {
        if let figure = value as? Figure { return FigureData(figure) }
        if let grid = value as? FigureGrid {
            return FigureData(title: grid.title, panels: grid.figures.map(FigureData.init))
        }
        return nil
    }

    /// A figure's series, matrix, images or regions, with its title and axis labels.
    init(_ figure: Figure) {
        func label(_ text: String) -> String? { text.isEmpty ? nil : text }
        self.init(title: figure.title, xLabel: label(figure.xAxisLabel), yLabel: label(figure.yAxisLabel))
        series = figure.series.map { series in
            switch series {
            case .line(let line):
                // A line of y alone has x 0, 1, 2...: not worth writing down.
                let indexed = line.x.enumerated().allSatisfy { Double($0.offset) == $0.element }
                return Series(kind: "line", name: line.label, x: indexed ? nil : line.x, y: line.y)
            case .scatter(let scatter):
                return Series(kind: "scatter", name: scatter.label, x: scatter.x, y: scatter.y, classes: scatter.classes)
            case .bars(let bars):
                switch bars.kind {
                case .histogram:
                    return Series(kind: "histogram", name: bars.label, x: nil, y: bars.heights,
                                  edges: bars.lefts + (bars.rights.last.map { [$0] } ?? []))
                case .categories:
                    return Series(kind: "bar", name: bars.label, x: nil, y: bars.heights, categories: bars.categoryLabels)
                }
            }
        }
        matrix = figure.heatmap.map { heatmap in
            Matrix(rows: heatmap.rows, columns: heatmap.columns, values: heatmap.values,
                   rowLabels: heatmap.rowLabels, columnLabels: heatmap.columnLabels)
        }
        images = figure.images.map { grid in
            ImageGrid(pixels: grid.pixels, count: grid.count, side: grid.side, captions: grid.captions, highlighted: grid.highlighted)
        }
        regions = figure.regions.map { regions in
            Regions(columns: regions.nx, rows: regions.ny, classCount: regions.classCount, scores: regions.scores)
        }
    }
}
