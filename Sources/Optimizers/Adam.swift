import Foundation

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

    public override func prepareStep() {
        let t = Float(step)
        stepSize = learningRate / (1 - pow(beta1, t))
        secondCorrection = 1 / (1 - pow(beta2, t))
    }

    public override func apply(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                               slots: [UnsafeMutableBufferPointer<Float>]) {
        let m = slots[0], v = slots[1]
        let b1 = beta1, b2 = beta2, eps = epsilon, size = stepSize, correction = secondCorrection
        let shrink = 1 - learningRate * decoupledWeightDecay
        for i in 0..<w.count {
            let gi = g[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            w[i] = w[i] * shrink - size * m[i] / ((v[i] * correction).squareRoot() + eps)
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
