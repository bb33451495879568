/// Line and scatter plots. Each overload is concrete (not generic): notebooks compile at
/// -Onone, where generic code runs unspecialized. The [Float] and Tensor overloads are
/// disfavoured so that literals (`.line([1, 2, 3])`, `.bar([3, 5.5])`) resolve to [Double]
/// instead of being ambiguous.
extension Figure {
    /// A line through (x[i], y[i]). NaN or infinite values break the line and are counted in
    /// the figure's note.
    ///
    /// - Parameters:
    ///   - label: the legend entry (no entry when nil).
    ///   - color: the colour; the next tab10 colour when nil.
    ///   - width: line width in logical pixels (matplotlib's 1.5 pt is about 2).
    ///   - marker: a marker at each point.
    ///   - dashed: a dashed line.
    public func line(_ x: [Double], _ y: [Double], label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        with { figure in
            if x.count != y.count {
                figure.record(.mismatchedLengths("line", "x", x.count, "y", y.count))
            } else if y.isEmpty {
                figure.record(.emptyData("line"))
            } else {
                figure.series.append(.line(LineSeries(x: x, y: y, label: label, color: color, width: width,
                                                      marker: marker, dashed: dashed)))
            }
        }
    }

    @_disfavoredOverload
    public func line(_ x: [Float], _ y: [Float], label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        line(x.map(Double.init), y.map(Double.init), label: label, color: color, width: width, marker: marker, dashed: dashed)
    }

    /// Tensors of any shape are read as their flat list of values.
    @_disfavoredOverload
    public func line(_ x: Tensor, _ y: Tensor, label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        line(x.scalars, y.scalars, label: label, color: color, width: width, marker: marker, dashed: dashed)
    }

    /// A line through (i, y[i]) for i = 0..<y.count: a loss curve per step or epoch.
    public func line(_ y: [Double], label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        line(y.indices.map(Double.init), y, label: label, color: color, width: width, marker: marker, dashed: dashed)
    }

    @_disfavoredOverload
    public func line(_ y: [Float], label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        line(y.map(Double.init), label: label, color: color, width: width, marker: marker, dashed: dashed)
    }

    @_disfavoredOverload
    public func line(_ y: Tensor, label: String? = nil, color: Color? = nil,
                     width: Double = 2, marker: Marker? = nil, dashed: Bool = false) -> Figure {
        line(y.scalars, label: label, color: color, width: width, marker: marker, dashed: dashed)
    }

    // MARK: Scatter

    /// Points at (x[i], y[i]); with `classes`, each class gets its own tab10 colour and
    /// legend entry (named by `classNames`, else "class k").
    ///
    /// - Parameters:
    ///   - size: marker diameter in logical pixels.
    ///   - alpha: opacity of the markers.
    public func scatter(_ x: [Double], _ y: [Double], classes: [Int]? = nil, classNames: [String]? = nil,
                        label: String? = nil, color: Color? = nil, size: Double = 6,
                        marker: Marker = .circle, alpha: Double = 1) -> Figure {
        with { figure in
            if x.count != y.count {
                figure.record(.mismatchedLengths("scatter", "x", x.count, "y", y.count))
            } else if y.isEmpty {
                figure.record(.emptyData("scatter"))
            } else if let classes, classes.count != x.count {
                figure.record(.mismatchedLengths("scatter", "x", x.count, "classes", classes.count))
            } else if let classes, classes.contains(where: { $0 < 0 }) {
                figure.record(PlotError("scatter: classes must be 0 or more, found \(classes.min()!)"))
            } else {
                figure.series.append(.scatter(ScatterSeries(x: x, y: y, classes: classes, classNames: classNames,
                                                            label: label, color: color, size: size,
                                                            marker: marker, alpha: alpha)))
            }
        }
    }

    @_disfavoredOverload
    public func scatter(_ x: [Float], _ y: [Float], classes: [Int]? = nil, classNames: [String]? = nil,
                        label: String? = nil, color: Color? = nil, size: Double = 6,
                        marker: Marker = .circle, alpha: Double = 1) -> Figure {
        scatter(x.map(Double.init), y.map(Double.init), classes: classes, classNames: classNames,
                label: label, color: color, size: size, marker: marker, alpha: alpha)
    }

    @_disfavoredOverload
    public func scatter(_ x: Tensor, _ y: Tensor, classes: [Int]? = nil, classNames: [String]? = nil,
                        label: String? = nil, color: Color? = nil, size: Double = 6,
                        marker: Marker = .circle, alpha: Double = 1) -> Figure {
        scatter(x.scalars, y.scalars, classes: classes, classNames: classNames,
                label: label, color: color, size: size, marker: marker, alpha: alpha)
    }

    /// Points given as a (n, 2) tensor of (x, y) rows, coloured by class: the usual shape of
    /// a 2-D toy data set.
    @_disfavoredOverload
    public func scatter(_ points: Tensor, classes: [Int]? = nil, classNames: [String]? = nil,
                        label: String? = nil, color: Color? = nil, size: Double = 6,
                        marker: Marker = .circle, alpha: Double = 1) -> Figure {
        guard points.shape.count == 2, points.shape[1] == 2 else {
            return with { $0.record(PlotError("scatter: points must have shape [n, 2], got \(points.shape)")) }
        }
        let s = points.scalars
        let n = points.shape[0]
        return scatter((0..<n).map { s[2 * $0] }, (0..<n).map { s[2 * $0 + 1] }, classes: classes,
                       classNames: classNames, label: label, color: color, size: size, marker: marker, alpha: alpha)
    }
}
