import Foundation

/// A saved model that cannot be loaded: names the file and what is wrong.
public struct ModelFileError: Error, CustomStringConvertible, LocalizedError {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}

extension Module {
    /// Every parameter's and buffer's value by name: what `save` writes.
    public func stateDictionary() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, parameter) in namedParameters { state[name] = parameter.value }
        for (name, buffer) in namedBuffers { state[name] = buffer }
        return state
    }

    /// Sets every parameter and buffer from `state`; each must be present with the right shape,
    /// and `state` must hold nothing else (weights of another model). `file` names the source
    /// in errors. Nothing is changed when it throws.
    public func loadStateDictionary(_ state: [String: Tensor], file: String) throws {
        let parameters = namedParameters, buffers = namedBuffers
        for (name, parameter) in parameters {
            guard let value = state[name] else { throw ModelFileError(file: file, problem: "has no tensor \"\(name)\" (the model expects it)") }
            guard value.shape == parameter.shape else {
                throw ModelFileError(file: file, problem: "tensor \"\(name)\" has shape \(value.shape), the model expects \(parameter.shape)")
            }
        }
        for (name, buffer) in buffers {
            guard let value = state[name], value.shape == buffer.shape else {
                throw ModelFileError(file: file, problem: "has no tensor \"\(name)\" of shape \(buffer.shape)")
            }
        }
        let expected = Set(parameters.map(\.0) + buffers.map(\.0))
        if let extra = state.keys.sorted().first(where: { !expected.contains($0) }) {
            throw ModelFileError(file: file, problem: "holds tensor \"\(extra)\", which the model has no place for (the weights belong to another model)")
        }
        for (name, parameter) in parameters { parameter.value = state[name]! }
        for (name, _) in buffers { setBuffer(name, state[name]!) }
    }
}

extension Module {
    /// Saves the weights alone (`stateDictionary()`: parameters and buffers by name) as
    /// safetensors, PyTorch's `torch.save(model.state_dict(), path)`: for a model whose
    /// architecture your own code builds. `.safetensors` is added to `path` unless it ends so.
    /// Written atomically.
    public func saveWeights(to path: String) throws {
        try SafeTensors.write(stateDictionary(), metadata: ["nbrun.module": String(reflecting: type(of: self))],
                              to: weightsPath(path))
    }

    /// Sets every parameter and buffer from a file `saveWeights(to:)` wrote (PyTorch's
    /// `model.load_state_dict(torch.load(path))`): build the model as it was built, then load.
    /// Throws, changing nothing, when a tensor is missing, has another shape, or has no place
    /// in this model.
    public func loadWeights(from path: String) throws {
        let file = weightsPath(path)
        try loadStateDictionary(try SafeTensors.read(from: file).tensors, file: file)
    }

    private func weightsPath(_ path: String) -> String {
        path.hasSuffix(".safetensors") ? path : path + ".safetensors"
    }
}

/// The architecture part of a saved `Sequential`, as JSON.
struct SequentialArchitecture: Codable {
    var format = "nbrun.sequential"
    var version = 1
    var inputShape: [Int]?
    var layers: [SavedLayer]
}

extension Sequential {
    /// Saves the weights as safetensors and the architecture as JSON: `PATH.safetensors` and
    /// `PATH.json` (a `.safetensors` or `.json` extension on `path` is dropped first). Both are
    /// written atomically. The safetensors file also carries the architecture in its metadata.
    ///
    /// - Throws: `ModelFileError` naming the first layer (nested models included) that does
    ///   not adopt `SavableLayer`, before writing anything.
    public func save(to path: String) throws {
        let base = Sequential.basePath(path)
        if let (position, layer) = unsavableLayer() {
            let name = layer.typeName
            throw ModelFileError(file: base + ".json", problem: "cannot hold layer \(position) (\(name)): \(name) does not adopt SavableLayer. "
                + "Give it a Codable `configuration` and `init(configuration:)` (extension \(name): SavableLayer { ... }) "
                + "to save the whole model, or save the weights alone with saveWeights(to:) and build the model in code")
        }
        let architecture = SequentialArchitecture(inputShape: inputShape, layers: configuration.layers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(architecture)
        try SafeTensors.write(stateDictionary(), metadata: ["nbrun.architecture": String(decoding: json, as: UTF8.self)],
                              to: base + ".safetensors")
        try writeAtomically(json, to: base + ".json")
    }

    /// Loads a model saved by `save(to:)`: the same layers, weights and batch-norm statistics,
    /// so it predicts bit-identically. Reads the architecture from `PATH.json` (or, failing
    /// that, the safetensors metadata). Not compiled: call `compile` to train it further.
    public static func load(from path: String) throws -> Sequential {
        let base = basePath(path)
        let weightsFile = base + ".safetensors", jsonFile = base + ".json"
        let weights = try SafeTensors.read(from: weightsFile)
        let json: Data, source: String
        FileAccess.record(.read, jsonFile)
        if let data = FileManager.default.contents(atPath: jsonFile) {
            json = data; source = jsonFile
        } else if let text = weights.metadata["nbrun.architecture"] {
            json = Data(text.utf8); source = weightsFile
        } else {
            throw ModelFileError(file: jsonFile, problem: "missing, and \(weightsFile) carries no architecture: save the model with Sequential.save(to:)")
        }
        let architecture: SequentialArchitecture
        do {
            architecture = try JSONDecoder().decode(SequentialArchitecture.self, from: json)
        } catch let error as UnknownLayerType {
            throw ModelFileError(file: source, problem: error.description)
        } catch {
            throw ModelFileError(file: source, problem: "is not a saved nbrun model architecture (\(error))")
        }
        guard architecture.format == "nbrun.sequential" else {
            throw ModelFileError(file: source, problem: "has format \"\(architecture.format)\", expected \"nbrun.sequential\"")
        }
        // A damaged or hand-edited architecture must not reach the layers' initialisers, which
        // stop the program on impossible sizes (or allocate whatever a corrupt number asks for).
        if let shape = architecture.inputShape, shape.contains(where: { $0 < 1 }) {
            throw ModelFileError(file: source, problem: "has an impossible input shape \(shape)")
        }
        let storedValues = weights.tensors.values.reduce(0) { $0 + $1.count }
        for (index, layer) in architecture.layers.enumerated() {
            if let problem = layer.problem {
                throw ModelFileError(file: source, problem: "layer \(index) (\(layer.layerName)) \(problem)")
            }
            if let count = layer.parameterCount, count > storedValues {
                throw ModelFileError(file: source, problem: "layer \(index) (\(layer.layerName)) needs \(count) weights but \(weightsFile) holds \(storedValues) in all")
            }
        }
        let model = Sequential(architecture.layers.map { $0.makeLayer() }, inputShape: architecture.inputShape)
        try model.loadStateDictionary(weights.tensors, file: weightsFile)
        model.isTraining = false
        return model
    }

    /// The first layer, depth first, that does not adopt `SavableLayer`, and where it stands ("2", "1.0").
    private func unsavableLayer() -> (String, Layer)? {
        for (index, layer) in layers.enumerated() {
            if let nested = layer as? Sequential {
                if let (inner, found) = nested.unsavableLayer() { return ("\(index).\(inner)", found) }
            } else if !(layer is any SavableLayer) {
                return ("\(index)", layer)
            }
        }
        return nil
    }

    static func basePath(_ path: String) -> String {
        for suffix in [".safetensors", ".json"] where path.hasSuffix(suffix) {
            return String(path.dropLast(suffix.count))
        }
        return path
    }
}

