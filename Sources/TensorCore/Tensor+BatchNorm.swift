// Batch normalisation in training mode, forward and backward as two fused kernels
// (batchNormForward / batchNormBackward). Composed from primitives it took about seven
// passes and as many full-size temporaries forward, and more backward.
//
// x is (N, C) or (N, C, H, W), seen as (N, C, S) with S = H*W (or 1); statistics are per
// channel c over N*S values:
//     mean_c, var_c (biased), r_c = 1 / sqrt(var_c + eps)
//     x̂ = (x - mean_c) r_c,   y = γ_c x̂ + β_c
// Backward (Ioffe & Szegedy, 2015, section 3), with M = N*S:
//     dβ_c = Σ dy,   dγ_c = Σ dy x̂,   dx = γ_c r_c / M · (M dy - dβ_c - x̂ dγ_c)

/// Normalises `x` (N, C) or (N, C, H, W) per channel with its batch statistics and applies
/// `scale` γ and `offset` β (each (C)). Returns y, x̂ (both of x's shape), the channel means,
/// the biased variances and r = 1/sqrt(var + epsilon) (each (C)).
package func batchNormForward(_ x: Tensor, scale: Tensor, offset: Tensor, epsilon: Float)
    -> (output: Tensor, normalized: Tensor, mean: Tensor, variance: Tensor, inverseDeviation: Tensor) {
    if x.rank != 2 && x.rank != 4 { engineFailure("batchNormForward: needs (N, C) or (N, C, H, W), got shape \(x.shape)") }
    let n = x.shape[0], c = x.shape[1], s = x.rank == 4 ? x.shape[2] * x.shape[3] : 1
    if scale.shape != [c] || offset.shape != [c] {
        shapeMismatch("batchNormForward", scale.shape, offset.shape, "must both be [\(c)] for input \(x.shape)")
    }
    let m = Double(Swift.max(n * s, 1))
    var mean = [Float](repeating: 0, count: c), variance = mean, inverse = mean
    x.scalars.withUnsafeBufferPointer { buffer in
        let p = buffer.baseAddress!
        for channel in 0..<c {
            var total = 0.0
            for image in 0..<n { total += Double(laneSum(p + (image * c + channel) * s, count: s)) }
            let mu = total / m
            var squares = 0.0
            for image in 0..<n { squares += Double(laneSquaredDeviations(p + (image * c + channel) * s, count: s, from: Float(mu))) }
            mean[channel] = Float(mu)
            variance[channel] = Float(squares / m)
            inverse[channel] = 1 / (variance[channel] + epsilon).squareRoot()
        }
    }
    var normalized = Tensor(shape: x.shape) { _ in }
    let output = x.scalars.withUnsafeBufferPointer { p in
        normalized.scalars.withUnsafeMutableBufferPointer { xhat in
            Tensor(shape: x.shape) { y in
                for image in 0..<n {
                    for channel in 0..<c {
                        let base = (image * c + channel) * s
                        let mu = mean[channel], r = inverse[channel]
                        let gamma = scale.scalars[channel], beta = offset.scalars[channel]
                        for i in 0..<s {
                            let h = (p[base + i] - mu) * r
                            xhat[base + i] = h
                            y[base + i] = gamma * h + beta
                        }
                    }
                }
            }
        }
    }
    return (output, normalized, Tensor(mean, shape: [c]), Tensor(variance, shape: [c]), Tensor(inverse, shape: [c]))
}

/// Gradients of `batchNormForward` given the upstream gradient dy, x̂, γ and r (see above):
/// (dx of x's shape, dγ (C), dβ (C)).
package func batchNormBackward(_ upstream: Tensor, normalized: Tensor, scale: Tensor, inverseDeviation: Tensor)
    -> (input: Tensor, scale: Tensor, offset: Tensor) {
    if upstream.shape != normalized.shape { shapeMismatch("batchNormBackward", upstream.shape, normalized.shape) }
    let shape = normalized.shape
    if shape.count != 2 && shape.count != 4 { engineFailure("batchNormBackward: needs (N, C) or (N, C, H, W), got shape \(shape)") }
    let n = shape[0], c = shape[1], s = shape.count == 4 ? shape[2] * shape[3] : 1
    // Read per channel below: a shorter γ or r would be read past its end.
    if scale.shape != [c] || inverseDeviation.shape != [c] {
        shapeMismatch("batchNormBackward", scale.shape, inverseDeviation.shape, "must both be [\(c)] for input \(shape)")
    }
    let m = Float(Swift.max(n * s, 1))
    var dScale = [Float](repeating: 0, count: c), dOffset = dScale
    let dx = upstream.scalars.withUnsafeBufferPointer { g in
        normalized.scalars.withUnsafeBufferPointer { h in
            for channel in 0..<c {
                var sumG = 0.0, sumGH = 0.0
                for image in 0..<n {
                    let base = (image * c + channel) * s
                    sumG += Double(laneSum(g.baseAddress! + base, count: s))
                    sumGH += Double(laneDot(g.baseAddress! + base, h.baseAddress! + base, count: s))
                }
                dOffset[channel] = Float(sumG)
                dScale[channel] = Float(sumGH)
            }
            return Tensor(shape: shape) { out in
                for image in 0..<n {
                    for channel in 0..<c {
                        let base = (image * c + channel) * s
                        let factor = scale.scalars[channel] * inverseDeviation.scalars[channel] / m
                        let db = dOffset[channel], dg = dScale[channel]
                        for i in 0..<s { out[base + i] = factor * (m * g[base + i] - db - h[base + i] * dg) }
                    }
                }
            }
        }
    }
    return (dx, Tensor(dScale, shape: [c]), Tensor(dOffset, shape: [c]))
}

// Sums of a run of values in 16 lanes (two or one SIMD registers): a single Float accumulator is
// a chain of dependent adds the compiler may not reorder, four cycles each; batch norm's
// statistics spent most of their time waiting on it. Lanes change the rounding, not the result.

/// The sum of `count` values from `p`.
@inline(__always)
func laneSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>.zero
    var i = 0
    while i + 16 <= count {
        lanes += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var rest: Float = 0
    while i < count { rest += p[i]; i += 1 }
    return lanes.sum() + rest
}

/// The sum of (p[i] - center)² over `count` values.
@inline(__always)
func laneSquaredDeviations(_ p: UnsafePointer<Float>, count: Int, from center: Float) -> Float {
    var lanes = SIMD16<Float>.zero
    let centers = SIMD16<Float>(repeating: center)
    var i = 0
    while i + 16 <= count {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self) - centers
        lanes += d * d
        i += 16
    }
    var rest: Float = 0
    while i < count { let d = p[i] - center; rest += d * d; i += 1 }
    return lanes.sum() + rest
}

/// The sum of a[i] * b[i] over `count` values.
@inline(__always)
func laneDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>.zero
    var i = 0
    while i + 16 <= count {
        lanes += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
    }
    var rest: Float = 0
    while i < count { rest += a[i] * b[i]; i += 1 }
    return lanes.sum() + rest
}
