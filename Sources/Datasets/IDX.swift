import Foundation

/// Reader for IDX files, the format of MNIST and Fashion-MNIST.
///
/// Format (big-endian): a 4-byte magic `0x0000TTDD` (TT = element type, 0x08 for
/// unsigned bytes; DD = number of dimensions), then DD 32-bit sizes, then the
/// elements in row-major order. Images are `0x00000803` (count, rows, columns),
/// labels `0x00000801` (count). Files may be gzipped; the gzip magic is detected,
/// whatever the file name.
///
///     let images = try IDX.readImages(atPath: "data/mnist/t10k-images-idx3-ubyte.gz")
///     images.count        // 10000
///     images.rows         // 28
///     let x = images.scalars(scale: 1 / 255)   // (count * rows * columns) Floats
public enum IDX {
    /// Magic number of an images file: unsigned bytes, 3 dimensions.
    public static let imagesMagic: UInt32 = 0x0000_0803
    /// Magic number of a labels file: unsigned bytes, 1 dimension.
    public static let labelsMagic: UInt32 = 0x0000_0801
    /// Sizes promising more than this many bytes are taken as corrupt (16 GiB).
    public static let maximumPayloadBytes = 1 << 34

    /// The images of one IDX images file: (count, rows, columns) unsigned bytes.
    public struct Images: Sendable {
        public let count: Int
        public let rows: Int
        public let columns: Int
        /// The whole (decompressed) file; pixels start at `payloadOffset`.
        let storage: Data
        let payloadOffset: Int

        /// The pixel bytes, row-major (count, rows, columns).
        public var pixels: [UInt8] {
            let n = count * rows * columns
            return storage.withUnsafeBytes { raw in
                Array(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + payloadOffset, count: n))
            }
        }

        /// The pixels as Floats, `Float(byte) * scale + offset`, in one pass.
        /// Row-major (count, rows, columns).
        public func scalars(scale: Float = 1, offset: Float = 0) -> [Float] {
            scalars { Float($0) * scale + offset }
        }

        /// The pixels as Floats, `transform(byte)`, row-major (count, rows, columns).
        /// `transform` is evaluated once per byte value (a 256-entry table), so the
        /// result is exactly what it returns, and loading stays one tight loop.
        public func scalars(_ transform: (UInt8) -> Float) -> [Float] {
            IDX.floats(storage, from: payloadOffset, count: count * rows * columns, table: (0...255).map { transform(UInt8($0)) })
        }
    }

    /// Reads an images file (magic 0x00000803), gzipped or raw.
    /// - Throws: `DatasetError` naming the file: missing, wrong magic, cut short,
    ///   impossible sizes, damaged gzip.
    public static func readImages(atPath path: String) throws -> Images {
        let (data, dimensions, offset) = try read(atPath: path, magic: imagesMagic, payload: "pixel")
        return Images(count: dimensions[0], rows: dimensions[1], columns: dimensions[2],
                      storage: data, payloadOffset: offset)
    }

    /// Reads a labels file (magic 0x00000801), gzipped or raw: one byte per sample.
    /// - Throws: `DatasetError` naming the file, as `readImages(atPath:)`.
    public static func readLabels(atPath path: String) throws -> [UInt8] {
        let (data, dimensions, offset) = try read(atPath: path, magic: labelsMagic, payload: "label")
        return data.withUnsafeBytes { raw in
            Array(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, count: dimensions[0]))
        }
    }

    /// Reads and checks an IDX file of unsigned bytes with the given magic.
    /// Returns the decompressed bytes, the dimensions and where the elements start.
    static func read(atPath path: String, magic expectedMagic: UInt32, payload: String) throws -> (Data, [Int], Int) {
        let data = try readFile(atPath: path)
        let bytes = Gzip.isGzip(data) ? try Gzip.inflate(data, file: path) : data
        let rank = Int(expectedMagic & 0xFF)
        let headerSize = 4 + 4 * rank
        let available = bytes.count

        func bigEndianUInt32(at offset: Int) -> UInt32 {
            bytes.withUnsafeBytes { raw in
                UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            }
        }

        guard available >= 4 else {
            throw DatasetError(file: path, kind: .truncated(payload: "header", expected: headerSize, found: available))
        }
        let magic = bigEndianUInt32(at: 0)
        guard magic == expectedMagic else {
            throw DatasetError(file: path, kind: .wrongMagic(expected: expectedMagic, found: magic))
        }
        guard available >= headerSize else {
            throw DatasetError(file: path, kind: .truncated(payload: "header", expected: headerSize, found: available))
        }
        let dimensions = (0..<rank).map { Int(bigEndianUInt32(at: 4 + 4 * $0)) }
        // Guard the product against overflow and absurdity before anything is allocated. A zero
        // count does not make huge other sizes sane: rows x columns is used on its own.
        var total = 1, nonzero = 1
        for size in dimensions {
            let (product, overflow) = nonzero.multipliedReportingOverflow(by: Swift.max(size, 1))
            guard !overflow, product <= maximumPayloadBytes else {
                throw DatasetError(file: path, kind: .absurdSize(dimensions: dimensions))
            }
            nonzero = product
            total *= size
        }
        guard available - headerSize >= total else {
            throw DatasetError(file: path, kind: .truncated(payload: payload, expected: total, found: available - headerSize))
        }
        return (bytes, dimensions, headerSize)
    }

    /// The whole file at `path`, or a `DatasetError` naming it.
    static func readFile(atPath path: String) throws -> Data {
        FileAccess.record(.read, path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError(file: (path as NSString).lastPathComponent, kind: .missingFile(searched: [path]))
        }
        guard !isDirectory.boolValue else {
            throw DatasetError(file: path, kind: .unreadable(reason: "it is a directory"))
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError(file: path, kind: .unreadable(reason: "\(error)"))
        }
    }

    /// `table[byte]` for `count` bytes from `start`: the one hot loop of loading,
    /// written over raw pointers.
    static func floats(_ data: Data, from start: Int, count: Int, table: [Float]) -> [Float] {
        engineCheck(table.count == 256, "IDX.floats: the table needs 256 entries")
        return data.withUnsafeBytes { raw in
            table.withUnsafeBufferPointer { table in
                let source = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
                let lookup = table.baseAddress!
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    let destination = buffer.baseAddress!
                    for i in 0..<count {
                        destination[i] = lookup[Int(source[i])]
                    }
                    initialized = count
                }
            }
        }
    }
}
