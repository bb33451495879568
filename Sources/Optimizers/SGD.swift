import Foundation

/// Stochastic gradient descent with optional momentum (Polyak), Nesterov momentum
/// (Sutskever et al., 2013) and L2 weight decay, as in PyTorch:
///
///     g ← g + λ w                  (weight decay)
///     v ← μ v + g                  (momentum)
///     w ← w - η (g + μ v)          Nesterov, or   w ← w - η v   otherwise
///     w ← w - η g                  without momentum
public final class SGD: ParameterOptimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        engineCheck(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0, got \(momentum)")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, slotCount: momentum > 0 ? 1 : 0)
    }

    public override var updatesValuesIndependently: Bool { true }

    public override func apply(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                               slots: [UnsafeMutableBufferPointer<Float>]) {
        let rate = learningRate, decay = weightDecay, mu = momentum
        if mu == 0 {
            for i in 0..<w.count { w[i] -= rate * (g[i] + decay * w[i]) }
            return
        }
        let v = slots[0]
        if nesterov {
            for i in 0..<w.count {
                let gi = g[i] + decay * w[i]
                v[i] = mu * v[i] + gi
                w[i] -= rate * (gi + mu * v[i])
            }
        } else {
            for i in 0..<w.count {
                v[i] = mu * v[i] + g[i] + decay * w[i]
                w[i] -= rate * v[i]
            }
        }
    }
}

/// Adagrad (Duchi et al., 2011): each weight's step shrinks with the sum of its squared
/// gradients, so rarely-updated weights keep larger steps.
///
///     G ← G + g²,   w ← w - η g / (sqrt(G) + ε)
public final class Adagrad: ParameterOptimizer {
    public let epsilon: Float

    public init(learningRate: Float = 0.01, epsilon: Float = 1e-10) {
        self.epsilon = epsilon
        super.init(learningRate: learningRate, slotCount: 1)
    }

    public override var updatesValuesIndependently: Bool { true }

    public override func apply(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                               slots: [UnsafeMutableBufferPointer<Float>]) {
        let rate = learningRate, eps = epsilon, sum = slots[0]
        for i in 0..<w.count {
            sum[i] += g[i] * g[i]
            w[i] -= rate * g[i] / (sum[i].squareRoot() + eps)
        }
    }
}

/// RMSprop (Hinton, Coursera lecture 6e, 2012): like Adagrad, but with a decaying average of
/// squared gradients, so steps do not shrink for ever.
///
///     s ← ρ s + (1 - ρ) g²,   w ← w - η g / (sqrt(s) + ε)
public final class RMSprop: ParameterOptimizer {
    public let rho: Float
    public let epsilon: Float

    public init(learningRate: Float = 0.001, rho: Float = 0.9, epsilon: Float = 1e-8) {
        self.rho = rho
        self.epsilon = epsilon
        super.init(learningRate: learningRate, slotCount: 1)
    }

    public override var updatesValuesIndependently: Bool { true }

    public override func apply(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                               slots: [UnsafeMutableBufferPointer<Float>]) {
        let rate = learningRate, eps = epsilon, r = rho, s = slots[0]
        for i in 0..<w.count {
            s[i] = r * s[i] + (1 - r) * g[i] * g[i]
            w[i] -= rate * g[i] / (s[i].squareRoot() + eps)
        }
    }
}
