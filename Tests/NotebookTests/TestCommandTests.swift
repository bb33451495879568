import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Notebook

/// A folder of notebooks that pass, fail a check, crash, time out and do not compile,
/// plus a Markdown file without cells (not a test) and one in a subfolder.
private func fixtureFolder() throws -> String {
    let folder = try EndToEnd.temporaryDirectory()
    let files: [String: String] = [
        "pass.md": """
        ---
        params:
          n: 3
        ---
        ```swift
        let squares = (1...n).map { $0 * $0 }
        check(squares.last == n * n, "squares end with n²")
        ```
        """,
        "nested/also-pass.md": "```swift\nprint(\"hello\")\n```\n",
        "check.md": "# Check\n\n```swift\nlet x = 3\ncheck(x == 4, \"x should be four\")\n```\n\n```swift\nprint(\"after\")\n```\n",
        "crash.md": "```swift\nlet values = [1, 2, 3]\nprint(values[7])\n```\n",
        "timeout.md": "```swift\n//| timeout: 1\nimport Foundation\nThread.sleep(forTimeInterval: 30)\n```\n",
        "compile.md": "Text.\n\n```swift\nlet y: Int = \"not a number\"\n```\n",
        "README.md": "# Just prose\n\nNo cells here.\n\n```python\nprint(1)\n```\n",
    ]
    try EndToEnd.write(files, under: folder)
    return folder
}

private typealias CommandResult = EndToEnd.CommandResult

private func nbrun(_ arguments: [String]) throws -> CommandResult {
    try EndToEnd.nbrun(arguments)
}

/// The parts of a JUnit file the tests look at.
private final class JUnitParser: NSObject, XMLParserDelegate {
    struct Suite { var name: String; var tests: Int; var failures: Int; var cases: [(name: String, failure: String?)] = [] }
    var suites: [Suite] = []
    private var inFailure = false
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch element {
        case "testsuite":
            suites.append(Suite(name: attributes["name"] ?? "", tests: Int(attributes["tests"] ?? "") ?? -1,
                                failures: Int(attributes["failures"] ?? "") ?? -1))
        case "testcase": suites[suites.count - 1].cases.append((attributes["name"] ?? "", nil))
        case "failure": inFailure = true; text = ""
        default: break
        }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if inFailure { text += string } }
    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if element == "failure" {
            inFailure = false
            let suite = suites.count - 1
            suites[suite].cases[suites[suite].cases.count - 1].failure = text
        }
    }

    static func parse(_ path: String) throws -> [Suite] {
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let delegate = JUnitParser()
        parser.delegate = delegate
        #expect(parser.parse(), "the JUnit file is well-formed XML")
        return delegate.suites
    }
}

@Suite(.serialized) struct TestCommandTests {
    @Test func discoveryFindsNotebooksRecursivelyAndSkipsProse() throws {
        let folder = try fixtureFolder()
        let found = try NotebookTestRunner.discover([folder]).map { String($0.dropFirst(folder.count + 1)) }
        #expect(found == ["check.md", "compile.md", "crash.md", "nested/also-pass.md", "pass.md", "timeout.md"])
        #expect(throws: NotebookError.self) { try NotebookTestRunner.discover([folder + "/missing"]) }
    }

    @Test func sharedNamesGetTheirOwnReportFolders() {
        let folders = NotebookTestRunner.outputDirectories(for: ["a/x.md", "b/x.md", "c/y.md"], root: "out")
        #expect(folders == ["out/a", "out/b", "out"])
    }

    /// A notebook that an interrupted `nbrun test` never started is a skipped case, not a
    /// failed "compile" one.
    @Test func notebooksNeverStartedAreSkippedInJUnit() {
        let xml = JUnitReport.xml([NotebookSummary(path: "b.md", exitCode: 130, seconds: 0, cells: [],
                                                   error: "b.md: not run (interrupted)")])
        #expect(xml.contains(#"<testsuites name="nbrun" tests="1" failures="0""#))
        #expect(xml.contains(#"failures="0" skipped="1""#))
        #expect(xml.contains(#"<testcase classname="b.md" name="run" time="0">"#))
        #expect(xml.contains(#"<skipped message="b.md: not run (interrupted)"/>"#))
        #expect(!xml.contains("<failure"))
    }

    @Test func junitEscapesWhatXMLCannotHold() {
        #expect(JUnitReport.escape("a<b & \"c\"\u{01}") == "a&lt;b &amp; &quot;c&quot;")
    }

