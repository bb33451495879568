import Foundation

/// A legend entry: a label and how its key is drawn.
struct LegendEntry {
    enum Key {
        case line(width: Double, marker: Marker?, dashed: Bool)
        case marker(Marker, size: Double)
        case patch
    }
    var label: String
    var color: Color
    var key: Key
}

extension AxesRenderer {
    /// Draws every series in order and returns the legend entries.
    func drawSeries(plot: Rect, xT: AxisTransform, yT: AxisTransform, xView: AxisView, yView: AxisView) -> [LegendEntry] {
        var entries: [LegendEntry] = []
        var nextColor = 0
        func autoColor(_ given: Color?) -> Color {
            if let given { return given }
            defer { nextColor += 1 }
            return Color.cycle(nextColor)
        }
        let barSeriesCount = figure.series.filter { if case .bars(let b) = $0 { return b.kind == .categories }; return false }.count
        var barIndex = 0
        let histogramCount = figure.series.filter { if case .bars(let b) = $0 { return b.kind == .histogram }; return false }.count
        let xScale = xView.scale, yScale = yView.scale

        for series in figure.series {
            switch series {
            case .line(let s):
                let color = autoColor(s.color)
                var run: [Point] = []
                var markers: [Point] = []
                func endRun() {
                    if s.dashed {
                        for piece in Canvas.dashes(run, on: 3.7 * s.width, off: 1.6 * s.width) { canvas.addStroke(piece, width: s.width) }
                    } else {
                        canvas.addStroke(run, width: s.width)
                    }
                    run.removeAll(keepingCapacity: true)
                }
                for i in s.x.indices {
                    let x = s.x[i], y = s.y[i]
                    if xScale.accepts(x) && yScale.accepts(y) {
                        let p = Point(xT(x), yT(y))
                        run.append(p)
                        if s.marker != nil { markers.append(p) }
                    } else if !run.isEmpty {
                        endRun()
                    }
                }
                if !run.isEmpty { endRun() }
                canvas.flush(color: color, clip: plot)
                if let marker = s.marker {
                    let size = max(s.width * 3.5, 7)
                    for p in markers { addMarker(marker, at: p, size: size) }
                    canvas.flush(color: color, clip: plot)
                }
                if let label = s.label {
                    entries.append(LegendEntry(label: label, color: color, key: .line(width: s.width, marker: s.marker, dashed: s.dashed)))
                }

            case .scatter(let s):
                if let classes = s.classes {
                    let present = Array(Set(classes)).sorted()
                    for c in present {
                        let color = Color.cycle(c).withAlpha(s.alpha)
                        for i in s.x.indices where classes[i] == c && xScale.accepts(s.x[i]) && yScale.accepts(s.y[i]) {
                            addMarker(s.marker, at: Point(xT(s.x[i]), yT(s.y[i])), size: s.size)
                        }
                        canvas.flush(color: color, clip: plot)
                        let name = s.classNames.flatMap { c < $0.count ? $0[c] : nil } ?? "class \(c)"
                        entries.append(LegendEntry(label: name, color: color.withAlpha(1), key: .marker(s.marker, size: s.size)))
                    }
                } else {
                    let color = autoColor(s.color).withAlpha(s.alpha)
                    for i in s.x.indices where xScale.accepts(s.x[i]) && yScale.accepts(s.y[i]) {
                        addMarker(s.marker, at: Point(xT(s.x[i]), yT(s.y[i])), size: s.size)
                    }
                    canvas.flush(color: color, clip: plot)
                    if let label = s.label {
                        entries.append(LegendEntry(label: label, color: color.withAlpha(1), key: .marker(s.marker, size: s.size)))
                    }
                }

            case .bars(let b):
                let color = autoColor(b.color).withAlpha(b.alpha ?? (histogramCount > 1 ? 0.6 : 1))
                let base = yScale == .linear ? yT(0) : yT(yView.lower)
                switch b.kind {
                case .histogram:
                    // One staircase polygon per histogram: adjacent bars share edges without seams.
                    var outline: [Point] = []
                    for i in b.heights.indices {
                        let h = b.heights[i]
                        let top = yScale.accepts(h) ? yT(h) : base
                        outline.append(Point(xT(b.lefts[i]), top))
                        outline.append(Point(xT(b.rights[i]), top))
                    }
                    if let first = outline.first, let last = outline.last {
                        canvas.addPolygon([Point(first.x, base)] + outline + [Point(last.x, base)])
                    }
                case .categories:
                    let width = 0.8 / Double(max(barSeriesCount, 1))
                    for i in b.heights.indices {
                        let h = b.heights[i]
                        guard h.isFinite, yScale.accepts(h) || yScale == .linear else { continue }
                        let left = b.lefts[i] - 0.4 + Double(barIndex) * width
                        let x0 = xT(left), x1 = xT(left + width), y1 = yT(h)
                        canvas.addPolygon([Point(x0, base), Point(x1, base), Point(x1, y1), Point(x0, y1)])
                    }
                    barIndex += 1
                }
                canvas.flush(color: color, clip: plot)
                if let label = b.label {
                    entries.append(LegendEntry(label: label, color: color, key: .patch))
                }
            }
        }
        return entries
    }

    /// Adds a marker of diameter `size` (logical pixels) centred at `p`.
    func addMarker(_ marker: Marker, at p: Point, size: Double) {
        let r = size / 2
        switch marker {
        case .circle:
            canvas.addCircle(center: p, radius: r)
        case .square:
            let h = r * 0.88
            canvas.addPolygon([Point(p.x - h, p.y - h), Point(p.x + h, p.y - h), Point(p.x + h, p.y + h), Point(p.x - h, p.y + h)])
        case .diamond:
            let h = r * 1.15
            canvas.addPolygon([Point(p.x, p.y - h), Point(p.x + h * 0.8, p.y), Point(p.x, p.y + h), Point(p.x - h * 0.8, p.y)])
        case .triangle:
            let h = r * 1.15
            canvas.addPolygon([Point(p.x, p.y - h), Point(p.x + h * 0.866, p.y + h * 0.5), Point(p.x - h * 0.866, p.y + h * 0.5)])
        case .plus, .cross:
            let t = max(size * 0.11, 0.6)
            var bars = [[Point(-r, -t), Point(r, -t), Point(r, t), Point(-r, t)],
                        [Point(-t, -r), Point(t, -r), Point(t, r), Point(-t, r)]]
            if marker == .cross {
                let c = cos(Double.pi / 4)
                bars = bars.map { $0.map { Point(($0.x - $0.y) * c, ($0.x + $0.y) * c) } }
            }
            for bar in bars { canvas.addPolygon(bar.map { Point(p.x + $0.x, p.y + $0.y) }) }
        }
    }
}
