import Foundation

/// A tick label: plain text, or a power of ten drawn as "10" with a raised exponent.
enum TickLabel: Equatable {
    case text(String)
    case power(Int)
}

/// The resolved view of one axis: limits, ticks and their labels.
struct AxisView {
    var scale: AxisScale
    var lower: Double
    var upper: Double
    var ticks: [Double] = []
    var labels: [TickLabel] = []
    var minorTicks: [Double] = []
    /// Lower values at the top (y) or right (x): heatmap rows run downwards.
    var inverted = false
    /// The tick labels are turned a quarter turn (x category names too wide to sit side by side).
    var rotatedLabels = false
    /// The data on this axis are whole numbers (epochs, counts): ticks are whole numbers too,
    /// 1, 2 rather than 1.0, 1.2, ..., 2.0 on a two-epoch loss curve.
    var integral = false

    /// The data extent of an axis, with ends that margins must not pass (matplotlib's sticky
    /// edges: bars start exactly at zero, image cells at their borders).
    struct Extent {
        var lower = Double.infinity
        var upper = -Double.infinity
        var stickyLower: Double? = nil
        var stickyUpper: Double? = nil
        /// Every value included through `includePoint` is a whole number (and there is one).
        var integral: Bool { points > 0 && fractionalPoints == 0 }
        private var points = 0, fractionalPoints = 0
        var isEmpty: Bool { lower > upper }

        mutating func include(_ v: Double) {
            lower = min(lower, v)
            upper = max(upper, v)
        }

        /// Includes a data value (a point's coordinate, a bar's height), noting whether it is whole.
        mutating func includePoint(_ v: Double) {
            include(v)
            points += 1
            if v != v.rounded() { fractionalPoints += 1 }
        }

        /// Values that are not data points (a bar's edges, a region's border) make the axis fractional.
        mutating func includeFractional(_ v: Double) {
            include(v)
            fractionalPoints += 1
        }
    }

    /// The view for `extent` with margins, or the user's limits where given.
    static func resolve(_ extent: Extent, settings: AxisSettings) -> AxisView {
        let scale = settings.scale
        var lo: Double, hi: Double
        if extent.isEmpty {
            (lo, hi) = scale == .log ? (1, 10) : (0, 1)
        } else {
            lo = scale.forward(extent.lower)
            hi = scale.forward(extent.upper)
            if lo == hi {
                let pad = scale == .log ? 1 : (lo == 0 ? 1 : abs(lo) * 0.1)
                lo -= pad
                hi += pad
            } else {
                let span = hi - lo
                let stickyLo = extent.stickyLower.map { scale.forward($0) }
                let stickyHi = extent.stickyUpper.map { scale.forward($0) }
                lo = stickyLo.map { $0 >= lo ? $0 : lo - span * Style.margin } ?? lo - span * Style.margin
                hi = stickyHi.map { $0 <= hi ? $0 : hi + span * Style.margin } ?? hi + span * Style.margin
            }
            lo = scale.inverse(lo)
            hi = scale.inverse(hi)
            // A margin past what a Double holds (a log axis over 1e-300...1e300 would reach
            // 0 and infinity) stops at the data instead.
            if !scale.accepts(lo) { lo = extent.lower }
            if !scale.accepts(hi) { hi = extent.upper }
        }
        if let l = settings.lower, scale.accepts(l) { lo = l }
        if let u = settings.upper, scale.accepts(u) { hi = u }
        var inverted = false
        if let l = settings.lower, let u = settings.upper, scale.accepts(l), scale.accepts(u), l >= u {
            if l > u {
                // Reversed limits turn the axis round, as in matplotlib: `xLimits(5, 0)` puts
                // 5 at the left (it used to show 5...6, away from the data).
                (lo, hi, inverted) = (u, l, true)
            } else {
                // Equal limits widen around the value, as for a constant series.
                let pad = scale == .log ? 1 : (l == 0 ? 1 : abs(l) * 0.1)
                (lo, hi) = (scale.inverse(scale.forward(l) - pad), scale.inverse(scale.forward(l) + pad))
            }
        }
        if hi <= lo { hi = scale == .log ? lo * 10 : lo + 1 }
        var view = AxisView(scale: scale, lower: lo, upper: hi)
        view.inverted = inverted
        view.integral = extent.integral
        return view
    }

    /// Fills in ticks for an axis `length` logical pixels long, about one per `spacing` pixels.
    mutating func computeTicks(length: Double, spacing: Double) {
        let target = min(max(Int(length / spacing), 3), 10)
        switch scale {
        case .linear:
            ticks = Ticks.linear(lower: lower, upper: upper, target: target, minimumStep: integral ? 1 : 0)
            labels = Ticks.labels(for: ticks).map(TickLabel.text)
            minorTicks = []
        case .log:
            let exponents = Ticks.logMajor(lower: lower, upper: upper, target: target)
            if exponents.count >= 2 {
                ticks = exponents.map { pow(10, Double($0)) }
                labels = exponents.map(TickLabel.power)
                minorTicks = Ticks.logMinor(lower: lower, upper: upper)
            } else {
                // Less than a decade: label the 1..9 multiples (or nice linear ticks) instead.
                ticks = Ticks.linear(lower: lower, upper: upper, target: target)
                labels = ticks.map { .text(Ticks.minus(String(format: "%g", $0))) }
                minorTicks = []
            }
        }
    }

    /// Ticks at integer positions with the given names (heatmap rows and columns, bar
    /// categories), keeping every k-th when they would not fit. With `rotatedHeight` (the
    /// height of a line of tick text), names too wide to sit side by side are turned a quarter
    /// turn instead, as matplotlib users do with `rotation=90`, so each keeps its own column.
    mutating func categoryTicks(names: [String], length: Double, widest: Double, rotatedHeight: Double? = nil) {
        var pitch = widest + 6
        rotatedLabels = false
        if let rotatedHeight, Double(names.count) * pitch > length, rotatedHeight + 4 < pitch {
            rotatedLabels = true
            pitch = rotatedHeight + 4
        }
        let fit = max(Int(length / max(pitch, 1)), 1)
        let every = max(1, Int(ceil(Double(names.count) / Double(fit))))
        ticks = []
        labels = []
        for (i, name) in names.enumerated() where i % every == 0 {
            ticks.append(Double(i))
            labels.append(.text(name))
        }
        minorTicks = []
    }

    /// Drops ticks that are not whole numbers (cell indices of a large heatmap).
    mutating func keepWholeNumbers() {
        ticks = ticks.filter { $0 == $0.rounded() }
        labels = ticks.map { .text(Ticks.format($0, digits: 0)) }
    }

    func transform(start: Double, end: Double) -> AxisTransform {
        inverted ? AxisTransform(scale: scale, lower: lower, upper: upper, start: end, end: start)
                 : AxisTransform(scale: scale, lower: lower, upper: upper, start: start, end: end)
    }
}
