import Foundation
import Testing
@testable import Notebook

/// Big notebooks: what parsing and rendering make of them, and Ctrl-C stopping them (their
/// times are `benchmarks large`'s figures).
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

    /// 4000 math spans (about 255 KB) took 44 s, growing with the square of the count. How long
    /// parse and render take is a benchmark's figure (`benchmarks large`); here, what they make.
    @Test func thousandsOfMathSpansParseAndRender() throws {
        let text = Self.notebook(paragraphs: 2000)
        let notebook = try NotebookParser.parse(text, path: "big.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: []), name: "big").render().html
        #expect(html.components(separatedBy: "<span class=\"math inline\">").count - 1 == 2000)
        #expect(html.components(separatedBy: "<span class=\"math display\">").count - 1 == 2000)
        #expect(html.contains("<h2 id=\"section-b-9\">Section B</h2>"))
        #expect(html.contains("costs $5 or more."))
    }

    /// Parse and render call their checkpoint (which stops them on Ctrl-C) along the way, and
    /// what it throws stops them. (How soon a signal stops nbrun is `benchmarks large`'s figure.)
    @Test func parseAndRenderStopWhenTheirCheckpointThrows() throws {
        let text = Self.notebook(paragraphs: 20_000)  // 3 MB
        var parseChecks = 0, renderChecks = 0
        let notebook = try NotebookParser.parse(text, path: "big.md", checkpoint: { parseChecks += 1 })
        let rendered = try HTMLReport(document: ExecutedNotebook(notebook: notebook, results: []), name: "big").render(checkpoint: { renderChecks += 1 })
        #expect(rendered.html.contains("Term 19999"))
        #expect(parseChecks > 3 && renderChecks > 3, "checks: \(parseChecks) while parsing, \(renderChecks) while rendering")

        struct Stop: Error {}
        var count = 0
        #expect(throws: Stop.self) { try NotebookParser.parse(text, path: "big.md") { count += 1; if count == 3 { throw Stop() } } }
        count = 0
        #expect(throws: Stop.self) {
            try HTMLReport(document: ExecutedNotebook(notebook: notebook, results: []), name: "big").render { count += 1; if count == 3 { throw Stop() } }
        }
    }

    /// cmark parses and renders in C, where Ctrl-C cannot be checked: it runs on a thread of its
    /// own while the parse goes on checking, and a stop does not wait for it.
    @Test func workInCIsNotWaitedForWhenTheRunStops() throws {
        struct Stop: Error {}
        let release = DispatchSemaphore(value: 0)
        let finished = DoneFlag()
        var checks = 0
        #expect(throws: Stop.self) {
            try NotebookParser.whileChecking({ checks += 1; if checks == 3 { throw Stop() } }) { () -> Int in
                release.wait()  // C work that has not ended when the stop comes
                finished.set()
                return 1
            }
        }
        #expect(!finished.isSet, "the stop did not wait for the work")
        release.signal()
        #expect(try NotebookParser.whileChecking({}) { 42 } == 42)
    }

    /// Ctrl-C (or SIGTERM) while a very large notebook is being parsed stops nbrun with status
    /// 130; it used to be ignored until the parse ended. The signal comes at different points of
    /// the parse: nbrun's trace says each time the parse has made a hundred more checks.
    @Test(arguments: [(SIGINT, 100), (SIGTERM, 100), (SIGINT, 500), (SIGINT, 1000)])
    func aSignalDuringTheParseIsHonoured(signal: Int32, afterChecks checks: Int) throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = Self.notebook(paragraphs: 200_000)  // about 30 MB
        try text.write(toFile: folder + "/huge.md", atomically: true, encoding: .utf8)
        let run = try TracedRun(notebook: "huge.md", in: folder)
        defer { run.killIfRunning() }
        let mark = "trace: parse checked \(checks) times"
        let reached = Faults.wait(upTo: 120) { run.stderr.contains(mark) || !run.process.isRunning }
        #expect(reached && run.process.isRunning && !run.ended("parse"), "the parse ended before \(mark): \(run.stderr)")
        run.expectStopsWithStatus130(on: signal)
        #expect(run.stderr.contains("interrupted"), "\(run.stderr)")
    }

    /// swift-syntax's parse of a cell cannot be asked to stop, and on unclosed brackets after a
    /// type annotation it takes time exponential in their number (24 took 150 s, ignoring
    /// Ctrl-C; found by the diagnostics fuzz target). A signal while the plan is made now ends
    /// nbrun at once with status 130.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalWhileSwiftSyntaxParsesACellIsHonoured(signal: Int32) throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = "# Brackets\n\n```swift\nlet x: Int = " + String(repeating: "[", count: 24) + "\n```\n"
        try text.write(toFile: folder + "/brackets.md", atomically: true, encoding: .utf8)
        let run = try TracedRun(notebook: "brackets.md", in: folder)
        defer { run.killIfRunning() }
        // "trace: plan begins" comes just before swift-syntax's parse of the cells.
        let planning = Faults.wait(upTo: 60) { run.stderr.contains("trace: plan begins") || !run.process.isRunning }
        #expect(planning && run.process.isRunning && !run.ended("plan"),
                "the plan was made before the signal: \(run.stderr)")
        run.expectStopsWithStatus130(on: signal)
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

        /// Whether the trace says `stage` ended (`trace: parse 1.234 s`).
        func ended(_ stage: String) -> Bool {
            stderr.split(separator: "\n").contains { $0.hasPrefix("trace: \(stage) ") && $0.hasSuffix(" s") }
        }

        func killIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        /// Sends `signal` and expects nbrun to end with status 130. How soon is `benchmarks large`'s
        /// figure; ten seconds is only a safety net.
        func expectStopsWithStatus130(on signal: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
            kill(process.processIdentifier, signal)
            #expect(Faults.wait(upTo: 10) { !process.isRunning }, "still running 10 s after the signal", sourceLocation: sourceLocation)
            killIfRunning()
            process.waitUntilExit()
            #expect(process.terminationReason == .exit, sourceLocation: sourceLocation)
            #expect(process.terminationStatus == 130, sourceLocation: sourceLocation)
        }
    }

}

/// Set once, read from another thread.
private final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
