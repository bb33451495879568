/// Histograms and bar charts.
extension Figure {
    /// A histogram of `values` in `bins` equal bins over `range` (the finite values' extent
    /// when nil; the last bin includes its right edge, as numpy's does). Non-finite values are
    /// skipped and counted in the figure's note.
    ///
    /// - Parameters:
    ///   - density: scale heights so the area is 1 (a probability density).
    ///   - alpha: opacity; by default 1 for a lone histogram and 0.6 when a figure overlays
    ///     several, so that each stays visible.
    public func histogram(_ values: [Double], bins: Int = 30, range: ClosedRange<Double>? = nil,
                          density: Bool = false, label: String? = nil, color: Color? = nil,
                          alpha: Double? = nil) -> Figure {
        with { figure in
            let finite = values.filter { $0.isFinite }
            // At most 100,000: more bins than pixels draw nothing more, and a count of Int.max
            // allocated without bound (a crash in the release engine).
            guard bins > 0, bins <= 100_000 else {
                figure.record(PlotError("histogram: bins must be in 1...100000, got \(bins)")); return
            }
            guard !values.isEmpty else { figure.record(.emptyData("histogram")); return }
            guard let lo0 = range?.lowerBound ?? finite.min(), let hi0 = range?.upperBound ?? finite.max() else {
                figure.record(PlotError("histogram: all \(values.count) values are NaN or infinite")); return
            }
            guard lo0.isFinite, hi0.isFinite else {
                figure.record(PlotError("histogram: the range must be finite, got \(lo0)...\(hi0)")); return
            }
            let (lo, hi) = lo0 == hi0 ? (lo0 - 0.5, hi0 + 0.5) : (lo0, hi0)
            // A span past the largest Double (-1e308...1e308) is divided before it is subtracted.
            let span = hi - lo
            let width = span.isFinite ? span / Double(bins) : hi / Double(bins) - lo / Double(bins)
            var counts = [Double](repeating: 0, count: bins)
            for v in finite where v >= lo && v <= hi {
                let offset = v - lo
                let bin = offset.isFinite ? offset / width : v / width - lo / width
                counts[min(Int(bin), bins - 1)] += 1
            }
            if density {
                let total = counts.reduce(0, +)
                if total > 0 { counts = counts.map { $0 / (total * width) } }
            }
            // Past the largest Double, 27 * width overflows too: the edges are interpolated instead.
            func edge(_ i: Int) -> Double {
                if span.isFinite { return lo + Double(i) * width }
                let t = Double(i) / Double(bins)
                return lo * (1 - t) + hi * t
            }
            let lefts = (0..<bins).map(edge)
            let rights = (0..<bins).map { $0 == bins - 1 ? hi : edge($0 + 1) }
            figure.series.append(.bars(BarSeries(kind: .histogram, lefts: lefts, rights: rights, heights: counts,
                                                 categoryLabels: nil, label: label, color: color, alpha: alpha,
                                                 skipped: values.count - finite.count)))
        }
    }

    @_disfavoredOverload
    public func histogram(_ values: [Float], bins: Int = 30, range: ClosedRange<Double>? = nil,
                          density: Bool = false, label: String? = nil, color: Color? = nil,
                          alpha: Double? = nil) -> Figure {
        histogram(values.map(Double.init), bins: bins, range: range, density: density, label: label,
                  color: color, alpha: alpha)
    }

    /// A histogram of every value of the tensor (e.g. a layer's activations).
    @_disfavoredOverload
    public func histogram(_ values: Tensor, bins: Int = 30, range: ClosedRange<Double>? = nil,
                          density: Bool = false, label: String? = nil, color: Color? = nil,
                          alpha: Double? = nil) -> Figure {
        histogram(values.scalars, bins: bins, range: range, density: density, label: label,
                  color: color, alpha: alpha)
    }

    /// One bar per value, at categories 0, 1, 2...; `labels` name the categories on the x
    /// axis. Several bar series in one figure are drawn side by side.
    public func bar(_ values: [Double], labels: [String]? = nil, label: String? = nil,
                    color: Color? = nil, alpha: Double = 1) -> Figure {
        with { figure in
            if values.isEmpty {
                figure.record(.emptyData("bar"))
            } else if let labels, labels.count != values.count {
                figure.record(.mismatchedLengths("bar", "values", values.count, "labels", labels.count))
            } else {
                let positions = values.indices.map(Double.init)
                figure.series.append(.bars(BarSeries(kind: .categories, lefts: positions, rights: positions,
                                                     heights: values, categoryLabels: labels, label: label,
                                                     color: color, alpha: alpha, skipped: 0)))
            }
        }
    }

    @_disfavoredOverload
    public func bar(_ values: [Float], labels: [String]? = nil, label: String? = nil,
                    color: Color? = nil, alpha: Double = 1) -> Figure {
        bar(values.map(Double.init), labels: labels, label: label, color: color, alpha: alpha)
    }

    @_disfavoredOverload
    public func bar(_ values: Tensor, labels: [String]? = nil, label: String? = nil,
                    color: Color? = nil, alpha: Double = 1) -> Figure {
        bar(values.scalars, labels: labels, label: label, color: color, alpha: alpha)
    }
}
