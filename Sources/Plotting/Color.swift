/// An sRGB colour with straight (not premultiplied) alpha.
public struct Color: Equatable, Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    /// Opacity from 0 (transparent) to 1 (opaque).
    public var alpha: Double

    public init(red: UInt8, green: UInt8, blue: UInt8, alpha: Double = 1) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = min(max(alpha, 0), 1)
    }

    /// A colour from `0xRRGGBB`.
    public init(hex: UInt32, alpha: Double = 1) {
        self.init(red: UInt8((hex >> 16) & 0xff), green: UInt8((hex >> 8) & 0xff), blue: UInt8(hex & 0xff), alpha: alpha)
    }

    /// The same colour with another opacity.
    public func withAlpha(_ alpha: Double) -> Color {
        Color(red: red, green: green, blue: blue, alpha: alpha)
    }

    /// `0xRRGGBB`.
    public var hex: UInt32 { UInt32(red) << 16 | UInt32(green) << 8 | UInt32(blue) }

    /// Relative luminance (ITU-R BT.709 weights on sRGB values, 0...1); used to pick black
    /// or white text over a coloured cell.
    public var luminance: Double {
        (0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)) / 255
    }

    /// This colour mixed with white: `amount` 0 keeps it, 1 gives white.
    public func lightened(_ amount: Double) -> Color {
        func mix(_ c: UInt8) -> UInt8 { UInt8((Double(c) + (255 - Double(c)) * amount).rounded()) }
        return Color(red: mix(red), green: mix(green), blue: mix(blue), alpha: alpha)
    }

    /// This colour mixed with black: `amount` 0 keeps it, 1 gives black.
    public func darkened(_ amount: Double) -> Color {
        let amount = amount.isNaN ? 0 : min(max(amount, 0), 1)
        func mix(_ c: UInt8) -> UInt8 { UInt8((Double(c) * (1 - amount)).rounded()) }
        return Color(red: mix(red), green: mix(green), blue: mix(blue), alpha: alpha)
    }

    public static let black = Color(hex: 0x000000)
    public static let white = Color(hex: 0xffffff)
    /// Matplotlib's text and spine colour is pure black; labels here use a near-black.
    public static let text = Color(hex: 0x1a1a1a)
    public static let gray = Color(hex: 0x808080)
    public static let lightGray = Color(hex: 0xd9d9d9)
    /// The red used for mismatched captions (tab10 red).
    public static let red = Color(hex: 0xd62728)

    /// The ten categorical colours of Tableau's "tab10" (matplotlib's default cycle).
    public static let tab10: [Color] = [
        0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    ].map { Color(hex: $0) }

    /// The `index`-th colour of the default cycle (tab10, repeating).
    public static func cycle(_ index: Int) -> Color {
        tab10[((index % tab10.count) + tab10.count) % tab10.count]
    }

    /// The libgd true-colour value: `(a << 24) | (r << 16) | (g << 8) | b`, with libgd's
    /// 7-bit alpha where 0 is opaque and 127 transparent (`gdTrueColorAlpha` is a macro
    /// Swift cannot call).
    var gdValue: Int32 {
        let a = Int32(((1 - alpha) * 127).rounded())
        return a << 24 | Int32(red) << 16 | Int32(green) << 8 | Int32(blue)
    }
}