    @Test func foldersOfNotebooksGiveCountsExitStatusAndJUnit() throws {
        let folder = try fixtureFolder()
        let junit = folder + "/junit.xml"
        let result = try nbrun(["test", folder, "-j", "2", "--junit", junit, "-o", folder + "/output", "-p", "n=5"])
        #expect(result.status == 1, "exit 1 when a notebook failed; stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "2 passed, 4 failed")
        #expect(lines.filter { $0.hasPrefix("PASS ") }.count == 2)
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/check.md") && $0.contains("check.md:5") && $0.contains("x should be four") })
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/crash.md") && $0.contains("Index out of range") })
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/timeout.md") && $0.contains("time limit") })
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/compile.md") && $0.contains("compile.md:4") })

        let suites = try JUnitParser.parse(junit)
        #expect(suites.count == 6)
        let byName = Dictionary(uniqueKeysWithValues: suites.map { (String($0.name.dropFirst(folder.count + 1)), $0) })
        #expect(byName["pass.md"]?.failures == 0)
        #expect(byName["check.md"]?.tests == 2)
        #expect(byName["check.md"]?.failures == 1)
        #expect(byName["check.md"]?.cases.first?.failure?.contains("check.md:5: x should be four") == true)
        #expect(byName["compile.md"]?.cases.map(\.name) == ["compile"])
        #expect(byName["compile.md"]?.cases.first?.failure?.contains("cannot convert") == true)
        #expect(byName["timeout.md"]?.failures == 1)
        // Reports for every notebook, failing ones included (not for one that did not compile).
        for name in ["pass", "also-pass", "check", "crash", "timeout"] {
            #expect(FileManager.default.fileExists(atPath: "\(folder)/output/\(name).html"), "report for \(name)")
        }
    }

    @Test func allPassingIsExitZeroAndUnknownParameterIsBadUsage() throws {
        let folder = try EndToEnd.temporaryDirectory()
        try "```swift\ncheck(1 + 1 == 2)\n```\n".write(toFile: folder + "/fine.md", atomically: true, encoding: .utf8)
        let passing = try nbrun(["test", folder, "-o", folder + "/output"])
        #expect(passing.status == 0)
        #expect(passing.stdout.split(separator: "\n").last == "1 passed, 0 failed")
        #expect(passing.stdout.split(separator: "\n").dropLast().last?.hasPrefix("runs: ") == true, "\(passing.stdout)")
        #expect(passing.stdout.contains(" s in all"))
        let twice = try nbrun(["test", "--rerun", folder, "-o", folder + "/output"])
        #expect(twice.stdout.contains("first runs: ") && twice.stdout.contains(" s in all (cached cells run), then "), "\(twice.stdout)")
        let unknown = try nbrun(["test", folder, "-p", "nope=1", "-o", folder + "/output"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("nope"))
        let missing = try nbrun(["test", folder + "/absent"])
        #expect(missing.status == 2)
    }

    @Test func twoConcurrentRunsOfOneFolderAgree() throws {
        let folder = try fixtureFolder()
        var results: [CommandResult?] = [nil, nil]
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = try? nbrun(["test", folder, "-j", "2", "-o", folder + "/output"])
            lock.lock(); results[index] = result; lock.unlock()
        }
        let first = try #require(results[0]), second = try #require(results[1])
        #expect(first.status == 1 && second.status == 1)
        func outcomes(_ result: CommandResult) -> [String] {
            // "PASS path (1.2 s)..." -> "PASS path", and no total time: times differ between runs.
            result.stdout.split(separator: "\n").filter { !$0.hasPrefix("runs: ") }.map { line in
                line.split(separator: " ").prefix(2).joined(separator: " ")
            }.sorted()
        }
        #expect(outcomes(first) == outcomes(second))
        #expect(first.stdout.split(separator: "\n").last == "2 passed, 4 failed")
    }
}

