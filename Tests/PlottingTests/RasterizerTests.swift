import Testing
@testable import Plotting

/// Coverage of the anti-aliasing rasterizer, checked against exact areas.
@Suite struct RasterizerTests {
    /// Coverage per pixel after drawing `polygons` into a w x h buffer (clip: all).
    func coverage(_ polygons: [[Point]], width: Int = 20, height: Int = 20,
                  clipX: Range<Int>? = nil, clipY: Range<Int>? = nil) -> [[Float]] {
        var r = CoverageRasterizer(width: width, height: height)
        for p in polygons { r.addPolygon(p) }
        var out = [[Float]](repeating: [Float](repeating: 0, count: width), count: height)
        r.drain(clipX: clipX ?? 0..<width, clipY: clipY ?? 0..<height) { x, y, c in out[y][x] = c }
        return out
    }

    func square(_ x: Double, _ y: Double, _ side: Double) -> [Point] {
        [Point(x, y), Point(x + side, y), Point(x + side, y + side), Point(x, y + side)]
    }

    func total(_ c: [[Float]]) -> Double { c.flatMap { $0 }.reduce(0) { $0 + Double($1) } }

    @Test func squareCoverageIsExact() {
        let c = coverage([square(2.5, 2.5, 10)])
        #expect(abs(total(c) - 100) < 1e-3)
        #expect(abs(c[2][2] - 0.25) < 1e-5)
        #expect(abs(c[2][5] - 0.5) < 1e-5)
        #expect(abs(c[5][5] - 1) < 1e-5)
        #expect(c[13][13] == 0)
    }

    @Test func triangleAreaIsExact() {
        let c = coverage([[Point(1, 1), Point(17, 3), Point(6, 15.5)]])
        // Shoelace: |(16)(14.5) - (5)(2)| / 2 = 111
        #expect(abs(total(c) - 111) < 1e-3)
    }

    @Test func windingDirectionDoesNotMatter() {
        let ccw = coverage([square(3.3, 4.7, 8.2)])
        let cw = coverage([Array(square(3.3, 4.7, 8.2).reversed())])
        #expect(ccw == cw)
    }

    @Test func overlapsAreClampedNotDoubled() {
        let once = coverage([square(2, 2, 10)])
        let twice = coverage([square(2, 2, 10), square(2, 2, 10), square(5, 5, 3)])
        #expect(once == twice)
    }

    @Test func shapesPastTheBorderAreClipped() {
        let c = coverage([square(-50, -50, 100)])
        #expect(c.allSatisfy { $0.allSatisfy { abs($0 - 1) < 1e-5 } })
        let outside = coverage([square(30, 2, 5), square(2, -20, 5), square(-9, 2, 5)])
        #expect(total(outside) == 0)
        let half = coverage([square(15, 15, 10)])
        #expect(abs(total(half) - 25) < 1e-3)
    }

    @Test func clipRectangleLimitsPaintedPixels() {
        let c = coverage([square(0, 0, 20)], clipX: 5..<10, clipY: 0..<3)
        #expect(abs(total(c) - 15) < 1e-3)
        #expect(c[0][4] == 0 && c[0][5] == 1 && c[3][5] == 0)
    }

    @Test func bufferIsClearedAfterDrain() {
        var r = CoverageRasterizer(width: 10, height: 10)
        r.addPolygon(square(1, 1, 5))
        r.drain(clipX: 0..<10, clipY: 0..<10) { _, _, _ in }
        var count = 0
        r.drain(clipX: 0..<10, clipY: 0..<10) { _, _, _ in count += 1 }
        #expect(count == 0 && r.isEmpty)
    }

    @Test func hugeCoordinatesDoNotCrash() {
        let c = coverage([[Point(-1e12, 5), Point(1e12, 5.5), Point(1e12, 7), Point(-1e12, 6.5)]])
        #expect(total(c) > 20 && total(c) < 60)
    }
}
