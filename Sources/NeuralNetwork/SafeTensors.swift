import Foundation

/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
///
///     8 bytes    little-endian UInt64 N, the header's length
///     N bytes    JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
///                       "__metadata__": {"key": "value", ...}}   (padded with spaces to 8 bytes)
///     rest       the tensors' bytes, little-endian, at the offsets the header gives
///
/// Only F32 is written; F32, F64, I32, I64 and U8 are read, converted to Float.
/// Files are written atomically (a temporary file renamed over the target), so a crash never
/// leaves half a file under the real name.
public enum SafeTensors {
    /// Encodes `tensors` (and string `metadata`) as safetensors bytes. Names are sorted so the
    /// same tensors always give the same bytes.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        let names = tensors.keys.sorted()
        var header = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let bytes = tensor.count * MemoryLayout<Float>.size
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += entries.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in names {
            tensors[name]!.scalars.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes `tensors` to `path` atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let bytes = encode(tensors, metadata: metadata)
        try writeAtomically(Data(bytes), to: path)
    }

    /// The tensors and metadata of a safetensors file.
    public struct File {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
    }

    /// Reads a safetensors file. A missing, truncated or malformed file throws a
    /// `SafeTensorsError` naming the file and the problem.
    public static func read(from path: String) throws -> File {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(file: path, problem: "cannot be read (missing or not a file)")
        }
        FileAccess.record(.read, path)
        return try decode(data, file: path)
    }

    /// Decodes safetensors bytes; `file` names the source in errors.
    public static func decode(_ data: Data, file: String = "<memory>") throws -> File {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: file, problem: problem) }
        // Offsets below count from the first byte: a slice of a larger Data starts elsewhere.
        let data = data.startIndex == 0 ? data : Data(data)
        guard data.count >= 8 else {
            throw fail("is \(data.count) bytes long, too short for the 8-byte header length")
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header claims \(headerLength) bytes but the file holds only \(data.count - 8) after the length")
        }
        let headerData = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let body = 8 + Int(headerLength)
        let bodyCount = data.count - body
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, item) in pairs {
                    guard let text = item as? String else { throw fail("metadata value for \"\(key)\" is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any],
                  let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue
            else { throw fail("entry \"\(name)\" lacks dtype, shape or data_offsets") }
            var shape: [Int] = []
            for dimension in shapeValues {
                guard let extent = (dimension as? NSNumber)?.intValue, extent >= 0 else {
                    throw fail("entry \"\(name)\" has a bad shape \(shapeValues)")
                }
                shape.append(extent)
            }
            let (count, overflow) = shape.reduce((1, false)) { partial, extent in
                let (product, o) = partial.0.multipliedReportingOverflow(by: extent)
                return (product, partial.1 || o)
            }
            guard let width = elementWidth[dtype] else {
                throw fail("entry \"\(name)\" has dtype \(dtype); nbrun reads F32, F64, I32, I64 and U8")
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, !bytesOverflow, begin >= 0, end >= begin, end - begin == bytes else {
                throw fail("entry \"\(name)\" has offsets [\(begin), \(end)] that do not fit shape \(shape) of \(dtype)")
            }
            guard end <= bodyCount else {
                throw fail("is truncated: entry \"\(name)\" ends at byte \(end) of the data but the data holds \(bodyCount) bytes")
            }
            let scalars: [Float] = data.withUnsafeBytes { raw in
                let start = raw.baseAddress! + body + begin
                return convert(UnsafeRawBufferPointer(start: start, count: end - begin), dtype: dtype, count: count)
            }
            tensors[name] = Tensor(scalars, shape: shape)
        }
        return File(tensors: tensors, metadata: metadata)
    }

    private static let elementWidth: [String: Int] = ["F32": 4, "F64": 8, "I32": 4, "I64": 8, "U8": 1]

    private static func convert(_ raw: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
        switch dtype {
        case "F32":
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { memcpy(buffer.baseAddress!, raw.baseAddress!, count * 4) }
                initialized = count
            }
        case "F64": return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
        case "I32": return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case "I64": return (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        default: return raw.map { Float($0) }
        }
    }

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// A safetensors file that could not be read: names the file and what was wrong with it.
public struct SafeTensorsError: Error, CustomStringConvertible, LocalizedError {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem) (not a valid safetensors file; save it again)" }
    public var errorDescription: String? { description }
}

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so a reader
/// sees the old file or the new one, never half of one.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
    do {
        try data.write(to: temporary)
        if rename(temporary.path, path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "rename failed: \(String(cString: strerror(errno)))"])
        }
        FileAccess.record(.write, path)
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}
