import Foundation

// Elementwise math: unary functions, and binary operations with NumPy broadcasting.
//
// Broadcasting (NumPy's rule): shapes are aligned at their last axis; two extents
// agree when they are equal or one of them is 1, which is stretched. `(128, 10) + (10)`
// adds a row to every row; `(N, C, H, W) * (1, C, 1, 1)` scales each channel.

infix operator .> : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence

/// The broadcast shape of `lhs` and `rhs`; stops with a message naming `operation` if they do not broadcast.
public func broadcastShape(_ lhs: [Int], _ rhs: [Int], _ operation: String = "broadcast") -> [Int] {
    if lhs == rhs { return lhs }
    let rank = Swift.max(lhs.count, rhs.count)
    var result = [Int](repeating: 1, count: rank)
    for axis in 0..<rank {
        let l = axis - (rank - lhs.count), r = axis - (rank - rhs.count)
        let a = l >= 0 ? lhs[l] : 1, b = r >= 0 ? rhs[r] : 1
        if a == b || b == 1 { result[axis] = a } else if a == 1 { result[axis] = b } else {
            shapeMismatch(operation, lhs, rhs, "do not broadcast (axis \(axis) of the result: \(a) vs \(b))")
        }
    }
    return result
}

// MARK: - Kernels

/// `f` applied to every value; parallel above the threshold (`cost` weighs expensive `f`s).
@inline(__always)
func mapValues(_ x: Tensor, cost: Int = 1, _ f: (Float) -> Float) -> Tensor {
    let n = x.count
    return x.scalars.withUnsafeBufferPointer { source in
        Tensor(shape: x.shape) { destination in
            parallelRanges(n, cost: cost) { range in
                for i in range { destination[i] = f(source[i]) }
            }
        }
    }
}

/// `f(a, b)` elementwise over the broadcast shape of `a` and `b`.
@inline(__always)
func zipBroadcast(_ a: Tensor, _ b: Tensor, _ operation: String, cost: Int = 1,
                  _ f: (Float, Float) -> Float) -> Tensor {
    if a.shape == b.shape {
        let n = a.count
        return a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                Tensor(shape: a.shape) { out in
                    parallelRanges(n, cost: cost) { range in
                        for i in range { out[i] = f(pa[i], pb[i]) }
                    }
                }
            }
        }
    }
    if b.count == 1 && b.rank <= a.rank {
        let scalar = b.scalars[0]
        return mapValues(a, cost: cost) { f($0, scalar) }
    }
    if a.count == 1 && a.rank <= b.rank {
        let scalar = a.scalars[0]
        return mapValues(b, cost: cost) { f(scalar, $0) }
    }
    // Common layout first: one operand repeats along leading axes, e.g. (128, 10) + (10).
    if b.rank < a.rank && b.count > 0 && Array(a.shape.suffix(b.rank)) == b.shape {
        return repeatedRows(a, b, cost: cost) { f($0, $1) }
    }
    if a.rank < b.rank && a.count > 0 && Array(b.shape.suffix(a.rank)) == a.shape {
        return repeatedRows(b, a, cost: cost) { f($1, $0) }
    }
    let outShape = broadcastShape(a.shape, b.shape, operation)
    let total = outShape.reduce(1, *)
    if total == 0 { return Tensor(unchecked: [], shape: outShape) }
    let plan = BroadcastPlan(outShape: outShape, a.shape, b.shape)
    let inner = plan.extents[plan.extents.count - 1]
    let strideA = plan.stridesA[plan.extents.count - 1], strideB = plan.stridesB[plan.extents.count - 1]
    let rows = total / inner
    return a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            Tensor(shape: outShape) { out in
                parallelRanges(rows, cost: inner * cost) { rowRange in
                    var walker = plan.walker(startingAtRow: rowRange.lowerBound)
                    for row in rowRange {
                        let o = row * inner, offA = walker.offsetA, offB = walker.offsetB
                        if strideA == 1 && strideB == 1 {
                            for j in 0..<inner { out[o + j] = f(pa[offA + j], pb[offB + j]) }
                        } else if strideA == 1 {
                            let vb = pb[offB]
                            for j in 0..<inner { out[o + j] = f(pa[offA + j], vb) }
                        } else if strideB == 1 {
                            let va = pa[offA]
                            for j in 0..<inner { out[o + j] = f(va, pb[offB + j]) }
                        } else {
                            let value = f(pa[offA], pb[offB])
                            for j in 0..<inner { out[o + j] = value }
                        }
                        walker.advance()
                    }
                }
            }
        }
    }
}

