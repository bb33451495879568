import Foundation
import Testing
@testable import Plotting

@Suite struct FigureTests {
    func decoded(_ p: PNGRepresentable) throws -> (width: Int, height: Int, pixels: [Int32]) {
        try #require(Golden.decode(try p.pngData()))
    }

    @Test func defaultsAndHighDPISize() throws {
        let f = Figure().line([1.0, 3, 2])
        #expect(f.width == Figure.defaultWidth && f.height == Figure.defaultHeight && f.scale == Figure.defaultScale)
        let image = try decoded(Figure(width: 300, height: 200).line([1.0, 3, 2]))
        #expect(image.width == 300 * Figure.defaultScale && image.height == 200 * Figure.defaultScale)
        let small = try decoded(Figure(width: 300, height: 200).line([1.0, 3, 2]).pixelScale(1))
        #expect(small.width == 300 && small.height == 200)
    }

    @Test func sameInputSameBytes() throws {
        let make = { Figure(title: "Loss").line([3.0, 2, 1.5, 1.2], label: "train").scatter([1.0, 2], [2.0, 1.0]).xLabel("epoch") }
        #expect(try make().pngData() == make().pngData())
    }

    @Test func chainingLeavesTheOriginalUnchanged() {
        let base = Figure(title: "A").line([1.0, 2])
        let more = base.line([2.0, 1], label: "b").xLabel("x")
        #expect(base.series.count == 1 && more.series.count == 2 && base.xAxis.label.isEmpty)
    }

    @Test func acceptsDoublesFloatsTensorsAndLiterals() throws {
        let t = Tensor([1, 4, 9], shape: [3])
        let f = Figure()
            .line([1, 2, 3])                      // integer literals resolve to [Double]
            .line([1.5, 2.5])
            .line([Float(1), 2, 3], [Float(3), 2, 1])
            .line(t)
            .line(t, t)
            .scatter(Tensor([0, 0, 1, 1], shape: [2, 2]), classes: [0, 1])
        #expect(f.series.count == 6)
        #expect(try f.pngData().count > 1000)
    }

    @Test func linesAreClippedToThePlotArea() throws {
        let f = Figure(width: 200, height: 150).line([0.0, 1], [-100.0, 100], width: 6).yLimits(0, 1).pixelScale(1)
        let image = try decoded(f)
        // Nothing but white in the top five rows (no title) and the right two columns.
        for y in 0..<5 { for x in 0..<200 { #expect(image.pixels[y * 200 + x] == 0xffffff) } }
        for y in 0..<150 { #expect(image.pixels[y * 200 + 199] == 0xffffff) }
    }

    @Test func nonFiniteValuesAreSkippedAndNoted() throws {
        let clean = Figure(width: 300, height: 200).line([1.0, 2, 3, 4]).pixelScale(1)
        let gappy = Figure(width: 300, height: 200).line([1.0, .nan, 3, .infinity]).pixelScale(1)
        #expect(try clean.pngData() != gappy.pngData())
        // The note is grey text in the bottom-right corner.
        let image = try decoded(gappy)
        let corner = (185..<200).flatMap { y in (150..<300).map { image.pixels[y * 300 + $0] } }
        #expect(corner.contains { $0 != 0xffffff })
    }

    @Test func decisionBoundaryRunsTheClassifierOnceOnTheWholeGrid() throws {
        var calls = 0, points = 0
        let f = Figure().decisionBoundary(xRange: -1...1, yRange: 0...2, resolution: 30) { xs, ys in
            calls += 1
            points = xs.count
            #expect(xs.first == -1 && ys.first == 0 && xs.last == 1 && ys.last == 2)
            return xs.map { $0 > 0 ? 1 : 0 }
        }
        #expect(calls == 1 && points == 900)
        #expect(f.regions?.classCount == 2)
        #expect(try f.pngData().count > 1000)
    }

    @Test func decisionBoundaryAcceptsModelOutputs() throws {
        // Sigmoid probabilities, [n, 1].
        let p = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 10) { (batch: Tensor) in
            Tensor(stride(from: 0, to: batch.scalars.count, by: 2).map { batch.scalars[$0] * 0.9 }, shape: [batch.shape[0], 1])
        }
        #expect(p.regions?.classCount == 2 && p.problems.isEmpty)
        // Logits, [n, 3].
        let l = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 10) { (batch: Tensor) in
            Tensor([Float](repeating: 0.5, count: batch.shape[0] * 3), shape: [batch.shape[0], 3])
        }
        #expect(l.regions?.classCount == 3)
        let bad = Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 10) { (_: Tensor) in Tensor([1, 2, 3]) }
        #expect(bad.problems.first?.message == "decisionBoundary: predict returned shape [3] for 100 points; expected [100], [100, 1] or [100, classes]")
    }

