import Foundation

/// A value a `cache: true` cell may bind: it can be written to a file and read back.
///
/// `Codable` types get this for free (JSON); tensors are stored as safetensors and models
/// with `Sequential.save(to:)`. A cached cell binding a value of another type does not
/// compile, with a message naming the type.
public protocol NotebookCacheable {
    func save(toCacheFile path: String) throws
    static func load(fromCacheFile path: String) throws -> Self
}

extension NotebookCacheable where Self: Codable {
    public func save(toCacheFile path: String) throws {
        // Wrapped in an array: JSONEncoder in older Foundations rejects top-level scalars.
        try JSONEncoder().encode([self]).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func load(fromCacheFile path: String) throws -> Self {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let value = try JSONDecoder().decode([Self].self, from: data).first else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return value
    }
}

extension Int: NotebookCacheable {}
extension Double: NotebookCacheable {}
extension Float: NotebookCacheable {}
extension Bool: NotebookCacheable {}
extension String: NotebookCacheable {}
extension Array: NotebookCacheable where Element: Codable {}
extension Dictionary: NotebookCacheable where Key: Codable, Value: Codable {}
extension Optional: NotebookCacheable where Wrapped: Codable {}
extension History: NotebookCacheable {}
extension RandomGenerator: NotebookCacheable {}

extension Tensor: NotebookCacheable {
    public func save(toCacheFile path: String) throws {
        try SafeTensors.write(["value": self], to: path)
    }

    /// Read by `SafeTensors.read`, which reads the values straight into the tensor's storage.
    public static func load(fromCacheFile path: String) throws -> Tensor {
        guard let tensor = try SafeTensors.read(from: path).tensors["value"] else {
            throw SafeTensorsError(file: path, problem: "holds no tensor \"value\" (not a cached tensor)")
        }
        return tensor
    }
}

extension Sequential: NotebookCacheable {
    /// The layers, weights and training mode (`PATH` must end in `.safetensors`; the
    /// architecture goes beside it as `.json`); not the optimizer: call `compile` again to
    /// train further.
    public func save(toCacheFile path: String) throws {
        try save(to: path)
        try writeAtomically(Data((isTraining ? "training" : "evaluation").utf8), to: path + ".mode")
    }

    public static func load(fromCacheFile path: String) throws -> Sequential {
        let model = try load(from: path)
        if let mode = FileManager.default.contents(atPath: path + ".mode") {
            model.isTraining = String(decoding: mode, as: UTF8.self) == "training"
        }
        return model
    }
}