extension TestCommandTests {
    /// Each child `nbrun` runs in its own process group, so the terminal's Ctrl-C reaches only
    /// `nbrun test`: it must pass it on and wait, not die and leave the notebooks running.
    @Test(arguments: [SIGINT, SIGTERM])
    func ctrlCStopsTheChildrenWritesTheirReportsAndExits130(signal: Int32) throws {
        let folder = try EndToEnd.temporaryDirectory()
        let sleeper = "```swift\nprint(\"first\")\n```\n\n```swift\nimport Foundation\nprint(\"sleeping\")\nThread.sleep(forTimeInterval: 60)\n```\n"
        try sleeper.write(toFile: folder + "/a.md", atomically: true, encoding: .utf8)
        try sleeper.write(toFile: folder + "/b.md", atomically: true, encoding: .utf8)
        let log = folder + "/stdout.txt"
        let process = try EndToEnd.startNBRun(["test", ".", "-o", "output", "--junit", "junit.xml"], in: folder, log: log,
                                              logsStandardError: false)
        // Until the first notebook's program sleeps in its second cell.
        let deadline = Date().addingTimeInterval(120)
        var sleeping = false
        while Date() < deadline, !sleeping {
            usleep(100_000)
            let runs = (try? FileManager.default.subpathsOfDirectory(atPath: folder + "/output/.cache/run")) ?? []
            sleeping = runs.contains { $0.hasSuffix("cell-1.stdout")
                && ((try? String(contentsOfFile: folder + "/output/.cache/run/" + $0, encoding: .utf8))?.contains("sleeping") ?? false) }
        }
        #expect(sleeping)
        let started = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130)
        let stdout = try String(contentsOfFile: log, encoding: .utf8)
        #expect(stdout.contains("FAIL ./a.md"))
        #expect(stdout.contains("./b.md: not run (interrupted)"))
        #expect(stdout.hasSuffix("0 passed, 2 failed, interrupted\n"))
        let html = try String(contentsOfFile: folder + "/output/a.html", encoding: .utf8)
        #expect(html.contains("Interrupted"))
        #expect(html.contains(signal == SIGTERM ? "interrupted (SIGTERM)" : "interrupted (Ctrl-C)"))
        #expect(FileManager.default.fileExists(atPath: folder + "/junit.xml"))
    }
}

extension TestCommandTests {
    /// `eval: false` cells did not run: JUnit says skipped, as it does for cells after a failure.
    @Test func unevaluatedAndNotRunCellsAreSkippedInJUnit() {
        let summary = NotebookSummary(path: "a.md", exitCode: 1, seconds: 1, cells: [
            .init(name: "cell 1", number: 1, line: 2, status: "passed", seconds: 0.1, cached: false),
            .init(name: "cell 2", number: 2, line: 6, status: "notEvaluated", seconds: 0, cached: false),
            .init(name: "cell 3", number: 3, line: 10, status: "failed", seconds: 0.1, cached: false, message: "boom", errorLine: 11),
            .init(name: "cell 4", number: 4, line: 14, status: "notRun", seconds: 0, cached: false),
            .init(name: "cell 5", number: 5, line: 18, status: "expectedError", seconds: 0.1, cached: false),
        ])
        let xml = JUnitReport.xml([summary])
        #expect(xml.contains(#"<testsuite name="a.md" tests="5" failures="1" skipped="2""#), "\(xml)")
        #expect(xml.contains(#"<testcase classname="a.md" name="cell 1 (line 2)" time="0.100"/>"#))
        #expect(xml.contains(#"<testcase classname="a.md" name="cell 2 (line 6)" time="0.000">"# + "\n" + #"      <skipped message="eval: false"/>"#))
        #expect(xml.contains(#"<testcase classname="a.md" name="cell 4 (line 14)" time="0.000">"# + "\n" + #"      <skipped message="not run: an earlier cell failed"/>"#))
        #expect(xml.contains(#"<testcase classname="a.md" name="cell 5 (line 18)" time="0.100"/>"#))
    }

    /// A notebook that failed without a failed cell (interrupted between cells, a status nbrun
    /// does not know) has a failed test case saying so, as its suite's failure count says.
    @Test func aFailedRunWithoutAFailedCellHasAFailingCase() {
        let interrupted = NotebookSummary(path: "b.md", exitCode: 130, seconds: 1, cells: [
            .init(name: "cell 1", number: 1, line: 2, status: "passed", seconds: 0.1, cached: false),
            .init(name: "cell 2", number: 2, line: 6, status: "notRun", seconds: 0, cached: false),
        ])
        let unknown = NotebookSummary(path: "c.md", exitCode: 0, seconds: 1, cells: [
            .init(name: "cell 1", number: 1, line: 2, status: "exploded", seconds: 0.1, cached: false),
        ])
        let xml = JUnitReport.xml([interrupted, unknown])
        #expect(xml.contains(#"<testsuite name="b.md" tests="3" failures="1" skipped="1""#), "\(xml)")
        #expect(xml.contains(#"<testcase classname="b.md" name="run" time="0">"# + "\n" + #"      <failure message="b.md: interrupted" type="run">"#))
        #expect(xml.contains(#"<testsuite name="c.md" tests="1" failures="1" skipped="0""#))
        #expect(xml.contains(#"<failure message="unknown cell status &apos;exploded&apos;" type="cell">"#))
    }

