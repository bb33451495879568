import Crypto
import Foundation

/// The identity of a kernel library that names no sources (`KernelIdentity` reads the ones
/// that do): SHA-256 of what the loader maps from it (its allocated sections: code, data,
/// symbols, relocations), not of the whole file.
///
/// Debug information is not mapped, and no program reads the two hashes over it (the build ID
/// the linker takes of the whole file, the hash swiftc records of each compiled module,
/// `.swift_modhash`), so all three are left out: they differ with the folder a library was built
/// in; everything a program can run or read is in. Then copies of one build share, and a kernel
/// that computes anything differently has another identity. Two builds of the same sources in
/// different folders can still differ (swiftc's code for one function came out differently in
/// two clones), which is why kernels name their sources. A file that is not a 64-bit
/// little-endian ELF library is hashed whole.
enum LibraryDigest {
    /// SHA-256 (hex) of the mapped sections of the library at `path`.
    ///
    /// - Throws: `NotebookError` when it cannot be read.
    static func sha256(ofLibraryAt path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(file: path, "cannot read the kernel library")
        }
        guard let sections = mappedSections(data) else { return SHA256.hash(data: data).hex }
        var hasher = SHA256()
        hasher.update(data: Data("nbrun mapped sections 1\n".utf8))
        for section in sections {
            hasher.update(data: Data("\(section.name) \(section.type) \(section.flags) \(section.address) \(section.size)\n".utf8))
            hasher.update(data: section.bytes)
        }
        return hasher.finalize().hex
    }

    struct Section {
        var name: String
        var type: UInt32
        var flags: UInt64
        var address: UInt64
        var size: UInt64
        var bytes: Data
    }

    static let allocated: UInt64 = 0x2
    static let noBits: UInt32 = 8
    /// Hashes over the debug information: the linker's of the whole file (`--build-id`) and
    /// swiftc's of each module it compiled.
    static let hashesOfDebugInformation: Set<String> = [".note.gnu.build-id", ".swift_modhash"]

    /// The allocated sections but the hashes over debug information, in file order; nil when `data` is not a
    /// well-formed 64-bit little-endian ELF file.
    static func mappedSections(_ data: Data) -> [Section]? {
        let bytes = [UInt8](data)
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46,
              bytes[4] == 2, bytes[5] == 1 else { return nil }
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard offset >= 0, offset + size <= bytes.count else { return nil }
            var value: T = 0
            for index in (0..<size).reversed() { value = value << 8 | T(bytes[offset + index]) }
            return value
        }
        guard let tableOffset = integer(0x28, UInt64.self), let entrySize = integer(0x3A, UInt16.self),
              let count = integer(0x3C, UInt16.self), let namesIndex = integer(0x3E, UInt16.self),
              entrySize >= 64, namesIndex < count, tableOffset < UInt64(bytes.count) else { return nil }
        struct Header { var name: UInt32, type: UInt32, flags: UInt64, address: UInt64, offset: UInt64, size: UInt64 }
        var headers: [Header] = []
        for index in 0..<Int(count) {
            let base = Int(tableOffset) + index * Int(entrySize)
            guard let name = integer(base, UInt32.self), let type = integer(base + 4, UInt32.self),
                  let flags = integer(base + 8, UInt64.self), let address = integer(base + 16, UInt64.self),
                  let offset = integer(base + 24, UInt64.self), let size = integer(base + 32, UInt64.self) else { return nil }
            headers.append(Header(name: name, type: type, flags: flags, address: address, offset: offset, size: size))
        }
        func contents(_ header: Header) -> ArraySlice<UInt8>? {
            guard header.offset <= UInt64(bytes.count), header.size <= UInt64(bytes.count) - header.offset else { return nil }
            return bytes[Int(header.offset)..<Int(header.offset + header.size)]
        }
        guard let names = contents(headers[Int(namesIndex)]) else { return nil }
        func name(_ offset: UInt32) -> String? {
            guard Int(offset) < names.count else { return nil }
            let start = names.startIndex + Int(offset)
            let end = names[start...].firstIndex(of: 0) ?? names.endIndex
            return String(decoding: names[start..<end], as: UTF8.self)
        }
        var sections: [Section] = []
        for header in headers where header.flags & allocated != 0 {
            guard let sectionName = name(header.name) else { return nil }
            if hashesOfDebugInformation.contains(sectionName) { continue }
            let body: Data
            if header.type == noBits {
                body = Data()
            } else {
                guard let slice = contents(header) else { return nil }
                body = Data(slice)
            }
            sections.append(Section(name: sectionName, type: header.type, flags: header.flags, address: header.address,
                                    size: header.size, bytes: body))
        }
        return sections
    }
}
