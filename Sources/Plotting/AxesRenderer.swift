import Foundation

/// Draws an axes figure (series, heatmap, class regions) into a frame of a canvas:
/// resolve views, lay out margins from measured text, then paint back to front.
struct AxesRenderer {
    let figure: Figure
    let canvas: Canvas
    let frame: Rect

    /// Values not drawn, for the note under the plot.
    struct Skipped {
        var nonFinite = 0
        var nonPositive = 0
    }

    /// The axes' views with their ticks and labels, and the plot rectangle they leave.
    struct Layout {
        var xView: AxisView
        var yView: AxisView
        var plot: Rect
        var skipped: Skipped
        /// Bars at named categories (no vertical grid lines).
        var hasCategories: Bool
    }

    func draw() {
        let layout = layout()
        let (xView, yView, plot, skipped) = (layout.xView, layout.yView, layout.plot, layout.skipped)
        let heatmap = figure.heatmap
        let xT = xView.transform(start: plot.minX, end: plot.maxX)
        let yT = yView.transform(start: plot.maxY, end: plot.minY)

        if let regions = figure.regions { drawRegions(regions, plot: plot, xT: xT, yT: yT) }
        if let heatmap { drawHeatmapCells(heatmap, plot: plot, xT: xT, yT: yT) }
        if figure.showsGrid ?? (heatmap == nil && figure.regions == nil) {
            // No vertical grid lines between categories: they would cut through the bars' groups.
            drawGrid(xView: layout.hasCategories ? AxisView(scale: .linear, lower: 0, upper: 1) : xView,
                     yView: yView, plot: plot, xT: xT, yT: yT)
        }
        let entries = drawSeries(plot: plot, xT: xT, yT: yT, xView: xView, yView: yView)
        drawSpinesAndTicks(plot: plot, xView: xView, yView: yView, xT: xT, yT: yT)
        drawLabels(plot: plot, xView: xView, yTickWidth: yView.labels.map(tickLabelWidth).max() ?? 0)
        if let heatmap, heatmap.colorBar { drawColorBar(heatmap, plot: plot) }
        if figure.legendPosition != .hidden && !entries.isEmpty {
            drawLegend(entries, plot: plot, xT: xT, yT: yT)
        }
        drawNote(skipped)
    }

    func layout() -> Layout {
        var skipped = Skipped()
        var (xView, yView) = resolveViews(skipped: &skipped)
        let heatmap = figure.heatmap

        // Category names on the x axis (bars), rows and columns (heatmap).
        let categoryNames = figure.series.lazy.compactMap { series -> [String]? in
            if case .bars(let b) = series, b.kind == .categories {
                return b.categoryLabels ?? b.heights.indices.map { "\($0)" }
            }
            return nil
        }.first
        // Names the user gave may be turned a quarter turn to fit; default indices thin out instead.
        let namesGiven = heatmap?.columnLabels != nil || figure.series.contains { series in
            if case .bars(let b) = series { return b.kind == .categories && b.categoryLabels != nil }
            return false
        }
        let columnNames = heatmap.map { $0.columnLabels ?? (0..<$0.columns).map { "\($0)" } }
        let rowNames = heatmap.map { $0.rowLabels ?? (0..<$0.rows).map { "\($0)" } }

        // Layout, twice: tick labels depend on the plot size and the margins on the labels.
        var plot = frame
        for _ in 0..<2 {
            if let rowNames, heatmap?.rowLabels != nil || rowNames.count <= 30 {
                yView.categoryTicks(names: rowNames, length: plot.height, widest: Style.tickFont * 1.2)
            } else if heatmap != nil {
                yView.computeTicks(length: plot.height, spacing: 48)
                yView.keepWholeNumbers()
            } else {
                yView.computeTicks(length: plot.height, spacing: 48)
            }
            if heatmap != nil && heatmap?.columnLabels == nil && (columnNames?.count ?? 0) > 30 {
                xView.computeTicks(length: plot.width, spacing: 90)
                xView.keepWholeNumbers()
            } else if let names = columnNames ?? categoryNames {
                let widest = names.map { canvas.measure($0, size: Style.tickFont) }.max() ?? 0
                xView.categoryTicks(names: names, length: plot.width, widest: widest,
                                    rotatedHeight: namesGiven ? Style.tickFont * 1.2 : nil)
                if xView.rotatedLabels {
                    // Turned labels take height from the plot: at most a third of the figure's.
                    let limit = max(frame.height / 3, Style.tickFont * 3)
                    xView.labels = xView.labels.map { label in
                        guard case .text(let name) = label else { return label }
                        return .text(canvas.shortened(name, toWidth: limit, size: Style.tickFont))
                    }
                }
            } else {
                xView.computeTicks(length: plot.width, spacing: 90)
            }
            plot = plotRect(xView: xView, yView: yView, heatmap: heatmap, hasNote: skipped.nonFinite + skipped.nonPositive > 0)
        }
        return Layout(xView: xView, yView: yView, plot: plot, skipped: skipped, hasCategories: categoryNames != nil)
    }

