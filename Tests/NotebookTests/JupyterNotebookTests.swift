import Foundation
import KernelProtocol
import Testing
@testable import Notebook

/// The `.ipynb` nbrun writes, read as Jupyter reads it: its structure checked here, and the file
/// validated by the PyPI `nbformat` package (nbformat 4.5's schema) and rendered by `nbconvert`,
/// from the virtual environment `scripts/setup test-deps` makes (`make test` runs it).
@Suite struct JupyterNotebookTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The Python of `.build/test-python`, when its `nbformat` and `nbconvert` import.
    static let python: String? = {
        let path = root.appendingPathComponent(".build/test-python/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path),
              let check = try? Subprocess.capture(path, ["-c", "import nbformat, nbconvert"]),
              check.termination == .exited(0) else { return nil }
        return path
    }()

    static let notSetUp: Comment = "the Jupyter packages for the tests are not set up in .build/test-python: run scripts/setup test-deps (make test runs it)"

    // MARK: The file, from a document made by hand

    @Test func cellsAndOutputsAreWhereJupyterLooksForThem() throws {
        let document = try GoldenReportTests.featuresDocument()
        let json = try Self.json(JupyterNotebook.render(document))
        #expect(json["nbformat"] as? Int == 4 && json["nbformat_minor"] as? Int == 5)
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect((metadata["kernelspec"] as? [String: String])?["name"] == "swift")
        #expect((metadata["kernelspec"] as? [String: String])?["display_name"] == "Swift")
        #expect((metadata["language_info"] as? [String: String])?["name"] == "swift")
        #expect((metadata["language_info"] as? [String: String])?["version"] == "6.3")
        #expect(metadata["title"] as? String == "Every part of a report, with $x^2$")

        let cells = try #require(json["cells"] as? [[String: Any]])
        let code = cells.filter { $0["cell_type"] as? String == "code" }
        #expect(code.count == document.cells.count)
        #expect(Set(cells.compactMap { $0["id"] as? String }).count == cells.count)
        let markdown = cells.filter { $0["cell_type"] as? String == "markdown" }.compactMap { $0["source"] as? String }
        #expect(markdown.first?.hasPrefix("# Features\n\nProse with *emphasis*") == true)
        #expect(!markdown.contains { $0.contains("```swift") })

        // Ran cells are counted in order; the cells that did not run have no count.
        let counts = code.map { $0["execution_count"] as? Int }
        #expect(counts == [1, 2, 3, 4, 5, 6, 7, 8, nil, nil, 9, 10, 11, 12])

        // Cell 3: printed text, a figure with its width, a table and markup as HTML.
        let outputs = try #require(code[2]["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["output_type"] as? String } == [
            "stream", "stream", "display_data", "display_data", "stream", "display_data", "display_data", "display_data", "execute_result",
        ])
        #expect(outputs[0]["name"] as? String == "stdout" && outputs[0]["text"] as? String == "hello <world>\n")
        #expect(outputs[1]["name"] as? String == "stderr")
        let figure = try #require(outputs[3]["data"] as? [String: String])
        #expect(figure["image/png"] == GoldenReportTests.standInPNG(1).base64EncodedString())
        #expect(((outputs[3]["metadata"] as? [String: Any])?["image/png"] as? [String: Int])?["width"] == 320)
        let table = try #require(outputs[6]["data"] as? [String: String])
        #expect(table["text/html"]?.contains("<th>&lt;parameters&gt;</th>") == true)
        #expect(table["text/plain"]?.hasPrefix("layer\toutput shape\t<parameters>\nLinear") == true)
        let markup = try #require(outputs[8]["data"] as? [String: String])
        #expect(markup["text/html"]?.contains("<b>bold</b>") == true)
        #expect(markup["text/html"]?.contains("onerror") == false && markup["text/html"]?.contains("javascript:") == false)
        #expect(outputs[8]["execution_count"] as? Int == 3)

        // A failure: the error with its line and backtrace; `echo: false` and `output: false` hide.
        let failed = try #require((code[7]["outputs"] as? [[String: Any]])?.last)
        #expect(failed["output_type"] as? String == "error" && failed["ename"] as? String == "Crash")
        #expect(failed["evalue"] as? String == "Fatal error: Index out of range")
        #expect((failed["traceback"] as? [String])?.contains("71 | print(values[5])") == true)
        #expect(((code[4]["metadata"] as? [String: Any])?["jupyter"] as? [String: Bool])?["source_hidden"] == true)
        #expect(((code[5]["metadata"] as? [String: Any])?["jupyter"] as? [String: Bool])?["outputs_hidden"] == true)
        let restored = try #require((code[10]["metadata"] as? [String: Any])?["nbrun"] as? [String: Any])
        #expect(restored["cached"] as? Bool == true && (restored["cache_key"] as? String)?.hasPrefix("3fa9c1d2") == true)
    }

    @Test(.enabled(if: python != nil, notSetUp))
    func nbformatAcceptsTheFileOfEveryKindOfResult() throws {
        let directory = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var documents = [("features", try GoldenReportTests.featuresDocument())]
        let notebook = try GoldenReportTests.notebook("features.md", path: "notebooks/features.md")
        documents.append(("compile-error", ExecutedNotebook(notebook: notebook, compileErrors: [
            Diagnostic(file: "notebooks/features.md", line: 39, column: 1, severity: .error, message: "no such thing"),
        ])))
        var paths: [String] = []
        for (name, document) in documents {
            paths.append(try ReportWriter.write(notebookFile: JupyterNotebook.render(document), to: directory, name: name))
        }
        try Self.validate(paths)
    }

    // MARK: Every notebook of the curriculum, run

    static let curriculum = ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("notebooks").path)) ?? [])
        .filter { $0.hasSuffix(".md") }.sorted()

    /// Each notebook of `notebooks/` run with `--to ipynb`: nbformat accepts the file, every figure
    /// is in it as `image/png` and every printed line in its cell; nbconvert renders cnn-mnist's.
    /// The runs keep their cache in `.build/ipynb-check`, so a second test run restores the
    /// notebooks' `cache: true` cells instead of training again.
    @Test(.enabled(if: python != nil, notSetUp), .serialized, arguments: curriculum)
    func everyNotebookOfTheCurriculumOpensInJupyter(_ name: String) throws {
        var options = RunOptions()
        options.outputDirectory = Self.root.appendingPathComponent(".build/ipynb-check").path
        options.kernel = try EndToEnd.kernel()
        options.formats = [.ipynb]
        let run = try runNotebook(path: "notebooks/" + name, options: options)
        #expect(run.exitCode == 0, "\(run.failedCells.map { $0.error?.message ?? "" })")
        let path = try #require(run.reportPaths.count == 1 ? run.reportPaths.first : nil)
        #expect(path.hasSuffix("/" + name.dropLast(3) + ".ipynb"))
        #expect(!FileManager.default.fileExists(atPath: options.outputDirectory + "/" + name.dropLast(3) + ".html"))
        try Self.validate([path])

        let json = try Self.json(Data(contentsOf: URL(fileURLWithPath: path)))
        let code = try #require(json["cells"] as? [[String: Any]]).filter { $0["cell_type"] as? String == "code" }
        #expect(code.count == run.document.cells.count)
        for (cell, executed) in zip(code, run.document.cells) {
            let outputs = cell["outputs"] as? [[String: Any]] ?? []
            let result = try #require(executed.result)
            for stream in ["stdout", "stderr"] {
                let text = outputs.filter { $0["output_type"] as? String == "stream" && $0["name"] as? String == stream }
                    .compactMap { $0["text"] as? String }.joined()
                #expect(text == (stream == "stdout" ? result.stdout : result.stderr), "\(name) \(executed.cell.name) \(stream)")
            }
            let figures = outputs.compactMap { ($0["data"] as? [String: Any])?["image/png"] as? String }
            let pngs = result.displays.compactMap { if case .png(let data, _, _) = $0 { return data.base64EncodedString() } else { return nil } }
            #expect(figures == pngs, "\(name) \(executed.cell.name): \(figures.count) figures in the file, \(pngs.count) shown")
        }

        if name == "cnn-mnist.md" {
            let python = try #require(Self.python)
            let folder = try EndToEnd.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let converted = try Subprocess.capture(python, ["-m", "nbconvert", "--to", "html", "--output-dir", folder, path])
            #expect(converted.termination == .exited(0), "\(converted.stderr)")
            let html = try String(contentsOfFile: folder + "/cnn-mnist.html", encoding: .utf8)
            let figures = run.document.results.flatMap(\.displays).compactMap { if case .png(let data, _, _) = $0 { return data } else { return nil } }
            #expect(!figures.isEmpty)
            // Each figure an image of the page (its stylesheet has a data: URL of its own).
            #expect(html.components(separatedBy: "src=\"data:image/png;base64,").count - 1 == figures.count)
            for figure in figures { #expect(html.contains("src=\"data:image/png;base64," + figure.base64EncodedString() + "\"")) }
            let printed = try #require(run.document.results.map(\.stdout).first { !$0.isEmpty }?.split(separator: "\n").first)
            #expect(html.contains(HTML.escape(String(printed))), "\(printed)")
        }
    }

    // MARK: Support

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Runs `nbformat.validate` on each file (as the notebook's own version: no conversion).
    static func validate(_ paths: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let python = try #require(Self.python)
        let script = """
            import sys, nbformat
            for path in sys.argv[1:]:
                notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
                nbformat.validate(notebook)
                assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5), (notebook.nbformat, notebook.nbformat_minor)
            print("valid")
            """
        let result = try Subprocess.capture(python, ["-c", script] + paths)
        #expect(result.termination == .exited(0) && result.stdout == "valid\n", "\(result.stderr)", sourceLocation: sourceLocation)
    }
}
