import Foundation
import Testing
@testable import Notebook

/// The `nbrun` executable: messages, paths as the user typed them, exit statuses.
@Suite(.serialized) struct CommandLineTests {
    func nbrun(_ arguments: [String], in directory: String) throws -> EndToEnd.CommandResult {
        try EndToEnd.nbrun(arguments, in: directory)
    }

    @Test func aTypeErrorPrintsTheMarkdownPathAsGivenAndExits2() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/notebooks", withIntermediateDirectories: true)
        try "# T\n\n```swift\nlet a = 1\n```\n\n```swift\nlet b: Int = \"s\"\n```\n"
            .write(toFile: directory + "/notebooks/typo.md", atomically: true, encoding: .utf8)
        let result = try nbrun(["notebooks/typo.md"], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains("notebooks/typo.md:8:14: error: cannot convert value of type 'String' to specified type 'Int'"))
    }

    @Test func missingOrNonNotebookFilesAreOneLineErrors() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let missing = try nbrun(["notebooks/nothere.md"], in: directory)
        #expect(missing.status == 2)
        #expect(missing.stderr == "notebooks/nothere.md: error: no such file\n")
        try "just text\n".write(toFile: directory + "/plain.md", atomically: true, encoding: .utf8)
        let plain = try nbrun(["plain.md"], in: directory)
        #expect(plain.status == 2)
        #expect(plain.stderr.hasPrefix("plain.md: error: not a notebook: no ```swift cells found"))
        try "x".write(toFile: directory + "/data.csv", atomically: true, encoding: .utf8)
        let csv = try nbrun(["data.csv"], in: directory)
        #expect(csv.status == 2)
        let usage = try nbrun(["x.md", "-p", "novalue"], in: directory)
        #expect(usage.status == 2)
    }

    @Test func aGoodRunPrintsProgressAndTheReportPath() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try "```swift\n//| label: hello\nprint(\"hi\")\n```\n\n```swift\nlet x = 2\n```\n"
            .write(toFile: directory + "/ok.md", atomically: true, encoding: .utf8)
        let result = try nbrun(["ok.md", "-o", "reports"], in: directory)
        #expect(result.status == 0)
        #expect(result.stdout == "reports/ok.html\n")
        #expect(result.stderr.contains("[1/2] hello"))
        #expect(result.stderr.contains("[2/2] cell 2"))
        #expect(FileManager.default.fileExists(atPath: directory + "/reports/ok.html"))

        try "```swift\nlet xs = [1]\nprint(xs[3])\n```\n".write(toFile: directory + "/bad.md", atomically: true, encoding: .utf8)
        let failed = try nbrun(["bad.md"], in: directory)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("bad.md:3: error: cell 1 failed"))
        #expect(FileManager.default.fileExists(atPath: directory + "/output/bad.html"))
    }
}

extension CommandLineTests {
    /// A cell that changes the working directory: the next cells' output still goes to them
    /// (the output folder was given relative to where nbrun started).
    @Test func aCellChangingTheWorkingDirectoryKeepsLaterOutputsInTheirCells() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try """
        ```swift
        import Foundation
        print("first")
        _ = FileManager.default.changeCurrentDirectoryPath("/")
        ```

        ```swift
        print("second")
        ```
        """.write(toFile: directory + "/cd.md", atomically: true, encoding: .utf8)
        let result = try nbrun(["cd.md", "-o", "reports"], in: directory)
        #expect(result.status == 0)
        let html = try String(contentsOfFile: directory + "/reports/cd.html", encoding: .utf8)
        #expect(html.contains("<pre class=\"stdout\">first\n</pre>"))
        #expect(html.contains("<pre class=\"stdout\">second\n</pre>"))
    }

    /// An output folder that cannot be written is named, with what to do, not a Foundation error dump.
    @Test func anOutputFolderThatCannotBeWrittenIsAOneLineError() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try "```swift\nprint(1)\n```\n".write(toFile: directory + "/ok.md", atomically: true, encoding: .utf8)
        try "a file".write(toFile: directory + "/taken", atomically: true, encoding: .utf8)
        let result = try nbrun(["ok.md", "-o", "taken"], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr == "error: cannot write the report to the folder 'taken': Not a directory\nhint: choose a folder you can write with -o DIR\n")
        // An empty -o is not the root folder ('' + "/.cache").
        let empty = try nbrun(["ok.md", "-o", ""], in: directory)
        #expect(empty.status == 2)
        #expect(empty.stderr.hasPrefix("error: the report folder is empty"))
    }
}

extension CommandLineTests {
    @Test func ctrlCStopsTheRunAndStillWritesTheReport() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try """
        ```swift
        print("first")
        ```

        ```swift
        //| label: sleeper
        import Foundation
        print("sleeping")
        Thread.sleep(forTimeInterval: 60)
        ```

        ```swift
        print("third")
        ```
        """.write(toFile: directory + "/slow.md", atomically: true, encoding: .utf8)
        let errorLog = directory + "/stderr.txt"
        let process = try EndToEnd.startNBRun(["slow.md"], in: directory, log: errorLog, logsStandardError: true)
        // Until the sleeper has printed (its output file in the run folder says so).
        let sleeping = Faults.wait(upTo: 120) {
            let runs = (try? FileManager.default.subpathsOfDirectory(atPath: directory + "/output/.cache/run")) ?? []
            return !process.isRunning || runs.contains { $0.hasSuffix("cell-1.stdout")
                && ((try? String(contentsOfFile: directory + "/output/.cache/run/" + $0, encoding: .utf8))?.contains("sleeping") ?? false) }
        }
        try #require(sleeping && process.isRunning, "the second cell did not start")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = try String(contentsOfFile: errorLog, encoding: .utf8)
        #expect(process.terminationStatus == 130)
        #expect(stderr.contains("sleeper FAILED: interrupted"))
        let html = try String(contentsOfFile: directory + "/output/slow.html", encoding: .utf8)
        #expect(html.contains("Interrupted"))
        #expect(html.contains("sleeping"))
    }
}