    @Test func longCaptionsAreShortenedRatherThanShrinkingTheImages() throws {
        let flat = Tensor([Float](repeating: 0.5, count: 8 * 16), shape: [8, 16])
        let short = try #require(Figure(width: 640).imageGrid(flat, columns: 8, captions: (0..<8).map { "\($0)" }).images)
        let long = try #require(Figure(width: 640).imageGrid(flat, columns: 8,
                                                              captions: (0..<8).map { "sneaker, predicted ankle boot \($0)" }).images)
        let shortLayout = ImageGridRenderer.layout(short, width: 640, height: nil, title: "")
        let longLayout = ImageGridRenderer.layout(long, width: 640, height: nil, title: "")
        // Before, the gaps grew to the captions' width and the images shrank to about a third.
        #expect(longLayout.side >= 0.75 * shortLayout.side)
        let room = longLayout.side + longLayout.gapX - 4
        let canvas = try Canvas(width: 640, height: 400, scale: 2)
        let drawn = canvas.shortened("sneaker, predicted ankle boot 3", toWidth: room, size: longLayout.captionSize)
        #expect(drawn.hasSuffix("…") && drawn.count > 3)
        #expect(canvas.measure(drawn, size: longLayout.captionSize) <= room)
        #expect(canvas.shortened("7", toWidth: room, size: longLayout.captionSize) == "7")
        _ = try decoded(Figure(width: 640).imageGrid(flat, columns: 8, captions: (0..<8).map { "sneaker, predicted ankle boot \($0)" }))
    }

    @Test func imageGridReadsTheUsualShapes() throws {
        let flat = Tensor([Float](repeating: 0.5, count: 6 * 16), shape: [6, 16])
        let f = Figure(width: 300).imageGrid(flat, columns: 3, captions: ["a", "b", "c", "d", "e", "f"])
        #expect(f.images?.side == 4 && f.images?.count == 6)
        let image = try decoded(f)
        // Without a height, the figure is as tall as its two rows need.
        #expect(image.height == f.outputHeight * f.scale && f.outputHeight < 300)
        let channels = Figure().imageGrid(Tensor([Float](repeating: 0, count: 2 * 9), shape: [2, 1, 3, 3]))
        #expect(channels.images?.side == 3 && channels.problems.isEmpty)
        let captions = Figure().imageGrid(flat, labels: [1, 2, 3, 4, 5, 6], predictions: [1, 2, 0, 4, 5, 6])
        #expect(captions.images?.captions?[2] == "3 (pred 0)" && captions.images?.highlighted == [false, false, true, false, false, false])
    }

    @Test func heatmapsAndConfusionMatrices() throws {
        let c = Figure().confusionMatrix(labels: [0, 1, 2, 2], predictions: [0, 2, 2, 2])
        #expect(c.heatmap?.values == [1, 0, 0, 0, 0, 1, 0, 0, 2])
        #expect(c.xAxis.label == "Predicted label" && c.yAxis.label == "True label")
        let w = Figure().heatmap(Tensor([-2, 1, 0.5, 0], shape: [2, 2]), colormap: .redBlue)
        #expect(AxesRenderer(figure: w, canvas: try Canvas(width: 10, height: 10, scale: 1), frame: Rect(x: 0, y: 0, width: 10, height: 10))
            .colorRange(w.heatmap!) == (-2, 2))
        // Constant counts (no test images yet): the lowest colour, the bar from 0 up, no -1 count.
        let empty = Figure().confusionMatrix([[0, 0], [0, 0]])
        #expect(AxesRenderer(figure: empty, canvas: try Canvas(width: 10, height: 10, scale: 1), frame: Rect(x: 0, y: 0, width: 10, height: 10))
            .colorRange(empty.heatmap!) == (0, 1))
        let zeros = Figure().heatmap(Tensor.zeros([2, 2]), colormap: .redBlue)
        #expect(AxesRenderer(figure: zeros, canvas: try Canvas(width: 10, height: 10, scale: 1), frame: Rect(x: 0, y: 0, width: 10, height: 10))
            .colorRange(zeros.heatmap!) == (-1, 1))
        #expect(try w.pngData().count > 1000)
    }

    @Test func gridPlacesFiguresInOnePNG() throws {
        let g = Figure.grid(rows: 2, columns: 2, [Figure().line([1.0, 2]), Figure().histogram([1.0, 2, 2, 3])],
                            title: "Two", width: 500, height: 400)
        let image = try decoded(g)
        #expect(image.width == 500 * Figure.defaultScale && image.height == 400 * Figure.defaultScale)
        // The empty bottom row stays white.
        let bottom = image.pixels[(image.height - 10) * image.width..<(image.height - 9) * image.width]
        #expect(bottom.allSatisfy { $0 == 0xffffff })
    }

    @Test func logScaleHidesNonPositiveValues() throws {
        let f = Figure().line([0.0, 1, 10, 100]).yScale(.log)
        #expect(try f.pngData().count > 1000)
    }

    @Test func histogramOfAHugeSpan() throws {
        // 1e308 - (-1e308) overflows to infinity: bins are still counted.
        let f = Figure().histogram([1e308, -1e308, 5e307], bins: 2)
        guard case .bars(let b) = try #require(f.series.first) else { Issue.record("not bars"); return }
        #expect(b.heights == [1, 2])
        #expect(try f.pngData().count > 1000)
        let many = Figure().histogram([1e308, -1e308])
        guard case .bars(let m) = try #require(many.series.first) else { Issue.record("not bars"); return }
        #expect(m.lefts.first == -1e308 && m.rights.last == 1e308)
        #expect((m.lefts + m.rights).allSatisfy { $0.isFinite })
    }

    @Test func decisionBoundaryLeavesNaNPredictionsBlank() throws {
        func centre(_ value: Float) throws -> Int32 {
            let f = Figure(width: 200, height: 150).pixelScale(1)
                .decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 10) { (batch: Tensor) in
                    Tensor([Float](repeating: value, count: batch.shape[0]), shape: [batch.shape[0]])
                }
            let image = try decoded(f)
            return image.pixels[75 * 200 + 100]
        }
        #expect(try centre(0.2) != 0xffffff)  // class 0, coloured
        #expect(try centre(.nan) == 0xffffff)  // no class: not painted as class 0
    }

    @Test func colourScalesPastTheLargestDoubleOrOfZeroWidth() throws {
        // Each used to trap converting NaN or a huge value to Int.
        #expect(try Figure().heatmap([[1e308, -1e308], [0, 5e307]]).pngData().count > 1000)
        #expect(try Figure().heatmap([[1e20, 2e20], [3e20, 4e20]]).pngData().count > 1000)
        #expect(try Figure().heatmap([[1.0, 5], [6, 9]], range: 5...5).pngData().count > 1000)
        #expect(try Figure().imageGrid(Tensor([3e38, -3e38, 0, 1], shape: [1, 2, 2])).pngData().count > 1000)
    }
}
