import Foundation
import Testing
@testable import Notebook

/// nbrun's children (the notebook program, swiftc and what swiftc starts) end when nbrun ends,
/// however it ends: SIGKILL leaves nbrun no chance to stop them itself.
@Suite(.serialized) struct ChildProcessTests {
    /// A cell in an endless loop, past its time limit: once nbrun was killed it ran for ever
    /// (in 19 of 20 kills), with no one left to enforce the limit.
    @Test func aKilledRunLeavesNoProgramRunning() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
        ```swift
        //| timeout: 3
        import Foundation
        FileManager.default.createFile(atPath: "started", contents: nil)
        while true { usleep(1_000) }
        ```
        """.write(toFile: folder + "/loop.md", atomically: true, encoding: .utf8)
        let run = try BackgroundRun(["loop.md", "-o", "output"], in: folder)
        let started = Faults.wait(upTo: 300) { FileManager.default.fileExists(atPath: folder + "/started") || !run.isRunning }
        try #require(started && run.isRunning, "the cell did not start: \(run.stderr)")
        #expect(Faults.processes(tagged: run.tag).count >= 1, "the notebook program runs")
        run.killNow()
        let left = Faults.waitUntilGone(tagged: run.tag)
        #expect(left.isEmpty, "still running \(Faults.orphanDeadline) s after nbrun was killed: \(left.map { "\($0.pid) \($0.name)" })")
    }

    /// swiftc is a driver: it runs swift-frontend (and the linker) as its own children. Killing
    /// nbrun while it compiles left both running.
    @Test func aKilledCompileLeavesNoCompilerRunning() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Long enough to compile that the test sees swift-frontend at work.
        let cells = (0..<300).map { "```swift\nlet value\($0) = [\($0), \($0) + 1].map { $0 * 2 }.reduce(0, +)\nprint(value\($0))\n```\n" }
        try cells.joined(separator: "\n").write(toFile: folder + "/slow.md", atomically: true, encoding: .utf8)
        let run = try BackgroundRun(["slow.md", "-o", "output"], in: folder)
        // swift-frontend compiling (not answering `swiftc --version`).
        let compiling = Faults.wait(upTo: 300) {
            Faults.processes(tagged: run.tag, named: "swift-frontend").contains { $0.arguments.contains("-c") } || !run.isRunning
        }
        try #require(compiling && run.isRunning, "swiftc did not start: \(run.stderr)")
        run.killNow()
        let left = Faults.waitUntilGone(tagged: run.tag)
        #expect(left.isEmpty, "still running \(Faults.orphanDeadline) s after nbrun was killed: \(left.map { "\($0.pid) \($0.name)" })")
    }

    /// A child holds only the descriptors it is given: one this process opened without
    /// close-on-exec (as a library's socket may be) does not reach it, so it cannot keep that
    /// file, socket or port open after nbrun has closed it.
    @Test func aChildInheritsOnlyTheDescriptorsItIsGiven() throws {
        // Without O_CLOEXEC, and numbered high, where nothing the child opens itself would land.
        let opened = open("/dev/null", O_RDONLY)
        let stray = fcntl(opened, F_DUPFD, 200)
        close(opened)
        try #require(stray >= 200)
        defer { close(stray) }
        var pipe: [Int32] = [0, 0]
        try #require(Glibc.pipe(&pipe) == 0)
        let child = try Subprocess.spawn("/bin/ls", ["/proc/self/fd"], descriptors: [1: pipe[1], 3: pipe[1]])
        close(pipe[1])
        let listing = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true).readDataToEndOfFile()
        _ = child.wait()
        let descriptors = Set(String(decoding: listing, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) })
        #expect(descriptors.contains(3), "the descriptor it was given: \(descriptors)")
        #expect(!descriptors.contains(stray), "the parent's stray descriptor \(stray) reached the child: \(descriptors)")
    }
}
