import Foundation
import KernelProtocol

/// What one cell showed, as golden outputs keep it: its printed and shown text, line by line, and
/// its figures' data. Cells are matched by `key`, not by their place, so that adding, removing or
/// editing another cell leaves a cell's golden outputs in force.
struct GoldenCell: Equatable {
    /// The cell's label when it has one, else `code-` and a hash of its code (without its `//|`
    /// lines and trailing spaces); a cell whose code is the same as an earlier one's gets `-2`,
    /// `-3`... Editing a cell's code makes its outputs unknown until they are recorded again.
    var key: String
    /// The first line of the cell's code, for the reader of the file (its place would change with
    /// every cell or line added above it, and so would the file).
    var firstLine: String
    var outputs: [Output]

    /// One thing the cell showed, in order; consecutive text of one kind is one output.
    enum Output: Equatable {
        /// `kind`: stdout, stderr, text (a shown value), table, html, inline (a prose's value).
        case text(kind: String, lines: [String])
        case figure(FigureData)
        /// An image without data (a diagram): only that it was shown.
        case image

        var kind: String {
            switch self {
            case .text(let kind, _): return kind
            case .figure: return "figure"
            case .image: return "image"
            }
        }
    }

    /// The first line of `cell`'s code that is not blank.
    static func firstLine(of cell: Cell) -> String {
        cell.displaySource.split(separator: "\n").map { $0.trimmingWhitespace() }.first { !$0.isEmpty } ?? ""
    }

    /// The keys of `cells`, in order (see `key`).
    static func keys(_ cells: [Cell]) -> [String] {
        var seen: [String: Int] = [:]
        return cells.map { cell in
            if let label = cell.options.label { return label }
            let code = cell.source.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.drop { $0 == " " || $0 == "\t" }.hasPrefix("//|") }
                .map { String($0.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
                .joined(separator: "\n").trimmingCharacters(in: .newlines)
            let key = "code-" + CacheAnalysis.sha256([code]).prefix(12)
            seen[key, default: 0] += 1
            return seen[key]! == 1 ? key : "\(key)-\(seen[key]!)"
        }
    }

    /// A cell's outputs as recorded: the text of printed lines that `settings` does not ignore.
    init(key: String, cell: Cell, result: CellResult, settings: GoldenSettings) {
        self.key = key
        firstLine = Self.firstLine(of: cell)
        let ignoredLines = settings.lineExpressions
        func kept(_ text: String) -> [String] {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return lines.filter { line in
                !ignoredLines.contains { $0.firstMatch(in: line, range: NSRange(location: 0, length: (line as NSString).length)) != nil }
            }
        }
        var outputs: [Output] = []
        func append(_ kind: String, _ text: String) {
            let lines = kept(text)
            guard !lines.isEmpty else { return }
            if case .text(kind, let before)? = outputs.last {
                outputs[outputs.count - 1] = .text(kind: kind, lines: before + lines)
            } else {
                outputs.append(.text(kind: kind, lines: lines))
            }
        }
        for output in result.outputs {
            switch output {
            case .stdout(let text): append("stdout", text)
            case .stderr(let text): append("stderr", text)
            case .display(let item):
                switch item {
                case .text(let text): append("text", text)
                case .table(let headers, let rows):
                    append("table", ([headers] + rows).map { $0.joined(separator: " | ") }.joined(separator: "\n"))
                case .html(let html): append("html", html)
                case .inline(_, let expression, let value): append("inline", "\(expression) = \(value)")
                case .png(_, _, let data): outputs.append(data.map(Output.figure) ?? .image)
                }
            }
        }
        self.outputs = outputs
    }

    init(key: String, firstLine: String, outputs: [Output]) {
        self.key = key
        self.firstLine = firstLine
        self.outputs = outputs
    }
}
