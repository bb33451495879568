import Foundation
import Testing
@testable import Notebook
@testable import NotebookWatch

/// `nbrun watch`: what the live page shows as a run goes (no browser), and end to end in
/// headless Chromium (Tests/Browser/watch_page.py, through Selenium).
@Suite struct WatchTests {
    func notebook(_ cells: [String]) throws -> Notebook {
        try NotebookParser.parse(cells.map { "```swift\n\($0)\n```\n" }.joined(separator: "\n"), path: "live.md")
    }

    @Test func aRunShowsCellsRunningTheirOutputAsItComesAndEarlierOutputsAsStale() throws {
        let page = LivePage(name: "live")
        let first = try notebook(["print(1)", "print(2)"])
        page.runStarted(first)
        _ = page.takeChanges()
        page.cellStarted(0)
        page.output(0, isError: false, "hello\n")
        page.output(0, isError: false, "world\n")
        let running = page.takeChanges()
        guard case .cell(let id, let html)? = running.first else { Issue.record("no cell update: \(running)"); return }
        #expect(id == "cell-1")
        #expect(html.contains("live-running") && html.contains("running…") && html.contains("hello\nworld\n"))
        page.cellEnded(CellResult(cellIndex: 0, status: .passed, outputs: [.stdout("hello\nworld\n")], seconds: 0.1))
        page.cellEnded(CellResult(cellIndex: 1, status: .passed, outputs: [.stdout("2\n")], seconds: 0.1))
        // The next run: an unchanged cell keeps its output, greyed; a changed one waits empty.
        page.runStarted(try notebook(["print(1)", "print(3)"]))
        let messages = page.takeChanges()
        guard case .page(let body)? = messages.first else { Issue.record("no page update: \(messages)"); return }
        #expect(body.contains("live-stale") && body.contains("hello\nworld"))
        #expect(body.contains("live-pending") && !body.contains(">2\n<"))
        #expect(messages.contains { if case .status(let html) = $0 { return html.contains("running") } else { return false } })
    }

    @Test func trainingProgressShowsAProgressLineAndALossChart() throws {
        let page = LivePage(name: "live")
        page.runStarted(try notebook(["let h = 1"]))
        _ = page.takeChanges()
        page.cellStarted(0)
        page.event(.progress(cell: 0, update: TrainingUpdate(epoch: 1, epochs: 3, step: 10, steps: 10, loss: 0.9, epochEnded: true)))
        page.event(.progress(cell: 0, update: TrainingUpdate(epoch: 2, epochs: 3, step: 4, steps: 10, loss: 0.5)))
        guard case .cell(_, let html)? = page.takeChanges().first else { Issue.record("no cell update"); return }
        #expect(html.contains("epoch 2/3, step 4/10, loss 0.5000"))
        #expect(html.contains("<svg class=\"loss-chart\"") && html.contains("<polyline class=\"train\""))
    }

    @Test func aCompileErrorShowsAtItsCellAndTheRestGoesStale() throws {
        let page = LivePage(name: "live")
        let parsed = try notebook(["print(1)", "let x = 1 +"])
        page.runStarted(parsed)
        page.cellEnded(CellResult(cellIndex: 0, status: .passed, outputs: [.stdout("1\n")]))
        _ = page.takeChanges()
        let error = NotebookError([Diagnostic(file: "live.md", line: 6, column: 12, severity: .error, message: "expected expression")])
        page.failedToBuild(error, notebook: parsed)
        let messages = page.takeChanges()
        guard case .page(let body)? = messages.first else { Issue.record("no page update"); return }
        #expect(body.contains("Compile error: expected expression") && body.contains("at live.md:6"))
        #expect(body.contains("live-stale"))
        #expect(messages.contains { if case .status(let html) = $0 { return html.contains("did not compile") } else { return false } })
    }

