// Learning rates as Doubles or Ints (any `ConvertibleToFloat`), such as a notebook's front-matter
// parameter (`learningRate: 0.001` is `let learningRate: Double = 0.001`): `Adam(learningRate:
// learningRate)`. The rate is converted to Float once; the other settings are as in the Float
// initialisers. Disfavoured: a literal (`Adam(learningRate: 1e-3)`) is still a Float, as before.

extension SGD {
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(learningRate: N, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.init(learningRate: learningRate.floatValue, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
    }
}

extension Adagrad {
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(learningRate: N, epsilon: Float = 1e-10) {
        self.init(learningRate: learningRate.floatValue, epsilon: epsilon)
    }
}

extension RMSprop {
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(learningRate: N, rho: Float = 0.9, epsilon: Float = 1e-8) {
        self.init(learningRate: learningRate.floatValue, rho: rho, epsilon: epsilon)
    }
}

extension Adam {
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(learningRate: N, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                            decoupledWeightDecay: Float = 0) {
        self.init(learningRate: learningRate.floatValue, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  decoupledWeightDecay: decoupledWeightDecay)
    }
}

extension AdamW {
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(learningRate: N, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                            weightDecay: Float = 0.01) {
        self.init(learningRate: learningRate.floatValue, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
    }
}

extension Optimizer {
    /// Sets the learning rate from a Double or an Int (a front-matter parameter, a schedule in Double).
    @_disfavoredOverload public func setLearningRate<N: ConvertibleToFloat>(_ rate: N) { learningRate = rate.floatValue }
}
