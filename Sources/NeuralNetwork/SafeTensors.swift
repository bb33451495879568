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
    ///
    /// The header is read first, then each F32 tensor straight from the file into the tensor's
    /// own storage (one copy from the page cache: the whole file is never held twice, and a
    /// notebook's cached tensors load at about the disk's speed); other dtypes are converted.
    public static func read(from path: String) throws -> File {
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: path, problem: problem) }
        FileAccess.record(.read, path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw fail("cannot be read (missing or not a file)") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw fail("cannot be read (missing or not a file)")
        }
        let size = Int(status.st_size)
        guard size >= 8 else { throw fail("is \(size) bytes long, too short for the 8-byte header length") }
        var lengthField: UInt64 = 0
        guard readFully(descriptor, &lengthField, count: 8, offset: 0) else { throw fail("cannot be read") }
        let headerLength = UInt64(littleEndian: lengthField)
        guard headerLength <= UInt64(size - 8) else {
            throw fail("header claims \(headerLength) bytes but the file holds only \(size - 8) after the length")
        }
        var header = Data(count: Int(headerLength))
        guard header.withUnsafeMutableBytes({ readFully(descriptor, $0.baseAddress!, count: Int(headerLength), offset: 8) }) else {
            throw fail("cannot be read")
        }
        let body = 8 + Int(headerLength)
        let layout = try Layout(header: header, bodyCount: size - body, fail: fail)
        var tensors: [String: Tensor] = [:]
        for entry in layout.entries {
            var complete = true
            let scalars: [Float]
            if entry.dtype == "F32" {
                scalars = [Float](unsafeUninitializedCapacity: entry.count) { buffer, initialized in
                    if entry.count > 0 {
                        complete = readFully(descriptor, buffer.baseAddress!, count: entry.count * 4, offset: body + entry.begin)
                    }
                    initialized = complete ? entry.count : 0
                }
            } else {
                var bytes = [UInt8](repeating: 0, count: entry.end - entry.begin)
                complete = bytes.withUnsafeMutableBytes { readFully(descriptor, $0.baseAddress!, count: $0.count, offset: body + entry.begin) }
                scalars = bytes.withUnsafeBytes { convert($0, dtype: entry.dtype, count: entry.count) }
            }
            guard complete else { throw fail("is truncated: entry \"\(entry.name)\" could not be read whole") }
            tensors[entry.name] = Tensor(scalars, shape: entry.shape)
        }
        return File(tensors: tensors, metadata: layout.metadata)
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
        let body = 8 + Int(headerLength)
        let layout = try Layout(header: data.subdata(in: 8..<body), bodyCount: data.count - body, fail: fail)
        var tensors: [String: Tensor] = [:]
        for entry in layout.entries {
            let scalars: [Float] = data.withUnsafeBytes { raw in
                convert(UnsafeRawBufferPointer(rebasing: raw[(body + entry.begin)..<(body + entry.end)]), dtype: entry.dtype, count: entry.count)
            }
            tensors[entry.name] = Tensor(scalars, shape: entry.shape)
        }
        return File(tensors: tensors, metadata: layout.metadata)
    }

    /// A header read and checked against the size of the data after it: every entry's dtype,
    /// shape and offsets agree and lie inside the data. Both readers go through it.
    private struct Layout {
        struct Entry {
            var name: String
            var dtype: String
            var shape: [Int]
            var count: Int
            /// Byte offsets in the data after the header.
            var begin: Int, end: Int
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]

        init(header: Data, bodyCount: Int, fail: (String) -> SafeTensorsError) throws {
            guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
                throw fail("header is not a JSON object")
            }
            for (name, value) in object {
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
                // The count a Tensor of this shape holds, or nil when the extents other than zero
                // multiply past what memory can address: such a shape is refused by `Tensor`, even
                // with a zero extent and no data ([0, 2^62, 4]), so it is an error here.
                guard let count = checkedShapeCount(shape) else {
                    throw fail("entry \"\(name)\" has shape \(shape), which holds more values than memory can address")
                }
                guard let width = elementWidth[dtype] else {
                    throw fail("entry \"\(name)\" has dtype \(dtype); nbrun reads F32, F64, I32, I64 and U8")
                }
                let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: width)
                guard !bytesOverflow, begin >= 0, end >= begin, end - begin == bytes else {
                    throw fail("entry \"\(name)\" has offsets [\(begin), \(end)] that do not fit shape \(shape) of \(dtype)")
                }
                guard end <= bodyCount else {
                    throw fail("is truncated: entry \"\(name)\" ends at byte \(end) of the data but the data holds \(bodyCount) bytes")
                }
                entries.append(Entry(name: name, dtype: dtype, shape: shape, count: count, begin: begin, end: end))
            }
        }
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

    /// Reads `count` bytes at `offset` of the file, through short reads and interruptions.
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
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
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
