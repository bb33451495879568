import Foundation

/// Heatmap cells, their colour bar, and decision regions: drawn per physical pixel.
extension AxesRenderer {
    /// Where `v` sits from `lo` (0) to `hi` (1), measured in halves when the span is past the
    /// largest Double (a matrix holding -1e308 and 1e308).
    func fraction(_ v: Double, _ lo: Double, _ hi: Double) -> Double {
        (hi - lo).isFinite ? (v - lo) / (hi - lo) : (v / 2 - lo / 2) / (hi / 2 - lo / 2)
    }

    func colorRange(_ h: HeatmapSpec) -> (Double, Double) {
        if let r = h.range {
            // range: 5...5 would divide by zero: widened as for constant data.
            return r.lowerBound == r.upperBound ? (r.lowerBound - 1, r.upperBound + 1) : (r.lowerBound, r.upperBound)
        }
        let finite = h.values.filter { $0.isFinite }
        guard var lo = finite.min(), var hi = finite.max() else { return (0, 1) }
        if h.colormap.isDiverging {
            let m = max(abs(lo), abs(hi))
            (lo, hi) = (-m, m)
        }
        // Constant data: the lowest colour, as matplotlib's imshow draws it, with a colour bar
        // from the value up (an all-zero confusion matrix showed a -1 count in the middle colour).
        // A diverging map keeps its centre at zero.
        if lo == hi { (lo, hi) = h.colormap.isDiverging ? (lo - 1, hi + 1) : (lo, hi + 1) }
        return (lo, hi)
    }

    func drawHeatmapCells(_ h: HeatmapSpec, plot: Rect, xT: AxisTransform, yT: AxisTransform) {
        let (lo, hi) = colorRange(h)
        let table = h.colormap.lookupTable()
        func color(_ v: Double) -> Color {
            guard v.isFinite else { return Color(hex: 0xd0d0d0) }
            let t = min(max(fraction(v, lo, hi), 0), 1)
            return table[Int((t * 255).rounded())]
        }
        let s = canvas.scale
        let xs = canvas.pixels(plot.minX, plot.maxX), ys = canvas.pixels(plot.minY, plot.maxY)
        // Cell of each physical column and row (pixel centres), computed once.
        let columnOf = xs.map { px in min(max(Int(((Double(px) + 0.5) / s - plot.minX) / plot.width * Double(h.columns)), 0), h.columns - 1) }
        let rowOf = ys.map { py in min(max(Int(((Double(py) + 0.5) / s - plot.minY) / plot.height * Double(h.rows)), 0), h.rows - 1) }
        let colors = h.values.map(color)
        canvas.paintPixels(x: xs, y: ys) { px, py in
            colors[rowOf[py - ys.lowerBound] * h.columns + columnOf[px - xs.lowerBound]]
        }

        let cellWidth = plot.width / Double(h.columns), cellHeight = plot.height / Double(h.rows)
        guard h.showValues ?? (h.rows * h.columns <= 400) else { return }
        let allIntegral = h.integerValues || h.values.allSatisfy { !$0.isFinite || $0 == $0.rounded() }
        let texts = h.values.map { v -> String in
            guard v.isFinite else { return v.isNaN ? "" : (v > 0 ? "∞" : "−∞") }
            // Int(1e20) would trap: huge whole numbers are written compactly.
            if abs(v) >= 1e15 { return Ticks.minus(String(format: "%.3g", v)) }
            if allIntegral { return Ticks.minus(String(Int(v))) }
            return Ticks.minus(abs(v) >= 100 ? String(format: "%.0f", v) : String(format: "%.2f", v))
        }
        var size = min(Style.tickFont, cellHeight * 0.45)
        let widest = texts.map { canvas.measure($0, size: size) }.max() ?? 0
        if widest > cellWidth * 0.86 { size *= cellWidth * 0.86 / widest }
        guard size >= 6 else { return }
        for r in 0..<h.rows {
            for c in 0..<h.columns {
                let v = h.values[r * h.columns + c]
                let ink = color(v).luminance < 0.45 ? Color.white : Color.text
                canvas.text(texts[r * h.columns + c], at: Point(xT(Double(c)), yT(Double(r))), size: size, color: ink,
                            horizontal: .center, vertical: .center)
            }
        }
    }

    private func colorBarTicks(_ h: HeatmapSpec, length: Double) -> ([Double], [String]) {
        let (lo, hi) = colorRange(h)
        let ticks = Ticks.linear(lower: lo, upper: hi, target: min(max(Int(length / 80), 3), 8))
        let allIntegral = h.integerValues && ticks.allSatisfy { $0 == $0.rounded() }
        return (ticks, allIntegral ? ticks.map { Ticks.minus(String(Int($0))) } : Ticks.labels(for: ticks))
    }

