// The optimizer spellings Keras and PyTorch users reach for first, each an error that names the
// engine's own (see NeuralNetwork's OtherSpellings.swift).

/// An optimizer, so that `compile(optimizer: Adadelta())` type-checks as far as the hint.
@available(*, unavailable, message: "nbrun has SGD, Adagrad, RMSprop, Adam and AdamW")
public final class Adadelta: Optimizer {
    public init(_ arguments: Any..., lr: Any? = nil, learning_rate: Any? = nil) {}
    public var learningRate: Float { get { fatalError() } set { fatalError() } }
    public func update(_ parameters: [Variable]) { fatalError() }
}

extension Adam {
    @available(*, unavailable, message: "write Adam(learningRate: 1e-3)")
    public convenience init(lr: Float) { fatalError() }
    @available(*, unavailable, message: "write Adam(learningRate: 1e-3)")
    public convenience init(learning_rate: Float) { fatalError() }
}

extension SGD {
    @available(*, unavailable, message: "write SGD(learningRate: 0.01, momentum: 0.9)")
    public convenience init(lr: Float) { fatalError() }
    @available(*, unavailable, message: "write SGD(learningRate: 0.01, momentum: 0.9)")
    public convenience init(learning_rate: Float) { fatalError() }
}
