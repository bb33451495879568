// The Keras and PyTorch spellings users reach for first, each an error that names the engine's
// own: `Dense(10)` does not compile, and the compiler says "nbrun calls it Linear(inputs, outputs)".
// Unavailable declarations are hints, not API: they cannot be called.

// Layers, not typealiases: a typealias's call is checked against the engine's initialiser first,
// so `BatchNormalization()` said "missing argument" instead; these take whatever a Keras or
// PyTorch call passes, and are layers, so that `Sequential([Dense(784, 10), ...])` type-checks
// as far as the hint (a type that is not a layer stopped at "cannot convert to 'any Layer'").

@available(*, unavailable, message: "nbrun calls it Linear(inputs, outputs), with both sizes: Linear(784, 10)")
public final class Dense: Layer {
    public init(_ arguments: Any..., activation: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it Conv2D(inputChannels, filters, kernelSize: 3, padding: 1)")
public final class Conv2d: Layer {
    public init(_ arguments: Any..., kernel_size: Any? = nil, stride: Any? = nil, padding: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it BatchNorm(features), for (batch, features) and (batch, channels, height, width) alike")
public final class BatchNormalization: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it BatchNorm(features)")
public final class BatchNorm1d: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it BatchNorm(channels)")
public final class BatchNorm2d: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it MaxPool2D(size: 2)")
public final class MaxPooling2D: Layer {
    public init(_ arguments: Any..., pool_size: Any? = nil, strides: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it MaxPool2D(size: 2)")
public final class MaxPool2d: Layer {
    public init(_ arguments: Any..., stride: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it AvgPool2D(size: 2)")
public final class AveragePooling2D: Layer {
    public init(_ arguments: Any..., pool_size: Any? = nil, strides: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it AvgPool2D(size: 2)")
public final class AvgPool2d: Layer {
    public init(_ arguments: Any..., stride: Any? = nil) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it ReLU() (the function: relu(x))")
public final class ReLu: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it ReLU() (the function: relu(x))")
public final class Relu: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it LeakyReLU(alpha: 0.01)")
public final class LeakyRelu: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}
@available(*, unavailable, message: "nbrun calls it ELU(alpha: 1)")
public final class Elu: Layer {
    public init(_ arguments: Any...) {}
    public func callAsFunction(_ x: Variable) -> Variable { fatalError() }
}

extension Dropout {
    @available(*, unavailable, message: "write Dropout(rate: 0.2)")
    public convenience init(_ rate: Float) { fatalError() }
}

extension Module {
    @available(*, unavailable, message: "write model.isTraining = true (training mode is a property)")
    public func train() { fatalError() }
    @available(*, unavailable, message: "write model.isTraining = false (training mode is a property)")
    public func eval() { fatalError() }
    @available(*, unavailable, message: "call layer.freeze() to stop its weights training (unfreeze() to train them again)")
    public var trainable: Bool {
        get { fatalError() }
        set { fatalError() }
    }
    @available(*, unavailable, message: "write model.zeroGradients()")
    public func zero_grad() { fatalError() }
    @available(*, unavailable, message: "write model.stateDictionary() (or saveWeights(to:) to write it to a file)")
    public func state_dict() -> [String: Tensor] { fatalError() }
    @available(*, unavailable, message: "write try model.loadWeights(from: path) (or loadStateDictionary(_:file:))")
    public func load_state_dict(_ state: [String: Tensor]) { fatalError() }
}

extension Optimizer {
    @available(*, unavailable, message: "write optimizer.update(model.parameters) after loss.backward(), then model.zeroGradients()")
    public func step() { fatalError() }
    @available(*, unavailable, message: "write model.zeroGradients() (gradients belong to the model's parameters)")
    public func zero_grad() { fatalError() }
}

extension Sequential {
    @available(*, unavailable, message: "label the data: try model.fit(x: images, y: labels, batchSize: 32, epochs: 5)")
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int = 32, epochs: Int = 1) -> History { fatalError() }
    @available(*, unavailable, message: "label the data: try model.evaluate(x: images, y: labels)")
    public func evaluate(_ x: Tensor, _ y: Tensor) -> Evaluation { fatalError() }
    @available(*, unavailable, message: "pass the objects: model.compile(optimizer: Adam(learningRate: 1e-3), loss: .crossEntropy, metrics: [.accuracy])")
    public func compile(optimizer: String, loss: String, metrics: [String] = []) { fatalError() }
}

extension Loss {
    @available(*, unavailable, message: "write .crossEntropy (from logits, against class indices)")
    public static var sparseCategoricalCrossentropy: Loss { fatalError() }
    @available(*, unavailable, message: "write .crossEntropy (from logits, against class indices)")
    public static var categoricalCrossentropy: Loss { fatalError() }
    @available(*, unavailable, message: "write .meanSquaredError")
    public static var mse: Loss { fatalError() }
}

