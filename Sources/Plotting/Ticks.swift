import Foundation

/// Tick positions and labels for one axis.
///
/// Step sizes follow Paul S. Heckbert, "Nice Numbers for Graph Labels", Graphics Gems
/// (1990), pp. 61-63: the step is 1, 2, 5 or 10 times a power of ten, chosen by
/// `niceNumber`. Unlike Heckbert's loose labelling, the view is not widened to the outer
/// ticks: as in matplotlib, the view is the data range plus a margin and the ticks are the
/// multiples of the step that fall inside it.
enum Ticks {
    /// Heckbert's `nicenum`: a number of the form {1, 2, 5, 10} x 10^k close to `x`
    /// (`round`: the nearest one; otherwise the smallest not below `x`).
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        precondition(x > 0 && x.isFinite, "niceNumber needs a positive finite value, got \(x)")
        let exponent = floor(log10(x))
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// The tick step for a view from `lower` to `upper` aiming at about `target` ticks:
    /// `nicenum(span / (target - 1), round: true)`. Heckbert first rounds the span itself up
    /// (`nicenum(max - min, false)`); that suits loose labelling, where the view grows to the
    /// outer ticks, but with a fixed view it can coarsen the step 2.5x (a 0...2.3 loss axis
    /// gets ticks 0, 1, 2 instead of 0, 0.5, ..., 2), so the span is used as it is.
    static func step(lower: Double, upper: Double, target: Int) -> Double {
        // Halves first, so that a span past the largest Double (-1e308...1e308) stays finite.
        let span = upper - lower
        if span == .infinity && lower.isFinite && upper.isFinite {
            return niceNumber((upper / 2 - lower / 2) / Double(max(target - 1, 1)) * 2, round: true)
        }
        guard span > 0, span.isFinite else { return 1 }
        return niceNumber(span / Double(max(target - 1, 1)), round: true)
    }

    /// Multiples of the nice step inside `lower...upper` (both ends included, with a tolerance
    /// of a millionth of the step so that 0.30000000000000004 still counts as 0.3). The step is
    /// at least `minimumStep`: 1 for an axis of whole numbers (epochs), which keeps its ticks whole.
    static func linear(lower: Double, upper: Double, target: Int, minimumStep: Double = 0) -> [Double] {
        // A step that leaves fewer than three ticks inside the view (-0.97...0.97 with step 1
        // has only 0) is refined: an axis needs at least two labels to be read.
        var ticks = multiples(lower: lower, upper: upper, target: target, minimumStep: minimumStep)
        var refined = target
        while ticks.count < 3 && refined < target + 8 {
            refined += 1
            ticks = multiples(lower: lower, upper: upper, target: refined, minimumStep: minimumStep)
        }
        return ticks
    }

    private static func multiples(lower: Double, upper: Double, target: Int, minimumStep: Double) -> [Double] {
        let d = max(step(lower: lower, upper: upper, target: target), minimumStep)
        let tolerance = d * 1e-6
        // Divided before the tolerance is added: upper + tolerance overflows at the largest Double.
        let first = ceil(lower / d - 1e-6)
        let last = floor(upper / d + 1e-6)
        guard last >= first, last - first < 1000 else { return [] }
        return stride(from: first, through: last, by: 1).map { k in
            let v = k * d
            return abs(v) < tolerance ? 0 : v
        }
    }

    /// Number of decimals Heckbert's labels need for a step `d`: `max(-floor(log10 d), 0)`.
    static func fractionDigits(step d: Double) -> Int {
        max(-Int(floor(log10(d) + 1e-9)), 0)
    }

    /// Labels for linear ticks: fixed decimals from the step, Unicode minus, and a compact
    /// scientific form (`1e-05`, `2.5e+06`) when the numbers are very large or small.
    static func labels(for ticks: [Double]) -> [String] {
        guard ticks.count > 1 else { return ticks.map { format($0, digits: 2) } }
        let d = abs(ticks[1] - ticks[0])
        let largest = ticks.map(abs).max() ?? 0
        if largest >= 1e6 || (d < 1e-4 && largest < 1e-3) {
            // Three significant digits, or more when the step needs them: ticks 1000000,
            // 1000002... all read "1e+06" at three.
            func compact(_ digits: Int) -> [String] {
                ticks.map { $0 == 0 ? "0" : String(format: "%.\(digits)g", $0) }
            }
            var digits = 3
            while digits < 17, zip(compact(digits), ticks).contains(where: { abs((Double($0) ?? .nan) - $1) > d * 1e-3 }) {
                digits += 1
            }
            return compact(digits).map(minus)
        }
        let digits = fractionDigits(step: d)
        return ticks.map { format($0, digits: digits) }
    }

    static func format(_ value: Double, digits: Int) -> String {
        var s = String(format: "%.\(digits)f", value)
        if s.hasPrefix("-") && Double(s) == 0 { s.removeFirst() }
        return minus(s)
    }

    /// Typographic minus (U+2212), as matplotlib uses: a hyphen is too short beside digits.
    static func minus(_ s: String) -> String {
        s.replacingOccurrences(of: "-", with: "\u{2212}")
    }

    /// Major ticks of a log axis: the powers of ten inside `lower...upper` (every second,
    /// third... decade when there are many), and their exponents for "10^k" labels.
    static func logMajor(lower: Double, upper: Double, target: Int) -> [Int] {
        let a = Int(ceil(log10(lower) - 1e-9)), b = Int(floor(log10(upper) + 1e-9))
        guard b >= a else { return [] }
        let every = max(1, Int(ceil(Double(b - a + 1) / Double(max(target, 2)))))
        return stride(from: a, through: b, by: 1).filter { ($0 - a) % every == 0 }
    }

    /// Minor ticks of a log axis: 2...9 times each power of ten inside the view.
    static func logMinor(lower: Double, upper: Double) -> [Double] {
        let a = Int(floor(log10(lower))), b = Int(ceil(log10(upper)))
        guard b - a <= 12 else { return [] }
        var out: [Double] = []
        for e in a...b {
            for m in 2...9 {
                let v = Double(m) * pow(10, Double(e))
                if v >= lower && v <= upper { out.append(v) }
            }
        }
        return out
    }
}
