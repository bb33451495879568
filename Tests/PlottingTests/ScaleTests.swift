import Testing
@testable import Plotting

@Suite struct ScaleTests {
    @Test func linearTransformMapsEnds() {
        let t = AxisTransform(scale: .linear, lower: 0, upper: 10, start: 100, end: 300)
        #expect(t(0) == 100)
        #expect(t(10) == 300)
        #expect(t(2.5) == 150)
        #expect(t.value(at: 200) == 5)
    }

    @Test func yAxisRunsUpwards() {
        let t = AxisTransform(scale: .linear, lower: -1, upper: 1, start: 400, end: 0)
        #expect(t(1) == 0)
        #expect(t(0) == 200)
    }

    @Test func logTransformSpacesDecadesEvenly() {
        let t = AxisTransform(scale: .log, lower: 1, upper: 100, start: 0, end: 200)
        #expect(abs(t(10) - 100) < 1e-9)
        #expect(abs(t.value(at: 50) - 10.0.squareRoot() * 1) < 1e-9 || abs(t.value(at: 50) - 3.1622776601683795) < 1e-9)
        #expect(AxisScale.log.accepts(0) == false)
        #expect(AxisScale.log.accepts(-3) == false)
        #expect(AxisScale.linear.accepts(-3))
        #expect(AxisScale.linear.accepts(.nan) == false)
    }

    @Test func viewAddsFivePercentMargins() {
        var e = AxisView.Extent()
        e.include(0); e.include(10)
        let v = AxisView.resolve(e, settings: AxisSettings())
        #expect(abs(v.lower - -0.5) < 1e-12 && abs(v.upper - 10.5) < 1e-12)
    }

    @Test func stickyEdgesStopTheMargin() {
        var e = AxisView.Extent()
        e.include(0); e.include(10)
        e.stickyLower = 0
        let v = AxisView.resolve(e, settings: AxisSettings())
        #expect(v.lower == 0)
        #expect(abs(v.upper - 10.5) < 1e-12)
    }

    @Test func userLimitsWin() {
        var e = AxisView.Extent()
        e.include(0); e.include(10)
        let v = AxisView.resolve(e, settings: AxisSettings(lower: -3, upper: nil))
        #expect(v.lower == -3)
        #expect(abs(v.upper - 10.5) < 1e-12)
    }

    @Test func viewWiderThanTheLargestDouble() {
        // -1e308...1e308 spans 2e308, past Double.greatestFiniteMagnitude.
        var e = AxisView.Extent()
        e.include(-1e308); e.include(1e308)
        var v = AxisView.resolve(e, settings: AxisSettings())
        v.computeTicks(length: 500, spacing: 90)
        #expect(v.ticks == [-1e308, -5e307, 0, 5e307, 1e308])
        let t = v.transform(start: 0, end: 100)
        #expect(t(-1e308) == 0 && t(0) == 50 && t(1e308) == 100)
        #expect(t.value(at: 100) == 1e308)
        var top = AxisView.Extent()
        top.include(0); top.include(.greatestFiniteMagnitude)
        var w = AxisView.resolve(top, settings: AxisSettings())
        w.computeTicks(length: 300, spacing: 48)
        #expect(w.ticks == [0, 5e307, 1e308, 1.5e308])
    }

    @Test func reversedLimitsInvertTheAxis() {
        var e = AxisView.Extent()
        e.include(1); e.include(3)
        let v = AxisView.resolve(e, settings: AxisSettings(lower: 5, upper: 0))
        #expect(v.lower == 0 && v.upper == 5 && v.inverted)
        let t = v.transform(start: 0, end: 100)
        #expect(t(5) == 0 && t(0) == 100)
        let log = AxisView.resolve(e, settings: AxisSettings(scale: .log, lower: 100, upper: 1))
        #expect(log.lower == 1 && log.upper == 100 && log.inverted)
    }

    @Test func equalLimitsWidenAroundTheValue() {
        var e = AxisView.Extent()
        e.include(1); e.include(3)
        let v = AxisView.resolve(e, settings: AxisSettings(lower: 2, upper: 2))
        #expect(abs(v.lower - 1.8) < 1e-12 && abs(v.upper - 2.2) < 1e-12 && !v.inverted)
        let log = AxisView.resolve(e, settings: AxisSettings(scale: .log, lower: 10, upper: 10))
        #expect(abs(log.lower - 1) < 1e-12 && abs(log.upper - 100) < 1e-9)
    }

    @Test func singleValueGetsAVisibleRange() {
        var e = AxisView.Extent()
        e.include(5)
        let v = AxisView.resolve(e, settings: AxisSettings())
        #expect(v.lower < 5 && v.upper > 5)
        let zero = AxisView.resolve({ var z = AxisView.Extent(); z.include(0); return z }(), settings: AxisSettings())
        #expect(zero.lower == -1 && zero.upper == 1)
    }

    @Test func emptyExtentDefaults() {
        #expect(AxisView.resolve(AxisView.Extent(), settings: AxisSettings()).upper == 1)
        let log = AxisView.resolve(AxisView.Extent(), settings: AxisSettings(scale: .log))
        #expect(log.lower == 1 && log.upper == 10)
    }

    @Test func logMarginsAreMultiplicative() {
        var e = AxisView.Extent()
        e.include(1); e.include(100)
        let v = AxisView.resolve(e, settings: AxisSettings(scale: .log))
        #expect(abs(v.lower - pow10(-0.1)) < 1e-9)
        #expect(abs(v.upper - pow10(2.1)) < 1e-9)
    }

    private func pow10(_ x: Double) -> Double { AxisScale.log.inverse(x) }

    @Test func logMarginStopsAtWhatADoubleHolds() throws {
        // 1e-300...1e300 padded by 5% of 600 decades would reach 1e-330 (0) and 1e330 (inf).
        var e = AxisView.Extent()
        e.include(1e-300); e.include(1e300)
        let v = AxisView.resolve(e, settings: AxisSettings(scale: .log))
        #expect(v.lower == 1e-300 && v.upper == 1e300)
        #expect(try Figure().line([1e-300, 1e300]).yScale(.log).pngData().count > 1000)
    }
}
