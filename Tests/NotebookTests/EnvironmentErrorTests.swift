import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Notebook

/// Failures of the machine rather than of the notebook (a full disk, a path the file system
/// refuses, a report path that is a folder) are said as such, with their own exit status, and
/// never replace a good report with a false one.
@Suite(.serialized) struct EnvironmentErrorTests {
    func nbrun(_ arguments: [String], in directory: String) throws -> EndToEnd.CommandResult {
        try EndToEnd.nbrun(arguments, in: directory)
    }

    /// swiftc could not write its output ("No space left on device"): that was shown as a
    /// compile error at cell 1, on a "did not compile" page written over the last good report.
    @Test func aFullDiskWhileCompilingKeepsTheReportAndSaysWhy() throws {
        let disk = try SmallDisk(bytes: 48 << 20)
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notebook = folder + "/nb.md"
        try "# Full\n\n```swift\nlet a = 1\nprint(a)\n```\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let first = try nbrun([notebook, "-o", disk.path + "/out"], in: folder)
        try #require(first.status == 0, "\(first.stderr)")
        let report = disk.path + "/out/nb.html"
        let good = try Data(contentsOf: URL(fileURLWithPath: report))

        try disk.fill(leaving: 16 << 10)
        try "# Full\n\n```swift\nlet a = 2\nprint(a)\n```\n".write(toFile: notebook, atomically: true, encoding: .utf8)
        let full = try nbrun([notebook, "-o", disk.path + "/out"], in: folder)
        #expect(full.status == ExitStatus.environment, "\(full.stderr)")
        #expect(full.stderr.contains("cannot build \(notebook)"), "\(full.stderr)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        #expect(!full.stderr.contains("nb.md:4"), "not an error in the notebook: \(full.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: report)) == good, "the last good report is kept")

        disk.empty()
        let again = try nbrun([notebook, "-o", disk.path + "/out"], in: folder)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: report, encoding: .utf8).contains("<pre class=\"stdout\">2\n</pre>"))
    }

    /// swiftc failing without an error at a line of the notebook (a broken compiler, here one that
    /// only answers `--version`) is the machine's failure: it was shown as the notebook's.
    @Test func aCompilerFailingOffTheNotebookIsAnEnvironmentError() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "```swift\nprint(\"ran\")\n```\n".write(toFile: folder + "/nb.md", atomically: true, encoding: .utf8)
        let good = try nbrun(["nb.md"], in: folder)
        try #require(good.status == 0, "\(good.stderr)")
        let report = try Data(contentsOf: URL(fileURLWithPath: folder + "/output/nb.html"))
        let broken = folder + "/broken-swiftc"
        try """
        #!/bin/sh
        case "$1" in --version) exec swiftc --version ;; esac
        echo "error: unable to load the standard library" >&2
        exit 1
        """.write(toFile: broken, atomically: true, encoding: .utf8)
        chmod(broken, 0o755)
        let result = try EndToEnd.nbrun(["nb.md", "--no-cache"], in: folder, environment: ["SWIFTC": broken])
        #expect(result.status == ExitStatus.environment, "\(result.stderr)")
        #expect(result.stderr.contains("cannot build nb.md: swiftc failed without an error in the notebook"), "\(result.stderr)")
        #expect(result.stderr.contains("unable to load the standard library"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/output/nb.html")) == report, "the last report is kept")

        let missing = try EndToEnd.nbrun(["nb.md"], in: folder, environment: ["SWIFTC": folder + "/no-such-swiftc"])
        #expect(missing.status == ExitStatus.environment, "\(missing.stderr)")
        #expect(missing.stderr.contains("cannot start \(folder)/no-such-swiftc: No such file or directory"), "\(missing.stderr)")
    }

    /// A report path that is a folder: a raw `NSCocoaErrorDomain Code=640`-style dump, exit 2
    /// (bad notebook) and no summary line, though every cell ran.
    @Test func aReportThatCannotBeWrittenIsAnEnvironmentErrorAfterTheSummary() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "```swift\nprint(\"ran\")\n```\n".write(toFile: folder + "/nb.md", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: folder + "/output/nb.html", withIntermediateDirectories: true)
        let result = try nbrun(["nb.md"], in: folder)
        #expect(result.status == ExitStatus.environment, "\(result.stderr)")
        #expect(result.stderr.contains("1 passed, 0 failed"), "the run's summary: \(result.stderr)")
        #expect(result.stderr.contains("cannot write the report output/nb.html"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)

        // In `nbrun test`: a JUnit error (the machine's), not a failed compile.
        let junit = folder + "/junit.xml"
        let test = try nbrun(["test", "nb.md", "--junit", junit], in: folder)
        #expect(test.status != 0)
        #expect(test.stdout.contains("FAIL nb.md") && test.stdout.contains("cannot write the report"), "\(test.stdout)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<error "), "\(xml)")
        #expect(!xml.contains("type=\"compile\""), "\(xml)")
        #expect(XMLParser(data: Data(xml.utf8)).parse())
    }

    /// Build names were cut at 80 characters, not bytes: 40 Japanese characters of folder and 40
    /// of file name made a file name too long for the file system, shown as a compile error.
    @Test func aLongNonASCIIPathBuilds() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let name = String(repeating: "日本語のノートブック", count: 4)
        try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
        let notebook = "\(name)/\(name).md"
        try "```swift\nprint(\"long\")\n```\n".write(toFile: folder + "/" + notebook, atomically: true, encoding: .utf8)
        let result = try nbrun([notebook], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/output/\(name).html"))
        #expect(NotebookBuilder.safeName(notebook).utf8.count <= NotebookBuilder.maxNameBytes)
    }

    /// A NUL byte in a cell's output went into the page as it was: an HTML parse error, and
    /// nothing visible where it was.
    @Test func nulBytesInOutputAreShownVisibly() throws {
        let (run, html) = try EndToEnd.run("```swift\nprint(\"a\\u{0}b\")\n```\n")
        #expect(run.exitCode == 0)
        #expect(!html.utf8.contains(0))
        #expect(html.contains("<pre class=\"stdout\">a\u{2400}b\n</pre>"), "\(html)")
    }
}
