import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    public static func load(fromCacheFile path: String) throws -> Tensor {
        if let tensor = try FastTensorFile.read(path) { return tensor }
        guard let tensor = try SafeTensors.read(from: path).tensors["value"] else { throw CocoaError(.fileReadCorruptFile) }
        return tensor
    }
}

/// Reads a one-tensor F32 safetensors file (what the cache writes) straight into the
/// tensor's storage: one copy from the page cache, near the disk's read time. Returns
/// nil for any other layout (the general reader takes over); throws for a damaged file.
enum FastTensorFile {
    struct Damaged: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ path: String) throws -> Tensor? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Damaged(description: "\(path) cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Damaged(description: "\(path) cannot be read") }
        let size = Int(status.st_size)
        var lengthField: UInt64 = 0
        guard size >= 8, readFully(descriptor, &lengthField, count: 8, offset: 0) else {
            throw Damaged(description: "\(path) is too short for a safetensors header")
        }
        let headerLength = Int(UInt64(littleEndian: lengthField))
        guard headerLength <= size - 8, headerLength < 1 << 24 else {
            throw Damaged(description: "\(path) is truncated: its header claims \(headerLength) bytes")
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        guard header.withUnsafeMutableBytes({ readFully(descriptor, $0.baseAddress!, count: headerLength, offset: 8) }),
              let json = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any] else {
            throw Damaged(description: "\(path) has an unreadable header")
        }
        guard json.keys.filter({ $0 != "__metadata__" }) == ["value"], let entry = json["value"] as? [String: Any],
              entry["dtype"] as? String == "F32", let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
              let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offsets.count == 2
        else { return nil }
        let count = shape.reduce(1) { $0 * max($1, 0) }
        let body = 8 + headerLength
        guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * 4,
              body + offsets[1] <= size else {
            throw Damaged(description: "\(path) is truncated or its offsets do not fit shape \(shape)")
        }
        var complete = true
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                complete = readFully(descriptor, buffer.baseAddress!, count: count * 4, offset: body + offsets[0])
            }
            initialized = complete ? count : 0
        }
        guard complete else { throw Damaged(description: "\(path) could not be read whole") }
        return Tensor(scalars, shape: shape)
    }

    private static func readFully(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, count: Int, offset: Int) -> Bool {
        var done = 0
        while done < count {
            let got = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return false }
            done += got
        }
        return true
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
