/// A 128-bit hash of bytes, fed in pieces: MurmurHash3 x64-128 (Austin Appleby, public domain),
/// streamed. The cell cache keys entries and checks their files with it: far faster than a
/// cryptographic hash on tensors (the kernel hashes models' weights before cached cells), and
/// with 128 bits an accidental collision is out of reach. It guards against damage and change,
/// not against someone forging a cache entry.
///
///     var hasher = ContentHasher()
///     hasher.combine("weights")
///     tensor.withUnsafeBufferPointer { hasher.combine(UnsafeRawBufferPointer($0)) }
///     let digest = hasher.finalize()   // 32 hex digits
public struct ContentHasher {
    private var h1: UInt64
    private var h2: UInt64
    private var length = 0
    /// Bytes not yet hashed (less than one 16-byte block).
    private var tail: (UInt64, UInt64) = (0, 0)
    private var tailCount = 0

    private static let c1: UInt64 = 0x87c3_7b91_1142_53d5
    private static let c2: UInt64 = 0x4cf5_ad43_2745_937f

    public init(seed: UInt64 = 0) {
        h1 = seed
        h2 = seed
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inline(__always) private mutating func block(_ k1: UInt64, _ k2: UInt64) {
        var k1 = k1 &* Self.c1
        k1 = Self.rotl(k1, 31) &* Self.c2
        h1 ^= k1
        h1 = Self.rotl(h1, 27) &+ h2
        h1 = h1 &* 5 &+ 0x52dc_e729
        var k2 = k2 &* Self.c2
        k2 = Self.rotl(k2, 33) &* Self.c1
        h2 ^= k2
        h2 = Self.rotl(h2, 31) &+ h1
        h2 = h2 &* 5 &+ 0x3849_5ab5
    }

    /// Feeds raw bytes.
    public mutating func combine(_ bytes: UnsafeRawBufferPointer) {
        guard var pointer = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        length += remaining
        // Fill a partial block first.
        while tailCount > 0 && tailCount < 16 && remaining > 0 {
            appendTail(pointer.load(as: UInt8.self))
            pointer += 1
            remaining -= 1
        }
        if tailCount == 16 {
            block(tail.0, tail.1)
            tail = (0, 0)
            tailCount = 0
        }
        while remaining >= 16 {
            block(UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)),
                  UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            pointer += 16
            remaining -= 16
        }
        while remaining > 0 {
            appendTail(pointer.load(as: UInt8.self))
            pointer += 1
            remaining -= 1
        }
    }

    @inline(__always) private mutating func appendTail(_ byte: UInt8) {
        if tailCount < 8 {
            tail.0 |= UInt64(byte) << UInt64(8 * tailCount)
        } else {
            tail.1 |= UInt64(byte) << UInt64(8 * (tailCount - 8))
        }
        tailCount += 1
    }

    /// Feeds a string, prefixed with its length so that ("ab", "c") and ("a", "bc") differ.
    public mutating func combine(_ text: String) {
        var text = text
        combine(text.utf8.count)
        text.withUTF8 { combine(UnsafeRawBufferPointer($0)) }
    }

    public mutating func combine(_ value: Int) {
        withUnsafeBytes(of: Int64(value).littleEndian) { combine($0) }
    }

    public mutating func combine(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { combine($0) }
    }

    public mutating func combine(_ values: [Float]) {
        combine(values.count)
        values.withUnsafeBytes { combine($0) }
    }

    /// The 128-bit digest as 32 lowercase hex digits.
    public func finalize() -> String {
        var h1 = self.h1, h2 = self.h2
        if tailCount > 0 {
            var k1 = tail.0, k2 = tail.1
            if tailCount > 8 {
                k2 = k2 &* Self.c2
                k2 = Self.rotl(k2, 33) &* Self.c1
                h2 ^= k2
            }
            k1 = k1 &* Self.c1
            k1 = Self.rotl(k1, 31) &* Self.c2
            h1 ^= k1
        }
        h1 ^= UInt64(length)
        h2 ^= UInt64(length)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        h1 = Self.mix(h1)
        h2 = Self.mix(h2)
        h1 = h1 &+ h2
        h2 = h2 &+ h1
        return Self.hex(h1) + Self.hex(h2)
    }

    @inline(__always) private static func mix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    private static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// The digest of one string.
    public static func digest(_ text: String) -> String {
        var hasher = ContentHasher()
        hasher.combine(text)
        return hasher.finalize()
    }
}
