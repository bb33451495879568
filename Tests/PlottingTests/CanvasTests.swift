import Testing
@testable import Plotting

@Suite struct CanvasTests {
    @Test func measuresDejaVuSans() throws {
        let canvas = try Canvas(width: 100, height: 100, scale: 1)
        #expect(canvas.measure("", size: 14) == 0)
        // DejaVu Sans digits advance 0.636 em (1303/2048).
        let zero = canvas.measure("0", size: 100)
        #expect(abs(zero - 63.6) <= 2)
        #expect(canvas.measure("iiii", size: 14) < canvas.measure("WWWW", size: 14))
        let small = canvas.measure("validation loss", size: 10)
        let large = canvas.measure("validation loss", size: 20)
        #expect(abs(large - 2 * small) <= 0.04 * large)  // hinting moves small sizes a little
    }

    @Test func measurementDoesNotDependOnScale() throws {
        let one = try Canvas(width: 100, height: 100, scale: 1)
        let two = try Canvas(width: 100, height: 100, scale: 2)
        #expect(abs(one.measure("accuracy 97.8%", size: 13) - two.measure("accuracy 97.8%", size: 13)) <= 1.5)
    }

    @Test func textIsDrawn() throws {
        let canvas = try Canvas(width: 120, height: 40, scale: 1)
        canvas.text("Loss", at: Point(10, 20), size: 16, color: .black, vertical: .center)
        let png = try canvas.pngData()
        let pixels = try #require(Golden.decode(png)).pixels
        #expect(pixels.filter { $0 != 0xffffff }.count > 40)
    }

    @Test func rejectsImpossibleSizes() {
        #expect(throws: PlotError.self) { try Canvas(width: 0, height: 10, scale: 1) }
        #expect(throws: PlotError.self) { try Canvas(width: 10000, height: 10, scale: 2) }
    }

    @Test func crispLinesCoverWholePixels() throws {
        let canvas = try Canvas(width: 20, height: 20, scale: 2)
        canvas.horizontalLine(x0: 2, x1: 18, y: 10, thickness: 1, color: .black)
        let pixels = try #require(Golden.decode(try canvas.pngData())).pixels
        let dark = pixels.filter { $0 == 0 }.count, other = pixels.filter { $0 != 0 && $0 != 0xffffff }.count
        #expect(dark == 32 * 2 && other == 0)
    }

    @Test func strokesAreAntiAliased() throws {
        let canvas = try Canvas(width: 40, height: 40, scale: 1)
        canvas.addStroke([Point(3, 5), Point(37, 31)], width: 2)
        canvas.flush(color: .black)
        let pixels = try #require(Golden.decode(try canvas.pngData())).pixels
        #expect(pixels.contains { $0 != 0 && $0 != 0xffffff })
        // Darkness adds up to about length x width.
        var ink = 0.0
        for p in pixels { ink += Double(255 - Int(p & 0xff)) / 255 }
        let length: Double = (34.0 * 34 + 26 * 26).squareRoot()
        let expected: Double = length * 2 + 2 * 2  // projecting caps
        #expect(abs(ink - expected) < expected * 0.05)
    }

    @Test func blocksOffTheCanvasDrawNothing() throws {
        let canvas = try Canvas(width: 10, height: 10, scale: 1)
        canvas.fillPixels(x: 2..<5, y: 20..<30, color: .black)
        canvas.fillPixels(x: -8 ..< -2, y: 2..<5, color: .black)
        canvas.paintPixels(x: 12..<15, y: 2..<5) { _, _ in .black }
        canvas.horizontalLine(x0: 2, x1: 8, y: 25, thickness: 1, color: .black)
        let image = try #require(Golden.decode(try canvas.pngData()))
        #expect(image.pixels.allSatisfy { $0 == 0xffffff })
        // A legend of 20 entries is taller than a 200-pixel figure.
        var figure = Figure(width: 300, height: 200)
        for i in 0..<20 { figure = figure.line([Double(i), Double(i + 1)], label: "series \(i)") }
        #expect(try figure.pngData().count > 1000)
    }
}
