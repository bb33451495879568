import Foundation
#if arch(x86_64)
internal import _Builtin_intrinsics.intel
#endif

/// Adam (Kingma & Ba, 2015): steps from bias-corrected running averages of the gradient and of
/// its square.
///
///     m ← β1 m + (1 - β1) g,    v ← β2 v + (1 - β2) g²
///     m̂ = m / (1 - β1^t),       v̂ = v / (1 - β2^t)
///     w ← w - η m̂ / (sqrt(v̂) + ε)
///
/// With `decoupledWeightDecay` λ > 0 this is AdamW (Loshchilov & Hutter, 2019): w ← w - η λ w
/// before the step, rather than adding λw to the gradient.
public class Adam: ParameterOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let decoupledWeightDecay: Float
    private var stepSize: Float = 0
    private var secondCorrection: Float = 1

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                decoupledWeightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(learningRate: learningRate, slotCount: 2)
    }

    public override func prepareParameter(updates: Int) {
        let t = Float(updates)
        stepSize = learningRate / (1 - pow(beta1, t))
        secondCorrection = 1 / (1 - pow(beta2, t))
    }

    public override var updatesValuesIndependently: Bool { true }

    public override func apply(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                               slots: [UnsafeMutableBufferPointer<Float>]) {
        let m = slots[0].baseAddress!, v = slots[1].baseAddress!
        guard let wp = w.baseAddress, let gp = g.baseAddress else { return }
        let b1 = beta1, b2 = beta2, eps = epsilon, size = stepSize, correction = secondCorrection
        let shrink = 1 - learningRate * decoupledWeightDecay
        // Eight lanes with AVX, then four with SSE: the scalar loop did not vectorize (Swift's
        // squareRoot() stays a scalar sqrtss, also on SIMD types) and was about a quarter of an
        // MLP epoch (perf). The square root and the division bound this loop, not memory, so
        // large parameters are also split over the cores (`ParameterOptimizer`); measured in
        // `benchmarks mlp`, 0.59-0.60 s/epoch before both, 0.54 s after. Each lane does exactly
        // the scalar tail's operations, in the same order (no FMA), so results do not depend on
        // where the tail starts, nor on how the parameter was split.
        let count = w.count
        var i = 0
        #if arch(x86_64) && NBRUN_FMA
        let wb1 = _mm256_set1_ps(b1), wc1 = _mm256_set1_ps(1 - b1), wb2 = _mm256_set1_ps(b2), wc2 = _mm256_set1_ps(1 - b2)
        let wShrink = _mm256_set1_ps(shrink), wSize = _mm256_set1_ps(size), wCorrection = _mm256_set1_ps(correction)
        let wEpsilon = _mm256_set1_ps(eps)
        while i + 8 <= count {
            let gi = _mm256_loadu_ps(gp + i)
            let mi = _mm256_add_ps(_mm256_mul_ps(wb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(wc1, gi))
            let vi = _mm256_add_ps(_mm256_mul_ps(wb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(wc2, gi), gi))
            let step = _mm256_div_ps(_mm256_mul_ps(wSize, mi),
                                     _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, wCorrection)), wEpsilon))
            _mm256_storeu_ps(m + i, mi)
            _mm256_storeu_ps(v + i, vi)
            _mm256_storeu_ps(wp + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(wp + i), wShrink), step))
            i += 8
        }
        #endif
        #if arch(x86_64)
        let vb1 = _mm_set1_ps(b1), vc1 = _mm_set1_ps(1 - b1), vb2 = _mm_set1_ps(b2), vc2 = _mm_set1_ps(1 - b2)
        let vShrink = _mm_set1_ps(shrink), vSize = _mm_set1_ps(size), vCorrection = _mm_set1_ps(correction)
        let vEpsilon = _mm_set1_ps(eps)
        while i + 4 <= count {
            let gi = _mm_loadu_ps(gp + i)
            let mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + i)), _mm_mul_ps(vc1, gi))
            let vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(vc2, gi), gi))
            let step = _mm_div_ps(_mm_mul_ps(vSize, mi), _mm_add_ps(_mm_sqrt_ps(_mm_mul_ps(vi, vCorrection)), vEpsilon))
            _mm_storeu_ps(m + i, mi)
            _mm_storeu_ps(v + i, vi)
            _mm_storeu_ps(wp + i, _mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(wp + i), vShrink), step))
            i += 4
        }
        #endif
        while i < count {
            let gi = gp[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            wp[i] = wp[i] * shrink - size * m[i] / ((v[i] * correction).squareRoot() + eps)
            i += 1
        }
    }
}

/// AdamW: Adam with decoupled weight decay (default λ = 0.01, as in PyTorch).
public final class AdamW: Adam {
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0.01) {
        super.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, decoupledWeightDecay: weightDecay)
    }
}
