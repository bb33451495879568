import Crypto
import Foundation
import KernelProtocol
import Testing
@testable import Notebook

/// The HTML report of two notebooks, held byte for byte: a notebook of the curriculum with the
/// results of a real run (its figures replaced by small stand-ins), and one whose results are
/// made by hand so that every part of a report appears (each status, output kind, cut, cache
/// fact, warning, compile errors). The run's facts are fixed, so the pages depend on nothing
/// else; KaTeX, which comes from the machine's `libjs-katex`, is replaced by a mark.
///
/// To accept a deliberate change of the report, run
/// `NBRUN_UPDATE_GOLDEN=1 swift test --filter GoldenReportTests` and read the diff of
/// Tests/GoldenReports before committing it. `NBRUN_RECORD_GOLDEN_RUN=1` runs the curriculum
/// notebook again and records its results (it needs the release kernel and MNIST).
@Suite struct GoldenReportTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("GoldenReports").path

    /// The facts of the fixed run every golden page shows.
    static let facts = ExecutedNotebook.RunFacts(
        date: Date(timeIntervalSince1970: 1_767_225_600), seconds: 12.345, compileSeconds: 3.5,
        swiftVersion: "Swift version 6.3 (swift-6.3-RELEASE)", nbrunVersion: "0.1.0", cores: 2, gitCommit: "abc1234",
        binaryReused: true, interrupted: false,
        engine: "OpenBLAS 0.3.21, kernels Haswell (chosen by nbrun: the CPU has AVX2 and FMA), 2 threads")

    // MARK: The curriculum notebook, with a real run's results

    @Test func backpropReport() throws {
        let notebook = try Self.notebook("backprop.md", path: "notebooks/backprop.md")
        let results = try KernelCoding.decoder().decode([CellResult].self, from: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/backprop.results.json")))
        let report = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: results, run: Self.facts), name: "backprop")
        try Self.check(report.render(), "backprop")
    }

    /// Runs the curriculum notebook and stores its results, its figures replaced by stand-ins of
    /// a few bytes each (the page is what is held, not the pictures).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["NBRUN_RECORD_GOLDEN_RUN"] == "1"))
    func recordBackpropResults() throws {
        let directory = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = URL(fileURLWithPath: Self.folder).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("notebooks/backprop.md").path
        try FileManager.default.copyItem(atPath: source, toPath: Self.folder + "/backprop.md.new")
        try? FileManager.default.removeItem(atPath: Self.folder + "/backprop.md")
        try FileManager.default.moveItem(atPath: Self.folder + "/backprop.md.new", toPath: Self.folder + "/backprop.md")
        var options = RunOptions()
        options.outputDirectory = directory + "/output"
        options.kernel = try EndToEnd.kernel()
        options.writeReport = false
        options.reuseBinaries = false
        let run = try runNotebook(path: source, options: options)
        #expect(run.exitCode == 0)
        var figure = 0
        let results = run.results.map { result in
            var result = result
            result.outputs = result.outputs.map { output in
                guard case .display(.png(_, let width, _)) = output else { return output }
                figure += 1
                return .display(.png(Self.standInPNG(figure), width: width))
            }
            return result
        }
        try KernelCoding.encoder(sorted: true).encode(results).write(to: URL(fileURLWithPath: Self.folder + "/backprop.results.json"))
    }

    // MARK: Every part of a report, with results made by hand

    @Test func featuresReport() throws {
        let report = try Self.featuresReport(embedFigures: true)
        try Self.check(report.render(), "features")
    }

    @Test func featuresReportWithFiguresBesideThePage() throws {
        let rendered = try Self.featuresReport(embedFigures: false).render()
        try Self.check(rendered, "features-no-embed")
        #expect(rendered.files.map(\.path).sorted() == [
            "features_files/" + EndToEnd.contentName("cell-13-stdout-1", rendered.files.first { $0.path.contains("cell-13-stdout-1") }!.data, extension: "txt"),
            "features_files/" + EndToEnd.contentName("cell-14-display-1", rendered.files.first { $0.path.contains("cell-14-display-1") }!.data, extension: "txt"),
            "features_files/" + EndToEnd.contentName("cell-3-figure-1", Self.standInPNG(1), extension: "png"),
            "features_files/" + EndToEnd.contentName("cell-3-figure-2", Self.standInPNG(2), extension: "png"),
        ].sorted())
    }

    /// A notebook that did not compile: its errors at their cells, nothing run.
    @Test func compileErrorReport() throws {
        let notebook = try Self.notebook("features.md", path: "notebooks/features.md")
        let diagnostics = [
            Diagnostic(file: "notebooks/features.md", line: 41, column: 7, severity: .error,
                       message: "cannot find 'undefinedName' in scope", excerpt: "41 | print(undefinedName)\n   |       `- error"),
            Diagnostic(file: "notebooks/features.md", line: 42, column: 1, severity: .error, message: "a second error in the same cell"),
            Diagnostic(file: "notebooks/features.md", line: 69, column: 7, severity: .error,
                       message: "value of type 'Int' has no member 'foo'", hint: "did you mean 'description'?"),
            Diagnostic(file: "notebooks/features.md", line: 3, column: nil, severity: .error, message: "an error outside every cell"),
        ]
        var facts = Self.facts
        facts.binaryReused = false
        let report = HTMLReport(document: ExecutedNotebook(notebook: notebook, compileErrors: diagnostics, run: facts), name: "features")
        try Self.check(report.render(), "features-compile-error")
    }

    static func featuresReport(embedFigures: Bool) throws -> HTMLReport {
        HTMLReport(document: try featuresDocument(), options: .init(embedFigures: embedFigures), name: "features")
    }

    /// The features notebook with every kind of result, `-p epochs=5` and two warnings.
    static func featuresDocument() throws -> ExecutedNotebook {
        let notebook = try notebook("features.md", path: "notebooks/features.md")
        let parameters = try Parameter.applying([("epochs", "5")], to: notebook.parameters, path: notebook.path)
        let warnings = [
            Diagnostic(file: "notebooks/features.md", line: 41, column: 5, severity: .warning,
                       message: "initialization of immutable value 'x' was never used; consider <replacing>"),
            Diagnostic(file: "notebooks/features.md", line: 4, column: nil, severity: .warning, message: "a warning outside every cell"),
        ]
        return ExecutedNotebook(notebook: notebook, results: featuresResults(notebook), parameters: parameters, run: facts,
                                warnings: warnings)
    }

    /// One result of each kind, cell by cell (see features.md).
    static func featuresResults(_ notebook: Notebook) -> [CellResult] {
        var results: [CellResult] = []
        results.append(CellResult(cellIndex: 0, status: .passed, outputs: [.stdout("in a list\n")], seconds: 0.0012))
        results.append(CellResult(cellIndex: 1, status: .passed, seconds: 0.0004))
        results.append(CellResult(cellIndex: 2, status: .passed, outputs: [
            .stdout("hello <world>\n"),
            .stderr("a warning on stderr & more\n"),
            .display(.text("Tensor [2, 3] <Float> min 0 mean 0.5 max 1")),
            .display(.png(standInPNG(1), width: 320)),
            .stdout("between the figures\n"),
            .display(.png(standInPNG(2))),
            .display(.table(headers: ["layer", "output shape", "<parameters>"], rows: [["Linear", "[32, 10]", "330"], ["ReLU & co", "[32, 10]", "0"]])),
            .display(.table(headers: [], rows: [["no", "headers"]])),
            .display(.html("<b>bold</b> <img src=x onerror=\"alert(1)\"> <a href=\"javascript:alert(2)\">link</a>")),
        ], seconds: 1.25))
        results.append(CellResult(cellIndex: 3, status: .passed,
                                  outputs: [.stdout("progress 0%\rprogress 100%\n\u{1B}[31mred\u{1B}[0m\n"), .stderr("\u{0}nul and \u{7F} del\n")],
                                  seconds: 0.0009))
        results.append(CellResult(cellIndex: 4, status: .passed, seconds: 0.001))
        results.append(CellResult(cellIndex: 5, status: .passed, outputs: [.stdout("not shown\n")], seconds: 0.001))
        results.append(CellResult(cellIndex: 6, status: .expectedError, outputs: [.stdout("before the error\n")], seconds: 0.02,
                                  error: CellError(kind: .thrown, message: "LoadError(file: \"missing.bin\")", line: 66,
                                                   sourceLine: "try load()")))
        results.append(CellResult(cellIndex: 7, status: .failed, outputs: [.stdout("partial output\n")], seconds: 0.3,
                                  error: CellError(kind: .crash, message: "Fatal error: Index out of range", line: 71,
                                                   sourceLine: "print(values[5])",
                                                   details: "0 main at notebooks/features.md:71:7\n1 libc <start>")))
        results.append(CellResult(cellIndex: 8, status: .notRun))
        results.append(CellResult(cellIndex: 9, status: .notEvaluated))
        var restored = CellResult(cellIndex: 10, status: .passed, outputs: [.stdout("epoch 1/3 loss 0.5\n")], seconds: 0.004)
        restored.cached = true
        restored.cacheKey = "3fa9c1d2e4b5a6978877665544332211aabbccddeeff00112233445566778899"
        restored.cacheStored = Date(timeIntervalSince1970: 1_767_139_200.5)
        restored.restoreSeconds = 0.003
        results.append(restored)
        var note = CellResult(cellIndex: 11, status: .passed, seconds: 2.5)
        note.cacheNote = "not cached: it reads the clock (Date()) <here>; the cache folder could not be written"
        results.append(note)
        let long = (0..<2000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        var cut = CellResult(cellIndex: 12, status: .passed, outputs: [.stdout(long)], seconds: 0.05)
        let marker = "[nbrun: output cut: 123 bytes from the middle of this output (4567 bytes) were not kept]\n"
        cut.outputs = [.stdout(long + marker + "the end\n")]
        cut.outputCuts = [CellResult.OutputCut(stream: "stdout", totalBytes: 4567, keptHeadBytes: 3000, keptTailBytes: 1444, note: marker)]
        results.append(cut)
        results.append(CellResult(cellIndex: 13, status: .passed,
                                  outputs: [.display(.text((0..<700).map { "row \($0): [\($0), \($0 * $0)]" }.joined(separator: "\n")))],
                                  seconds: 0.7))
        return results
    }

    // MARK: Support

    /// A PNG of a few bytes standing in for figure `number` (the report embeds or links the bytes as they are).
    static func standInPNG(_ number: Int) -> Data {
        Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, UInt8(number & 0xFF)])
    }

    static func notebook(_ file: String, path: String) throws -> Notebook {
        try NotebookParser.parse(String(contentsOfFile: folder + "/" + file, encoding: .utf8), path: path)
    }

    /// The page with KaTeX's script and stylesheet (the machine's) and their hashes in the page's
    /// policy replaced by marks.
    static func normalized(_ html: String) -> String {
        guard let katex = KaTeXAssets.load() else { return html }
        var html = html
        for (text, mark) in [(katex.script, "KATEX-SCRIPT"), (katex.stylesheet, "KATEX-STYLESHEET")] {
            let inline = HTMLReport.inlineText(text)
            let hash = "sha256-" + Data(SHA256.hash(data: Data(inline.utf8))).base64EncodedString()
            html = html.replacingOccurrences(of: inline, with: mark).replacingOccurrences(of: hash, with: "sha256-" + mark)
        }
        return html
    }

    /// Compares the page (and the names of the files beside it) with Golden/`name`.html, or
    /// writes it there when updating.
    static func check(_ rendered: HTMLReport.Rendered, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let html = normalized(rendered.html)
        let path = folder + "/" + name + ".html"
        if ProcessInfo.processInfo.environment["NBRUN_UPDATE_GOLDEN"] == "1" {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no golden report \(path); run with NBRUN_UPDATE_GOLDEN=1 to create it", sourceLocation: sourceLocation)
            return
        }
        if html == expected { return }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-golden-\(name).html").path
        try html.write(toFile: scratch, atomically: true, encoding: .utf8)
        let actualLines = html.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = Array(zip(actualLines, expectedLines)).firstIndex { $0 != $1 } ?? min(actualLines.count, expectedLines.count)
        Issue.record("""
            \(name).html differs from the golden page at line \(first + 1) (the new page is in \(scratch)):
              golden: \(first < expectedLines.count ? String(expectedLines[first].prefix(300)) : "(end)")
              now:    \(first < actualLines.count ? String(actualLines[first].prefix(300)) : "(end)")
            """, sourceLocation: sourceLocation)
    }
}