    func colorBarLabelWidth(_ h: HeatmapSpec) -> Double {
        colorBarTicks(h, length: frame.height * 0.8).1.map { canvas.measure($0, size: Style.tickFont) }.max() ?? 0
    }

    func drawColorBar(_ h: HeatmapSpec, plot: Rect) {
        let bar = Rect(x: plot.maxX + 14, y: plot.minY, width: 14, height: plot.height)
        let (lo, hi) = colorRange(h)
        let table = h.colormap.lookupTable()
        let ys = canvas.pixels(bar.minY, bar.maxY)
        let span = Double(max(ys.count - 1, 1))
        canvas.paintPixels(x: canvas.pixels(bar.minX, bar.maxX), y: ys) { _, py in
            table[Int(((1 - Double(py - ys.lowerBound) / span) * 255).rounded())]
        }
        let w = Style.spineWidth, c = Style.spineColor
        canvas.horizontalLine(x0: bar.minX - w / 2, x1: bar.maxX + w / 2, y: bar.minY, thickness: w, color: c)
        canvas.horizontalLine(x0: bar.minX - w / 2, x1: bar.maxX + w / 2, y: bar.maxY, thickness: w, color: c)
        canvas.verticalLine(x: bar.minX, y0: bar.minY, y1: bar.maxY, thickness: w, color: c)
        canvas.verticalLine(x: bar.maxX, y0: bar.minY, y1: bar.maxY, thickness: w, color: c)
        let (ticks, labels) = colorBarTicks(h, length: bar.height)
        for (t, label) in zip(ticks, labels) {
            let y = bar.maxY - fraction(t, lo, hi) * bar.height
            canvas.horizontalLine(x0: bar.maxX, x1: bar.maxX + Style.tickLength, y: y, thickness: w, color: c)
            canvas.text(label, at: Point(bar.maxX + Style.tickLength + Style.tickPad, y), size: Style.tickFont,
                        horizontal: .left, vertical: .center)
        }
    }

    /// Class regions: each physical pixel takes the class whose score, bilinearly
    /// interpolated from the four surrounding grid nodes, is largest.
    func drawRegions(_ r: RegionSpec, plot: Rect, xT: AxisTransform, yT: AxisTransform) {
        let k = r.classCount
        let colors = (0..<k).map { Color.cycle($0).lightened(1 - r.alpha) }
        let s = canvas.scale
        let xs = canvas.pixels(plot.minX, plot.maxX), ys = canvas.pixels(plot.minY, plot.maxY)
        let x0 = r.xRange.lowerBound, x1 = r.xRange.upperBound
        let y0 = r.yRange.lowerBound, y1 = r.yRange.upperBound
        // Grid coordinate of each physical column / row.
        let gx = xs.map { px -> Double in
            let v = xT.value(at: (Double(px) + 0.5) / s)
            return min(max((v - x0) / (x1 - x0) * Double(r.nx - 1), 0), Double(r.nx - 1))
        }
        let gy = ys.map { py -> Double in
            let v = yT.value(at: (Double(py) + 0.5) / s)
            return min(max((v - y0) / (y1 - y0) * Double(r.ny - 1), 0), Double(r.ny - 1))
        }
        let inside = xs.map { px -> Bool in
            let v = xT.value(at: (Double(px) + 0.5) / s); return v >= x0 && v <= x1
        }
        let insideY = ys.map { py -> Bool in
            let v = yT.value(at: (Double(py) + 0.5) / s); return v >= y0 && v <= y1
        }
        r.scores.withUnsafeBufferPointer { scores in
            canvas.paintPixels(x: xs, y: ys) { px, py in
                let ix = px - xs.lowerBound, iy = py - ys.lowerBound
                guard inside[ix] && insideY[iy] else { return .white }
                let fx = gx[ix], fy = gy[iy]
                let i0 = min(Int(fx), r.nx - 2), j0 = min(Int(fy), r.ny - 2)
                let tx = Float(fx - Double(i0)), ty = Float(fy - Double(j0))
                let a = (j0 * r.nx + i0) * k, b = a + k, c = a + r.nx * k, d = c + k
                var best = -1
                var bestScore = -Float.infinity
                for m in 0..<k {
                    let top = scores[a + m] + (scores[b + m] - scores[a + m]) * tx
                    let bottom = scores[c + m] + (scores[d + m] - scores[c + m]) * tx
                    let v = top + (bottom - top) * ty
                    if !v.isNaN && (best < 0 || v > bestScore) { bestScore = v; best = m }
                }
                // Where every score is NaN (predict returned NaN) no class is drawn, as in
                // matplotlib's contourf, rather than the first class.
                return best < 0 ? .white : colors[best]
            }
        }
    }
}
