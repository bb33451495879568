import Foundation

// Numerically stable softmax family along one axis. Each subtracts the maximum along
// the axis first, so e^x never overflows: softmax([1000, 1000]) is [0.5, 0.5], not NaN.

/// e^x_i / sum_j e^x_j along `axis` (default: the last). A line holding +inf gives its +inf
/// values equal shares (the limit) and the others 0; a line of only -inf is NaN (0/0), as in
/// NumPy and PyTorch.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongAxis(x, axis, "softmax") { input, output, n, inner in
        var maximum = -Float.infinity
        for k in 0..<n { maximum = Swift.max(maximum, input[k * inner]) }
        if maximum == .infinity {
            // The limit as those values grow: the +inf values share the whole mass equally
            // (x - max would be inf - inf = NaN for them, and NaN for the whole line).
            let share = 1 / Float(infiniteCount(input, n, inner))
            for k in 0..<n {
                let v = input[k * inner]
                output[k * inner] = v.isNaN ? .nan : (v == .infinity ? share : 0)
            }
            return
        }
        var total: Float = 0
        for k in 0..<n {
            let e = Foundation.exp(input[k * inner] - maximum)
            output[k * inner] = e
            total += e
        }
        let scale = 1 / total
        for k in 0..<n { output[k * inner] *= scale }
    }
}

/// x_i - log(sum_j e^x_j) along `axis` (default: the last): log(softmax(x)) without underflow.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongAxis(x, axis, "logSoftmax") { input, output, n, inner in
        var maximum = -Float.infinity
        for k in 0..<n { maximum = Swift.max(maximum, input[k * inner]) }
        if maximum == .infinity {
            // The limit, as for softmax: log(1/count) for the +inf values, -inf for the others.
            let share = -Foundation.log(Float(infiniteCount(input, n, inner)))
            for k in 0..<n {
                let v = input[k * inner]
                output[k * inner] = v.isNaN ? .nan : (v == .infinity ? share : -.infinity)
            }
            return
        }
        var total: Float = 0
        for k in 0..<n { total += Foundation.exp(input[k * inner] - maximum) }
        let shift = maximum + Foundation.log(total)
        for k in 0..<n { output[k * inner] = input[k * inner] - shift }
    }
}

/// How many of the `n` values `inner` apart from `p` are +infinity.
@inline(__always)
private func infiniteCount(_ p: UnsafePointer<Float>, _ n: Int, _ inner: Int) -> Int {
    var count = 0
    for k in 0..<n where p[k * inner] == .infinity { count += 1 }
    return count
}

/// log(sum_i e^x_i) along `axis`, computed as max + log(sum e^(x - max)).
public func logSumExp(_ x: Tensor, axis: Int = -1, keepDims: Bool = false) -> Tensor {
    // Along an empty axis the sum is 0 and the result -inf; the shift is then any constant.
    let empty = x.shape[normalizedAxis(axis, rank: x.rank, "logSumExp")] == 0
    var maximum = empty ? Tensor.zeros(keptShape(x.shape, axis)) : x.max(alongAxes: [axis], keepDims: true)
    // An infinite maximum shifts by 0 instead: inf - inf would be NaN, where the answer is
    // +inf (a +inf value) or -inf (only -inf values).
    maximum = mapValues(maximum) { $0.isFinite ? $0 : 0 }
    let result = log(exp(x - maximum).sum(alongAxes: [axis], keepDims: true)) + maximum
    return keepDims ? result : result.squeezingShape(at: [axis])
}

/// Runs `body(input, output, n, inner)` on every line along `axis`; both pointers start at
/// the line's first value and its values are `inner` apart.
@inline(__always)
func alongAxis(_ x: Tensor, _ axis: Int, _ operation: String,
               _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void) -> Tensor {
    let axis = normalizedAxis(axis, rank: x.rank, operation)
    let n = x.shape[axis], outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
    return x.scalars.withUnsafeBufferPointer { p in
        Tensor(shape: x.shape) { out in
            if x.count == 0 { return }
            parallelRanges(outer * inner, cost: n * 8) { lines in
                for line in lines {
                    let o = line / inner, i = line % inner
                    let start = o * n * inner + i
                    body(p.baseAddress! + start, out.baseAddress! + start, n, inner)
                }
            }
        }
    }
}

/// `shape` with `axis` (already checked) set to extent 1.
private func keptShape(_ shape: [Int], _ axis: Int) -> [Int] {
    var result = shape
    result[axis < 0 ? axis + shape.count : axis] = 1
    return result
}
