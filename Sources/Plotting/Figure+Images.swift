import Foundation

/// Image grids, heatmaps and confusion matrices.
extension Figure {
    /// A grid of square images such as MNIST digits, with optional captions.
    ///
    /// - Parameters:
    ///   - images: shape `[n, side, side]`, `[n, 1, side, side]`, `[n, side * side]` or a
    ///     single `[side, side]` image.
    ///   - side: the image side, needed only when it is not a square root of the row length.
    ///   - columns: images per row; about a square grid when nil.
    ///   - captions: one caption per image, drawn under it.
    ///   - highlighted: captions to draw in red (e.g. wrong predictions).
    ///   - colormap: `.gray` draws white ink on black, as MNIST is stored.
    ///   - range: the pixel values mapped to the ends of the colormap; the batch's min...max
    ///     when nil.
    @_disfavoredOverload
    public func imageGrid(_ images: Tensor, side: Int? = nil, columns: Int? = nil, captions: [String]? = nil,
                          highlighted: [Bool]? = nil, colormap: Colormap = .gray,
                          range: ClosedRange<Float>? = nil) -> Figure {
        with { figure in
            let shape = images.shape
            let count: Int, rowLength: Int
            switch shape.count {
            case 2 where side == nil && shape[0] == shape[1] && shape[0] * shape[0] != shape[1]:
                count = 1; rowLength = shape[0] * shape[1]  // one [side, side] image
            case 2: count = shape[0]; rowLength = shape[1]
            case 3: count = shape[0]; rowLength = shape[1] * shape[2]
            case 4 where shape[1] == 1: count = shape[0]; rowLength = shape[2] * shape[3]
            default:
                figure.record(PlotError("imageGrid: images must have shape [n, side, side], [n, 1, side, side] or [n, side*side], got \(shape)"))
                return
            }
            // A negative side squares to the row length too (-2 x -2 = 4) and was drawn from
            // pixels before the images.
            if let side, side < 1 { figure.record(PlotError("imageGrid: side must be at least 1, got \(side)")); return }
            let inferred = side ?? Int(Double(rowLength).squareRoot().rounded())
            guard count > 0, rowLength > 0 else { figure.record(.emptyData("imageGrid")); return }
            guard inferred * inferred == rowLength else {
                figure.record(PlotError("imageGrid: rows of \(rowLength) values are not \(side.map { "\($0)x\($0)" } ?? "square") images (shape \(shape))"))
                return
            }
            if let captions, captions.count != count {
                figure.record(.mismatchedLengths("imageGrid", "images", count, "captions", captions.count)); return
            }
            if let highlighted, highlighted.count != count {
                figure.record(.mismatchedLengths("imageGrid", "images", count, "highlighted", highlighted.count)); return
            }
            if let columns, columns < 1 {
                figure.record(PlotError("imageGrid: columns must be at least 1, got \(columns)")); return
            }
            figure.images = ImageGridSpec(pixels: images.scalars, count: count, side: inferred, columns: columns,
                                          captions: captions, highlighted: highlighted, colormap: colormap,
                                          range: range)
        }
    }

    /// A grid of images captioned with their labels; with `predictions`, captions read
    /// "7 (pred 1)" and wrong predictions are drawn in red.
    @_disfavoredOverload
    public func imageGrid(_ images: Tensor, labels: [Int], predictions: [Int]? = nil, side: Int? = nil,
                          columns: Int? = nil, colormap: Colormap = .gray) -> Figure {
        if let predictions, predictions.count != labels.count {
            return with { $0.record(.mismatchedLengths("imageGrid", "labels", labels.count, "predictions", predictions.count)) }
        }
        let captions = labels.indices.map { i -> String in
            guard let predictions else { return "\(labels[i])" }
            return predictions[i] == labels[i] ? "\(labels[i])" : "\(labels[i]) (pred \(predictions[i]))"
        }
        let wrong = predictions.map { p in labels.indices.map { p[$0] != labels[$0] } }
        return imageGrid(images, side: side, columns: columns, captions: captions, highlighted: wrong,
                         colormap: colormap)
    }

    /// Images given as rows of `side * side` values.
    @_disfavoredOverload
    public func imageGrid(_ images: [[Float]], side: Int? = nil, columns: Int? = nil, captions: [String]? = nil,
                          highlighted: [Bool]? = nil, colormap: Colormap = .gray,
                          range: ClosedRange<Float>? = nil) -> Figure {
        guard let length = images.first?.count else { return with { $0.record(.emptyData("imageGrid")) } }
        if let bad = images.firstIndex(where: { $0.count != length }) {
            return with { $0.record(.mismatchedLengths("imageGrid", "image 0", length, "image \(bad)", images[bad].count)) }
        }
        return imageGrid(Tensor(images.flatMap { $0 }, shape: [images.count, length]), side: side, columns: columns,
                         captions: captions, highlighted: highlighted, colormap: colormap, range: range)
    }

    // MARK: Heatmaps

