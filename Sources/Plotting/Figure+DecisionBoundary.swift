/// Filled class regions of a 2-D classifier.
extension Figure {
    /// Class regions of a classifier over a rectangle, from one batched call.
    ///
    /// `classify` receives the x and y coordinates of all `resolution * resolution` grid
    /// points at once (row by row from the bottom) and returns one class per point, so a
    /// notebook can run its model on the whole grid in a single batch:
    ///
    ///     Figure(title: "XOR")
    ///         .decisionBoundary(xRange: -1...2, yRange: -1...2) { xs, ys in
    ///             model.predictClasses(Tensor(zip(xs, ys).flatMap { [$0, $1] }, shape: [xs.count, 2]))
    ///         }
    ///         .scatter(points, classes: labels)
    public func decisionBoundary(xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, resolution: Int = 200,
                                 alpha: Double = 0.3,
                                 classify: ([Float], [Float]) throws -> [Int]) rethrows -> Figure {
        guard let (xs, ys) = gridPoints(xRange, yRange, resolution) else { return invalidGrid(xRange, yRange, resolution) }
        let classes = try classify(xs, ys)
        return regions(classes: classes, expected: xs.count, nx: resolution, ny: resolution,
                       xRange: xRange, yRange: yRange, alpha: alpha)
    }

    /// Class regions from a model that maps a `[n, 2]` tensor of points to either `[n, k]`
    /// scores (logits or probabilities; the largest wins) or `[n]` / `[n, 1]` values: class
    /// indices when they are whole numbers, else the probability of class 1 (sigmoid output).
    /// Scores are interpolated between grid points, so boundaries come out smooth.
    public func decisionBoundary(xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, resolution: Int = 200,
                                 alpha: Double = 0.3,
                                 predict: (Tensor) throws -> Tensor) rethrows -> Figure {
        guard let (xs, ys) = gridPoints(xRange, yRange, resolution) else { return invalidGrid(xRange, yRange, resolution) }
        var points = [Float](repeating: 0, count: 2 * xs.count)
        for i in xs.indices { points[2 * i] = xs[i]; points[2 * i + 1] = ys[i] }
        let output = try predict(Tensor(points, shape: [xs.count, 2]))
        let n = xs.count
        let shape = output.shape
        let values = output.scalars
        if shape.count == 2 && shape[0] == n && shape[1] >= 2 {
            return with { figure in
                figure.regions = RegionSpec(xRange: xRange, yRange: yRange, nx: resolution, ny: resolution,
                                            classCount: shape[1], scores: values, alpha: alpha)
            }
        }
        guard values.count == n, shape.first == n else {
            return with { $0.record(PlotError("decisionBoundary: predict returned shape \(shape) for \(n) points; expected [\(n)], [\(n), 1] or [\(n), classes]")) }
        }
        if values.allSatisfy({ $0 == $0.rounded() && $0 >= 0 }) {
            // Checked before Int(_:), which is undefined past Int's range in the release engine.
            if let top = values.max(), top >= 1000 {
                return with { $0.record(PlotError("decisionBoundary: classes must be below 1000, found \(top)")) }
            }
            return regions(classes: values.map { Int($0) }, expected: n, nx: resolution, ny: resolution,
                           xRange: xRange, yRange: yRange, alpha: alpha)
        }
        var scores = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n { scores[2 * i] = 1 - values[i]; scores[2 * i + 1] = values[i] }
        return with { figure in
            figure.regions = RegionSpec(xRange: xRange, yRange: yRange, nx: resolution, ny: resolution,
                                        classCount: 2, scores: scores, alpha: alpha)
        }
    }

    /// Class regions from a grid already computed: `classes[j][i]` is the class at
    /// x = xRange.lowerBound + i * width / (columns - 1), y = yRange.lowerBound + j * height / (rows - 1).
    public func decisionBoundary(xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, classes: [[Int]],
                                 alpha: Double = 0.3) -> Figure {
        let nx = classes.first?.count ?? 0
        if let bad = classes.firstIndex(where: { $0.count != nx }) {
            return with { $0.record(.mismatchedLengths("decisionBoundary", "row 0", nx, "row \(bad)", classes[bad].count)) }
        }
        guard nx >= 2, classes.count >= 2 else {
            return with { $0.record(PlotError("decisionBoundary: the grid needs at least 2x2 values")) }
        }
        return regions(classes: classes.flatMap { $0 }, expected: nx * classes.count, nx: nx, ny: classes.count,
                       xRange: xRange, yRange: yRange, alpha: alpha)
    }

