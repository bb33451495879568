import Foundation

/// Draws a batch of images as a grid with captions under each image.
struct ImageGridRenderer {
    let figure: Figure
    let spec: ImageGridSpec
    let canvas: Canvas
    let frame: Rect

    static let gap = 6.0

    /// Where the images go: their side, the gaps between them (wide enough for the widest
    /// caption) and the caption band under each row.
    struct Layout {
        var columns: Int
        var rows: Int
        var side: Double
        var gapX: Double
        var gapY: Double
        var caption: Double
        var captionSize: Double
    }

    static func layout(_ spec: ImageGridSpec, width: Double, height: Double?, title: String) -> Layout {
        let columns = min(spec.columns ?? Int(Double(spec.count).squareRoot().rounded(.up)), spec.count)
        let rows = (spec.count + columns - 1) / columns
        let caption = spec.captions == nil ? 0 : Style.captionFont * 1.45
        let areaWidth = width - 2 * Style.padding
        let areaHeight = height.map { $0 - top(title: title) - Style.padding }
        var gapX = gap, side = 1.0, captionSize = Style.captionFont
        for _ in 0..<3 {
            side = (areaWidth - gapX * Double(columns - 1)) / Double(columns)
            if let areaHeight {
                side = min(side, (areaHeight - gap * Double(rows - 1)) / Double(rows) - caption)
            }
            side = max(side, 1)
            captionSize = min(Style.captionFont, max(side * 0.3, 7))
            // Wide captions widen the gaps, by at most a third of an image: beyond that the
            // images would shrink for the text's sake, so the captions are shortened with "…".
            let widest = spec.captions?.map { Canvas.measure($0, size: captionSize, bold: false) }.max() ?? 0
            gapX = max(gap, min(widest - side + 8, side / 3))
        }
        return Layout(columns: columns, rows: rows, side: side, gapX: gapX, gapY: gap, caption: caption,
                      captionSize: captionSize)
    }

    static func top(title: String) -> Double {
        title.isEmpty ? Style.padding : Style.titleFont * 2.2
    }

    /// The figure height that fits the grid at `width` without empty bands.
    static func naturalHeight(width: Double, title: String, spec: ImageGridSpec) -> Int {
        let l = layout(spec, width: width, height: nil, title: title)
        let height = top(title: title) + Double(l.rows) * (l.side + l.caption) + l.gapY * Double(l.rows - 1) + Style.padding
        return max(Int(height.rounded(.up)), 40)
    }

    func draw() {
        let l = ImageGridRenderer.layout(spec, width: frame.width, height: frame.height, title: figure.title)
        let (columns, side, caption) = (l.columns, l.side, l.caption)
        let top = frame.minY + ImageGridRenderer.top(title: figure.title)
        let area = Rect(x: frame.minX + Style.padding, y: top, width: frame.width - 2 * Style.padding,
                        height: frame.maxY - Style.padding - top)
        let gridWidth = side * Double(columns) + l.gapX * Double(columns - 1)
        let gridHeight = (side + caption) * Double(l.rows) + l.gapY * Double(l.rows - 1)
        let left = area.minX + (area.width - gridWidth) / 2
        let gridTop = area.minY + max((area.height - gridHeight) / 2, 0)

        if !figure.title.isEmpty {
            canvas.text(figure.title, at: Point(frame.midX, frame.minY + Style.titleFont * 0.75), size: Style.titleFont,
                        horizontal: .center, vertical: .top)
        }
        let finite = spec.pixels.filter { $0.isFinite }
        var lo = spec.range?.lowerBound ?? finite.min() ?? 0
        var hi = spec.range?.upperBound ?? finite.max() ?? 1
        if spec.range == nil && spec.colormap.isDiverging {
            // Weights shown with a diverging map: zero in the middle (white).
            let m = max(abs(lo), abs(hi))
            (lo, hi) = (-m, m)
        }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        let table = spec.colormap.lookupTable()
        let n = spec.side
        // In Double: hi - lo overflows Float for values near ±3e38 (NaN colours, a crash).
        let low = Double(lo)
        let scale = 255 / (Double(hi) - low)
        let captionSize = l.captionSize

        for index in 0..<spec.count {
            let row = index / columns, column = index % columns
            let x = left + Double(column) * (side + l.gapX)
            let y = gridTop + Double(row) * (side + caption + l.gapY)
            let xs = canvas.pixels(x, x + side), ys = canvas.pixels(y, y + side)
            let base = index * n * n
            // Nearest-neighbour sampling: pixels stay square and sharp (matplotlib's imshow
            // with interpolation "nearest", its choice when upsampling).
            let columnOf = xs.map { min((($0 - xs.lowerBound) * n) / xs.count, n - 1) }
            let rowOf = ys.map { min((($0 - ys.lowerBound) * n) / ys.count, n - 1) }
            spec.pixels.withUnsafeBufferPointer { pixels in
                canvas.paintPixels(x: xs, y: ys) { px, py in
                    let v = pixels[base + rowOf[py - ys.lowerBound] * n + columnOf[px - xs.lowerBound]]
                    guard v.isFinite else { return Color(hex: 0xd0d0d0) }
                    return table[Int(min(max((Double(v) - low) * scale, 0), 255).rounded())]
                }
            }
            if let captions = spec.captions {
                let wrong = spec.highlighted?[index] ?? false
                let text = canvas.shortened(captions[index], toWidth: side + l.gapX - 4, size: captionSize)
                canvas.text(text, at: Point(x + side / 2, y + side + caption * 0.22), size: captionSize,
                            color: wrong ? .red : .text, horizontal: .center, vertical: .top)
            }
        }
    }
}
