import Foundation
import Testing
@testable import Notebook

/// Big notebooks: parsing and rendering take time in proportion to the text, and Ctrl-C stops
/// them at once.
@Suite(.serialized) struct LargeNotebookTests {
    /// `paragraphs` paragraphs of prose with two math spans each, emphasis, code, links and an
    /// unmatched dollar, a heading every 50 paragraphs (many with the same name), one cell.
    static func notebook(paragraphs: Int) -> String {
        var text = "---\ntitle: Big\n---\n\n# Big notebook\n\n```swift\nlet answer = 42\n```\n\n"
        text.reserveCapacity(paragraphs * 160)
        for index in 0..<paragraphs {
            if index % 50 == 0 { text += "## Section \(index % 200 == 0 ? "A" : "B")\n\n" }
            text += "Term \(index): $x_{\(index)} * y_{\(index)} + \\alpha$ with *emphasis*, `code $5`, a [link](https://example.com/\(index)) and $$\\sum_i w_i x_i$$ costs $5 or more.\n\n"
        }
        return text
    }

    /// 4000 math spans (about 255 KB) took 44 s, growing with the square of the count.
    @Test func thousandsOfMathSpansParseAndRenderInProportionToTheText() throws {
        let text = Self.notebook(paragraphs: 2000)
        let start = Date()
        let notebook = try NotebookParser.parse(text, path: "big.md")
        let html = HTMLReport(notebook: notebook, results: [], info: .init(), name: "big").render().html
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 2, "\(seconds) s for \(text.utf8.count) bytes")
        #expect(html.components(separatedBy: "<span class=\"math inline\">").count - 1 == 2000)
        #expect(html.components(separatedBy: "<span class=\"math display\">").count - 1 == 2000)
        #expect(html.contains("<h2 id=\"section-b-9\">Section B</h2>"))
        #expect(html.contains("costs $5 or more."))
    }

    /// Parse and render call their checkpoint (which stops them on Ctrl-C) often: never more
    /// than a small part of the half second Ctrl-C may take apart, for a 3 MB notebook.
    @Test func parseAndRenderCheckForCtrlCOften() throws {
        let text = Self.notebook(paragraphs: 20_000)
        var last = Date()
        var longest = 0.0
        var calls = 0
        let checkpoint: () throws -> Void = {
            let now = Date()
            longest = max(longest, now.timeIntervalSince(last))
            last = now
            calls += 1
        }
        let notebook = try NotebookParser.parse(text, path: "big.md", checkpoint: checkpoint)
        let rendered = try HTMLReport(notebook: notebook, results: [], info: .init(), name: "big").render(checkpoint: checkpoint)
        longest = max(longest, Date().timeIntervalSince(last))
        #expect(longest < 0.25, "\(longest) s without a check (\(calls) checks)")
        #expect(rendered.html.contains("Term 19999"))

        // What the checkpoint throws stops the stage.
        struct Stop: Error {}
        var count = 0
        #expect(throws: Stop.self) { try NotebookParser.parse(text, path: "big.md") { count += 1; if count == 3 { throw Stop() } } }
        count = 0
        #expect(throws: Stop.self) {
            try HTMLReport(notebook: notebook, results: [], info: .init(), name: "big").render { count += 1; if count == 3 { throw Stop() } }
        }
    }

    /// cmark parses and renders in C, where Ctrl-C cannot be checked: it runs on a thread of its
    /// own while the parse goes on checking, and a stop does not wait for it.
    @Test func workInCIsNotWaitedForWhenTheRunStops() throws {
        struct Stop: Error {}
        let start = Date()
        #expect(throws: Stop.self) {
            try NotebookParser.whileChecking({ if Date().timeIntervalSince(start) > 0.05 { throw Stop() } }) { () -> Int in
                Thread.sleep(forTimeInterval: 2)
                return 1
            }
        }
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(try NotebookParser.whileChecking({}) { 42 } == 42)
    }

    /// Ctrl-C (or SIGTERM) while a very large notebook is being parsed stops nbrun within half a
    /// second with status 130; it used to be ignored until the parse ended. The signal comes at
    /// different moments of the parse.
    @Test(arguments: [(SIGINT, 0.2), (SIGTERM, 0.2), (SIGINT, 1.0), (SIGINT, 2.0)])
    func aSignalDuringTheParseIsHonouredAtOnce(signal: Int32, after delay: Double) throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = Self.notebook(paragraphs: 200_000)  // about 30 MB
        try text.write(toFile: folder + "/huge.md", atomically: true, encoding: .utf8)
        let run = try TracedRun(notebook: "huge.md", in: folder)
        defer { run.killIfRunning() }
        let process = run.process
        // nbrun takes SIGINT once its run has started (the parse is the first thing it does).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, !Self.catches(SIGINT, pid: process.processIdentifier) { usleep(5_000) }
        #expect(Self.catches(SIGINT, pid: process.processIdentifier))
        usleep(UInt32(delay * 1_000_000))
        // With NBRUN_TRACE=1, nbrun prints "trace: parse ..." when the parse is over.
        #expect(process.isRunning && !run.stderr.contains("trace: parse"), "the parse ended before the signal: make the notebook larger")
        run.expectStopsAtOnce(on: signal)
        #expect(run.stderr.contains("interrupted"), "\(run.stderr)")
    }

    /// swift-syntax's parse of a cell cannot be asked to stop, and on unclosed brackets after a
    /// type annotation it takes time exponential in their number (24 took 150 s, ignoring
    /// Ctrl-C; found by the diagnostics fuzz target). A signal while the plan is made now ends
    /// nbrun at once with status 130.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalWhileSwiftSyntaxParsesACellIsHonouredAtOnce(signal: Int32) throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = "# Brackets\n\n```swift\nlet x: Int = " + String(repeating: "[", count: 24) + "\n```\n"
        try text.write(toFile: folder + "/brackets.md", atomically: true, encoding: .utf8)
        let run = try TracedRun(notebook: "brackets.md", in: folder)
        defer { run.killIfRunning() }
        // "trace: toolchain" is printed just before the plan stage starts.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, run.process.isRunning, !run.stderr.contains("trace: toolchain") { usleep(5_000) }
        usleep(500_000)
        #expect(run.process.isRunning && !run.stderr.contains("trace: plan"), "the plan was made before the signal: \(run.stderr)")
        run.expectStopsAtOnce(on: signal)
        #expect(run.stderr.contains("nbrun: interrupted before any cell ran"), "\(run.stderr)")
    }

    /// nbrun run on a notebook in `folder` with NBRUN_TRACE=1 (a line on stderr as each stage
    /// ends), its stderr kept in a file.
    struct TracedRun {
        let process = Process()
        let log: String

        init(notebook: String, in folder: String) throws {
            log = folder + "/stderr.txt"
            _ = try EndToEnd.kernel()
            process.executableURL = URL(fileURLWithPath: try #require(EndToEnd.nbrunExecutable()))
            process.arguments = [notebook, "-o", "output"]
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            process.environment = ProcessInfo.processInfo.environment.merging(["NBRUN_TRACE": "1"]) { $1 }
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        var stderr: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        func killIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        /// Sends `signal` and expects nbrun to end within half a second with status 130.
        func expectStopsAtOnce(on signal: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
            let sent = Date()
            kill(process.processIdentifier, signal)
            while process.isRunning, Date().timeIntervalSince(sent) < 10 { usleep(5_000) }
            let seconds = Date().timeIntervalSince(sent)
            #expect(!process.isRunning, "still running 10 s after the signal", sourceLocation: sourceLocation)
            #expect(seconds < 0.5, "stopped \(seconds) s after the signal", sourceLocation: sourceLocation)
            killIfRunning()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, sourceLocation: sourceLocation)
            #expect(process.terminationStatus == 130, sourceLocation: sourceLocation)
        }
    }

    /// Whether `pid` catches `signal` (its SigCgt mask in /proc).
    static func catches(_ signal: Int32, pid: pid_t) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }
}
