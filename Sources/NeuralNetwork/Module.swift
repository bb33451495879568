import Foundation

/// Something that maps a variable to a variable and may own trainable parameters: a layer, or a
/// model built from layers. Custom models conform to it and list their parameters.
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

    /// Applies the module to a tensor without recording gradients, in evaluation mode
    /// (the mode is restored afterwards).
    public func predict(_ x: Tensor) -> Tensor {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        return withoutGradients { self(Variable(x)).value }
    }
}

/// A building block of a `Sequential` model: a module that can describe itself (for `summary()`
/// and the saved architecture) and tell its output shape.
public protocol Layer: Module {
    /// The layer's kind and configuration, enough to rebuild it (`LayerSpec.makeLayer()`).
    var spec: LayerSpec { get }
    /// The shape of one output sample for one input sample of shape `input` (batch axis omitted).
    func outputShape(forInput input: [Int]) -> [Int]
}

extension Layer {
    /// The layer's type name, as shown by `summary()`.
    public var typeName: String { spec.typeName }
}
