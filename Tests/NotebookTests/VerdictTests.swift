import Foundation
import Testing
@testable import Notebook

/// Verdicts and messages that must say what happened: a figure that could not be drawn, output
/// too long to keep, a stack overflow, an integer overflow.
@Suite(.serialized) struct VerdictTests {
    /// A figure that cannot be drawn fails its cell with the drawing error, at the line that showed it.
    @Test func aFigureThatCannotBeDrawnFailsItsCell() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        let empty = Figure(title: "nothing yet")
        print("before")
        display(empty)
        print("after")
        ```

        ```swift
        print("never")
        ```
        """)
        #expect(run.results.map(\.status) == [.failed, .notRun])
        #expect(run.exitCode == 1)
        let error = try #require(run.results[0].error)
        #expect(error.message.contains("could not draw"), "\(error.message)")
        #expect(error.message.contains("nothing to draw"), "\(error.message)")
        #expect(error.line == 4)
        #expect(run.results[0].stdout == "before\n")
        #expect(html.contains("nothing to draw"))
    }

    /// The last expression of a cell is shown the same way: a figure that fails to draw fails.
    @Test func aLastExpressionFigureThatCannotBeDrawnFailsItsCell() throws {
        let (run, _) = try EndToEnd.run("```swift\nlet size = 3\nFigure(title: \"empty\")\n```\n")
        #expect(run.results.map(\.status) == [.failed])
        #expect(run.results[0].error?.message.contains("nothing to draw") == true)
        #expect(run.results[0].error?.line == 3)
    }

    /// Output beyond what nbrun keeps (64 MiB): the report says what was kept, and its "last
    /// lines" are the output's real last lines, not lines from the middle. Such a cell is not
    /// cached: restored, it would show the cut output as all of it.
    @Test func outputTooLongToKeepSaysSoAndShowsItsRealEnd() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        //| cache: true
        let chunk = String(repeating: "x", count: 1 << 20)
        for block in 0..<70 { print("block \\(block) " + chunk) }
        print("the very last line")
        ```
        """)
        #expect(run.results.map(\.status) == [.passed])
        let stdout = run.results[0].stdout
        #expect(stdout.hasSuffix("the very last line\n"))
        #expect(stdout.hasPrefix("block 0 xxx"))
        #expect(!stdout.contains("block 50 "))  // the middle was not kept
        #expect(stdout.utf8.count <= ProgramRunner.maxOutputBytes + 1024)
        #expect(html.contains("the very last line"))
        #expect(!html.contains("Full output"))
        let printed = (0..<70).reduce(0) { $0 + "block \($1) ".utf8.count + (1 << 20) + 1 } + "the very last line\n".utf8.count
        #expect(html.contains("The cell printed \(printed) bytes, more than nbrun keeps"))
        let reportDirectory = (run.reportPath! as NSString).deletingLastPathComponent
        let kept = try String(contentsOfFile: try EndToEnd.fileBeside(in: reportDirectory + "/nb_files", "cell-1-stdout-1", extension: "txt"),
                              encoding: .utf8)
        #expect(kept.hasSuffix("the very last line\n"))
        #expect(kept.contains("[nbrun: "))
        #expect(run.results[0].cacheNote?.contains("not cached: its stdout (\(printed) bytes) is longer than nbrun keeps") == true,
                "\(run.results[0].cacheNote ?? "")")
        #expect(!run.results[0].cached)
    }

    /// The kept start and end of a long output file, and where events that happened in it land.
    @Test func aLongOutputFileKeepsItsStartAndEnd() throws {
        let folder = try EndToEnd.temporaryDirectory()
        let path = folder + "/cell.stdout"
        let text = (0..<100).map { "line \($0)" }.joined(separator: "\n") + "\n"  // 790 bytes
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let whole = ProgramRunner.read(path, limit: 1000)
        #expect(whole.bytes == Array(text.utf8) && whole.cut == nil)
        let captured = ProgramRunner.read(path, limit: 200)
        let kept = String(decoding: captured.bytes, as: UTF8.self)
        let cut = try #require(captured.cut)
        #expect(kept.hasPrefix("line 0\nline 1\n"))
        #expect(kept.hasSuffix("line 98\nline 99\n"))
        #expect(kept.contains("\n" + cut.note))
        #expect(cut.totalBytes == 790 && cut.keptHeadBytes + cut.keptTailBytes < 200)
        #expect(kept.utf8.count == cut.keptHeadBytes + cut.note.utf8.count + cut.keptTailBytes)
        // Offsets in the file: kept as they are at the start, moved after the note at the end,
        // and in the middle that was not kept, at the note's end.
        #expect(captured.position(ofFileOffset: 7) == 7)
        let end = captured.bytes.count
        #expect(captured.position(ofFileOffset: 790) == end)
        #expect(captured.position(ofFileOffset: 400) == end - cut.keptTailBytes)
    }

    /// Infinite recursion: the message says stack overflow and names the function, and the
    /// backtrace folds its thousands of identical frames.
    @Test func aStackOverflowIsNamed() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        func depth(_ n: Int) -> Int { n == 0 ? 0 : 1 + depth(n + 1) }
        print(depth(1))
        ```
        """)
        #expect(run.results.map(\.status) == [.failed])
        let error = try #require(run.results[0].error)
        #expect(error.message.contains("stack overflow"), "\(error.message)")
        #expect(error.message.contains("depth(_:)"), "\(error.message)")
        #expect(!error.message.contains("Bad pointer dereference"))
        #expect(error.line == 2)
        let details = try #require(error.details)
        #expect(details.split(separator: "\n").count < 100, "\(details.split(separator: "\n").count) lines")
        #expect(details.contains("identical frames"))
        #expect(html.utf8.count < 200_000)
    }

    /// Integer overflow traps without a message; the backtrace's first frame names it.
    @Test func anIntegerOverflowIsNamed() throws {
        let (run, _) = try EndToEnd.run("""
        ```swift
        let values = [Int.max, 1]
        print("adding")
        print(values[0] + values[1])
        ```
        """)
        #expect(run.results.map(\.status) == [.failed])
        let error = try #require(run.results[0].error)
        #expect(error.message.contains("arithmetic overflow"), "\(error.message)")
        #expect(!error.message.contains("Illegal instruction"))
        #expect(error.line == 4)
        #expect(run.results[0].stdout == "adding\n")
    }
}

/// The runner's verdict when the program stops outside any cell: the first cell that never began
/// fails with the reason (the notebook did not run to its end), instead of every cell being
/// "not run" and the notebook passing with exit 0.
@Suite struct ProgramStoppedOutsideCellsTests {
    static let notebook = try! NotebookParser.parse("```swift\nprint(1)\n```\n\n```swift\nprint(2)\n```\n", path: "two.md")

    /// A stand-in for a notebook program: a shell script.
    static func program(_ script: String) throws -> (binary: String, work: String) {
        let folder = try EndToEnd.temporaryDirectory()
        let binary = folder + "/program"
        try ("#!/bin/sh\n" + script).write(toFile: binary, atomically: true, encoding: .utf8)
        chmod(binary, 0o755)
        return (binary, folder + "/run")
    }

    /// It died before its first cell (a library that does not load, say).
    @Test func aProgramThatDiesBeforeItsFirstCellFailsIt() throws {
        let (binary, work) = try Self.program("echo 'error while loading shared libraries: libNotebookKernel.so' >&2\nexit 127\n")
        let outcome = try ProgramRunner.run(.init(binaryPath: binary, plan: try ExecutionPlan(notebook: Self.notebook), workDirectory: work))
        #expect(outcome.results.map(\.status) == [.failed, .notRun])
        let error = try #require(outcome.results[0].error)
        #expect(error.message.contains("before the cell began") && error.message.contains("status 127"), "\(error.message)")
        #expect(error.details?.contains("error while loading shared libraries") == true, "\(error.details ?? "")")
        let run = NotebookRun(document: ExecutedNotebook(notebook: Self.notebook, results: outcome.results))
        #expect(run.exitCode == 1)
    }

    /// The notebook's time limit ran out between two cells.
    @Test func aTimeLimitBetweenCellsFailsTheNextCell() throws {
        let (binary, work) = try Self.program("""
        printf '{"begin":{"cell":0}}\\n{"end":{"cell":0}}\\n' >&3
        sleep 20
        """)
        let outcome = try ProgramRunner.run(.init(binaryPath: binary, plan: try ExecutionPlan(notebook: Self.notebook), workDirectory: work,
                                                  timeout: 1))
        #expect(outcome.results.map(\.status) == [.passed, .failed])
        #expect(outcome.results[1].error?.kind == .timeout)
        #expect(outcome.results[1].error?.message.contains("between cells") == true, "\(outcome.results[1].error?.message ?? "")")
    }
}

/// One verdict for a run, read by the header, the exit status and the command line.
@Suite struct RunVerdictTests {
    @Test func countsAndExitStatus() {
        let results = [CellResult(cellIndex: 0, status: .passed), CellResult(cellIndex: 1, status: .expectedError),
                       CellResult(cellIndex: 2, status: .failed), CellResult(cellIndex: 3, status: .notRun),
                       CellResult(cellIndex: 4, status: .notEvaluated)]
        let verdict = RunVerdict(results)
        #expect(verdict.summary == "2 passed, 1 failed, 1 not run")
        #expect(verdict.exitStatus == ExitStatus.failure && !verdict.succeeded)
        #expect(RunVerdict(results, interrupted: true).exitStatus == ExitStatus.interrupted)
        #expect(RunVerdict(Array(results.prefix(2))).exitStatus == ExitStatus.success)
        let compile = CellResult(cellIndex: 0, status: .failed, error: CellError(kind: .compile, message: "x"))
        #expect(RunVerdict([compile]).exitStatus == ExitStatus.usage)
        #expect(RunVerdict([compile]).summary.hasPrefix("did not compile"))
    }
}
