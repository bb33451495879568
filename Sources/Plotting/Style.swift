/// Sizes (logical pixels) and colours shared by the renderers. Text sizes follow
/// matplotlib's defaults at 100 dpi: 10 pt ticks and labels (about 14 px), 12 pt titles.
enum Style {
    static let tickFont = 13.0
    static let labelFont = 14.0
    static let titleFont = 16.5
    static let legendFont = 13.0
    static let noteFont = 11.0
    static let captionFont = 12.0
    /// Outward tick length and the gap between tick and label (3.5 pt in matplotlib).
    static let tickLength = 5.0
    static let tickPad = 4.0
    static let spineWidth = 1.0
    static let padding = 10.0
    static let gridColor = Color(hex: 0xe3e3e3)
    static let spineColor = Color(hex: 0x262626)
    static let noteColor = Color(hex: 0x8c8c8c)
    /// Fraction of the data span added on each side of the view (matplotlib's 5%).
    static let margin = 0.05
}