/// `f(x, row)` where `row`'s shape is a suffix of `x`'s: `row` repeats for each leading index.
@inline(__always)
func repeatedRows(_ x: Tensor, _ row: Tensor, cost: Int, _ f: (Float, Float) -> Float) -> Tensor {
    let inner = row.count, rows = x.count / inner
    return x.scalars.withUnsafeBufferPointer { px in
        row.scalars.withUnsafeBufferPointer { pr in
            Tensor(shape: x.shape) { out in
                parallelRanges(rows, cost: inner * cost) { range in
                    for r in range {
                        let o = r * inner
                        for j in 0..<inner { out[o + j] = f(px[o + j], pr[j]) }
                    }
                }
            }
        }
    }
}

/// Two operands laid over one output shape: per output axis, each operand's stride
/// (0 where it is broadcast). Axes of extent 1 are dropped and neighbouring axes that
/// are contiguous for both operands are merged, so `(N, C, H, W) * (1, C, 1, 1)`
/// becomes a loop over `(N, C)` rows of `H * W` values.
struct BroadcastPlan {
    var extents: [Int] = []
    var stridesA: [Int] = []
    var stridesB: [Int] = []

    init(outShape: [Int], _ shapeA: [Int], _ shapeB: [Int]) {
        let rank = outShape.count
        let rowA = rowMajorStrides(shapeA), rowB = rowMajorStrides(shapeB)
        var stridesA = [Int](repeating: 0, count: rank), stridesB = stridesA
        for axis in 0..<rank {
            let ia = axis - (rank - shapeA.count), ib = axis - (rank - shapeB.count)
            stridesA[axis] = ia >= 0 && shapeA[ia] != 1 ? rowA[ia] : 0
            stridesB[axis] = ib >= 0 && shapeB[ib] != 1 ? rowB[ib] : 0
        }
        self.init(extents: outShape, stridesA: stridesA, stridesB: stridesB)
    }

    /// A plan over `extents` with explicit per-axis strides for both operands.
    init(extents outShape: [Int], stridesA: [Int], stridesB: [Int]) {
        var pending: [(extent: Int, a: Int, b: Int)] = []
        for axis in 0..<outShape.count where outShape[axis] != 1 {
            pending.append((outShape[axis], stridesA[axis], stridesB[axis]))
        }
        if pending.isEmpty { pending.append((1, 0, 0)) }
        // Merge from the right: axis i folds into the merged axis to its right when both
        // operands step through them as one contiguous run (or both broadcast them).
        var merged: [(extent: Int, a: Int, b: Int)] = [pending[pending.count - 1]]
        for (extent, a, b) in pending.dropLast().reversed() {
            let last = merged[merged.count - 1]
            let foldsA = a == last.a * last.extent, foldsB = b == last.b * last.extent
            if foldsA && foldsB {
                merged[merged.count - 1] = (extent * last.extent, last.a, last.b)
            } else {
                merged.append((extent, a, b))
            }
        }
        merged.reverse()
        self.extents = merged.map { $0.extent }
        self.stridesA = merged.map { $0.a }
        self.stridesB = merged.map { $0.b }
    }

    func walker(startingAtRow row: Int) -> BroadcastWalker {
        BroadcastWalker(plan: self, row: row)
    }
}

/// Walks the rows (all axes but the last) of a `BroadcastPlan`, tracking both operands' offsets.
struct BroadcastWalker {
    let extents: [Int], stridesA: [Int], stridesB: [Int]
    var index: [Int]
    var offsetA = 0, offsetB = 0