    // MARK: Views

    private func resolveViews(skipped: inout Skipped) -> (AxisView, AxisView) {
        let xScale = figure.xAxis.scale, yScale = figure.yAxis.scale
        if let h = figure.heatmap {
            let x = AxisView(scale: .linear, lower: -0.5, upper: Double(h.columns) - 0.5)
            var y = AxisView(scale: .linear, lower: -0.5, upper: Double(h.rows) - 0.5)
            y.inverted = true
            return (x, y)
        }
        var xe = AxisView.Extent(), ye = AxisView.Extent()
        func add(_ x: Double, _ y: Double) {
            guard x.isFinite && y.isFinite else { skipped.nonFinite += 1; return }
            guard xScale.accepts(x) && yScale.accepts(y) else { skipped.nonPositive += 1; return }
            xe.includePoint(x)
            ye.includePoint(y)
        }
        for series in figure.series {
            switch series {
            case .line(let s): for i in s.x.indices { add(s.x[i], s.y[i]) }
            case .scatter(let s): for i in s.x.indices { add(s.x[i], s.y[i]) }
            case .bars(let b):
                skipped.nonFinite += b.skipped
                let halfWidth = b.kind == .categories ? 0.4 : 0
                for i in b.heights.indices {
                    let h = b.heights[i]
                    guard h.isFinite else { skipped.nonFinite += 1; continue }
                    xe.includeFractional(b.lefts[i] - halfWidth)
                    xe.includeFractional(b.rights[i] + halfWidth)
                    if yScale.accepts(h) { ye.includePoint(h) }
                    if yScale == .linear { ye.include(0) }
                }
                if yScale == .linear {
                    if b.heights.allSatisfy({ !($0 < 0) }) { ye.stickyLower = 0 }
                    if b.heights.allSatisfy({ !($0 > 0) }) { ye.stickyUpper = 0 }
                }
            }
        }
        if let r = figure.regions {
            xe.includeFractional(r.xRange.lowerBound); xe.includeFractional(r.xRange.upperBound)
            ye.includeFractional(r.yRange.lowerBound); ye.includeFractional(r.yRange.upperBound)
            xe.stickyLower = r.xRange.lowerBound; xe.stickyUpper = r.xRange.upperBound
            ye.stickyLower = r.yRange.lowerBound; ye.stickyUpper = r.yRange.upperBound
        }
        return (AxisView.resolve(xe, settings: figure.xAxis), AxisView.resolve(ye, settings: figure.yAxis))
    }

    // MARK: Layout

    func tickLabelWidth(_ label: TickLabel) -> Double {
        switch label {
        case .text(let s): return canvas.measure(s, size: Style.tickFont)
        case .power(let e):
            return canvas.measure("10", size: Style.tickFont)
                + canvas.measure(Ticks.minus("\(e)"), size: Style.tickFont * 0.72) + 1
        }
    }