    /// A heading `## Cell 1` keeps its own id: the update of cell 1 is for the cell's section, the
    /// only element with the id it names (the page's script replaces that element).
    @Test func aHeadingNamedLikeACellIsNotTheCellsSection() throws {
        let page = LivePage(name: "live")
        page.runStarted(try NotebookParser.parse("## Cell 1\n\n```swift\nprint(1)\n```\n", path: "live.md"))
        _ = page.takeChanges()
        page.cellStarted(0)
        guard case .cell(let id, _)? = page.takeChanges().first else { Issue.record("no cell update"); return }
        let html = page.page()
        #expect(html.components(separatedBy: " id=\"\(id)\"").count == 2, "the id \(id) is not unique")
        #expect(html.contains("<section class=\"cell live-running passed\" id=\"\(id)\">"))
        #expect(html.contains("<h2 id=\"cell-1-2\">Cell 1</h2>"))
    }

    /// An inline value of the prose waits while its cell runs and appears in place when it comes.
    @Test func inlineValuesAppearInPlace() throws {
        let page = LivePage(name: "live")
        page.runStarted(try NotebookParser.parse("```swift\nlet answer = 6 * 7\n```\n\nThe answer is `{swift} answer`.\n", path: "live.md"))
        _ = page.takeChanges()
        page.cellStarted(0)
        func inline(_ messages: [LiveMessage]) -> String? {
            for case .inline(0, let html) in messages { return html }
            return nil
        }
        #expect(inline(page.takeChanges())?.contains("<em>(waiting)</em>") == true)
        page.event(.display(cell: 0, item: .inline(index: 0, expression: "answer", value: "42"), stdoutOffset: 0, stderrOffset: 0))
        #expect(inline(page.takeChanges()) == #"<span class="inline-value" data-inline="0">42</span>"#)
        page.cellEnded(CellResult(cellIndex: 0, status: .passed, outputs: [.display(.inline(index: 0, expression: "answer", value: "42"))]))
        _ = page.takeChanges()
        #expect(page.page().contains(#"The answer is <span class="inline-value" data-inline="0">42</span>."#))
    }

    /// After a compile error the header gives the failed attempt's date and time, not the
    /// previous run's; while a run goes on, it says so instead of a time.
    @Test func theHeaderNeverShowsAnEarlierRunsTime() throws {
        let page = LivePage(name: "live")
        let parsed = try notebook(["print(1)"])
        page.runStarted(parsed)
        let run = NotebookRun(document: ExecutedNotebook(notebook: parsed, results: [CellResult(cellIndex: 0, status: .passed)], parameters: [],
                                                         run: .init(seconds: 12.34, compileSeconds: 1, swiftVersion: "Swift version 6.3")))
        page.runEnded(run)
        #expect(page.page().contains("<dt>total time</dt><dd>12.34 s</dd>"))
        page.runStarted(parsed)
        #expect(page.page().contains("<dt>total time</dt><dd>running</dd>"))
        page.failedToBuild(NotebookError([Diagnostic(file: "live.md", line: 2, column: 1, severity: .error, message: "no")]),
                           notebook: parsed, startedAt: Date())
        let html = page.page()
        #expect(!html.contains("12.34 s") && html.contains("<dt>total time</dt><dd>0.0"), "\(html)")
        #expect(html.contains("Swift version 6.3"))
    }

    /// The browser check (also the source of the "save to updated page" benchmark).
    @Test(.timeLimit(.minutes(10)), .enabled(if: browserTestsCanRun, "chromium, chromedriver or Selenium is not installed (scripts/setup test-deps)"))
    func theLivePageInARealBrowser() throws {
        let executable = try #require(EndToEnd.nbrunExecutable(), "nbrun is not built beside the tests")
        _ = try EndToEnd.kernel()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/watch_page.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, executable]
        let output = Foundation.Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 77 {
            print("skipped: \(text)")  // no Chromium, chromedriver or Selenium here (scripts/setup test-deps installs them)
            return
        }
        #expect(process.terminationStatus == 0, "\(text)")
    }
}

/// Headless Chromium, chromedriver and Selenium are all here.
let browserTestsCanRun: Bool = {
    let paths = ["/usr/bin/chromium", "/usr/bin/chromedriver"]
    guard paths.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0) }) else { return false }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import selenium"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}()