    init(plan: BroadcastPlan, row: Int) {
        extents = plan.extents
        stridesA = plan.stridesA
        stridesB = plan.stridesB
        index = [Int](repeating: 0, count: extents.count)
        var remainder = row
        for axis in (0..<(extents.count - 1)).reversed() {
            index[axis] = remainder % extents[axis]
            remainder /= extents[axis]
            offsetA += index[axis] * stridesA[axis]
            offsetB += index[axis] * stridesB[axis]
        }
    }

    @inline(__always)
    mutating func advance() {
        var axis = extents.count - 2
        while axis >= 0 {
            index[axis] += 1
            offsetA += stridesA[axis]
            offsetB += stridesB[axis]
            if index[axis] < extents[axis] { return }
            offsetA -= stridesA[axis] * extents[axis]
            offsetB -= stridesB[axis] * extents[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

// MARK: - Arithmetic operators

extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, "add") { $0 + $1 } }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, "subtract") { $0 - $1 } }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, "multiply") { $0 * $1 } }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, "divide") { $0 / $1 } }

    public static func + (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 + rhs } }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 - rhs } }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 * rhs } }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 / rhs } }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { mapValues(rhs) { lhs + $0 } }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { mapValues(rhs) { lhs - $0 } }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { mapValues(rhs) { lhs * $0 } }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { mapValues(rhs) { lhs / $0 } }

    public static prefix func - (x: Tensor) -> Tensor { mapValues(x) { -$0 } }

    /// Adds `rhs` (broadcast to `lhs`'s shape) in place; no allocation when `lhs` is uniquely held.
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        if lhs.shape == rhs.shape {
            let n = lhs.count
            rhs.scalars.withUnsafeBufferPointer { pr in
                lhs.scalars.withUnsafeMutableBufferPointer { pl in
                    parallelRanges(n) { range in for i in range { pl[i] += pr[i] } }
                }
            }
        } else {
            let result = lhs + rhs
            if result.shape != lhs.shape { shapeMismatch("+=", lhs.shape, rhs.shape, "would change the left shape") }
            lhs = result
        }
    }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs += -rhs }
    public static func *= (lhs: inout Tensor, rhs: Tensor) {
        let result = lhs * rhs
        if result.shape != lhs.shape { shapeMismatch("*=", lhs.shape, rhs.shape, "would change the left shape") }
        lhs = result
    }
    public static func /= (lhs: inout Tensor, rhs: Tensor) {
        let result = lhs / rhs
        if result.shape != lhs.shape { shapeMismatch("/=", lhs.shape, rhs.shape, "would change the left shape") }
        lhs = result
    }
    public static func += (lhs: inout Tensor, rhs: Float) {
        lhs.scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += rhs } }
    }
    public static func -= (lhs: inout Tensor, rhs: Float) { lhs += -rhs }
    public static func *= (lhs: inout Tensor, rhs: Float) {
        lhs.scalars.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= rhs } }
    }
    public static func /= (lhs: inout Tensor, rhs: Float) { lhs *= 1 / rhs }

    // MARK: Comparisons: 1 where true, 0 where false (broadcasting).

    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".>") { $0 > $1 ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".<") { $0 < $1 ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".>=") { $0 >= $1 ? 1 : 0 } }
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".<=") { $0 <= $1 ? 1 : 0 } }
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".==") { $0 == $1 ? 1 : 0 } }
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { zipBroadcast(lhs, rhs, ".!=") { $0 != $1 ? 1 : 0 } }
    public static func .> (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 > rhs ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 < rhs ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 >= rhs ? 1 : 0 } }
    public static func .<= (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 <= rhs ? 1 : 0 } }
    public static func .== (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 == rhs ? 1 : 0 } }
    public static func .!= (lhs: Tensor, rhs: Float) -> Tensor { mapValues(lhs) { $0 != rhs ? 1 : 0 } }

    /// `a` where `condition` is nonzero, else `b` (all three broadcast together), as NumPy's `where`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = broadcastShape(broadcastShape(condition.shape, a.shape, "where"), b.shape, "where")
        let c = condition.broadcasted(to: shape), x = a.broadcasted(to: shape), y = b.broadcasted(to: shape)
        let selectedA = zipBroadcast(c, x, "where") { $0 != 0 ? $1 : 0 }
        return zipBroadcast(c, y, "where") { $0 != 0 ? 0 : $1 } + selectedA
    }

    /// Values clamped to `[minimum, maximum]`.
    public func clamped(min minimum: Float, max maximum: Float) -> Tensor {
        mapValues(self) { Swift.min(Swift.max($0, minimum), maximum) }
    }
}