    private func plotRect(xView: AxisView, yView: AxisView, heatmap: HeatmapSpec?, hasNote: Bool) -> Rect {
        let p = Style.padding
        let top = figure.title.isEmpty ? p * 1.4 : Style.titleFont * 2.2
        let yTickWidth = yView.labels.map(tickLabelWidth).max() ?? 0
        var left = p + yTickWidth + Style.tickPad + Style.tickLength
        if !figure.yAxis.label.isEmpty { left += Style.labelFont * 1.5 }
        var bottom = Style.tickLength + Style.tickPad + xTickLabelHeight(xView) + p
        if !figure.xAxis.label.isEmpty { bottom += Style.labelFont * 1.5 }
        if hasNote { bottom += Style.noteFont * 1.2 }
        // Room for half of the last x tick label past the right spine.
        let lastX = xView.rotatedLabels ? Style.tickFont * 1.2 : xView.labels.last.map(tickLabelWidth) ?? 0
        var right = max(p * 1.6, lastX / 2 + 4)
        if let heatmap, heatmap.colorBar {
            right = 14 + 14 + Style.tickLength + Style.tickPad + colorBarLabelWidth(heatmap) + p
        }
        var rect = Rect(x: frame.minX + left, y: frame.minY + top,
                        width: max(frame.width - left - right, 20), height: max(frame.height - top - bottom, 20))
        // Square cells, centred in the space left (matplotlib's imshow), unless that would
        // squeeze the matrix into a strip (a 10 x 784 weight matrix): then the cells stretch.
        let matrixAspect = heatmap.map { Double($0.columns) / Double($0.rows) } ?? 1
        let rectAspect = rect.width / rect.height
        if let heatmap, max(matrixAspect / rectAspect, rectAspect / matrixAspect) < 4 {
            let cell = min(rect.width / Double(heatmap.columns), rect.height / Double(heatmap.rows))
            let w = cell * Double(heatmap.columns), h = cell * Double(heatmap.rows)
            rect = Rect(x: rect.minX + (rect.width - w) / 2, y: rect.minY + (rect.height - h) / 2, width: w, height: h)
        }
        // Snap to whole physical pixels so spines and cells are crisp.
        let s = canvas.scale
        let x0 = (rect.minX * s).rounded() / s, y0 = (rect.minY * s).rounded() / s
        let x1 = (rect.maxX * s).rounded() / s, y1 = (rect.maxY * s).rounded() / s
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }

    // MARK: Grid, spines, ticks, labels

    private func drawGrid(xView: AxisView, yView: AxisView, plot: Rect, xT: AxisTransform, yT: AxisTransform) {
        for t in xView.ticks {
            let x = xT(t)
            if x > plot.minX + 0.5 && x < plot.maxX - 0.5 {
                canvas.verticalLine(x: x, y0: plot.minY, y1: plot.maxY, thickness: 0.8, color: Style.gridColor)
            }
        }
        for t in yView.ticks {
            let y = yT(t)
            if y > plot.minY + 0.5 && y < plot.maxY - 0.5 {
                canvas.horizontalLine(x0: plot.minX, x1: plot.maxX, y: y, thickness: 0.8, color: Style.gridColor)
            }
        }
    }

    private func drawSpinesAndTicks(plot: Rect, xView: AxisView, yView: AxisView, xT: AxisTransform, yT: AxisTransform) {
        let w = Style.spineWidth, c = Style.spineColor
        let half = w / 2
        canvas.horizontalLine(x0: plot.minX - half, x1: plot.maxX + half, y: plot.minY, thickness: w, color: c)
        canvas.horizontalLine(x0: plot.minX - half, x1: plot.maxX + half, y: plot.maxY, thickness: w, color: c)
        canvas.verticalLine(x: plot.minX, y0: plot.minY - half, y1: plot.maxY + half, thickness: w, color: c)
        canvas.verticalLine(x: plot.maxX, y0: plot.minY - half, y1: plot.maxY + half, thickness: w, color: c)

        let tickTop = plot.maxY, labelTop = plot.maxY + Style.tickLength + Style.tickPad
        for (t, label) in zip(xView.ticks, xView.labels) {
            let x = xT(t)
            guard x >= plot.minX - 0.5 && x <= plot.maxX + 0.5 else { continue }
            canvas.verticalLine(x: x, y0: tickTop, y1: tickTop + Style.tickLength, thickness: w, color: c)
            if xView.rotatedLabels, case .text(let name) = label {
                // Reading upwards, ending at the tick, centred on it.
                canvas.text(name, at: Point(x, labelTop), size: Style.tickFont, horizontal: .right, vertical: .center,
                            rotated: true)
            } else {
                drawTickLabel(label, at: Point(x, labelTop), horizontal: .center, vertical: .top)
            }
        }
        for t in xView.minorTicks {
            let x = xT(t)
            guard x >= plot.minX && x <= plot.maxX else { continue }
            canvas.verticalLine(x: x, y0: tickTop, y1: tickTop + Style.tickLength * 0.55, thickness: w * 0.7, color: c)
        }
        let labelRight = plot.minX - Style.tickLength - Style.tickPad
        for (t, label) in zip(yView.ticks, yView.labels) {
            let y = yT(t)
            guard y >= plot.minY - 0.5 && y <= plot.maxY + 0.5 else { continue }
            canvas.horizontalLine(x0: plot.minX - Style.tickLength, x1: plot.minX, y: y, thickness: w, color: c)
            drawTickLabel(label, at: Point(labelRight, y), horizontal: .right, vertical: .center)
        }
        for t in yView.minorTicks {
            let y = yT(t)
            guard y >= plot.minY && y <= plot.maxY else { continue }
            canvas.horizontalLine(x0: plot.minX - Style.tickLength * 0.55, x1: plot.minX, y: y, thickness: w * 0.7, color: c)
        }
    }

