import Foundation
import KernelProtocol

/// A notebook as a run left it: the document stage's output, and the only thing renderers read
/// (the HTML report, the live page of `nbrun watch`, the `.ipynb` file, the terminal's summary and
/// `nbrun test`'s summary and JUnit XML), and what `nbrun test` compares with golden outputs.
///
/// It holds the notebook's front matter, its prose (the Markdown as written and the HTML the
/// parse made of it), every cell with its code, options and result (outputs, display items and
/// figures as PNG bytes, timings, cache facts, error), the facts of the run, and its verdict. It is
/// `Codable`, so a run can be stored and rendered again without running it.
public struct ExecutedNotebook: Codable, Sendable, Equatable {
    /// The notebook's path as the user gave it.
    public var path: String
    /// `title` from the front matter, else the first level-1 heading.
    public var title: String?
    /// Front matter keys shown in a report's header (`author`, `date`, ...).
    public var metadata: [String: String]
    /// The parameters the run used, after `-p` overrides.
    public var parameters: [Parameter]
    /// True when the prose holds math.
    public var hasMath: Bool
    /// Prose and cells, in document order.
    public var blocks: [Block]
    public var run: RunFacts
    /// swiftc's warnings about the notebook's cells.
    public var warnings: [Diagnostic]
    /// Problems with the cell cache: the run went on without it where it had to.
    public var cacheWarnings: [String]
    /// Problems with the shared cache (`--cache-url`): the run went on with the local cache.
    public var sharedCacheWarnings: [String] = []
    /// What `nbrun test` did with the notebook's golden outputs besides failing cells that differ:
    /// the file written, or why not, or outputs in it that no cell has any more.
    public var goldenNotes: [String] = []
    /// The prose's inline expressions (`` `{swift} x` ``), in document order: each stands in its
    /// prose block's HTML as its `InlineExpression.element`, and its value is a display item of
    /// the cell that evaluated it (`InlineValues`).
    public var inlineExpressions: [InlineExpression] = []

    public enum Block: Codable, Sendable, Equatable {
        case prose(Prose)
        case cell(ExecutedCell)
    }

    /// Prose between two cells.
    public struct Prose: Codable, Sendable, Equatable {
        /// As written in the notebook (the lines between the cells' fences, blank lines around them left out).
        public var markdown: String
        /// As the parse rendered it (cmark-gfm, sanitized, math marked for KaTeX).
        public var html: String

        public init(markdown: String, html: String) {
            self.markdown = markdown
            self.html = html
        }
    }

    /// A cell and what running it produced (nil: the run did not get to it and says nothing of it,
    /// as for the cells without an error in a notebook that did not compile).
    public struct ExecutedCell: Codable, Sendable, Equatable {
        public var cell: Cell
        public var result: CellResult?

        public init(cell: Cell, result: CellResult?) {
            self.cell = cell
            self.result = result
        }
    }

    /// Facts of the run, for a report's header.
    public struct RunFacts: Codable, Sendable, Equatable {
        /// When the run started.
        public var date: Date
        /// The whole run's wall time.
        public var seconds: Double
        /// swiftc's time (0 when the binary was reused).
        public var compileSeconds: Double
        public var swiftVersion: String
        public var nbrunVersion: String
        public var cores: Int
        public var gitCommit: String?
        public var binaryReused: Bool
        /// True when Ctrl-C (or a newer save, in `nbrun watch`) stopped the run.
        public var interrupted: Bool
        /// What the notebook program's engine ran on (BLAS library, kernel set, threads).
        public var engine: String?

        public init(date: Date = Date(), seconds: Double = 0, compileSeconds: Double = 0, swiftVersion: String = "",
                    nbrunVersion: String = nbrunVersionString, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                    gitCommit: String? = nil, binaryReused: Bool = false, interrupted: Bool = false, engine: String? = nil) {
            self.date = date
            self.seconds = seconds
            self.compileSeconds = compileSeconds
            self.swiftVersion = swiftVersion
            self.nbrunVersion = nbrunVersion
            self.cores = cores
            self.gitCommit = gitCommit
            self.binaryReused = binaryReused
            self.interrupted = interrupted
            self.engine = engine
        }
    }