    /// A matrix drawn as coloured cells, row 0 at the top, with a colour bar.
    ///
    /// - Parameters:
    ///   - colormap: `.viridis` for magnitudes, `.redBlue` for signed weights (its range is
    ///     then symmetric around zero), `.blues` for counts.
    ///   - showValues: write each value in its cell; by default when the matrix is at most 20x20.
    ///   - range: values mapped to the colormap's ends; the data's extent when nil.
    public func heatmap(_ matrix: [[Double]], rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                        colormap: Colormap = .viridis, showValues: Bool? = nil, colorBar: Bool = true,
                        range: ClosedRange<Double>? = nil) -> Figure {
        let columns = matrix.first?.count ?? 0
        if let bad = matrix.firstIndex(where: { $0.count != columns }) {
            return with { $0.record(.mismatchedLengths("heatmap", "row 0", columns, "row \(bad)", matrix[bad].count)) }
        }
        return heatmap(values: matrix.flatMap { $0 }, rows: matrix.count, columns: columns, rowLabels: rowLabels,
                       columnLabels: columnLabels, colormap: colormap, showValues: showValues, colorBar: colorBar,
                       range: range, integerValues: false)
    }

    @_disfavoredOverload
    public func heatmap(_ matrix: [[Float]], rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                        colormap: Colormap = .viridis, showValues: Bool? = nil, colorBar: Bool = true,
                        range: ClosedRange<Double>? = nil) -> Figure {
        heatmap(matrix.map { $0.map(Double.init) }, rowLabels: rowLabels, columnLabels: columnLabels,
                colormap: colormap, showValues: showValues, colorBar: colorBar, range: range)
    }

    /// A rank-2 tensor as a heatmap, e.g. a weight matrix with `colormap: .redBlue`.
    @_disfavoredOverload
    public func heatmap(_ matrix: Tensor, rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                        colormap: Colormap = .viridis, showValues: Bool? = nil, colorBar: Bool = true,
                        range: ClosedRange<Double>? = nil) -> Figure {
        guard matrix.shape.count == 2 else {
            return with { $0.record(PlotError("heatmap: the tensor must have rank 2, got shape \(matrix.shape)")) }
        }
        return heatmap(values: matrix.scalars.map(Double.init), rows: matrix.shape[0], columns: matrix.shape[1],
                       rowLabels: rowLabels, columnLabels: columnLabels, colormap: colormap,
                       showValues: showValues, colorBar: colorBar, range: range, integerValues: false)
    }

    /// A confusion matrix: `counts[trueClass][predictedClass]`, in blues with the counts written
    /// in the cells, axes labelled "Predicted" and "True".
    public func confusionMatrix(_ counts: [[Int]], classNames: [String]? = nil, colorBar: Bool = true) -> Figure {
        let n = counts.count
        if let bad = counts.firstIndex(where: { $0.count != n }) {
            return with { $0.record(PlotError("confusionMatrix: the matrix must be square (\(n) rows), row \(bad) has \(counts[bad].count) values")) }
        }
        if let classNames, classNames.count != n {
            return with { $0.record(.mismatchedLengths("confusionMatrix", "the matrix", n, "classNames", classNames.count)) }
        }
        return heatmap(values: counts.flatMap { $0.map(Double.init) }, rows: n, columns: n, rowLabels: classNames,
                       columnLabels: classNames, colormap: .blues, showValues: true, colorBar: colorBar,
                       range: nil, integerValues: true)
            .with {
                if $0.xAxis.label.isEmpty { $0.xAxis.label = "Predicted label" }
                if $0.yAxis.label.isEmpty { $0.yAxis.label = "True label" }
            }
    }

    /// A confusion matrix counted from true labels and predictions (classes 0..<classCount;
    /// by default one more than the largest class seen).
    public func confusionMatrix(labels: [Int], predictions: [Int], classCount: Int? = nil,
                                classNames: [String]? = nil, colorBar: Bool = true) -> Figure {
        guard labels.count == predictions.count else {
            return with { $0.record(.mismatchedLengths("confusionMatrix", "labels", labels.count, "predictions", predictions.count)) }
        }
        guard !labels.isEmpty else { return with { $0.record(.emptyData("confusionMatrix")) } }
        let n = classCount ?? ((labels + predictions).max()! + 1)
        guard (labels + predictions).allSatisfy({ $0 >= 0 && $0 < n }) else {
            return with { $0.record(PlotError("confusionMatrix: classes must be in 0..<\(n)")) }
        }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for (t, p) in zip(labels, predictions) { counts[t][p] += 1 }
        return confusionMatrix(counts, classNames: classNames, colorBar: colorBar)
    }

    func heatmap(values: [Double], rows: Int, columns: Int, rowLabels: [String]?, columnLabels: [String]?,
                 colormap: Colormap, showValues: Bool?, colorBar: Bool, range: ClosedRange<Double>?,
                 integerValues: Bool) -> Figure {
        with { figure in
            let call = integerValues ? "confusionMatrix" : "heatmap"
            guard rows > 0, columns > 0 else { figure.record(.emptyData(call)); return }
            if let rowLabels, rowLabels.count != rows {
                figure.record(.mismatchedLengths(call, "the matrix rows", rows, "rowLabels", rowLabels.count)); return
            }
            if let columnLabels, columnLabels.count != columns {
                figure.record(.mismatchedLengths(call, "the matrix columns", columns, "columnLabels", columnLabels.count)); return
            }
            figure.heatmap = HeatmapSpec(values: values, rows: rows, columns: columns, rowLabels: rowLabels,
                                         columnLabels: columnLabels, colormap: colormap, showValues: showValues,
                                         colorBar: colorBar, range: range, integerValues: integerValues)
        }
    }
}
