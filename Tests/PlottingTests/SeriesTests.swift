import Testing
@testable import Plotting

@Suite struct SeriesTests {
    func bars(_ f: Figure) -> BarSeries? {
        if case .bars(let b)? = f.series.first { return b }
        return nil
    }

    @Test func histogramBinsIncludeTheRightEdgeOfTheLastBin() throws {
        let b = try #require(bars(Figure().histogram([0.0, 0.1, 0.5, 0.99, 1.0], bins: 2)))
        #expect(b.heights == [2, 3])
        #expect(b.lefts == [0, 0.5] && b.rights == [0.5, 1])
    }

    @Test func histogramRangeDropsOutsideValuesAndCountsNonFinite() throws {
        let b = try #require(bars(Figure().histogram([-5, 0.2, 0.4, .nan, 7, .infinity], bins: 4, range: 0...1)))
        #expect(b.heights.reduce(0, +) == 2)
        #expect(b.skipped == 2)
    }

    @Test func densityHistogramHasUnitArea() throws {
        let values = (0..<1000).map { Double($0 % 37) / 7 }
        let b = try #require(bars(Figure().histogram(values, bins: 13, density: true)))
        let area = zip(b.heights, zip(b.lefts, b.rights)).reduce(0) { $0 + $1.0 * ($1.1.1 - $1.1.0) }
        #expect(abs(area - 1) < 1e-9)
    }

    @Test func singleValueHistogramGetsAUnitWideRange() throws {
        let b = try #require(bars(Figure().histogram([3.0, 3, 3], bins: 1)))
        #expect(b.lefts == [2.5] && b.rights == [3.5] && b.heights == [3])
    }

    @Test func dashesAlternateOnAndOff() throws {
        let pieces = Canvas.dashes([Point(0, 0), Point(10, 0)], on: 3, off: 1)
        #expect(pieces.count == 3)
        #expect(pieces[0] == [Point(0, 0), Point(3, 0)])
        #expect(pieces[1] == [Point(4, 0), Point(7, 0)])
        #expect(pieces[2] == [Point(8, 0), Point(10, 0)])
    }

    @Test func legendAvoidsTheData() throws {
        // Data fills the upper right: the legend goes elsewhere (the first free corner).
        let x = (0..<50).map { 0.5 + Double($0) / 100 }
        let f = Figure(width: 400, height: 300).scatter(x, x, label: "points").pixelScale(1)
        let png = try f.pngData()
        let image = try #require(Golden.decode(png))
        // The legend frame (#cccccc) appears in the upper-left quarter.
        let upperLeft = (0..<150).flatMap { y in (0..<200).map { image.pixels[y * 400 + $0] } }
        #expect(upperLeft.contains(0xcccccc))
    }

    @Test func scatterClassesGetTab10ColoursAndNames() throws {
        let f = Figure(width: 300, height: 200).scatter([0.0, 1, 2], [0.0, 1, 2], classes: [0, 2, 2], classNames: ["a", "b", "c"]).pixelScale(1)
        let image = try #require(Golden.decode(try f.pngData()))
        #expect(image.pixels.contains(Int32(Color.tab10[0].hex)))
        #expect(image.pixels.contains(Int32(Color.tab10[2].hex)))
        #expect(!image.pixels.contains(Int32(Color.tab10[1].hex)))
    }
}
