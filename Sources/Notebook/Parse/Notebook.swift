/// A parsed Markdown notebook: front matter, rendered prose and the Swift cells, in order.
///
/// The parse stage's output (`NotebookParser.parse`); every later stage reads it and none
/// changes it. Line numbers are 1-based lines of the `.md` file.
public struct Notebook: Sendable {
    /// The path exactly as the user gave it: diagnostics and backtraces name this.
    public var path: String
    /// `title` from the front matter, else the text of the first level-1 heading.
    public var title: String?
    /// Front matter keys shown in the report header (`author`, `date`, `subtitle`, `description`).
    public var metadata: [String: String]
    /// `params` from the front matter, in the order written.
    public var parameters: [Parameter]
    /// Prose (already HTML) and cells, in document order.
    public var blocks: [Block]
    /// True when the prose holds `$...$` or `$$...$$`: the report then inlines KaTeX.
    public var hasMath: Bool
    /// The prose's inline expressions (`` `{swift} x` ``), in document order; each stands in the
    /// prose HTML as its `InlineExpression.element`.
    public var inlineExpressions: [InlineExpression] = []
    /// The Markdown after the front matter, its lines where they are in the file (the front
    /// matter's lines are empty): where the prose's Markdown is cut from, between the cells' fences.
    public var markdown: String

    public init(path: String, title: String? = nil, metadata: [String: String] = [:],
                parameters: [Parameter] = [], blocks: [Block], hasMath: Bool = false, markdown: String = "") {
        self.path = path
        self.title = title
        self.metadata = metadata
        self.parameters = parameters
        self.blocks = blocks
        self.hasMath = hasMath
        self.markdown = markdown
    }

    /// One piece of the document.
    public enum Block: Sendable, Equatable {
        /// Rendered prose (cmark-gfm HTML; math left as `<span class="math ...">` for KaTeX).
        case prose(html: String)
        /// A fenced ```swift cell.
        case cell(Cell)
    }

    /// The Swift cells, in order; `cells[i].index == i`.
    public var cells: [Cell] {
        blocks.compactMap { if case .cell(let cell) = $0 { return cell } else { return nil } }
    }
}

/// A fenced ```swift (or ~~~swift) code block.
public struct Cell: Codable, Sendable, Equatable {
    /// Position among the notebook's Swift cells, from 0.
    public var index: Int
    /// The code exactly as written between the fences, `//|` option lines included.
    public var source: String
    /// The `.md` line of the first line of `source` (the line after the opening fence).
    public var line: Int
    /// The options after merging front matter defaults with the cell's `//|` lines.
    public var options: CellOptions
    /// How many leading lines of `source` are `//|` option lines.
    public var optionLineCount: Int
    /// The `.md` line of the closing fence (nil for a cell not parsed from a file: then the line
    /// after `source`).
    public var closingFenceLine: Int?

    public init(index: Int, source: String, line: Int, options: CellOptions = CellOptions(), optionLineCount: Int = 0,
                closingFenceLine: Int? = nil) {
        self.index = index
        self.source = source
        self.line = line
        self.options = options
        self.optionLineCount = optionLineCount
        self.closingFenceLine = closingFenceLine
    }

    /// The code shown in the report: `source` without the option lines.
    public var displaySource: String {
        source.split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst(optionLineCount).joined(separator: "\n")
    }

    /// The `.md` line where `displaySource` starts.
    public var displayLine: Int { line + optionLineCount }

    /// The label, or `cell N` (1-based) for progress lines and errors.
    public var name: String { options.label ?? "cell \(index + 1)" }

    /// The source line at `.md` line `mdLine`, if it lies in this cell.
    public func sourceLine(atMarkdownLine mdLine: Int) -> String? {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let offset = mdLine - line
        guard offset >= 0, offset < lines.count else { return nil }
        return String(lines[offset])
    }

    /// Number of lines in `source`.
    public var lineCount: Int {
        source.split(separator: "\n", omittingEmptySubsequences: false).count
    }
}
