import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The kernel library's identity in cache keys (with the toolchain's version, which keys hold
/// beside it): what it was built from, read from its bytes without loading it (its constructor
/// sets OpenBLAS's environment, which is the notebook program's to set).
///
/// The build writes the SHA-256 of the kernel's sources into the library (the
/// KernelSourceIdentity plugin: every file of the kernel's targets and of the targets they
/// depend on, Package.swift, the plugin itself), with the build's configuration (debug or
/// release, FMA or not), as a marker string. The identity is the hash of that marker and of the
/// file's ELF identification (class, byte order, ABI, machine), so the same commit built in
/// another folder, where swiftc's code can come out different, has the same identity, and a
/// library that was not rebuilt after an edit keeps naming the sources it was built from.
///
/// A library without the marker (built before the plugin existed) is identified by
/// `LibraryDigest`, the hash of what the loader maps from it.
public struct KernelIdentity: Sendable, Equatable {
    /// The marker's start, as the KernelSourceIdentity plugin writes it: change both together.
    static let marker = "nbrun kernel sources 1 "
    /// The ELF header's first 20 bytes: `e_ident`, `e_type`, `e_machine`.
    static let headerLength = 20

    /// SHA-256 (hex) the keys hold.
    public var digest: String
    /// The marker's text after `marker`: the sources' SHA-256 and the configuration
    /// (`"<64 hex> release fma"`); nil when the library names no sources.
    public var sources: String?

    /// Reads the identity of the library at `path`.
    ///
    /// - Throws: `NotebookError` when it cannot be read.
    public init(libraryAt path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(file: path, "cannot read the kernel library")
        }
        guard let sources = Self.embeddedSources(in: data) else {
            self.init(digest: try LibraryDigest.sha256(ofLibraryAt: path), sources: nil)
            return
        }
        var hasher = SHA256()
        hasher.update(data: Data("nbrun kernel identity 1\n\(sources)\n".utf8))
        hasher.update(data: data.prefix(Self.headerLength))
        self.init(digest: hasher.finalize().hex, sources: sources)
    }

    init(digest: String, sources: String?) {
        self.digest = digest
        self.sources = sources
    }

    /// The identity's digest of the library at `path` (`FileDigest`'s way of computing one).
    static func sha256(ofLibraryAt path: String) throws -> String {
        try KernelIdentity(libraryAt: path).digest
    }

    /// What follows the marker in `data`, when it occurs there well formed (64 hex digits and
    /// lowercase configuration words, up to the string's NUL) and names one set of sources: two
    /// different ones (a library that links two kernels) name none.
    static func embeddedSources(in data: Data) -> String? {
        let needle = Array(marker.utf8)
        return data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> String? in
            var found: String?
            var start = 0
            while let hit = Self.find(needle, in: buffer, from: start) {
                let offset = hit + needle.count
                let end = buffer[offset...].prefix(200).firstIndex(of: 0) ?? offset
                let text = String(decoding: buffer[offset..<end], as: UTF8.self)
                if Self.wellFormed(text) {
                    if let found, found != text { return nil }
                    found = text
                }
                start = offset
            }
            return found
        }
    }

    /// Where `needle` next occurs in `buffer` at or after `start` (C's `memchr` and `memcmp`:
    /// the debug tool scans the 12 MB library in milliseconds).
    static func find(_ needle: [UInt8], in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, let first = needle.first else { return nil }
        var position = start
        while buffer.count - position >= needle.count {
            guard let hit = memchr(base + position, Int32(first), buffer.count - position - needle.count + 1) else { return nil }
            let offset = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(hit, needle, needle.count) == 0 { return offset }
            position = offset + 1
        }
        return nil
    }

    /// `<64 lowercase hex digits>` then ` word` for each configuration word (`release`, `fma`).
    static func wellFormed(_ text: String) -> Bool {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].count == 64, parts[0].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        return parts.dropFirst().allSatisfy { word in !word.isEmpty && word.allSatisfy { $0.isASCII && $0.isLowercase } }
    }
}