// MARK: - Unary functions

/// e^x elementwise.
public func exp(_ x: Tensor) -> Tensor { mapValues(x, cost: 8) { Foundation.exp($0) } }
/// Natural logarithm elementwise.
public func log(_ x: Tensor) -> Tensor { mapValues(x, cost: 8) { Foundation.log($0) } }
/// Square root elementwise.
public func sqrt(_ x: Tensor) -> Tensor { mapValues(x, cost: 2) { $0.squareRoot() } }
/// Hyperbolic tangent elementwise.
public func tanh(_ x: Tensor) -> Tensor { mapValues(x, cost: 8) { Foundation.tanh($0) } }
/// Logistic sigmoid 1 / (1 + e^-x), computed without overflow for large |x|.
public func sigmoid(_ x: Tensor) -> Tensor {
    mapValues(x, cost: 8) { v in
        if v >= 0 { return 1 / (1 + Foundation.exp(-v)) }
        let e = Foundation.exp(v)
        return e / (1 + e)
    }
}
/// max(0, x) elementwise.
public func relu(_ x: Tensor) -> Tensor { mapValues(x) { $0 > 0 ? $0 : 0 } }
/// x for x > 0, alpha * x otherwise.
public func leakyRelu(_ x: Tensor, alpha: Float = 0.01) -> Tensor { mapValues(x) { $0 > 0 ? $0 : alpha * $0 } }
/// x for x > 0, alpha * (e^x - 1) otherwise (Clevert et al. 2015).
public func elu(_ x: Tensor, alpha: Float = 1) -> Tensor {
    mapValues(x, cost: 8) { $0 > 0 ? $0 : alpha * (Foundation.exp($0) - 1) }
}
/// |x| elementwise.
public func abs(_ x: Tensor) -> Tensor { mapValues(x) { Swift.abs($0) } }
/// -1, 0 or 1 by the sign of x.
public func sign(_ x: Tensor) -> Tensor { mapValues(x) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
/// x * x elementwise.
public func square(_ x: Tensor) -> Tensor { mapValues(x) { $0 * $0 } }
/// x^p elementwise.
public func pow(_ x: Tensor, _ p: Float) -> Tensor {
    if p == 2 { return mapValues(x) { $0 * $0 } }
    if p == 1 { return x }
    if p == 0.5 { return sqrt(x) }
    return mapValues(x, cost: 8) { Foundation.pow($0, p) }
}
/// x^p elementwise with broadcasting.
public func pow(_ x: Tensor, _ p: Tensor) -> Tensor { zipBroadcast(x, p, "pow", cost: 8) { Foundation.pow($0, $1) } }
/// Elementwise maximum with broadcasting.
public func max(_ a: Tensor, _ b: Tensor) -> Tensor { zipBroadcast(a, b, "max") { Swift.max($0, $1) } }
/// Elementwise minimum with broadcasting.
public func min(_ a: Tensor, _ b: Tensor) -> Tensor { zipBroadcast(a, b, "min") { Swift.min($0, $1) } }
/// Elementwise maximum with a constant.
public func max(_ a: Tensor, _ b: Float) -> Tensor { mapValues(a) { Swift.max($0, b) } }
/// Elementwise minimum with a constant.
public func min(_ a: Tensor, _ b: Float) -> Tensor { mapValues(a) { Swift.min($0, b) } }
/// Values clamped to `[minimum, maximum]`.
public func clamp(_ x: Tensor, min minimum: Float, max maximum: Float) -> Tensor { x.clamped(min: minimum, max: maximum) }