    /// The JUnit file is checked before any notebook runs: a run of an hour must not end in
    /// "cannot write" with nothing saved.
    @Test func aJUnitPathThatCannotBeWrittenStopsBeforeAnythingRuns() throws {
        let folder = try EndToEnd.temporaryDirectory()
        try "```swift\nprint(\"ran\")\n```\n".write(toFile: folder + "/a.md", atomically: true, encoding: .utf8)
        for junit in [folder + "/missing/folder/junit.xml", folder] {
            let result = try nbrun(["test", folder + "/a.md", "--junit", junit, "-o", folder + "/output"])
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("cannot write the JUnit report to '\(junit)'"), "\(result.stderr)")
            #expect(!result.stdout.contains("PASS"), "\(result.stdout)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/output/a.html"))
        }
    }
}

extension TestCommandTests {
    /// Every file a folder's search finds that could be a notebook is a test: one that cannot be
    /// read or parsed is a failed test with its error, never left out (that made a green CI run
    /// for a broken notebook, and "no notebooks found" for a folder of broken ones).
    @Test func notebooksThatCannotBeReadOrParsedAreFailedTests() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "```swift\nprint(\"fine\")\n```\n".write(toFile: folder + "/fine.md", atomically: true, encoding: .utf8)
        try "```swift\n//| timeout: abc\nprint(1)\n```\n".write(toFile: folder + "/option.md", atomically: true, encoding: .utf8)
        try "---\ntitle: [unclosed\n---\n\n```swift\nprint(1)\n```\n".write(toFile: folder + "/yaml.md", atomically: true, encoding: .utf8)
        try Data("```swift\nprint(\"caf\u{E9}\")\n```\n".utf8.map { $0 == 0xC3 ? 0xFF : $0 })
            .write(to: URL(fileURLWithPath: folder + "/bytes.md"))
        try FileManager.default.createSymbolicLink(atPath: folder + "/gone.md", withDestinationPath: folder + "/nowhere.md")
        try "# Prose only\n\nNo cells.\n".write(toFile: folder + "/README.md", atomically: true, encoding: .utf8)

        let found = try NotebookTestRunner.discover([folder]).map { String($0.dropFirst(folder.count + 1)) }
        #expect(found == ["bytes.md", "fine.md", "gone.md", "option.md", "yaml.md"])

        let junit = folder + "/junit.xml"
        let result = try nbrun(["test", folder, "--junit", junit, "-o", folder + "/output"])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "1 passed, 4 failed")
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/option.md") && $0.contains("timeout") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/yaml.md") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/bytes.md") && $0.contains("UTF-8") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("FAIL \(folder)/gone.md") }, "\(lines)")
        let suites = try JUnitParser.parse(junit)
        #expect(suites.count == 5)
        #expect(suites.filter { $0.failures == 1 }.count == 4)
        #expect(suites.flatMap(\.cases).filter { $0.failure != nil }.allSatisfy { !$0.name.contains("compile") })

        // A folder holding only a broken notebook is a failed run, not "no notebooks found".
        let broken = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: broken) }
        try "```swift\n//| timeout: abc\nprint(1)\n```\n".write(toFile: broken + "/option.md", atomically: true, encoding: .utf8)
        let alone = try nbrun(["test", broken, "-o", broken + "/output"])
        #expect(alone.status == 1, "\(alone.stderr)")
        #expect(alone.stdout.split(separator: "\n").last == "0 passed, 1 failed")
    }

    /// `--junit` may name a file in the report folder nbrun is about to create.
    @Test func theJUnitFileMayGoInTheReportFolderNbrunCreates() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "```swift\nprint(\"ran\")\n```\n".write(toFile: folder + "/a.md", atomically: true, encoding: .utf8)
        let result = try nbrun(["test", folder + "/a.md", "-o", folder + "/reports", "--junit", folder + "/reports/junit.xml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/reports/junit.xml"))
    }
}
