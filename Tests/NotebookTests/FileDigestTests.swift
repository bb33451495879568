import Crypto
import Foundation
import Testing
@testable import Notebook

/// The kernel library's hash, remembered beside its stat data: a rebuilt kernel must still
/// change the binary cache key.
@Suite struct FileDigestTests {
    /// A fake kernel build folder holding a `libNotebookKernel.so` with `contents`.
    private func fakeKernel(_ contents: String) throws -> (builder: NotebookBuilder, library: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-digest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/release", withIntermediateDirectories: true)
        let kernel = KernelLocation(root: directory, buildDirectory: directory + "/release")
        try contents.write(toFile: kernel.libraryPath, atomically: false, encoding: .utf8)
        let builder = NotebookBuilder(kernel: kernel, toolchain: Toolchain(swiftc: "swiftc", version: "Swift version 0"),
                                      cacheDirectory: directory + "/out/.cache")
        return (builder, kernel.libraryPath, directory)
    }

    private func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Sets the file's modification time `seconds` into the past (its change time becomes now).
    private func age(_ path: String, by seconds: Int) {
        var times = [timespec(tv_sec: time(nil) - seconds, tv_nsec: 0), timespec(tv_sec: time(nil) - seconds, tv_nsec: 0)]
        _ = utimensat(AT_FDCWD, path, &times, 0)
    }

    @Test func aSettledFileIsHashedOnceAndAFreshOneEveryTime() throws {
        let (builder, library, directory) = try fakeKernel("kernel one")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let memo = builder.cacheDirectory + "/kernel-identity"
        // Just written: within the racy window, so not remembered.
        #expect(try builder.kernelHash() == sha256("kernel one"))
        #expect(!FileManager.default.fileExists(atPath: memo))

        // Settled: remembered, and the remembered value is what later runs use.
        let later = Date().addingTimeInterval(FileDigest.settleSeconds + 1)
        #expect(try FileDigest.sha256(ofFileAt: library, memoPath: memo, now: later) == sha256("kernel one"))
        let stored = try String(contentsOfFile: memo, encoding: .utf8).split(separator: "\n")
        #expect(stored.count == 2 && stored[1] == sha256("kernel one"))
        let fake = String(repeating: "a", count: 64)
        try "\(stored[0])\n\(fake)\n".write(toFile: memo, atomically: true, encoding: .utf8)
        #expect(try builder.kernelHash() == fake)  // read, not recomputed
    }

    @Test func aRebuiltKernelChangesTheHashEvenWithTheSameSizeAndMtime() throws {
        let (builder, library, directory) = try fakeKernel("kernel one")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let memo = builder.cacheDirectory + "/kernel-identity"
        let later = Date().addingTimeInterval(FileDigest.settleSeconds + 1)
        age(library, by: 3600)
        let first = try FileDigest.sha256(ofFileAt: library, memoPath: memo, now: later)
        #expect(FileManager.default.fileExists(atPath: memo))
        #expect(try builder.kernelHash() == first)

        // Rewritten in place, same size, modification time put back: the change time moved.
        usleep(20_000)  // past the file system's clock tick
        let handle = try #require(FileHandle(forWritingAtPath: library))
        try handle.write(contentsOf: Data("kernel two".utf8))
        try handle.close()
        age(library, by: 3600)
        let second = try builder.kernelHash()
        #expect(second == sha256("kernel two"))
        #expect(second != first)

        // Replaced by a new file (a linker writing a fresh output): a new inode.
        _ = try FileDigest.sha256(ofFileAt: library, memoPath: memo, now: later)
        let replacement = library + ".new"
        try "kernel 3!!".write(toFile: replacement, atomically: false, encoding: .utf8)
        age(replacement, by: 3600)
        #expect(rename(replacement, library) == 0)
        #expect(try builder.kernelHash() == sha256("kernel 3!!"))
    }

    @Test func theBinaryKeyFollowsTheKernelHash() throws {
        let (builder, library, directory) = try fakeKernel("kernel one")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let program = try ProgramGenerator.generate(try NotebookParser.parse("```swift\nprint(1)\n```\n", path: "k.md"))
        let before = builder.binaryKey(program, kernelHash: try builder.kernelHash())
        #expect(builder.binaryKey(program, kernelHash: try builder.kernelHash()) == before)
        try "kernel two".write(toFile: library, atomically: true, encoding: .utf8)
        #expect(builder.binaryKey(program, kernelHash: try builder.kernelHash()) != before)
    }
}
