import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a `cache: true` cell, or restores what it bound last time (knitr's `cache=TRUE`).
///
/// The generated program wraps a cached cell's code (its functions and types stay outside)
/// in a closure returning its bindings:
///
///     let _nbCached3 = try NotebookCache.cell(3, key: "9f2c...", names: ["model", "history"]) {
///         <the cell's code>
///         return (model, history)
///     }
///     let model = _nbCached3.0
///
/// nbrun computes the key from def/use (the cell, the cells defining what it uses, the
/// parameters it reads, the kernel, the toolchain); the kernel adds the random
/// generator's state on entry, so a seed set anywhere above is an input too.
///
/// An entry is a folder `<NBRUN_CACHE_DIR>/cells/<key>` holding one file per binding
/// (tensors as safetensors, models with `Sequential.save`, other values as JSON), the
/// random generator's state after the cell, and `manifest.json` (bindings with their
/// sizes, the cell's outputs, when it was stored). The kernel writes a new entry into
/// `cells/.staging/` and tells the runner, which adds the manifest once the cell's outputs
/// are known and renames the folder into place (atomic), under the cache's lock. Reading
/// holds the lock shared. A missing entry is a miss; a corrupt or unreadable one is a miss
/// with a warning; a value whose type cannot be stored makes the cell run normally, with
/// a note naming the binding.
public enum NotebookCache {
    /// `NBRUN_CELL_CACHE`: `on` (read and write), `refresh` (write only), `off` (neither).
    private static var mode: String { ProcessInfo.processInfo.environment["NBRUN_CELL_CACHE"] ?? "on" }

    static var root: String? {
        guard let root = ProcessInfo.processInfo.environment["NBRUN_CACHE_DIR"], !root.isEmpty else { return nil }
        return root + "/cells"
    }

    /// A cell that binds several values.
    public static func cell<each T>(_ index: Int, key: String, names: [String],
                                    _ body: () throws -> (repeat each T)) rethrows -> (repeat each T) {
        var types: [Any.Type] = []
        repeat types.append((each T).self)
        guard let entry = prepare(index, key: key, names: names, types: types) else { return try body() }
        if entry.hit {
            do {
                var position = 0
                func load<U>(_ type: U.Type) throws -> U {
                    defer { position += 1 }
                    return try CachedValue.load(U.self, from: "\(entry.path)/\(entry.files[position])")
                }
                let values = try withSharedLock { () throws -> (repeat each T) in
                    let values = (repeat try load((each T).self))
                    try restoreRandomState(entry.path)
                    return values
                }
                hit(index, entry)
                return values
            } catch {
                warn(index, "its cache entry \(entry.key.prefix(12)) is unreadable (\(error)); running the cell")
            }
        }
        let values = try body()
        var boxed: [Any] = []
        repeat boxed.append(each values)
        store(index, key: entry.key, names: names, values: boxed)
        return values
    }

    /// A cell that binds one value (a one-element pack cannot be inferred from a closure).
    public static func cell<T>(_ index: Int, key: String, name: String, _ body: () throws -> T) rethrows -> T {
        guard let entry = prepare(index, key: key, names: [name], types: [T.self]) else { return try body() }
        if entry.hit {
            do {
                let value = try withSharedLock { () throws -> T in
                    let value = try CachedValue.load(T.self, from: "\(entry.path)/\(entry.files[0])")
                    try restoreRandomState(entry.path)
                    return value
                }
                hit(index, entry)
                return value
            } catch {
                warn(index, "its cache entry \(entry.key.prefix(12)) is unreadable (\(error)); running the cell")
            }
        }
        let value = try body()
        store(index, key: entry.key, names: [name], values: [value])
        return value
    }

    /// A cell that binds nothing (it prints or plots): only its outputs are replayed.
    public static func cell(_ index: Int, key: String, _ body: () throws -> Void) rethrows {
        guard let entry = prepare(index, key: key, names: [], types: []) else { return try body() }
        if entry.hit {
            do {
                try withSharedLock { try restoreRandomState(entry.path) }
                hit(index, entry)
                return
            } catch {
                warn(index, "its cache entry \(entry.key.prefix(12)) is unreadable (\(error)); running the cell")
            }
        }
        try body()
        store(index, key: entry.key, names: [], values: [])
    }

    // MARK: Entries

    private struct Entry {
        var key: String
        var path: String
        var hit: Bool
        /// Binding files, in the order of the names (from the manifest on a hit).
        var files: [String]
        /// The manifest's stored outputs and date, for the runner to replay.
        var outputs: Any = [Any]()
        var stored: Any = ""
        var started = DispatchTime.now().uptimeNanoseconds
    }

    /// Reports a restored cell, with the seconds the lookup and restore took.
    private static func hit(_ index: Int, _ entry: Entry) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - entry.started) / 1e9
        NotebookSession.emitCacheEvent(["event": "cached", "cell": index, "key": entry.key, "outputs": entry.outputs,
                                        "stored": entry.stored, "seconds": seconds])
    }

    /// The entry for this cell and random state, and whether it can be read; nil when the
    /// cell cache is off or a binding's type cannot be stored (the cell runs normally).
    private static func prepare(_ index: Int, key: String, names: [String], types: [Any.Type]) -> Entry? {
        guard let root, mode != "off" else { return nil }
        for (name, type) in zip(names, types) where !CachedValue.isStorable(type) {
            NotebookSession.emitCacheEvent(["event": "cacheNote", "cell": index,
                                            "message": "'\(name)' is a \(String(reflecting: type)), which the cache cannot store (not Codable, a tensor or a model)"
                                                .replacingOccurrences(of: "NotebookProgram.", with: "")])
            return nil
        }
        let fullKey = key + "-" + randomStateDigest()
        let path = "\(root)/\(fullKey)"
        guard mode == "on", FileManager.default.fileExists(atPath: path + "/manifest.json") else {
            return Entry(key: fullKey, path: path, hit: false, files: [])
        }
        do {
            let manifest = try readManifest(path, names: names)
            return Entry(key: fullKey, path: path, hit: true, files: manifest.files, outputs: manifest.outputs,
                         stored: manifest.stored)
        } catch {
            warn(index, "its cache entry \(fullKey.prefix(12)) is unreadable (\(error)); running the cell")
            return Entry(key: fullKey, path: path, hit: false, files: [])
        }
    }

    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    /// Checks the manifest (version, names, file sizes, outputs) and returns the binding files.
    private static func readManifest(_ path: String, names: [String]) throws -> (files: [String], outputs: Any, stored: Any) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json"))
        guard let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Corrupt(description: "manifest.json is not a JSON object")
        }
        guard manifest["version"] as? Int == 1, let outputs = manifest["outputs"] as? [Any],
              let bindings = manifest["bindings"] as? [[String: Any]] else {
            throw Corrupt(description: "manifest.json lacks version, outputs or bindings")
        }
        guard bindings.compactMap({ $0["name"] as? String }) == names else {
            throw Corrupt(description: "manifest.json names other bindings")
        }
        var files: [String] = []
        for binding in bindings {
            guard let file = binding["file"] as? String, !file.contains("/"), let size = binding["size"] as? Int else {
                throw Corrupt(description: "manifest.json has a binding without file or size")
            }
            let actual = (try? FileManager.default.attributesOfItem(atPath: "\(path)/\(file)")[.size] as? Int) ?? nil
            guard actual == size else {
                throw Corrupt(description: "\(file) is \(actual.map { "\($0) bytes" } ?? "missing"), the manifest says \(size) bytes")
            }
            files.append(file)
        }
        guard FileManager.default.fileExists(atPath: path + "/random.state") else {
            throw Corrupt(description: "random.state is missing")
        }
        return (files, outputs, manifest["stored"] ?? "")
    }

    /// Writes the values and the random state into a staging folder and tells the runner,
    /// which commits the entry with the cell's outputs when the cell has ended.
    private static func store(_ index: Int, key: String, names: [String], values: [Any]) {
        guard let root, mode != "off" else { return }
        let staging = "\(root)/.staging/\(key).\(getpid())"
        do {
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            var bindings: [[String: Any]] = []
            for (position, (name, value)) in zip(names, values).enumerated() {
                let file = "\(position).\(CachedValue.fileExtension(value))"
                try CachedValue.save(value, to: "\(staging)/\(file)")
                let size = try FileManager.default.attributesOfItem(atPath: "\(staging)/\(file)")[.size] as? Int ?? 0
                bindings.append(["name": name, "file": file, "size": size,
                                 "type": String(reflecting: type(of: value)).replacingOccurrences(of: "NotebookProgram.", with: "")])
            }
            try RandomGenerator.global.save(toCacheFile: staging + "/random.state")
            NotebookSession.emitCacheEvent(["event": "cacheStored", "cell": index, "key": key, "staging": staging,
                                            "bindings": bindings])
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            warn(index, "could not store it in the cache (\(error))")
        }
    }

    private static func warn(_ index: Int, _ message: String) {
        NotebookSession.emitCacheEvent(["event": "cacheWarning", "cell": index, "message": "cell \(index + 1): \(message)"])
    }

    /// Runs `body` holding the cache's lock shared (commits and evictions take it exclusive).
    private static func withSharedLock<R>(_ body: () throws -> R) rethrows -> R {
        guard let root else { return try body() }
        var descriptor = open(root + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { descriptor = open(root + "/.lock", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        flock(descriptor, LOCK_SH)
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private static func restoreRandomState(_ entry: String) throws {
        RandomGenerator.global = try RandomGenerator.load(fromCacheFile: entry + "/random.state")
    }

    /// 16 hex digits of FNV-1a over the global generator's state.
    static func randomStateDigest() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let bytes = (try? encoder.encode(RandomGenerator.global)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

/// Storing and loading a binding of any type: `NotebookCacheable` first (tensors as
/// safetensors, models), then arrays of tensors, then `Codable` as JSON.
enum CachedValue {
    static func isStorable(_ type: Any.Type) -> Bool {
        type is any NotebookCacheable.Type || type == [Tensor].self || (type is any Encodable.Type && type is any Decodable.Type)
    }

    static func fileExtension(_ value: Any) -> String {
        if value is Tensor || value is [Tensor] || value is Sequential { return "safetensors" }
        return value is any NotebookCacheable ? "value" : "json"
    }

    static func save(_ value: Any, to path: String) throws {
        if let value = value as? any NotebookCacheable {
            try value.save(toCacheFile: path)
        } else if let tensors = value as? [Tensor] {
            var named: [String: Tensor] = [:]
            for (position, tensor) in tensors.enumerated() { named[String(position)] = tensor }
            try SafeTensors.write(named, metadata: ["count": String(tensors.count)], to: path)
        } else if let value = value as? any Encodable {
            try writeAtomically(encode(value), to: path)
        } else {
            throw NotebookCache.Corrupt(description: "\(type(of: value)) cannot be stored")
        }
    }

    private static func encode<E: Encodable>(_ value: E) throws -> Data {
        try JSONEncoder().encode([value])
    }

    static func load<T>(_ type: T.Type, from path: String) throws -> T {
        if let cacheable = type as? any NotebookCacheable.Type {
            guard let value = try cacheable.load(fromCacheFile: path) as? T else {
                throw NotebookCache.Corrupt(description: "\(path) holds another type")
            }
            return value
        }
        if type == [Tensor].self {
            let file = try SafeTensors.read(from: path)
            guard let count = file.metadata["count"].flatMap(Int.init) else {
                throw NotebookCache.Corrupt(description: "\(path) lacks its tensor count")
            }
            var tensors: [Tensor] = []
            for position in 0..<count {
                guard let tensor = file.tensors[String(position)] else { throw NotebookCache.Corrupt(description: "\(path) lacks tensor \(position)") }
                tensors.append(tensor)
            }
            return tensors as! T
        }
        if let decodable = type as? any Decodable.Type {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let value = try decode(decodable, data) as? T else {
                throw NotebookCache.Corrupt(description: "\(path) holds another type")
            }
            return value
        }
        throw NotebookCache.Corrupt(description: "\(T.self) cannot be loaded")
    }

    private static func decode<D: Decodable>(_ type: D.Type, _ data: Data) throws -> D {
        guard let value = try JSONDecoder().decode([D].self, from: data).first else {
            throw NotebookCache.Corrupt(description: "empty value")
        }
        return value
    }
}
