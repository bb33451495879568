/// A map from a value in 0...1 to a colour.
///
/// The stops are matplotlib's colormaps sampled at 33 evenly spaced points and joined
/// linearly; the largest difference from the 256-entry originals is under 1/255.
public enum Colormap: String, CaseIterable, Sendable {
    /// Perceptually uniform sequential map (van der Walt and Smith), dark purple to yellow.
    case viridis
    /// White to dark blue (ColorBrewer "Blues"): confusion matrices, counts.
    case blues
    /// Diverging blue-white-red (ColorBrewer "RdBu", reversed): weights around zero.
    case redBlue
    /// Black to white.
    case gray
    /// White to black: dark ink on paper, e.g. digits.
    case grayInverted

    /// Whether the map is meant for values centred on zero (the colour bar range is then symmetric).
    public var isDiverging: Bool { self == .redBlue }

    /// The colour at `t`, clamped to 0...1; NaN gives light grey.
    public func color(at t: Double) -> Color {
        guard t.isFinite else { return Color(hex: 0xd0d0d0) }
        if self == .gray || self == .grayInverted {
            let v = UInt8((min(max(self == .gray ? t : 1 - t, 0), 1) * 255).rounded())
            return Color(red: v, green: v, blue: v)
        }
        let stops = self.stops
        let position = min(max(t, 0), 1) * Double(stops.count - 1)
        let index = min(Int(position), stops.count - 2)
        let f = position - Double(index)
        let a = stops[index], b = stops[index + 1]
        func mix(_ shift: UInt32) -> UInt8 {
            let x = Double((a >> shift) & 0xff), y = Double((b >> shift) & 0xff)
            return UInt8((x + (y - x) * f).rounded())
        }
        return Color(red: mix(16), green: mix(8), blue: mix(0))
    }

    /// 256 colours, for drawing many pixels without repeating the interpolation.
    func lookupTable() -> [Color] {
        (0..<256).map { color(at: Double($0) / 255) }
    }

    private var stops: [UInt32] {
        switch self {
        case .viridis: return Colormap.viridisStops
        case .blues: return Colormap.bluesStops
        case .redBlue: return Colormap.redBlueStops
        case .gray: return [0x000000, 0xffffff]
        case .grayInverted: return [0xffffff, 0x000000]
        }
    }

    private static let viridisStops: [UInt32] = [
        0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b,
        0x375b8d, 0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b,
        0x1fa088, 0x22a785, 0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b,
        0x98d83e, 0xaddc30, 0xc2df23, 0xd8e219, 0xece51b, 0xfde725,
    ]
    private static let bluesStops: [UInt32] = [
        0xf7fbff, 0xf1f7fd, 0xeaf3fb, 0xe4eff9, 0xdeebf7, 0xd8e7f5, 0xd2e3f3, 0xccdff1, 0xc6dbef,
        0xbcd7eb, 0xb2d2e8, 0xa8cee4, 0x9dcae1, 0x91c3de, 0x84bcdb, 0x77b5d9, 0x6aaed6, 0x60a7d2,
        0x56a0ce, 0x4b98ca, 0x4191c6, 0x3989c1, 0x3181bd, 0x2979b9, 0x2070b4, 0x1a68ae, 0x1460a8,
        0x0e58a2, 0x08509b, 0x08488e, 0x084082, 0x083776, 0x08306b,
    ]
    private static let redBlueStops: [UInt32] = [
        0x053061, 0x0e4179, 0x175290, 0x1f63a8, 0x2a71b2, 0x3480b9, 0x3f8ec0, 0x529dc8, 0x6bacd1,
        0x84bcd9, 0x9bc9e0, 0xaed3e6, 0xc2ddec, 0xd4e6f1, 0xe0ecf3, 0xecf2f5, 0xf7f6f6, 0xf9eee7,
        0xfbe5d8, 0xfddcc9, 0xfbccb4, 0xf8bb9e, 0xf5aa89, 0xee9677, 0xe48066, 0xdb6b55, 0xd05548,
        0xc53e3d, 0xba2832, 0xab162a, 0x930e26, 0x7c0722, 0x67001f,
    ]
}
