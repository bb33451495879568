import Foundation

/// How data values map to positions along an axis.
public enum AxisScale: Sendable {
    case linear
    /// Base-10 logarithmic; values that are not positive are not drawn (and are counted in
    /// the figure's note).
    case log

    /// The value in the space where the axis is linear.
    func forward(_ v: Double) -> Double {
        switch self {
        case .linear: return v
        case .log: return v > 0 ? log10(v) : -.infinity
        }
    }

    func inverse(_ v: Double) -> Double {
        switch self {
        case .linear: return v
        case .log: return pow(10, v)
        }
    }

    func accepts(_ v: Double) -> Bool {
        v.isFinite && (self == .linear || v > 0)
    }
}

/// The affine map from one axis' (scaled) data interval to a pixel interval.
struct AxisTransform {
    var scale: AxisScale
    /// The view in data units.
    var lower: Double
    var upper: Double
    /// Pixel positions of `lower` and `upper` (for a y axis `start` is the bottom, so
    /// `start > end`).
    var start: Double
    var end: Double

    func callAsFunction(_ v: Double) -> Double {
        let a = scale.forward(lower), b = scale.forward(upper)
        guard b != a else { return (start + end) / 2 }
        let f = scale.forward(v)
        // A view wider than the largest Double (-1e308...1e308) is measured in halves.
        guard (b - a).isFinite else { return start + (f / 2 - a / 2) / (b / 2 - a / 2) * (end - start) }
        return start + (f - a) / (b - a) * (end - start)
    }

    /// The data value at pixel `p`.
    func value(at p: Double) -> Double {
        let a = scale.forward(lower), b = scale.forward(upper)
        guard end != start else { return lower }
        let t = (p - start) / (end - start)
        return scale.inverse((b - a).isFinite ? a + t * (b - a) : a + t * b - t * a)
    }
}
