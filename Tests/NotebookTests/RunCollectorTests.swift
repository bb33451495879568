import Foundation
import KernelProtocol
import Testing
@testable import Notebook

/// The collect half of the run stage, fed events and printed text by hand: no process, no files.
@Suite struct RunCollectorTests {
    static let notebook = try! NotebookParser.parse("""
        ```swift
        print("one")
        ```

        ```swift
        //| cache: true
        let data = [1, 2]
        ```

        ```swift
        //| eval: false
        print("skipped")
        ```

        ```swift
        //| error: true
        try load()
        ```

        ```swift
        print("last")
        ```
        """, path: "collect.md")

    /// Printed text per cell and stream, and how often each was read.
    final class Printed: @unchecked Sendable {
        var text: [String: String] = [:]
        var reads: [String: Int] = [:]

        func output(_ index: Int, _ stream: String) -> ProgramRunner.CapturedOutput {
            let key = "\(index).\(stream)"
            reads[key, default: 0] += 1
            return ProgramRunner.CapturedOutput(bytes: Array((text[key] ?? "").utf8))
        }
    }

    static func collector(_ printed: Printed, blockers: [Int: String] = [:], outside: String = "") -> RunCollector {
        RunCollector(notebook: notebook, cacheBlockers: blockers, printed: printed.output, outsideErrors: { outside })
    }

    @Test func aCellsResultIsMadeOnceWhenItEnds() throws {
        let printed = Printed()
        printed.text = ["0.stdout": "before\nafter\n", "0.stderr": "warned\n"]
        var collector = Self.collector(printed)
        let began = Date(timeIntervalSince1970: 100)
        for event: KernelEvent in [.begin(cell: 0), .display(cell: 0, item: .text("shown"), stdoutOffset: 7, stderrOffset: 0)] {
            let result = collector.receive(event, at: began)
            #expect(result == nil)
        }
        let received = collector.receive(.end(cell: 0), at: began.addingTimeInterval(0.25))
        let ended = try #require(received)
        #expect(ended.status == .passed && ended.seconds == 0.25)
        #expect(ended.outputs == [.stdout("before\n"), .display(.text("shown")), .stdout("after\n"), .stderr("warned\n")])
        let (results, failed) = collector.finish(termination: .exited(0), stop: nil)
        #expect(results[0] == ended)
        #expect(printed.reads["0.stdout"] == 1 && printed.reads["0.stderr"] == 1)
        #expect(failed?.cellIndex == 1)  // the program exited before cell 2 began
    }

    @Test func aRestoredCellTakesItsStoredOutputsAndAnEvalFalseCellIsNotEvaluated() throws {
        let printed = Printed()
        var collector = Self.collector(printed)
        let stored = Date(timeIntervalSince1970: 1_000)
        for event: KernelEvent in [.begin(cell: 0), .end(cell: 0), .begin(cell: 1),
                                   .restored(cell: 1, key: "k1", outputs: [.stdout("kept\n")], stored: stored, seconds: 0.01),
                                   .end(cell: 1), .begin(cell: 3), .caught(cell: 3, type: "LoadError", message: "no file"),
                                   .end(cell: 3), .begin(cell: 4), .end(cell: 4)] {
            _ = collector.receive(event)
        }
        let (results, failed) = collector.finish(termination: .exited(0), stop: nil)
        #expect(failed == nil)
        #expect(results.map(\.status) == [.passed, .passed, .notEvaluated, .expectedError, .passed])
        #expect(results[1].cached && results[1].cacheKey == "k1" && results[1].cacheStored == stored)
        #expect(results[1].outputs == [.stdout("kept\n")])
        #expect(printed.reads["1.stdout"] == nil)
        #expect(results[3].error?.message == "no file" && results[3].error?.line == 17)
        #expect(RunVerdict(results).exitStatus == ExitStatus.success)
    }

    @Test func theCellTheProgramDiedInFailsAndTheRestDoNotRun() throws {
        let printed = Printed()
        printed.text = ["1.stdout": "partial\n"]
        var collector = Self.collector(printed, blockers: [1: "it reads the clock"])
        for event: KernelEvent in [.begin(cell: 0), .end(cell: 0), .begin(cell: 1), .cacheWarning(cell: 1, message: "cell 2: unreadable")] {
            _ = collector.receive(event)
        }
        let (results, failed) = collector.finish(termination: .signaled(SIGKILL), stop: (.timeout, "cell 2 ran past its time limit"))
        #expect(results.map(\.status) == [.passed, .failed, .notEvaluated, .notRun, .notRun])
        // Reported as it failed, before the cache's warnings were added to the results.
        #expect(failed?.cellIndex == 1 && failed?.error == results[1].error && failed?.cacheNote == "not cached: it reads the clock")
        let error = try #require(results[1].error)
        #expect(error.kind == .timeout && error.message == "cell 2 ran past its time limit")
        #expect(results[1].stdout == "partial\n")
        #expect(results[1].cacheNote == "not cached: it reads the clock; cell 2: unreadable")
    }

    @Test func aProgramThatStopsBeforeItsFirstCellFailsItWithWhatItWrote() throws {
        let collector = Self.collector(Printed(), outside: "error while loading shared libraries\n")
        let (results, failed) = collector.finish(termination: .exited(127), stop: nil)
        #expect(results.map(\.status) == [.failed, .notRun, .notEvaluated, .notRun, .notRun])
        #expect(failed?.error?.message == "the program exited with status 127 before the cell began")
        #expect(failed?.error?.details == "error while loading shared libraries")
    }
}
