import Dispatch

// Reductions along any set of axes: sum, mean, max, min, variance, argmax.
//
// Axes may be negative (-1 is the last). Without `keepDims` the reduced axes are
// removed (reducing every axis gives a rank-0 tensor); with it they stay, of extent 1,
// so the result broadcasts against the input: `x - x.mean(alongAxes: [1], keepDims: true)`.

extension Tensor {
    /// Sum of all values (rank 0). Accumulates in Double.
    public func sum() -> Tensor { sum(alongAxes: Array(0..<rank)) }
    /// Sum along `axes`.
    public func sum(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        reduceValues(self, axes, keepDims: keepDims, "sum", initial: 0,
                     run: { p, n in sumRun(p, n) }, combine: { $0 + $1 })
    }
    /// Sum along one axis.
    public func sum(alongAxis axis: Int, keepDims: Bool = false) -> Tensor { sum(alongAxes: [axis], keepDims: keepDims) }

    /// Mean of all values (rank 0).
    public func mean() -> Tensor { mean(alongAxes: Array(0..<rank)) }
    /// Mean along `axes`.
    public func mean(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = reducedCount(axes, "mean")
        return sum(alongAxes: axes, keepDims: keepDims) * (1 / Float(n))
    }
    /// Mean along one axis.
    public func mean(alongAxis axis: Int, keepDims: Bool = false) -> Tensor { mean(alongAxes: [axis], keepDims: keepDims) }

    /// Maximum of all values (rank 0).
    public func max() -> Tensor { max(alongAxes: Array(0..<rank)) }
    /// Maximum along `axes` (NaN-free inputs assumed); stops if an axis reduced is empty.
    public func max(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        reduceValues(self, axes, keepDims: keepDims, "max", initial: -.infinity, emptyIsError: true,
                     run: { p, n in maxRun(p, n) }, combine: { Swift.max($0, $1) })
    }
    /// Maximum along one axis.
    public func max(alongAxis axis: Int, keepDims: Bool = false) -> Tensor { max(alongAxes: [axis], keepDims: keepDims) }

    /// Minimum of all values (rank 0).
    public func min() -> Tensor { min(alongAxes: Array(0..<rank)) }
    /// Minimum along `axes`.
    public func min(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        reduceValues(self, axes, keepDims: keepDims, "min", initial: .infinity, emptyIsError: true,
                     run: { p, n in
                         var best = Float.infinity
                         for i in 0..<n { best = Swift.min(best, p[i]) }
                         return best
                     }, combine: { Swift.min($0, $1) })
    }
    /// Minimum along one axis.
    public func min(alongAxis axis: Int, keepDims: Bool = false) -> Tensor { min(alongAxes: [axis], keepDims: keepDims) }

    /// Population variance (divides by n, as NumPy's default) of all values.
    public func variance() -> Tensor { variance(alongAxes: Array(0..<rank)) }
    /// Population variance along `axes`: mean((x - mean(x))^2).
    public func variance(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        let centered = self - mean(alongAxes: axes, keepDims: true)
        return square(centered).mean(alongAxes: axes, keepDims: keepDims)
    }
    /// Variance along one axis.
    public func variance(alongAxis axis: Int, keepDims: Bool = false) -> Tensor { variance(alongAxes: [axis], keepDims: keepDims) }

    /// Index of the largest value along `axis` (the first one on ties, the first NaN if any), as Float values.
    public func argmax(alongAxis axis: Int, keepDims: Bool = false) -> Tensor {
        argExtreme(axis, keepDims: keepDims, "argmax") { $0 > $1 }
    }
    /// Index of the smallest value along `axis` (the first one on ties, the first NaN if any), as Float values.
    public func argmin(alongAxis axis: Int, keepDims: Bool = false) -> Tensor {
        argExtreme(axis, keepDims: keepDims, "argmin") { $0 < $1 }
    }
    /// Index of the largest value along `axis` as integers (e.g. predicted classes of `(batch, classes)` logits).
    public func argmaxIndices(alongAxis axis: Int) -> [Int] {
        argmax(alongAxis: axis).scalars.map { Int($0) }
    }