    func drawTickLabel(_ label: TickLabel, at p: Point, horizontal: HorizontalAnchor, vertical: VerticalAnchor) {
        switch label {
        case .text(let s):
            canvas.text(s, at: p, size: Style.tickFont, horizontal: horizontal, vertical: vertical)
        case .power(let e):
            let width = tickLabelWidth(label)
            let left: Double
            switch horizontal {
            case .left: left = p.x
            case .center: left = p.x - width / 2
            case .right: left = p.x - width
            }
            // "10" on the baseline, the exponent smaller and raised by half the cap height.
            let baseline: Double
            switch vertical {
            case .top: baseline = p.y + Style.tickFont * (Canvas.capHeight + 0.3)
            case .center: baseline = p.y + Style.tickFont * Canvas.capHeight * 0.5 + Style.tickFont * 0.15
            case .baseline: baseline = p.y
            case .bottom: baseline = p.y - Style.tickFont * Canvas.descent
            }
            canvas.text("10", at: Point(left, baseline), size: Style.tickFont)
            let tenWidth = canvas.measure("10", size: Style.tickFont)
            canvas.text(Ticks.minus("\(e)"), at: Point(left + tenWidth + 1, baseline - Style.tickFont * 0.45),
                        size: Style.tickFont * 0.72)
        }
    }

    /// The height the x tick labels take below the ticks: one line, or the longest turned label.
    private func xTickLabelHeight(_ xView: AxisView) -> Double {
        if xView.rotatedLabels { return (xView.labels.map(tickLabelWidth).max() ?? 0) + 2 }
        return Style.tickFont * 1.15
    }

    private func drawLabels(plot: Rect, xView: AxisView, yTickWidth: Double) {
        if !figure.title.isEmpty {
            canvas.text(figure.title, at: Point(plot.midX, frame.minY + Style.titleFont * 0.75), size: Style.titleFont,
                        horizontal: .center, vertical: .top)
        }
        if !figure.xAxis.label.isEmpty {
            let y = plot.maxY + Style.tickLength + Style.tickPad + xTickLabelHeight(xView) + Style.labelFont * 0.45
            canvas.text(figure.xAxis.label, at: Point(plot.midX, y), size: Style.labelFont,
                        horizontal: .center, vertical: .top)
        }
        if !figure.yAxis.label.isEmpty {
            // Beside the tick labels (not at the frame's edge: a heatmap's plot is centred).
            let x = plot.minX - Style.tickLength - Style.tickPad - yTickWidth - Style.labelFont * 1.5
            canvas.text(figure.yAxis.label, at: Point(max(x, frame.minX + 2), plot.midY), size: Style.labelFont,
                        horizontal: .center, vertical: .top, rotated: true)
        }
    }

    private func drawNote(_ skipped: Skipped) {
        var parts: [String] = []
        if skipped.nonFinite > 0 {
            parts.append("\(skipped.nonFinite) NaN/infinite value\(skipped.nonFinite == 1 ? "" : "s") skipped")
        }
        if skipped.nonPositive > 0 {
            parts.append("\(skipped.nonPositive) value\(skipped.nonPositive == 1 ? "" : "s") ≤ 0 not shown (log scale)")
        }
        guard !parts.isEmpty else { return }
        canvas.text(parts.joined(separator: "; "), at: Point(frame.maxX - 6, frame.maxY - 5), size: Style.noteFont,
                    color: Style.noteColor, horizontal: .right, vertical: .bottom)
    }
}
