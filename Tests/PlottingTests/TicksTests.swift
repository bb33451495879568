import Testing
@testable import Plotting

@Suite struct TicksTests {
    @Test(arguments: [
        (0.46, true, 0.5), (1.4, true, 1.0), (1.5, true, 2.0), (2.9, true, 2.0), (3.0, true, 5.0),
        (7.2, true, 10.0), (0.003, true, 0.005), (2.3, false, 5.0), (1.0, false, 1.0), (5.01, false, 10.0),
        (130.0, true, 100.0),
    ])
    func niceNumberFollowsHeckbert(value: Double, round: Bool, expected: Double) {
        #expect(abs(Ticks.niceNumber(value, round: round) - expected) < 1e-12)
    }

    @Test func lossAxisGetsHalfSteps() {
        #expect(Ticks.linear(lower: -0.1, upper: 2.4, target: 6) == [0, 0.5, 1, 1.5, 2])
    }

    @Test func symmetricAxisIncludesZero() {
        #expect(Ticks.linear(lower: -1.05, upper: 1.05, target: 5) == [-1, -0.5, 0, 0.5, 1])
    }

    @Test func ticksStayInsideTheView() {
        let ticks = Ticks.linear(lower: 3.7, upper: 98.2, target: 6)
        #expect(ticks.first! >= 3.7 && ticks.last! <= 98.2)
        #expect(ticks == [20, 40, 60, 80])
    }

    @Test func atLeastThreeTicksWhenTheStepIsTooCoarse() {
        #expect(Ticks.linear(lower: -0.97, upper: 0.97, target: 3) == [-0.5, 0, 0.5])
    }

    @Test func tickValuesHaveNoFloatingPointResidue() {
        let ticks = Ticks.linear(lower: 0, upper: 0.3, target: 4)
        #expect(Ticks.labels(for: ticks) == ["0.0", "0.1", "0.2", "0.3"])
    }

    @Test func labelsUseTheTypographicMinus() {
        #expect(Ticks.labels(for: [-1, 0, 1]) == ["\u{2212}1", "0", "1"])
        #expect(Ticks.labels(for: [-0.5, 0, 0.5]) == ["\u{2212}0.5", "0.0", "0.5"])
    }

    @Test func hugeAndTinyValuesUseScientificLabels() {
        #expect(Ticks.labels(for: [0, 2e6, 4e6]) == ["0", "2e+06", "4e+06"])
        #expect(Ticks.labels(for: [0, 2e-5, 4e-5]) == ["0", "2e\u{2212}05", "4e\u{2212}05"])
        // Steps finer than three significant digits still give distinct, exact labels.
        #expect(Ticks.labels(for: [1_000_000, 1_000_002, 1_000_004]) == ["1000000", "1000002", "1000004"])
        #expect(Ticks.labels(for: [1.2e7, 1.225e7, 1.25e7]) == ["1.2e+07", "1.225e+07", "1.25e+07"])
    }

    @Test func fractionDigitsFromStep() {
        #expect(Ticks.fractionDigits(step: 1) == 0)
        #expect(Ticks.fractionDigits(step: 20) == 0)
        #expect(Ticks.fractionDigits(step: 0.5) == 1)
        #expect(Ticks.fractionDigits(step: 0.05) == 2)
    }

    @Test func logTicksArePowersOfTen() {
        #expect(Ticks.logMajor(lower: 0.0008, upper: 150, target: 8) == [-3, -2, -1, 0, 1, 2])
        #expect(Ticks.logMajor(lower: 1e-6, upper: 1e6, target: 5) == [-6, -3, 0, 3, 6])
        let minor = Ticks.logMinor(lower: 1, upper: 100)
        #expect(minor.count == 16 && minor.first == 2 && minor.last == 90)
    }

    @Test func ticksForAShortLogAxisFallBackToLinearOnes() {
        var view = AxisView(scale: .log, lower: 2, upper: 9)
        view.computeTicks(length: 300, spacing: 50)
        #expect(view.ticks.count >= 3)
        #expect(view.labels.allSatisfy { if case .text = $0 { return true }; return false })
    }

    @Test func tickCountFollowsAxisLength() {
        var short = AxisView(scale: .linear, lower: 0, upper: 100)
        short.computeTicks(length: 150, spacing: 50)
        var long = short
        long.computeTicks(length: 600, spacing: 50)
        #expect(short.ticks.count < long.ticks.count)
        #expect(long.ticks.count <= 11)
    }