    /// The notebook with each cell's result (cells without one keep none); `parameters` default to
    /// the notebook's own.
    public init(notebook: Notebook, results: [CellResult], parameters: [Parameter]? = nil, run: RunFacts = RunFacts(),
                warnings: [Diagnostic] = [], cacheWarnings: [String] = []) {
        path = notebook.path
        title = notebook.title
        metadata = notebook.metadata
        self.parameters = parameters ?? notebook.parameters
        hasMath = notebook.hasMath
        inlineExpressions = notebook.inlineExpressions
        self.run = run
        self.warnings = warnings
        self.cacheWarnings = cacheWarnings
        var resultByCell: [Int: CellResult] = [:]
        for result in results where resultByCell[result.cellIndex] == nil { resultByCell[result.cellIndex] = result }
        // One prose block per stretch of Markdown between cells, also where its HTML is empty
        // (a link reference definition alone): a format rendering the Markdown needs it.
        let markdown = Self.proseMarkdown(notebook)
        var blocks: [Block] = []
        var gap = 0, gapHasProse = false
        func closeGap() {
            if !gapHasProse, markdown.indices.contains(gap), !markdown[gap].isEmpty {
                blocks.append(.prose(Prose(markdown: markdown[gap], html: "")))
            }
            gap += 1
            gapHasProse = false
        }
        for block in notebook.blocks {
            switch block {
            case .prose(let html):
                blocks.append(.prose(Prose(markdown: markdown.indices.contains(gap) ? markdown[gap] : "", html: html)))
                gapHasProse = true
            case .cell(let cell):
                closeGap()
                blocks.append(.cell(ExecutedCell(cell: cell, result: resultByCell[cell.index])))
            }
        }
        closeGap()
        self.blocks = blocks
    }

    /// A notebook that did not compile: each cell holding an error gets a failed result with its
    /// first error (message, `.md` line, source line), the others none; errors outside every cell (a
    /// parameter's line) go to the first cell. Nothing ran.
    public init(notebook: Notebook, compileErrors diagnostics: [Diagnostic], parameters: [Parameter]? = nil, run: RunFacts = RunFacts()) {
        self.init(notebook: notebook, results: Self.compileErrorResults(diagnostics, notebook: notebook), parameters: parameters, run: run)
    }

    /// The results `init(notebook:compileErrors:)` gives the cells.
    public static func compileErrorResults(_ diagnostics: [Diagnostic], notebook: Notebook) -> [CellResult] {
        var results: [Int: CellResult] = [:]
        for diagnostic in diagnostics where diagnostic.severity == .error {
            // An error in an inline expression of the prose goes to the cell before it.
            let inline = diagnostic.line.flatMap { line in notebook.inlineExpressions.first { $0.line == line } }
            let cell = diagnostic.line.flatMap { line in notebook.cells.first { $0.sourceLine(atMarkdownLine: line) != nil } }
                ?? inline.flatMap { expression in notebook.cells.first { $0.index == expression.cellIndex ?? 0 } }
                ?? notebook.cells.first
            guard let cell, results[cell.index] == nil else { continue }
            var message = diagnostic.message
            if let hint = diagnostic.hint { message += " (\(hint))" }
            let error = CellError(kind: .compile, message: message, line: diagnostic.line,
                                  sourceLine: diagnostic.line.flatMap { cell.sourceLine(atMarkdownLine: $0) } ?? inline?.lineText,
                                  details: diagnostics.count > 1 ? diagnostics.map(\.description).joined(separator: "\n") : nil)
            results[cell.index] = CellResult(cellIndex: cell.index, status: .failed, error: error)
        }
        return results.values.sorted { $0.cellIndex < $1.cellIndex }
    }

    /// The Markdown before each cell and after the last (`cells.count + 1` pieces): the lines
    /// between one cell's closing fence and the next one's opening fence, without the blank lines
    /// around them. A notebook made without its Markdown gives empty pieces.
    static func proseMarkdown(_ notebook: Notebook) -> [String] {
        let cells = notebook.cells
        let lines = notebook.markdown.split(separator: "\n", omittingEmptySubsequences: false)
        func piece(from first: Int, through last: Int) -> String {
            // `first` and `last` are 1-based `.md` lines.
            let lower = max(first, 1), upper = min(last, lines.count)
            guard lower <= upper else { return "" }
            var slice = lines[(lower - 1)..<upper]
            while let line = slice.first, line.allSatisfy(\.isWhitespace) { slice.removeFirst() }
            while let line = slice.last, line.allSatisfy(\.isWhitespace) { slice.removeLast() }
            return slice.joined(separator: "\n")
        }
        var pieces: [String] = []
        var next = 1
        for cell in cells {
            pieces.append(piece(from: next, through: cell.line - 2))
            next = (cell.closingFenceLine ?? (cell.line + cell.lineCount)) + 1
        }
        pieces.append(piece(from: next, through: lines.count))
        return pieces
    }

    // MARK: Reading it

    /// The cells with their results, in order; `cells[i].cell.index == i`.
    public var cells: [ExecutedCell] {
        blocks.compactMap { if case .cell(let cell) = $0 { return cell } else { return nil } }
    }

    /// Every result, in cell order.
    public var results: [CellResult] { cells.compactMap(\.result) }

    /// The cell with this index, if any.
    public func cell(_ index: Int) -> ExecutedCell? {
        let all = cells
        return all.indices.contains(index) && all[index].cell.index == index ? all[index] : all.first { $0.cell.index == index }
    }

    public var verdict: RunVerdict { RunVerdict(results, interrupted: run.interrupted) }

    /// Results of cells that failed.
    public var failedCells: [CellResult] { results.filter { $0.status == .failed } }
}
