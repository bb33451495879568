import Foundation
import KernelProtocol

/// The prose's inline expressions (`` `{swift} x` ``) with their values, for the render stage:
/// each expression's element in the prose HTML (`InlineExpression.element`) becomes its value,
/// HTML-escaped, or, when the run gave none, a visible mark saying why (never a value of another
/// run: a value counts only when it came from this result's cell for the same expression).
struct InlineValues {
    private let expressions: [InlineExpression]
    private let cells: [Int: Cell]
    /// The first evaluated cell: where expressions before any cell are evaluated.
    private let firstEvaluated: Int?
    /// The value of each expression with one, by index.
    private var values: [Int: String] = [:]
    /// Why an expression without a value has none, by the index of the cell before it.
    private var results: [Int: CellResult] = [:]
    /// A live page's cell states: a value from an earlier run shows greyed, one not there yet as waiting.
    private let states: [Int: HTMLReport.LiveCellState]?

    init(document: ExecutedNotebook, states: [Int: HTMLReport.LiveCellState]? = nil) {
        expressions = document.inlineExpressions
        let executed = document.cells
        cells = Dictionary(executed.map { ($0.cell.index, $0.cell) }, uniquingKeysWith: { first, _ in first })
        firstEvaluated = executed.first { $0.cell.options.eval }?.cell.index
        self.states = states
        for result in executed.compactMap(\.result) {
            self.results[result.cellIndex] = result
            for case .display(.inline(let index, let expression, let value)) in result.outputs
            where expressions.indices.contains(index) && expressions[index].source == expression {
                values[index] = value
            }
        }
    }

    /// `html` (a prose block) with every inline expression's element replaced.
    func fill(_ html: String) -> String {
        guard !expressions.isEmpty, html.contains("<span class=\"inline-value\" data-inline=\"") else { return html }
        var html = html
        for expression in expressions {
            guard let range = html.range(of: expression.element) else { continue }
            html.replaceSubrange(range, with: element(expression.index))
        }
        return html
    }

    /// What stands for expression `index` in the page: its value, or why there is none.
    func element(_ index: Int) -> String {
        let expression = expressions[index]
        let state = states?[expression.cellIndex ?? firstEvaluated ?? 0]
        if let value = values[index] {
            let stale = state == .stale ? " stale\" title=\"from an earlier run" : ""
            return "<span class=\"inline-value\(stale)\" data-inline=\"\(index)\">\(HTML.escape(value))</span>"
        }
        let reason = state == .running || state == .pending ? "waiting" : missingReason(expression)
        return "<span class=\"inline-value missing\" data-inline=\"\(index)\" title=\"\(HTML.escape(reason))\">"
            + "<code>\(HTML.escape(InlineExpression.marker + " " + expression.source))</code> <em>(\(HTML.escape(reason)))</em></span>"
    }

    /// Why an expression has no value: its cell was not evaluated, did not compile, failed or never ran.
    /// `markdown` (a prose block as written) with each inline expression's code span replaced by
    /// its value, Markdown-escaped, or by why there is none, in italics: for formats that render
    /// the Markdown themselves (Jupyter).
    func fillMarkdown(_ markdown: String) -> String {
        guard !expressions.isEmpty, markdown.contains(InlineExpression.marker) else { return markdown }
        var markdown = markdown
        for expression in expressions {
            // The span as written: a run of backticks, the marker, the expression, the same run.
            let escaped = NSRegularExpression.escapedPattern(for: expression.source)
            let marker = NSRegularExpression.escapedPattern(for: InlineExpression.marker)
            guard let pattern = try? NSRegularExpression(pattern: "(`+) ?\(marker)\\s+\(escaped) ?\\1(?!`)"),
                  let match = pattern.firstMatch(in: markdown, range: NSRange(markdown.startIndex..., in: markdown)),
                  let range = Range(match.range, in: markdown) else { continue }
            let text = values[expression.index].map(Self.markdownEscaped) ?? "*(\(Self.markdownEscaped(missingReason(expression))))*"
            markdown.replaceSubrange(range, with: text)
        }
        return markdown
    }

    /// `text` with the characters Markdown would read as markup backslash-escaped.
    static func markdownEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\`*_[]<>|$~".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private func missingReason(_ expression: InlineExpression) -> String {
        guard let cellIndex = expression.cellIndex ?? firstEvaluated, let cell = cells[cellIndex] else {
            return "not evaluated: no cell runs"
        }
        if !cell.options.eval { return "not evaluated: the cell before it, \(cell.name), has eval: false" }
        guard let result = results[cellIndex] else { return "not run" }
        switch result.status {
        case .failed where result.error?.kind == .compile: return "not run: the notebook did not compile"
        case .failed: return "not run: \(cell.name) failed"
        case .notRun: return "not run: an earlier cell failed"
        case .notEvaluated: return "not evaluated"
        case .passed, .expectedError: return "no value"
        }
    }
}

extension CellOutput {
    /// An inline expression's value: shown in the prose, not among the cell's outputs.
    var isInlineValue: Bool {
        if case .display(.inline) = self { return true }
        return false
    }
}
