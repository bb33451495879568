// Moving values: reshape, transpose/permute, slicing, gathering, concatenation,
// stacking, padding. Every result is a new contiguous tensor.

extension Tensor {
    /// The same values with a new shape of equal count; one extent may be -1 (inferred).
    public func reshaped(to newShape: [Int]) -> Tensor {
        if newShape.contains(where: { $0 < -1 }) || newShape.filter({ $0 == -1 }).count > 1 {
            shapeMismatch("reshaped(to:)", shape, newShape, "are incompatible (at most one -1, no other negative extent)")
        }
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            if known == 0 || count % known != 0 {
                shapeMismatch("reshaped(to:)", shape, newShape, "are incompatible (\(count) values)")
            }
            newShape[inferred] = count / known
        }
        if shapeCount(newShape, "reshaped(to:)") != count {
            shapeMismatch("reshaped(to:)", shape, newShape, "hold different numbers of values")
        }
        return Tensor(unchecked: scalars, shape: newShape)
    }

    /// Reshapes in place (see `reshaped(to:)`).
    public mutating func reshape(to newShape: [Int]) { self = reshaped(to: newShape) }

    /// Rank 1, all values.
    public func flattened() -> Tensor { Tensor(unchecked: scalars, shape: [count]) }

    /// Inserts an axis of extent 1 at `axis`.
    public func expandingShape(at axis: Int) -> Tensor {
        let axis = axis < 0 ? axis + rank + 1 : axis
        if axis < 0 || axis > rank { engineFailure("expandingShape(at:): axis out of range for shape \(shape)") }
        var newShape = shape
        newShape.insert(1, at: axis)
        return Tensor(unchecked: scalars, shape: newShape)
    }

    /// Removes axes of extent 1 (all of them when `axes` is empty).
    public func squeezingShape(at axes: [Int] = []) -> Tensor {
        let remove = axes.isEmpty ? Set((0..<rank).filter { shape[$0] == 1 })
                                  : Set(axes.map { normalizedAxis($0, rank: rank, "squeezingShape(at:)") })
        for axis in remove where shape[axis] != 1 {
            engineFailure("squeezingShape(at:): axis \(axis) of shape \(shape) has extent \(shape[axis]), not 1")
        }
        return Tensor(unchecked: scalars, shape: (0..<rank).filter { !remove.contains($0) }.map { shape[$0] })
    }

    /// Axes reordered: axis `i` of the result is axis `permutation[i]` of this tensor.
    public func transposed(permutation: [Int]) -> Tensor {
        if permutation.count != rank || Set(permutation) != Set(0..<rank) {
            engineFailure("transposed(permutation:): \(permutation) is not a permutation of the axes of shape \(shape)")
        }
        if permutation == Array(0..<rank) { return self }
        let source = rowMajorStrides(shape)
        let outShape = permutation.map { shape[$0] }
        return stridedCopy(self, extents: outShape, strides: permutation.map { source[$0] })
    }

    /// The last two axes swapped (a matrix transpose for rank 2).
    public func transposed() -> Tensor {
        if rank < 2 { return self }
        var permutation = Array(0..<rank)
        permutation.swapAt(rank - 1, rank - 2)
        return transposed(permutation: permutation)
    }

    /// The values at `range` along `axis` (other axes whole).
    public func slice(alongAxis axis: Int, range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank, "slice(alongAxis:range:)")
        if range.lowerBound < 0 || range.upperBound > shape[axis] {
            engineFailure("slice(alongAxis:range:): range \(range) out of bounds for axis \(axis) of shape \(shape)")
        }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), n = shape[axis]
        var outShape = shape
        outShape[axis] = range.count
        let run = range.count * inner
        return scalars.withUnsafeBufferPointer { p in
            Tensor(shape: outShape) { out in
                for o in 0..<outer {
                    let from = p.baseAddress! + (o * n + range.lowerBound) * inner
                    (out.baseAddress! + o * run).update(from: from, count: run)
                }
            }
        }
    }

    /// The sub-tensors at `indices` along the first axis, in that order (repeats allowed):
    /// a mini-batch from a data set, or embedding rows.
    public func gathering<Indices: Collection>(rows indices: Indices) -> Tensor where Indices.Element == Int {
        if rank == 0 { engineFailure("gathering(rows:): needs rank >= 1, got a scalar") }
        let n = shape[0], row = count / Swift.max(n, 1)
        var outShape = shape
        outShape[0] = indices.count
        return scalars.withUnsafeBufferPointer { p in
            Tensor(shape: outShape) { out in
                for (i, index) in indices.enumerated() {
                    if index < 0 || index >= n { engineFailure("gathering(rows:): index \(index) out of range 0..<\(n)") }
                    (out.baseAddress! + i * row).update(from: p.baseAddress! + index * row, count: row)
                }
            }
        }
    }

    /// Adds each row of `values` (shape `(indices.count, ...)`) into row `indices[i]` of a zero
    /// tensor of `shape`: the adjoint of `gathering(rows:)` (repeated indices accumulate).
    package static func scatterAdding(rows values: Tensor, at indices: [Int], shape: [Int]) -> Tensor {
        var result = Tensor.zeros(shape)
        let row = shape.dropFirst().reduce(1, *)
        if values.count != indices.count * row {
            shapeMismatch("scatterAdding(rows:at:shape:)", values.shape, shape, "do not match \(indices.count) rows")
        }
        let n = shape.first ?? 1
        for index in indices where index < 0 || index >= n {
            engineFailure("scatterAdding(rows:at:shape:): index \(index) out of range 0..<\(n) for shape \(shape)")
        }
        values.scalars.withUnsafeBufferPointer { v in
            result.scalars.withUnsafeMutableBufferPointer { out in
                for (i, index) in indices.enumerated() {
                    for j in 0..<row { out[index * row + j] += v[i * row + j] }
                }
            }
        }
        return result
    }

    /// `tensors` joined along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        guard let first = tensors.first else { engineFailure("concatenate: no tensors") }
        let axis = normalizedAxis(axis, rank: first.rank, "concatenate")
        for t in tensors {
            var a = t.shape, b = first.shape
            if a.count != b.count { shapeMismatch("concatenate", b, a, "differ in rank") }
            a[axis] = 0; b[axis] = 0
            if a != b { shapeMismatch("concatenate", first.shape, t.shape, "differ off axis \(axis)") }
        }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outRun = outShape[axis] * inner
        return Tensor(shape: outShape) { out in
            var position = 0
            for t in tensors {
                let run = t.shape[axis] * inner
                t.scalars.withUnsafeBufferPointer { p in
                    for o in 0..<outer {
                        (out.baseAddress! + o * outRun + position).update(from: p.baseAddress! + o * run, count: run)
                    }
                }
                position += run
            }
        }
    }

    /// `tensors` (all of one shape) stacked along a new axis at `axis`.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        guard let first = tensors.first else { engineFailure("stack: no tensors") }
        for t in tensors where t.shape != first.shape { shapeMismatch("stack", first.shape, t.shape) }
        return concatenate(tensors.map { $0.expandingShape(at: axis) }, alongAxis: axis < 0 ? axis + first.rank + 1 : axis)
    }

    /// Padded with `value`: `before[i]` and `after[i]` entries on each side of axis `i`.
    public func padded(before: [Int], after: [Int], value: Float = 0) -> Tensor {
        if before.count != rank || after.count != rank || (before + after).contains(where: { $0 < 0 }) {
            engineFailure("padded(before:after:): need \(rank) non-negative amounts per side for shape \(shape), got \(before), \(after)")
        }
        let outShape = (0..<rank).map { shape[$0] + before[$0] + after[$0] }
        var result = Tensor(repeating: value, shape: outShape)
        if count == 0 { return result }
        let outStrides = rowMajorStrides(outShape)
        let origin = (0..<rank).reduce(0) { $0 + before[$1] * outStrides[$1] }
        // Copy this tensor into the interior: walk its rows, writing at the padded offsets.
        let plan = BroadcastPlan(extents: shape, stridesA: rowMajorStrides(shape), stridesB: outStrides)
        let last = plan.extents.count - 1
        let inner = plan.extents[last]
        scalars.withUnsafeBufferPointer { p in
            result.scalars.withUnsafeMutableBufferPointer { out in
                var walker = plan.walker(startingAtRow: 0)
                let innerStride = plan.stridesB[last]
                for _ in 0..<(count / inner) {
                    for j in 0..<inner { out[origin + walker.offsetB + j * innerStride] = p[walker.offsetA + j] }
                    walker.advance()
                }
            }
        }
        return result
    }
}

/// Gathers `x`'s values walking `extents` with source `strides` (in elements) into a
/// contiguous tensor of shape `extents`.
func stridedCopy(_ x: Tensor, extents: [Int], strides: [Int]) -> Tensor {
    let total = extents.reduce(1, *)
    if total == 0 { return Tensor(unchecked: [], shape: extents) }
    let plan = BroadcastPlan(extents: extents, stridesA: strides, stridesB: rowMajorStrides(extents))
    let last = plan.extents.count - 1
    let inner = plan.extents[last], innerStride = plan.stridesA[last]
    return x.scalars.withUnsafeBufferPointer { p in
        Tensor(shape: extents) { out in
            parallelRanges(total / inner, cost: inner) { rows in
                var walker = plan.walker(startingAtRow: rows.lowerBound)
                for _ in rows {
                    let o = walker.offsetB, offset = walker.offsetA
                    for j in 0..<inner { out[o + j] = p[offset + j * innerStride] }
                    walker.advance()
                }
            }
        }
    }
}
