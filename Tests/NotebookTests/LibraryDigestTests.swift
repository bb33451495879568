import Crypto
import Foundation
import Testing
@testable import Notebook

/// The kernel's identity covers what a program runs and reads from it, and nothing of where it
/// was built: the real library, changed with binutils' `objcopy` as another folder's build differs
/// (its debug information, its build ID) and as another build of different code differs.
@Suite struct LibraryDigestTests {
    static func objcopy(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["objcopy"] + arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "objcopy \(arguments)")
    }

    @Test func debugInformationAndTheBuildIDAreLeftOutAndCodeIsNot() throws {
        let library = try EndToEnd.kernel().libraryPath
        let folder = try EndToEnd.temporaryDirectory()
        let identity = try LibraryDigest.sha256(ofLibraryAt: library)
        let wholeFile = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: library))).hex
        #expect(identity != wholeFile, "an ELF library is hashed by its mapped sections")

        try Self.objcopy(["--strip-debug", library, folder + "/stripped.so"])
        #expect(try LibraryDigest.sha256(ofLibraryAt: folder + "/stripped.so") == identity)
        try Self.objcopy(["--remove-section=.note.gnu.build-id", library, folder + "/no-build-id.so"])
        #expect(try LibraryDigest.sha256(ofLibraryAt: folder + "/no-build-id.so") == identity)

        // One byte of code changed: another identity.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: library))
        let text = try #require(LibraryDigest.mappedSections(bytes)?.first { $0.name == ".text" })
        let offset = try #require(try Self.fileOffset(of: ".text", in: library))
        #expect(text.size > 16)
        bytes[offset + 8] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: folder + "/changed.so"))
        #expect(try LibraryDigest.sha256(ofLibraryAt: folder + "/changed.so") != identity)
    }

    @Test func aFileThatIsNotALibraryIsHashedWhole() throws {
        let folder = try EndToEnd.temporaryDirectory()
        for (name, contents) in [("text", Data("kernel one".utf8)), ("truncated", Data([0x7F, 0x45, 0x4C, 0x46, 2, 1] + Array(repeating: 0xFF, count: 80)))] {
            try contents.write(to: URL(fileURLWithPath: folder + "/" + name))
            #expect(try LibraryDigest.sha256(ofLibraryAt: folder + "/" + name) == SHA256.hash(data: contents).hex, "\(name)")
        }
        #expect(throws: NotebookError.self) { try LibraryDigest.sha256(ofLibraryAt: folder + "/absent") }
    }

    /// Where `section` starts in the file, as readelf says.
    static func fileOffset(of section: String, in path: String) throws -> Int? {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["readelf", "-SW", path]
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for line in output.split(separator: "\n") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ")
            if fields.count > 3, fields[0] == section { return Int(fields[3], radix: 16) }
        }
        return nil
    }
}
