/// The legend: a framed box of keys and labels, placed in the corner that hides the fewest
/// data points when the position is `.best` (matplotlib's `loc="best"`, simplified).
extension AxesRenderer {
    func drawLegend(_ entries: [LegendEntry], plot: Rect, xT: AxisTransform, yT: AxisTransform) {
        let font = Style.legendFont
        let pad = font * 0.45, handle = font * 2.0, gap = font * 0.7, rowHeight = font * 1.35
        let textWidth = entries.map { canvas.measure($0.label, size: font) }.max() ?? 0
        let width = pad * 2 + handle + gap + textWidth
        let height = pad * 2 + rowHeight * Double(entries.count) - (rowHeight - font * 1.05)
        let inset = font * 0.6

        func rect(_ position: LegendPosition) -> Rect {
            let left = plot.minX + inset, right = plot.maxX - inset - width
            let top = plot.minY + inset, bottom = plot.maxY - inset - height
            let center = plot.midX - width / 2, middle = plot.midY - height / 2
            switch position {
            case .upperCenter: return Rect(x: center, y: top, width: width, height: height)
            case .lowerCenter: return Rect(x: center, y: bottom, width: width, height: height)
            case .centerLeft: return Rect(x: left, y: middle, width: width, height: height)
            case .centerRight: return Rect(x: right, y: middle, width: width, height: height)
            case .upperLeft: return Rect(x: left, y: top, width: width, height: height)
            case .lowerLeft: return Rect(x: left, y: bottom, width: width, height: height)
            case .lowerRight: return Rect(x: right, y: bottom, width: width, height: height)
            default: return Rect(x: right, y: top, width: width, height: height)
            }
        }
        var position = figure.legendPosition
        if position == .best {
            let samples = dataSamples(xT: xT, yT: yT)
            // matplotlib's order of preference among equally good places.
            let candidates: [LegendPosition] = [.upperRight, .upperLeft, .lowerLeft, .lowerRight,
                                                .centerRight, .centerLeft, .lowerCenter, .upperCenter]
            position = candidates.min { a, b in
                let ra = rect(a), rb = rect(b)
                return samples.filter(ra.contains).count < samples.filter(rb.contains).count
            } ?? .upperRight
        }
        let box = rect(position)
        canvas.addPolygon([Point(box.minX, box.minY), Point(box.maxX, box.minY), Point(box.maxX, box.maxY), Point(box.minX, box.maxY)])
        canvas.flush(color: Color.white.withAlpha(0.85))
        let border = Color(hex: 0xcccccc)
        canvas.horizontalLine(x0: box.minX, x1: box.maxX, y: box.minY, thickness: 1, color: border)
        canvas.horizontalLine(x0: box.minX, x1: box.maxX, y: box.maxY, thickness: 1, color: border)
        canvas.verticalLine(x: box.minX, y0: box.minY, y1: box.maxY, thickness: 1, color: border)
        canvas.verticalLine(x: box.maxX, y0: box.minY, y1: box.maxY, thickness: 1, color: border)

        for (i, entry) in entries.enumerated() {
            let centerY = box.minY + pad + font * 0.52 + rowHeight * Double(i)
            let x0 = box.minX + pad
            switch entry.key {
            case .line(let w, let marker, let dashed):
                let points = [Point(x0, centerY), Point(x0 + handle, centerY)]
                if dashed {
                    for piece in Canvas.dashes(points, on: 3.7 * w, off: 1.6 * w) { canvas.addStroke(piece, width: w) }
                } else {
                    canvas.addStroke(points, width: w)
                }
                if let marker { addMarker(marker, at: Point(x0 + handle / 2, centerY), size: max(w * 3.5, 7)) }
            case .marker(let marker, let size):
                addMarker(marker, at: Point(x0 + handle / 2, centerY), size: max(size, 6))
            case .patch:
                canvas.addPolygon([Point(x0, centerY - font * 0.35), Point(x0 + handle, centerY - font * 0.35),
                                   Point(x0 + handle, centerY + font * 0.35), Point(x0, centerY + font * 0.35)])
            }
            canvas.flush(color: entry.color, clip: box)
            canvas.text(entry.label, at: Point(x0 + handle + gap, centerY), size: font, horizontal: .left, vertical: .center)
        }
    }

    /// Up to about 4000 points along the series, in logical pixels (lines sampled between
    /// their vertices too, so a straight segment through a corner counts).
    private func dataSamples(xT: AxisTransform, yT: AxisTransform) -> [Point] {
        var out: [Point] = []
        let xScale = xT.scale, yScale = yT.scale
        let total = figure.series.reduce(0) { n, s in
            switch s {
            case .line(let l): return n + l.x.count
            case .scatter(let c): return n + c.x.count
            case .bars(let b): return n + b.heights.count
            }
        }
        let every = max(1, total / 4000)
        for series in figure.series {
            switch series {
            case .line(let l):
                var previous: Point? = nil
                for i in Swift.stride(from: 0, to: l.x.count, by: every) where xScale.accepts(l.x[i]) && yScale.accepts(l.y[i]) {
                    let p = Point(xT(l.x[i]), yT(l.y[i]))
                    if let q = previous {
                        let steps = min(Int(max(abs(p.x - q.x), abs(p.y - q.y)) / 8), 50)
                        if steps > 1 {
                            for k in 1..<steps {
                                let t = Double(k) / Double(steps)
                                out.append(Point(q.x + (p.x - q.x) * t, q.y + (p.y - q.y) * t))
                            }
                        }
                    }
                    out.append(p)
                    previous = p
                }
            case .scatter(let c):
                for i in Swift.stride(from: 0, to: c.x.count, by: every) where xScale.accepts(c.x[i]) && yScale.accepts(c.y[i]) {
                    out.append(Point(xT(c.x[i]), yT(c.y[i])))
                }
            case .bars(let b):
                for i in b.heights.indices where b.heights[i].isFinite && yScale.accepts(b.heights[i]) {
                    let top = yT(b.heights[i])
                    for f in [0.0, 0.5, 1.0] {
                        let x = b.kind == .histogram ? b.lefts[i] + (b.rights[i] - b.lefts[i]) * f : b.lefts[i] - 0.4 + 0.8 * f
                        // The whole bar hides the legend's view: sample down to the base.
                        let base = yScale == .linear ? yT(0) : yT.start
                        for g in [0.0, 0.25, 0.5, 0.75, 1.0] { out.append(Point(xT(x), top + (base - top) * g)) }
                    }
                }
            }
        }
        return out
    }
}
