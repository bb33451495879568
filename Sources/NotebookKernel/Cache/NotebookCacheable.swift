import Foundation

/// A value a `cache: true` cell may bind, stored as bytes of the type's choosing.
///
/// `Codable` types need nothing (they are stored as JSON), nor do tensors (safetensors); models
/// and other objects are stored through their state (see `ObjectGraph`). Adopt this for a
/// value that is neither.
public protocol NotebookCacheable {
    func cacheData() throws -> Data
    static func fromCacheData(_ data: Data) throws -> Self
}

extension Tensor: NotebookCacheable {
    public func cacheData() throws -> Data {
        Data(SafeTensors.encode(["value": self]))
    }

    public static func fromCacheData(_ data: Data) throws -> Tensor {
        guard let tensor = try SafeTensors.decode(data, file: "cached tensor").tensors["value"] else {
            throw NotebookCache.Corrupt(description: "a cached tensor file holds no tensor 'value'")
        }
        return tensor
    }
}

/// Storing and loading a value a cell binds or changes: `NotebookCacheable` first (tensors as
/// safetensors), then arrays of tensors, then `Codable` as JSON.
enum CachedValue {
    static func isStorable(_ type: Any.Type) -> Bool {
        type is any NotebookCacheable.Type || type == [Tensor].self || (type is any Encodable.Type && type is any Decodable.Type)
    }

    // By exact type: an empty array of anything casts to `[Tensor]`.
    static func fileExtension(_ value: Any) -> String {
        if value is Tensor || type(of: value) == [Tensor].self { return "safetensors" }
        return value is any NotebookCacheable ? "value" : "json"
    }

    static func encode(_ value: Any) throws -> Data {
        if let value = value as? any NotebookCacheable {
            return try value.cacheData()
        } else if type(of: value) == [Tensor].self, let tensors = value as? [Tensor] {
            var named: [String: Tensor] = [:]
            for (position, tensor) in tensors.enumerated() { named[String(position)] = tensor }
            return Data(SafeTensors.encode(named, metadata: ["count": String(tensors.count)]))
        } else if let value = value as? any Encodable {
            return try encodeJSON(value)
        }
        throw NotebookCache.Corrupt(description: "\(typeName(of: value)) cannot be stored")
    }

    private static func encodeJSON<E: Encodable>(_ value: E) throws -> Data {
        // Wrapped in an array: older Foundations reject top-level scalars.
        try JSONEncoder().encode([value])
    }

    static func load<T>(_ type: T.Type, from data: Data) throws -> T {
        if let cacheable = type as? any NotebookCacheable.Type {
            guard let value = try cacheable.fromCacheData(data) as? T else {
                throw NotebookCache.Corrupt(description: "a stored value is not a \(typeName(T.self))")
            }
            return value
        }
        if type == [Tensor].self {
            let file = try SafeTensors.decode(data, file: "cached tensors")
            guard let count = file.metadata["count"].flatMap(Int.init), count >= 0 else {
                throw NotebookCache.Corrupt(description: "cached tensors lack their count")
            }
            var tensors: [Tensor] = []
            for position in 0..<count {
                guard let tensor = file.tensors[String(position)] else { throw NotebookCache.Corrupt(description: "cached tensors lack tensor \(position)") }
                tensors.append(tensor)
            }
            return tensors as! T
        }
        if let decodable = type as? any Decodable.Type {
            guard let value = try decodeJSON(decodable, data) as? T else {
                throw NotebookCache.Corrupt(description: "a stored value is not a \(typeName(T.self))")
            }
            return value
        }
        throw NotebookCache.Corrupt(description: "\(typeName(T.self)) cannot be loaded")
    }

    private static func decodeJSON<D: Decodable>(_ type: D.Type, _ data: Data) throws -> D {
        guard let value = try JSONDecoder().decode([D].self, from: data).first else {
            throw NotebookCache.Corrupt(description: "empty value")
        }
        return value
    }
}

/// `EarlyStopping` passed from one cell to a cached `fit`: the cache keeps what it has seen
/// (best epoch, best weights, where it stopped), so later cells read it as a full run left it.
extension EarlyStopping: NotebookCacheableObject {
    public func cacheState() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(state)
    }

    public func restoreCacheState(_ data: Data) throws {
        restore(try JSONDecoder().decode(State.self, from: data))
    }

    public convenience init(cacheState data: Data) throws {
        self.init(state: try JSONDecoder().decode(State.self, from: data))
    }
}
