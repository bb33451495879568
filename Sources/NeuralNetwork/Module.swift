import Foundation

/// Something that maps a variable to a variable and may hold parameters: a layer, or a model
/// built from layers (PyTorch's `nn.Module`). Only the call must be written. The parameters,
/// the modules inside and the training mode come from the module's stored properties
/// (`ModuleContents`): a `Variable` property is a parameter, a `Module` property (or an array
/// or dictionary of them) a submodule, each named after its property.
///
///     final class TwoLayer: Module {
///         let hidden = Linear(784, 128), output = Linear(128, 10)
///         func callAsFunction(_ x: Variable) -> Variable { output(relu(hidden(x))) }
///     }
///
///     let model = TwoLayer()
///     model.namedParameters.map(\.0)   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
///
/// It then has `summary()`, `stateDictionary()`, `saveWeights(to:)` / `loadWeights(from:)`,
/// `freeze()`, and trains with any optimizer (`optimizer.update(model.parameters)`).
public protocol Module: AnyObject {
    /// Applies the module to a batch.
    func callAsFunction(_ x: Variable) -> Variable
    /// The parameters with stable names (used by save/load, the optimizers and the cell cache),
    /// trainable and frozen. By default: the leaf `Variable`s in the stored properties, then
    /// each submodule's, prefixed by its property's name ("hidden.weight"), each variable once.
    /// Write it to name them otherwise.
    var namedParameters: [(String, Variable)] { get }
    /// State saved with the model that is not trained (batch norm's running statistics), by
    /// name. By default: the submodules' buffers, prefixed by their property's name. A module
    /// that keeps a buffer of its own in a `Tensor` property lists it here and in `setBuffer`.
    var namedBuffers: [(String, Tensor)] { get }
    /// Restores a buffer saved under `name` (from `namedBuffers`). By default: passes it to the
    /// submodule its name starts with.
    func setBuffer(_ name: String, _ value: Tensor)
    /// Training mode (dropout active, batch norm on batch statistics) or evaluation mode. Setting
    /// it sets every submodule's too. Training at first. A layer whose call reads it need not
    /// store it; one that stores it (`var isTraining = true`) passes it on to its submodules itself.
    var isTraining: Bool { get set }
}

extension Module {
    public var namedParameters: [(String, Variable)] {
        ModuleContents.once(self, skipped: []) {
            let contents = ModuleContents(of: self)
            var named = contents.parameters.map { ($0.name, $0.variable) }
            for (name, module) in contents.submodules {
                named += module.namedParameters.map { ("\(name).\($0.0)", $0.1) }
            }
            return Self.firstOfEach(named)
        }
    }

    public var namedBuffers: [(String, Tensor)] {
        ModuleContents.once(self, skipped: []) {
            ModuleContents(of: self).submodules.flatMap { name, module in
                module.namedBuffers.map { ("\(name).\($0.0)", $0.1) }
            }
        }
    }

    public func setBuffer(_ name: String, _ value: Tensor) {
        // The longest matching name first: "blocks.1" before "blocks" when both are modules.
        let candidates = ModuleContents(of: self).submodules.sorted { $0.name.count > $1.name.count }
        guard let (prefix, module) = candidates.first(where: { name.hasPrefix($0.name + ".") }) else { return }
        module.setBuffer(String(name.dropFirst(prefix.count + 1)), value)
    }

    public var isTraining: Bool {
        get { TrainingModes.isTraining(self) }
        set {
            TrainingModes.setTraining(self, newValue)
            ModuleContents.once(self, skipped: ()) {
                for (_, module) in ModuleContents(of: self).submodules { module.isTraining = newValue }
            }
        }
    }

    /// The modules held in the stored properties, by property name (not those inside them).
    public var namedSubmodules: [(String, Module)] {
        ModuleContents(of: self).submodules.map { ($0.name, $0.module) }
    }

    /// Each variable once, under the first name it was found by (a layer used twice in a model
    /// is one set of weights: an optimizer must step it once).
    static func firstOfEach(_ named: [(String, Variable)]) -> [(String, Variable)] {
        var seen = Set<ObjectIdentifier>()
        return named.filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    /// The parameters, trainable and frozen: what an optimizer is given (it skips those without a gradient).
    public var parameters: [Variable] { namedParameters.map { $0.1 } }

    /// The parameters that train (`requiresGrad`), not the frozen ones.
    public var trainableParameters: [Variable] { parameters.filter(\.requiresGrad) }

    /// The number of values in the parameters, trainable and frozen.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The number of values in the parameters that train.
    public var trainableParameterCount: Int { trainableParameters.reduce(0) { $0 + $1.count } }

    /// The number of values in the buffers (running statistics): state that is not trained.
    public var bufferCount: Int { namedBuffers.reduce(0) { $0 + $1.1.count } }

    /// Forgets every parameter's accumulated gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGrad() }
    }

    /// Stops every parameter from training (Keras' `layer.trainable = False`, PyTorch's
    /// `requires_grad_(False)` on each): `fit` and the optimizers leave them as they are, and
    /// `summary()` counts them as non-trainable. Freeze one weight with `weight.requiresGrad = false`.
    public func freeze() {
        for parameter in parameters { parameter.requiresGrad = false }
    }

    /// Lets every parameter train again.
    public func unfreeze() {
        for parameter in parameters { parameter.requiresGrad = true }
    }

    /// `module`'s parameters, with names prefixed by `prefix.` (for a `namedParameters` of your own).
    public func prefixed(_ prefix: String, _ module: Module) -> [(String, Variable)] {
        module.namedParameters.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// `module`'s buffers, with names prefixed by `prefix.` (for a `namedBuffers` of your own).
    public func prefixedBuffers(_ prefix: String, _ module: Module) -> [(String, Tensor)] {
        module.namedBuffers.map { ("\(prefix).\($0.0)", $0.1) }
    }

    /// Applies the module to a tensor of inputs (data, which gets no gradient).
    public func callAsFunction(_ x: Tensor) -> Variable {
        self(Variable(x, requiresGrad: false))
    }

    /// Applies the module to a tensor without recording gradients, in evaluation mode
    /// (the mode is restored afterwards).
    public func predict(_ x: Tensor) -> Tensor {
        inEvaluationMode { withoutGradients { self(x).value } }
    }

    /// `body`'s result with the module in evaluation mode, its mode put back afterwards.
    func inEvaluationMode<Result>(_ body: () throws -> Result) rethrows -> Result {
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        return try body()
    }
}
