import Foundation

/// Samples kept as their bytes (IDX pixels), with the 256-entry table that turns each byte
/// into its Float, as torchvision keeps MNIST as uint8 and converts per batch.
///
/// MNIST's 60,000 training images are 47 MB as bytes and 188 MB as Floats. A byte-backed
/// `LabeledDataset` converts only the rows a mini-batch needs (`floats(rows:into:)`); the
/// whole Float matrix is built on the first read of `inputs` and then kept (`materialized`),
/// shared by every copy of the dataset (the bytes never change, so neither does the result).
///
/// The conversion is `table[byte]`, the same lookup `IDX.Images.scalars(_:)` does, so a row
/// converted here is bit-identical to the same row of the materialised tensor.
final class ByteRows: @unchecked Sendable {
    /// `rows * width` bytes starting at `start` (the decompressed IDX file itself, no copy).
    let bytes: Data
    let start: Int
    let rows: Int
    let width: Int
    /// Float for each byte value; 256 entries.
    let table: [Float]

    private let lock = NSLock()
    private var cache: Tensor?

    init(bytes: Data, start: Int, rows: Int, width: Int, table: [Float]) {
        engineCheck(table.count == 256, "ByteRows: the table needs 256 entries")
        let (size, overflow) = rows.multipliedReportingOverflow(by: width)
        engineCheck(rows >= 0 && width >= 0 && start >= 0 && !overflow && bytes.count - start >= size,
                    "ByteRows: \(bytes.count - start) bytes cannot hold \(rows) rows of \(width)")
        self.bytes = bytes
        self.start = start
        self.rows = rows
        self.width = width
        self.table = table
    }

    /// Whether the whole Float matrix has been built (for tests and memory accounting).
    var isMaterialized: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cache != nil
    }

    /// All rows as a (rows, width) Float tensor: built once, then cached.
    var materialized: Tensor {
        lock.lock()
        defer { lock.unlock() }
        if let cache { return cache }
        let count = rows * width
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let all = Array(0..<rows)
            if let base = buffer.baseAddress { all.withUnsafeBufferPointer { floats(rows: $0, into: base) } }
            initialized = count
        }
        let tensor = Tensor(scalars, shape: [rows, width])
        cache = tensor
        return tensor
    }

    /// Writes `table[byte]` for each of `indices`' rows, one after another, into `destination`
    /// (which holds `indices.count * width` Floats). The indices must be in 0..<rows: callers
    /// check them (`LabeledDataset.batch(rows:)`) before this loop, which does not.
    func floats(rows indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>) {
        let width = width
        if width == 0 { return }
        bytes.withUnsafeBytes { raw in
            table.withUnsafeBufferPointer { table in
                let source = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
                let lookup = table.baseAddress!
                let zeros = SIMD8<Float>(repeating: lookup[0])
                var out = destination
                for index in indices {
                    let row = source + index * width
                    // Eight bytes at a time: most image bytes are 0 (about 80% of MNIST's, in long
                    // runs), and eight zero bytes are one load and one store of table[0] x 8.
                    var j = 0
                    while j + 8 <= width {
                        if UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self) == 0 {
                            UnsafeMutableRawPointer(out + j).storeBytes(of: zeros, as: SIMD8<Float>.self)
                        } else {
                            for t in j..<(j + 8) { out[t] = lookup[Int(row[t])] }
                        }
                        j += 8
                    }
                    while j < width { out[j] = lookup[Int(row[j])]; j += 1 }
                    out += width
                }
            }
        }
    }

    /// The first `n` rows: the same bytes, no copy.
    func prefix(_ n: Int) -> ByteRows {
        engineCheck(n >= 0, "ByteRows.prefix: n must be non-negative, got \(n)")
        return ByteRows(bytes: bytes, start: start, rows: min(n, rows), width: width, table: table)
    }

    /// Rows `indices` (in that order, repeats allowed) as new bytes.
    func gathering(_ indices: [Int]) -> ByteRows {
        let width = width, rows = rows
        var gathered = Data(count: indices.count * width)
        if width > 0 && !indices.isEmpty {
            gathered.withUnsafeMutableBytes { out in
                bytes.withUnsafeBytes { raw in
                    let source = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start
                    let destination = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    for (i, index) in indices.enumerated() {
                        engineCheck(index >= 0 && index < rows, "LabeledDataset.subset: index \(index) outside 0..<\(rows)")
                        (destination + i * width).update(from: source + index * width, count: width)
                    }
                }
            }
        }
        return ByteRows(bytes: gathered, start: 0, rows: indices.count, width: width, table: table)
    }

    /// The same bytes with every table entry mapped by `transform` (a global normalisation).
    func mappingTable(_ transform: (Float) -> Float) -> ByteRows {
        ByteRows(bytes: bytes, start: start, rows: rows, width: width, table: table.map(transform))
    }
}