    /// The number of values reduced into each result of a reduction along `axes`.
    func reducedCount(_ axes: [Int], _ operation: String) -> Int {
        Set(axes.map { normalizedAxis($0, rank: rank, operation) }).reduce(1) { $0 * shape[$1] }
    }

    private func argExtreme(_ axis: Int, keepDims: Bool, _ operation: String, _ better: (Float, Float) -> Bool) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank, operation)
        let n = shape[axis]
        if n == 0 { engineFailure("\(operation): axis \(axis) of shape \(shape) is empty") }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var outShape = shape
        if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        return scalars.withUnsafeBufferPointer { p in
            Tensor(shape: outShape) { out in
                for o in 0..<outer {
                    for i in 0..<inner {
                        // As NumPy, a NaN wins: the index of the first NaN, wherever it is.
                        var best = p[o * n * inner + i], bestIndex = 0
                        if !best.isNaN {
                            for k in 1..<n {
                                let v = p[(o * n + k) * inner + i]
                                if v.isNaN { bestIndex = k; break }
                                if better(v, best) { best = v; bestIndex = k }
                            }
                        }
                        out[o * inner + i] = Float(bestIndex)
                    }
                }
            }
        }
    }

    // MARK: Broadcasting helpers (used by gradients)

    /// This tensor repeated along broadcast axes to `shape` (NumPy's `broadcast_to`).
    public func broadcasted(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let result = broadcastShape(self.shape, shape, "broadcasted(to:)")
        if result != shape { shapeMismatch("broadcasted(to:)", self.shape, shape, "do not broadcast to the second") }
        // Broadcasting against zeros of the target shape copies the values into it.
        return zipBroadcast(self, Tensor.zeros(shape), "broadcasted(to:)") { a, _ in a }
    }

    /// Sums this tensor over the axes along which a tensor of `shape` was broadcast to
    /// reach this shape: the gradient of broadcasting (`(128, 10)` to `(10)` sums the rows).
    package func unbroadcasted(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let rank = self.rank
        if shape.count > rank { shapeMismatch("unbroadcasted(to:)", self.shape, shape, "(target has higher rank)") }
        var axes: [Int] = []
        for axis in 0..<rank {
            let target = axis - (rank - shape.count)
            if target < 0 { axes.append(axis) } else if shape[target] == 1 && self.shape[axis] != 1 { axes.append(axis) }
            else if shape[target] != self.shape[axis] {
                shapeMismatch("unbroadcasted(to:)", self.shape, shape, "are not related by broadcasting")
            }
        }
        return sum(alongAxes: axes, keepDims: true).reshaped(to: shape)
    }
}

