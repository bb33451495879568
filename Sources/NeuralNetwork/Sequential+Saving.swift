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

/// The architecture part of a saved `Sequential`, as JSON.
struct SequentialArchitecture: Codable {
    var format = "nbrun.sequential"
    var version = 1
    var inputShape: [Int]?
    var layers: [LayerSpec]
}

extension Sequential {
    /// Saves the weights as safetensors and the architecture as JSON: `PATH.safetensors` and
    /// `PATH.json` (a `.safetensors` or `.json` extension on `path` is dropped first). Both are
    /// written atomically. The safetensors file also carries the architecture in its metadata.
    public func save(to path: String) throws {
        let base = Sequential.basePath(path)
        let architecture = SequentialArchitecture(inputShape: inputShape, layers: layers.map(\.spec))
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
        if let data = FileManager.default.contents(atPath: jsonFile) {
            json = data; source = jsonFile
            FileAccess.record(.read, jsonFile)
        } else if let text = weights.metadata["nbrun.architecture"] {
            FileAccess.record(.absent, jsonFile)
            json = Data(text.utf8); source = weightsFile
        } else {
            throw ModelFileError(file: jsonFile, problem: "missing, and \(weightsFile) carries no architecture: save the model with Sequential.save(to:)")
        }
        let architecture: SequentialArchitecture
        do {
            architecture = try JSONDecoder().decode(SequentialArchitecture.self, from: json)
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
        for (index, spec) in architecture.layers.enumerated() {
            if let problem = spec.configurationProblem {
                throw ModelFileError(file: source, problem: "layer \(index) (\(spec.typeName)) \(problem)")
            }
            let count = spec.parameterCount ?? .max
            if count > storedValues {
                throw ModelFileError(file: source, problem: "layer \(index) (\(spec.typeName)) needs \(count) weights but \(weightsFile) holds \(storedValues) in all")
            }
        }
        let model = Sequential(architecture.layers.map { $0.makeLayer() }, inputShape: architecture.inputShape)
        try model.loadStateDictionary(weights.tensors, file: weightsFile)
        model.isTraining = false
        return model
    }

    static func basePath(_ path: String) -> String {
        for suffix in [".safetensors", ".json"] where path.hasSuffix(suffix) {
            return String(path.dropLast(suffix.count))
        }
        return path
    }
}
