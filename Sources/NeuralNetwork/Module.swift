import Foundation

/// Something that maps a variable to a variable and may own trainable parameters: a layer, or a
/// model built from layers (PyTorch's `nn.Module`). A model of your own conforms to it and lists
/// its parameters; it then has `summary()`, `stateDictionary()` and `saveWeights(to:)` /
/// `loadWeights(from:)`, and trains with any optimizer:
///
///     final class TwoLayer: Module {
///         let hidden = Linear(784, 128), output = Linear(128, 10)
///         var isTraining = true
///         var namedParameters: [(String, Variable)] { prefixed("hidden", hidden) + prefixed("output", output) }
///         func callAsFunction(_ x: Variable) -> Variable { output(relu(hidden(x))) }
///     }
public protocol Module: AnyObject {
    /// Applies the module to a batch.
    func callAsFunction(_ x: Variable) -> Variable
    /// Trainable parameters with stable names (used by save/load and the optimizers).
    var namedParameters: [(String, Variable)] { get }
    /// Non-trainable state saved with the model (batch norm's running statistics), by name.
    var namedBuffers: [(String, Tensor)] { get }
    /// Restores a buffer saved under `name` (from `namedBuffers`).
    func setBuffer(_ name: String, _ value: Tensor)
    /// Training mode (dropout active, batch norm on batch statistics) or evaluation mode.
    var isTraining: Bool { get set }
}

extension Module {
    public var namedBuffers: [(String, Tensor)] { [] }
    public func setBuffer(_ name: String, _ value: Tensor) {}

    /// The trainable parameters.
    public var parameters: [Variable] { namedParameters.map { $0.1 } }

    /// The number of trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Forgets every parameter's accumulated gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGrad() }
    }

    /// `module`'s parameters, with names prefixed by `prefix.` (for composing modules).
    public func prefixed(_ prefix: String, _ module: Module) -> [(String, Variable)] {
        module.namedParameters.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// `module`'s buffers, with names prefixed by `prefix.` (for composing modules).
    public func prefixedBuffers(_ prefix: String, _ module: Module) -> [(String, Tensor)] {
        module.namedBuffers.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// Applies the module to a tensor without recording gradients, in evaluation mode
    /// (the mode is restored afterwards).
    public func predict(_ x: Tensor) -> Tensor {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        return withoutGradients { self(Variable(x)).value }
    }
}

/// A building block of a `Sequential` model (Keras' `Layer`): a module that tells the shape of
/// its output and the name `summary()` shows. Only `callAsFunction`, `namedParameters` and
/// `isTraining` must be written; a layer of your own works in `Sequential`, `summary()` and
/// `fit` as it is:
///
///     final class ResidualBlock: Layer {
///         let inner: Linear, outer: Linear
///         var isTraining = true
///         init(width: Int) { inner = Linear(width, width); outer = Linear(width, width) }
///         var namedParameters: [(String, Variable)] { prefixed("inner", inner) + prefixed("outer", outer) }
///         func callAsFunction(_ x: Variable) -> Variable { x + outer(relu(inner(x))) }
///     }
///
/// To save it with the model (`Sequential.save(to:)`), adopt `SavableLayer` too. Write
/// `outputShape(forInput:)` to have `fit`, `evaluate` and `summary()` check the data's shape
/// without running the layer (and throw, rather than stop, on a shape the layer cannot take).
public protocol Layer: Module, CustomStringConvertible {
    /// The shape of one output sample for one input sample of shape `input` (batch axis
    /// omitted). Throws `LayerShapeError` when the layer cannot take such samples.
    ///
    /// `Sequential` asks each layer in turn before training, evaluating or predicting (so a
    /// wrong shape is a thrown error there) and for `summary()`; the built-in layers' calls
    /// check their input with it. The default runs the layer once on one zero sample, in
    /// evaluation mode and without gradients, and reads the output's shape: a layer that
    /// cannot take the sample stops the program there, with its own message.
    func outputShape(forInput input: [Int]) throws -> [Int]
    /// The name `summary()` shows; by default the type's name ("ResidualBlock").
    var typeName: String { get }
}

extension Layer {
    public var typeName: String { String(describing: type(of: self)) }

    /// The layer as `print` shows it; by default its `typeName`.
    public var description: String { typeName }

    public func outputShape(forInput input: [Int]) throws -> [Int] {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        let output = withoutGradients { self(Variable(Tensor.zeros([1] + input))) }
        return Array(output.shape.dropFirst())
    }

    /// The layer's output shape for the batch `x` (batch axis first), or a stop naming the
    /// layer, what it got and what it takes: the check the built-in layers' calls make with
    /// their own `outputShape(forInput:)` (which must not be the default, which calls the layer).
    @discardableResult
    func checkInput(_ x: Variable) -> [Int] {
        guard x.rank >= 1 else { engineFailure("\(self): input of shape \(x.shape) has no batch axis; pass (batch, ...)") }
        do {
            return [x.shape[0]] + (try outputShape(forInput: Array(x.shape.dropFirst())))
        } catch {
            engineFailure("\(self) \(error) (input of shape \(x.shape), batch first)")
        }
    }
}

/// A layer that cannot take samples of a shape: what it got and what it takes.
///
///     LayerShapeError(input: [5], expected: "(784)").description
///     // "gets samples of shape [5] but takes (784)"
public struct LayerShapeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The shape of one input sample (batch axis omitted).
    public var input: [Int]
    /// What the layer takes, in words: "(784)", "(channels, height, width)".
    public var expected: String

    public init(input: [Int], expected: String) {
        self.input = input
        self.expected = expected
    }

    public var description: String { "gets samples of shape \(input) but takes \(expected)" }
    public var errorDescription: String? { description }
}
