import Foundation
internal import CZlib

/// Reading gzip files with zlib's inflate (RFC 1952 framing, RFC 1951 deflate).
enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The uncompressed bytes of gzip `data` (all members, as `gunzip` does).
    ///
    /// Inflates into one growing buffer, first sized from the ISIZE trailer (the
    /// uncompressed length mod 2^32, RFC 1952 section 2.3.1) so a normal file is
    /// inflated with no reallocation and no copy. zlib checks each member's CRC-32
    /// and length. A stream that ends before its end marker is reported as cut short.
    ///
    /// - Parameters:
    ///   - file: named in errors.
    ///   - limit: the most bytes to produce; beyond it the file is taken as corrupt.
    static func inflate(_ data: Data, file: String, limit: Int = 1 << 34) throws -> Data {
        guard isGzip(data) else {
            throw DatasetError(file: file, kind: .corruptGzip(reason: "no gzip header"))
        }
        return try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> Data in
            let inputCount = input.count
            // ISIZE hint, trusted only up to deflate's maximum ratio (about 1032:1).
            var hint = 1 << 16
            if inputCount >= 18 {
                let tail = input.baseAddress! + inputCount - 4
                let isize = Int(tail.load(fromByteOffset: 0, as: UInt8.self))
                    | Int(tail.load(fromByteOffset: 1, as: UInt8.self)) << 8
                    | Int(tail.load(fromByteOffset: 2, as: UInt8.self)) << 16
                    | Int(tail.load(fromByteOffset: 3, as: UInt8.self)) << 24
                hint = max(hint, min(isize, inputCount * 1040, limit))
            }
            var capacity = hint
            guard var buffer = malloc(capacity)?.assumingMemoryBound(to: UInt8.self) else {
                throw DatasetError(file: file, kind: .corruptGzip(reason: "cannot allocate \(capacity) bytes"))
            }
            adviseHugePages(buffer, count: capacity)
            var produced = 0
            var success = false
            defer { if !success { free(buffer) } }

            var stream = z_stream()
            // 16 + MAX_WBITS: expect a gzip wrapper (not zlib or raw deflate).
            var status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                throw DatasetError(file: file, kind: .corruptGzip(reason: "zlib inflateInit2 failed (\(status))"))
            }
            defer { inflateEnd(&stream) }

            var consumed = 0          // input bytes handed to zlib so far
            let inputBase = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            while true {
                // Hand zlib more input (avail_in is 32-bit, so in pieces).
                if stream.avail_in == 0 && consumed < inputCount {
                    let piece = min(inputCount - consumed, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: inputBase + consumed)
                    stream.avail_in = UInt32(piece)
                    consumed += piece
                }
                // Make room for output, doubling the buffer when it is full.
                if produced == capacity {
                    guard capacity < limit else {
                        throw DatasetError(file: file, kind: .corruptGzip(reason: "inflates to more than \(limit) bytes"))
                    }
                    let newCapacity = min(capacity * 2, limit)
                    guard let grown = realloc(buffer, newCapacity) else {
                        throw DatasetError(file: file, kind: .corruptGzip(reason: "cannot allocate \(newCapacity) bytes"))
                    }
                    buffer = grown.assumingMemoryBound(to: UInt8.self)
                    capacity = newCapacity
                }
                let room = min(capacity - produced, Int(UInt32.max))
                stream.next_out = buffer + produced
                stream.avail_out = UInt32(room)

                status = CZlib.inflate(&stream, Z_NO_FLUSH)
                produced += room - Int(stream.avail_out)

                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow (concatenated .gz files).
                    let remaining = Int(stream.avail_in) + (inputCount - consumed)
                    let next = inputCount - remaining
                    if remaining >= 2 && inputBase[next] == 0x1F && inputBase[next + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    // Anything else after the last member is padding; gunzip ignores it too.
                    success = true
                    return Data(bytesNoCopy: buffer, count: produced, deallocator: .free)
                case Z_OK, Z_BUF_ERROR:
                    if stream.avail_in == 0 && consumed == inputCount && stream.avail_out > 0 {
                        throw DatasetError(file: file, kind: .corruptGzip(
                            reason: "the stream ends after \(produced) bytes, before its end marker (the file is cut short)"))
                    }
                case Z_NEED_DICT, Z_DATA_ERROR:
                    let message = stream.msg.map { String(cString: $0) } ?? "invalid deflate data"
                    throw DatasetError(file: file, kind: .corruptGzip(reason: message))
                case Z_MEM_ERROR:
                    throw DatasetError(file: file, kind: .corruptGzip(reason: "zlib ran out of memory"))
                default:
                    throw DatasetError(file: file, kind: .corruptGzip(reason: "zlib inflate error \(status)"))
                }
            }
        }
    }
}

/// Asks Linux to back the 2 MiB-aligned interior of a large buffer with huge pages, before it
/// is first written. Training reads MNIST's 47 MB of pixels a random row at a time: on 4 KiB
/// pages nearly every row is a TLB miss, on 2 MiB pages the whole set fits in the TLB.
func adviseHugePages(_ base: UnsafeMutableRawPointer, count: Int) {
    #if os(Linux)
    let hugePage: UInt = 2 << 20
    guard count >= 4 << 20 else { return }
    let start = (UInt(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
    let end = (UInt(bitPattern: base) + UInt(count)) & ~(hugePage - 1)
    if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_HUGEPAGE) }
    #endif
}
