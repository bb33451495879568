import Testing
@testable import Plotting

/// Data problems are thrown from pngData() as PlotError with a message naming the call.
@Suite struct FigureErrorTests {
    func message(_ figure: Figure) -> String? {
        do { _ = try figure.pngData(); return nil } catch let error as PlotError { return error.message } catch { return "\(error)" }
    }

    @Test func mismatchedLengths() {
        let x = (0..<10).map(Double.init), y = (0..<9).map(Double.init)
        #expect(message(Figure().line(x, y)) == "line: x has 10 values, y has 9")
        #expect(message(Figure().scatter([1.0], [1.0, 2])) == "scatter: x has 1 value, y has 2")
        #expect(message(Figure().scatter([1.0, 2], [1.0, 2], classes: [0])) == "scatter: x has 2 values, classes has 1")
    }

    @Test func emptyData() {
        #expect(message(Figure().line([Double]())) == "line: no data (the series is empty)")
        #expect(message(Figure().histogram([Float]())) == "histogram: no data (the series is empty)")
        #expect(message(Figure().bar([Double]())) == "bar: no data (the series is empty)")
        #expect(message(Figure()) == "figure: nothing to draw (add a series such as .line(y))")
    }

    @Test func allNaNHistogram() {
        #expect(message(Figure().histogram([Double.nan, .infinity])) == "histogram: all 2 values are NaN or infinite")
    }

    @Test func badShapes() {
        let t = Tensor([Float](repeating: 0, count: 24), shape: [2, 3, 4])
        #expect(message(Figure().heatmap(t))?.hasPrefix("heatmap: the tensor must have rank 2") == true)
        #expect(message(Figure().imageGrid(Tensor([Float](repeating: 0, count: 30), shape: [3, 10])))
            == "imageGrid: rows of 10 values are not square images (shape [3, 10])")
        #expect(message(Figure().scatter(t)) == "scatter: points must have shape [n, 2], got [2, 3, 4]")
        #expect(message(Figure().confusionMatrix([[1, 2], [3]]))
            == "confusionMatrix: the matrix must be square (2 rows), row 1 has 1 values")
    }

    /// Sizes that allocated without bound or read outside the pixels (a crash or a garbage
    /// picture in the release engine) are errors.
    @Test func sizesFromTheCallAreBounded() {
        #expect(message(Figure().histogram([1.0, 2, 3], bins: Int.max)) == "histogram: bins must be in 1...100000, got 9223372036854775807")
        #expect(message(Figure().histogram([1.0, 2, 3], bins: 0)) == "histogram: bins must be in 1...100000, got 0")
        #expect(message(Figure().histogram([1.0, 2, 3], bins: 100_000)) == nil)
        #expect(message(Figure().imageGrid(Tensor.zeros([2, 4]), side: -2)) == "imageGrid: side must be at least 1, got -2")
        #expect(message(Figure().imageGrid(Tensor.zeros([2, 4]), side: 2)) == nil)
        let huge = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 3) { xs, _ in xs.map { _ in Int.max } }
        #expect(message(huge) == "decisionBoundary: classes must be below 1000, found 9223372036854775807")
        let many = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 3) { xs, _ in xs.map { _ in 999 } }
        #expect(message(many) == nil)
    }

    @Test func firstProblemWins() {
        let f = Figure().line([1.0, 2], [1.0]).line([Double]())
        #expect(message(f) == "line: x has 2 values, y has 1")
    }

    @Test func gridNamesTheFigure() {
        let grid = Figure.grid(rows: 1, columns: 2, [Figure().line([1.0, 2]), Figure(title: "Bad").line([1.0], [])])
        #expect(throws: PlotError("grid: figure 2 (\"Bad\"): line: x has 1 value, y has 0")) { try grid.pngData() }
        #expect(throws: PlotError("grid: 3 figures do not fit in 1x2 cells")) {
            try Figure.grid(rows: 1, columns: 2, [Figure().line([1.0]), Figure().line([1.0]), Figure().line([1.0])]).pngData()
        }
    }

    @Test func decisionBoundaryChecksItsClassifier() {
        let f = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 4) { xs, _ in [Int](repeating: 0, count: xs.count - 1) }
        #expect(message(f) == "decisionBoundary: the grid has 16 values, classify's result has 15")
        let g = Figure().decisionBoundary(xRange: 1...1, yRange: 0...1) { _, _ in [] }
        #expect(message(g)?.hasPrefix("decisionBoundary: needs finite ranges") == true)
    }

    @Test func histogramOfAnInfiniteRange() {
        #expect(message(Figure().histogram([1.0, 2], range: -Double.infinity...Double.infinity))
                == "histogram: the range must be finite, got -inf...inf")
    }

    @Test func nonFiniteSizesAndOpacities() {
        #expect(message(Figure().scatter([1.0, 2], [1.0, 2], size: .nan)) == "scatter: size must be a finite number, got nan")
        #expect(message(Figure().scatter([1.0, 2], [1.0, 2], alpha: .nan)) == "scatter: alpha must be a finite number, got nan")
        #expect(message(Figure().line([1.0, 2], width: .infinity)) == "line: width must be a finite number, got inf")
        #expect(message(Figure().bar([1.0, 2], alpha: .nan)) == "bar: alpha must be a finite number, got nan")
        #expect(message(Figure().histogram([1.0, 2], alpha: .nan)) == "histogram: alpha must be a finite number, got nan")
        #expect(message(Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, classes: [[0, 1], [1, 0]], alpha: .nan))
                == "decisionBoundary: alpha must be a finite number, got nan")
    }
}