    @Test func categoryTicksThinOutWhenCrowded() {
        var view = AxisView(scale: .linear, lower: -0.5, upper: 99.5)
        view.categoryTicks(names: (0..<100).map { "\($0)" }, length: 200, widest: 14)
        #expect(view.ticks.count < 20)
        #expect(view.ticks.first == 0)
    }

    /// Fashion-MNIST's ten class names under a 300-pixel confusion matrix: side by side only
    /// every third one fits, so they are turned and all ten kept; names that fit stay level.
    @Test func wideCategoryNamesAreTurnedRatherThanDropped() {
        let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        var view = AxisView(scale: .linear, lower: -0.5, upper: 9.5)
        view.categoryTicks(names: names, length: 300, widest: 62, rotatedHeight: 13)
        #expect(view.rotatedLabels)
        #expect(view.ticks == (0..<10).map(Double.init))
        // Without the option (rows on the y axis) they thin out as before.
        view.categoryTicks(names: names, length: 300, widest: 62)
        #expect(!view.rotatedLabels && view.ticks == [0, 3, 6, 9])
        view.categoryTicks(names: ["cat", "dog", "bird"], length: 300, widest: 20, rotatedHeight: 13)
        #expect(!view.rotatedLabels && view.ticks.count == 3)
        // So many that even turned they crowd: every k-th, still turned.
        view.categoryTicks(names: (0..<60).map { "category \($0)" }, length: 300, widest: 62, rotatedHeight: 13)
        #expect(view.rotatedLabels && view.ticks.count == 15 && view.ticks[1] == 4)
    }

    /// A turned label longer than a third of the figure's height is shortened with "…", and the
    /// plot keeps most of the height.
    @Test func turnedLabelsAreShortenedToAThirdOfTheHeight() throws {
        let long = (0..<8).map { "a category whose name goes on and on, number \($0)" }
        let figure = Figure(width: 400, height: 300).bar((0..<8).map(Double.init), labels: long)
        let canvas = try Canvas(width: 400, height: 300, scale: 1)
        let renderer = AxesRenderer(figure: figure, canvas: canvas, frame: Rect(x: 0, y: 0, width: 400, height: 300))
        let layout = renderer.layout()
        #expect(layout.xView.rotatedLabels && layout.xView.ticks.count == 8)
        for case .text(let label) in layout.xView.labels {
            #expect(label.hasSuffix("…") && canvas.measure(label, size: Style.tickFont) <= 100)
        }
        #expect(layout.plot.height > 300 / 3)
    }

    /// An axis of whole numbers (epochs) gets whole ticks: a two-epoch loss curve has ticks 1 and
    /// 2, not 1.0, 1.2, ..., 2.0. Its y axis (losses) keeps fractional ticks, and so does an x
    /// axis with one value that is not whole.
    @Test func wholeNumberDataGetWholeTicks() throws {
        func labels(_ figure: Figure) throws -> (x: [String], y: [String]) {
            let canvas = try Canvas(width: 480, height: 320, scale: 1)
            let layout = AxesRenderer(figure: figure, canvas: canvas, frame: Rect(x: 0, y: 0, width: 480, height: 320)).layout()
            func texts(_ labels: [TickLabel]) -> [String] { labels.map { if case .text(let t) = $0 { t } else { "" } } }
            return (texts(layout.xView.labels), texts(layout.yView.labels))
        }
        let twoEpochs = try labels(Figure(width: 480, height: 320).line([1, 2], [0.9, 0.4]))
        #expect(twoEpochs.x == ["1", "2"])
        #expect(twoEpochs.y.contains { $0.contains(".") })
        let tenEpochs = try labels(Figure(width: 480, height: 320).line((1...10).map(Double.init), (1...10).map { 1 / Double($0) }))
        #expect(tenEpochs.x.allSatisfy { Int($0) != nil } && tenEpochs.x.count >= 3)
        let fractional = try labels(Figure(width: 480, height: 320).line([1, 1.5, 2], [0.9, 0.6, 0.4]))
        #expect(fractional.x.contains { $0.contains(".") })
        #expect(Ticks.linear(lower: 0.95, upper: 2.05, target: 6, minimumStep: 1) == [1, 2])
    }
}