/// Sum of `n` contiguous values: 8-lane SIMD partial sums over blocks of 512 values, each
/// block added into a Double, so the error stays near Double's for long runs at SIMD speed.
func sumRun(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var total = 0.0
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= n {
        var lanes = SIMD8<Float>()
        let blockEnd = Swift.min(n - 7, i + 512)
        while i < blockEnd {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        total += Double(lanes.sum())
    }
    while i < n { total += Double(p[i]); i += 1 }
    return Float(total)
}

/// Maximum of `n` contiguous values (-infinity when empty), 8 lanes at a time.
func maxRun(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var best = -Float.infinity
    var i = 0
    if n >= 8 {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            lanes = pointwiseMax(lanes, raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            i += 8
        }
        best = lanes.max()
    }
    while i < n { best = Swift.max(best, p[i]); i += 1 }
    return best
}

/// Reduces `x` along `axes`. `run(p, n)` reduces a contiguous run of `n` values; `combine`
/// folds a value into a partial result (`initial` is its identity).
@inline(__always)
func reduceValues(_ x: Tensor, _ axes: [Int], keepDims: Bool, _ operation: String, initial: Float,
                  emptyIsError: Bool = false,
                  run: (UnsafePointer<Float>, Int) -> Float, combine: (Float, Float) -> Float) -> Tensor {
    let rank = x.rank
    var reduced = [Bool](repeating: false, count: rank)
    for axis in axes { reduced[normalizedAxis(axis, rank: rank, operation)] = true }
    var keptShape = x.shape
    for axis in 0..<rank where reduced[axis] { keptShape[axis] = 1 }
    let outShape = keepDims ? keptShape : (0..<rank).filter { !reduced[$0] }.map { x.shape[$0] }
    let outCount = keptShape.reduce(1, *)
    let n = x.count
    if n == 0 {
        // Results that reduce no values at all: a sum is 0, but a maximum has no identity.
        if emptyIsError && outCount > 0 {
            engineFailure("\(operation): cannot reduce along an empty axis of shape \(x.shape) (axes \(axes))")
        }
        return Tensor(repeating: initial, shape: outShape)
    }

    return x.scalars.withUnsafeBufferPointer { input in
        let p = input.baseAddress!
        if outCount == 1 {
            // Everything into one value: partial results per block, then combined. The blocks
            // depend on n alone, never on the cores or the machine's load, so a sum groups its
            // values the same way on every run and machine (seeded runs stay bit-identical);
            // only whether the blocks run on one core or several varies.
            let chunks = n >= fullReductionBlockThreshold ? fullReductionBlocks : 1
            var partials = [Float](repeating: initial, count: chunks)
            partials.withUnsafeMutableBufferPointer { partial in
                func block(_ chunk: Int) {
                    let start = n * chunk / chunks, end = n * (chunk + 1) / chunks
                    partial[chunk] = run(p + start, end - start)
                }
                if chunks > 1 && parallelChunks(n) > 1 {
                    PartPool.shared.run(chunks) { block($0) }
                } else {
                    for chunk in 0..<chunks { block(chunk) }
                }
            }
            var result = initial
            for value in partials { result = combine(result, value) }
            return Tensor(unchecked: [result], shape: outShape)
        }
        // Common layouts first: reducing trailing axes (each output reduces one contiguous
        // run) or leading axes (each input row folds into the single output row).
        if let firstReduced = reduced.firstIndex(of: true), !reduced[firstReduced...].contains(false) {
            let inner = n / outCount
            var result = [Float](repeating: initial, count: outCount)
            result.withUnsafeMutableBufferPointer { out in
                parallelRanges(outCount, cost: inner) { rows in
                    for row in rows { out[row] = run(p + row * inner, inner) }
                }
            }
            return Tensor(unchecked: result, shape: outShape)
        }
        if let firstKept = reduced.firstIndex(of: false), !reduced[firstKept...].contains(true) {
            let rows = n / outCount
            var result = [Float](repeating: initial, count: outCount)
            result.withUnsafeMutableBufferPointer { out in
                // Split the columns (not the rows) across threads so that writes stay disjoint.
                parallelRanges(outCount, cost: rows) { columns in
                    for row in 0..<rows {
                        let offset = row * outCount
                        for j in columns { out[j] = combine(out[j], p[offset + j]) }
                    }
                }
            }
            return Tensor(unchecked: result, shape: outShape)
        }
        var outStrides = rowMajorStrides(keptShape)
        for axis in 0..<rank where reduced[axis] { outStrides[axis] = 0 }
        let plan = BroadcastPlan(extents: x.shape, stridesA: rowMajorStrides(x.shape), stridesB: outStrides)
        let last = plan.extents.count - 1
        let inner = plan.extents[last], innerOut = plan.stridesB[last]
        let rows = n / inner
        var result = [Float](repeating: initial, count: outCount)
        result.withUnsafeMutableBufferPointer { out in
            // Rows may run in parallel only when each row writes its own output value.
            let independent = innerOut == 0 && plan.stridesB[..<last].allSatisfy { $0 != 0 }
            func body(_ rowRange: Range<Int>) {
                var walker = plan.walker(startingAtRow: rowRange.lowerBound)
                for _ in rowRange {
                    let offset = walker.offsetA, o = walker.offsetB
                    if innerOut == 0 {
                        out[o] = combine(out[o], run(p + offset, inner))
                    } else {
                        for j in 0..<inner { out[o + j] = combine(out[o + j], p[offset + j]) }
                    }
                    walker.advance()
                }
            }
            if independent { parallelRanges(rows, cost: inner) { body($0) } } else { body(0..<rows) }
        }
        return Tensor(unchecked: result, shape: outShape)
    }
}

/// Full reductions of at least this many values are split into `fullReductionBlocks` blocks.
let fullReductionBlockThreshold = 1 << 17
/// A constant, so the grouping of partial results never depends on the hardware or the load.
let fullReductionBlocks = 4