    private func gridPoints(_ xRange: ClosedRange<Double>, _ yRange: ClosedRange<Double>,
                            _ resolution: Int) -> ([Float], [Float])? {
        guard resolution >= 2, resolution <= 2000, xRange.upperBound > xRange.lowerBound,
              yRange.upperBound > yRange.lowerBound, xRange.lowerBound.isFinite, xRange.upperBound.isFinite,
              yRange.lowerBound.isFinite, yRange.upperBound.isFinite else { return nil }
        var xs: [Float] = [], ys: [Float] = []
        xs.reserveCapacity(resolution * resolution)
        ys.reserveCapacity(resolution * resolution)
        let dx = (xRange.upperBound - xRange.lowerBound) / Double(resolution - 1)
        let dy = (yRange.upperBound - yRange.lowerBound) / Double(resolution - 1)
        for j in 0..<resolution {
            for i in 0..<resolution {
                xs.append(Float(xRange.lowerBound + Double(i) * dx))
                ys.append(Float(yRange.lowerBound + Double(j) * dy))
            }
        }
        return (xs, ys)
    }

    private func invalidGrid(_ xRange: ClosedRange<Double>, _ yRange: ClosedRange<Double>, _ resolution: Int) -> Figure {
        with { $0.record(PlotError("decisionBoundary: needs finite ranges of positive width and a resolution in 2...2000 (got x \(xRange), y \(yRange), resolution \(resolution))")) }
    }

    private func regions(classes: [Int], expected: Int, nx: Int, ny: Int, xRange: ClosedRange<Double>,
                         yRange: ClosedRange<Double>, alpha: Double) -> Figure {
        with { figure in
            guard classes.count == expected else {
                figure.record(.mismatchedLengths("decisionBoundary", "the grid", expected, "classify's result", classes.count))
                return
            }
            guard let top = classes.max(), let low = classes.min(), low >= 0 else {
                figure.record(PlotError("decisionBoundary: classes must be 0 or more")); return
            }
            // One score per class and grid point is allocated: class Int.max overflowed the count.
            guard top < 1000 else {
                figure.record(PlotError("decisionBoundary: classes must be below 1000, found \(top)")); return
            }
            let k = top + 1
            var scores = [Float](repeating: 0, count: classes.count * k)
            for (i, c) in classes.enumerated() { scores[i * k + c] = 1 }
            scores = Figure.smoothed(scores, nx: nx, ny: ny, k: k)
            figure.regions = RegionSpec(xRange: xRange, yRange: yRange, nx: nx, ny: ny, classCount: k,
                                        scores: scores, alpha: alpha)
        }
    }

    /// One-hot class indicators blurred with the binomial kernel [1 2 1]/4 along each axis.
    /// Interpolating raw indicators gives boundaries that follow the grid as staircases; after
    /// this blur the argmax boundary runs smoothly between the grid points (it moves by less
    /// than a grid step, and only where the classes change).
    static func smoothed(_ scores: [Float], nx: Int, ny: Int, k: Int) -> [Float] {
        var horizontal = scores
        for j in 0..<ny {
            for i in 0..<nx {
                let left = max(i - 1, 0), right = min(i + 1, nx - 1)
                for m in 0..<k {
                    horizontal[(j * nx + i) * k + m] = 0.25 * scores[(j * nx + left) * k + m]
                        + 0.5 * scores[(j * nx + i) * k + m] + 0.25 * scores[(j * nx + right) * k + m]
                }
            }
        }
        var out = horizontal
        for j in 0..<ny {
            let down = max(j - 1, 0), up = min(j + 1, ny - 1)
            for i in 0..<nx {
                for m in 0..<k {
                    out[(j * nx + i) * k + m] = 0.25 * horizontal[(down * nx + i) * k + m]
                        + 0.5 * horizontal[(j * nx + i) * k + m] + 0.25 * horizontal[(up * nx + i) * k + m]
                }
            }
        }
        return out
    }
}
