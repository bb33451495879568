import KernelProtocol

/// The prose's inline expressions (`` `{swift} x` ``) with their values, for the render stage:
/// each expression's element in the prose HTML (`InlineExpression.element`) becomes its value,
/// HTML-escaped, or, when the run gave none, a visible mark saying why (never a value of another
/// run: a value counts only when it came from this result's cell for the same expression).
struct InlineValues {
    private let notebook: Notebook
    /// The value of each expression with one, by index.
    private var values: [Int: String] = [:]
    /// Why an expression without a value has none, by the index of the cell before it.
    private var results: [Int: CellResult] = [:]
    /// A live page's cell states: a value from an earlier run shows greyed, one not there yet as waiting.
    private let states: [Int: HTMLReport.LiveCellState]?

    init(notebook: Notebook, results: [CellResult], states: [Int: HTMLReport.LiveCellState]? = nil) {
        self.notebook = notebook
        self.states = states
        for result in results {
            self.results[result.cellIndex] = result
            for case .display(.inline(let index, let expression, let value)) in result.outputs
            where notebook.inlineExpressions.indices.contains(index) && notebook.inlineExpressions[index].source == expression {
                values[index] = value
            }
        }
    }

    /// `html` (a prose block) with every inline expression's element replaced.
    func fill(_ html: String) -> String {
        guard !notebook.inlineExpressions.isEmpty, html.contains("<span class=\"inline-value\" data-inline=\"") else { return html }
        var html = html
        for expression in notebook.inlineExpressions {
            guard let range = html.range(of: expression.element) else { continue }
            html.replaceSubrange(range, with: element(expression.index))
        }
        return html
    }

    /// What stands for expression `index` in the page: its value, or why there is none.
    func element(_ index: Int) -> String {
        let expression = notebook.inlineExpressions[index]
        let state = states?[expression.cellIndex ?? notebook.cells.first { $0.options.eval }?.index ?? 0]
        if let value = values[index] {
            let stale = state == .stale ? " stale\" title=\"from an earlier run" : ""
            return "<span class=\"inline-value\(stale)\" data-inline=\"\(index)\">\(HTML.escape(value))</span>"
        }
        let reason = state == .running || state == .pending ? "waiting" : missingReason(expression)
        return "<span class=\"inline-value missing\" data-inline=\"\(index)\" title=\"\(HTML.escape(reason))\">"
            + "<code>\(HTML.escape(InlineExpression.marker + " " + expression.source))</code> <em>(\(HTML.escape(reason)))</em></span>"
    }

    /// Why an expression has no value: its cell was not evaluated, did not compile, failed or never ran.
    private func missingReason(_ expression: InlineExpression) -> String {
        guard let cellIndex = expression.cellIndex ?? notebook.cells.first(where: { $0.options.eval })?.index,
              notebook.cells.indices.contains(cellIndex) else {
            return "not evaluated: no cell runs"
        }
        let cell = notebook.cells[cellIndex]
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
