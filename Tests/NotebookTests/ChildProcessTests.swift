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
}
