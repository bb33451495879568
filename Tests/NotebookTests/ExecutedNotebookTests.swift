import Foundation
import KernelProtocol
import Testing
@testable import Notebook

/// The executed notebook: what it keeps of the notebook and the run, and that it survives being
/// stored (a report rendered from a decoded document is the same page).
@Suite struct ExecutedNotebookTests {
    @Test func proseKeepsItsMarkdownBetweenTheCellsFences() throws {
        let notebook = try NotebookParser.parse("""
            ---
            title: T
            ---

            # Intro

            Some *prose*.

            ```swift
            let a = 1
            ```
            Right after, with a [link][r].
            ```swift
            let b = 2
            ```
            ```swift
            let c = 3
            ```

            [r]: https://example.com

            """, path: "nb.md")
        let document = ExecutedNotebook(notebook: notebook, results: [])
        let prose = document.blocks.compactMap { if case .prose(let prose) = $0 { return prose } else { return nil } }
        #expect(prose.map(\.markdown) == ["# Intro\n\nSome *prose*.", "Right after, with a [link][r].", "[r]: https://example.com"])
        #expect(prose[1].html.contains("<a href=\"https://example.com\">link</a>"))
        #expect(document.cells.map(\.cell.source) == ["let a = 1", "let b = 2", "let c = 3"])
        #expect(document.cells.allSatisfy { $0.result == nil })
    }

    /// A cell inside a list item or a quote: the prose around it is the lines outside its fences.
    @Test func cellsInListsAndQuotesLeaveTheLinesAroundThem() throws {
        let notebook = try Self.features()
        let document = ExecutedNotebook(notebook: notebook, results: GoldenReportTests.featuresResults(notebook))
        let prose = document.blocks.compactMap { if case .prose(let prose) = $0 { return prose.markdown } else { return nil } }
        #expect(prose.contains { $0.hasSuffix("- a list item holding a cell:") })
        #expect(prose.contains { $0.hasPrefix("- the item after the cell") && $0.hasSuffix("> A quote holding a cell:") })
        #expect(!prose.contains { $0.contains("```") || $0.contains("title:") })
    }

    @Test func aDocumentDecodedAgainRendersTheSamePage() throws {
        let notebook = try Self.features()
        let parameters = try Parameter.applying([("epochs", "5")], to: notebook.parameters, path: notebook.path)
        var results = GoldenReportTests.featuresResults(notebook)
        results[0].state = [ValueDigest(name: "x", digest: "ab")]
        let document = ExecutedNotebook(notebook: notebook, results: results, parameters: parameters, run: GoldenReportTests.facts,
                                        warnings: [Diagnostic(file: "f.md", line: 41, column: 5, severity: .warning, message: "w")],
                                        cacheWarnings: ["a warning"])
        let data = try KernelCoding.encoder(sorted: true).encode(document)
        let decoded = try KernelCoding.decoder().decode(ExecutedNotebook.self, from: data)
        #expect(decoded == document)
        #expect(HTMLReport(document: decoded, name: "f").render().html == HTMLReport(document: document, name: "f").render().html)
        #expect(decoded.verdict == RunVerdict(results))
    }

    /// A notebook that did not compile: each error at its cell, the first cell taking those outside
    /// every cell, and the verdict saying nothing ran.
    @Test func compileErrorsGoToTheirCells() throws {
        let notebook = try Self.features()
        let diagnostics = [
            Diagnostic(file: "f.md", line: 39, column: 7, severity: .error, message: "first", hint: "fix it"),
            Diagnostic(file: "f.md", line: 38, column: 1, severity: .error, message: "second, same cell"),
            Diagnostic(file: "f.md", line: 3, column: nil, severity: .error, message: "outside"),
            Diagnostic(file: "f.md", line: 69, column: 1, severity: .warning, message: "only a warning"),
        ]
        let document = ExecutedNotebook(notebook: notebook, compileErrors: diagnostics)
        let failed = document.results.map { ($0.cellIndex, $0.error?.message ?? "") }
        #expect(failed.map(\.0) == [0, 2])
        #expect(failed.map(\.1) == ["outside", "first (fix it)"])
        #expect(document.verdict.compileErrors == 2 && document.verdict.exitStatus == ExitStatus.usage)
    }

    static func features() throws -> Notebook {
        try GoldenReportTests.notebook("features.md", path: "notebooks/features.md")
    }
}
