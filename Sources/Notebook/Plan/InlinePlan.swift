import SwiftParser
import SwiftSyntax

/// The prose's inline expressions as the plan stage sees them: which are compiled, whether each
/// is one Swift expression, and the code the generator puts at the end of the cell before them.
///
/// Each is evaluated in a call on its index literal (`3._nbInline("answer") { answer }`: see
/// `Int._nbInline` in the kernel), written on a line of its own that `#sourceLocation` places at
/// the expression's `.md` line, with the expression at its `.md` column and the call's text
/// recorded as column shifts, so a compile error in it names the line and column as written.
/// Those of one cell go in one `do { }` with the cell's ending (`3._nbNextCell(4)`) at its end,
/// so they run after everything the cell does and before it ends: their values are events of
/// that cell. A cached cell's values are thus computed from the state it leaves, whether it ran
/// or was restored, and are not part of its entry: an expression may read what the cell does not,
/// which the entry's key does not cover, and may be edited while the cell is not.
struct InlinePlan {
    /// The compiled expressions, by the index of the cell that evaluates them (the cell before
    /// them; the first evaluated cell for those before every cell, at its start).
    private(set) var byCell: [Int: [InlineExpression]] = [:]
    /// Those written before every cell, evaluated at the start of `firstCell`.
    private(set) var beforeCells: [InlineExpression] = []
    /// Expressions that are not one Swift expression.
    private(set) var problems: [Diagnostic] = []
    /// Those whose text holds a `try`: the call throws too.
    private var throwing: Set<Int> = []

    init(notebook: Notebook, evaluatedCells: Set<Int>) {
        let anyEvaluated = !evaluatedCells.isEmpty
        for expression in notebook.inlineExpressions {
            if let cell = expression.cellIndex {
                guard evaluatedCells.contains(cell) else { continue }
            } else if !anyEvaluated {
                continue
            }
            let tree = Parser.parse(source: expression.source)
            let items = Array(tree.statements)
            // A comment would hide the call's end that the generator writes after the expression.
            let hasComment = tree.tokens(viewMode: .all).contains { token in
                (token.leadingTrivia + token.trailingTrivia).contains { $0.isComment }
            }
            guard !tree.hasError, !hasComment, items.count == 1, case .expr = items[0].item else {
                problems.append(Diagnostic(file: notebook.path, line: expression.line, column: expression.column, severity: .error,
                                           message: "the inline expression '\(expression.source)' is not one Swift expression"
                                               + (hasComment ? " (it holds a comment)" : ""),
                                           hint: "write an expression whose value the prose shows, such as `{swift} answer` or "
                                               + "`{swift} String(format: \"%.1f\", accuracy * 100)`",
                                           excerpt: expression.lineText))
                continue
            }
            if tree.tokens(viewMode: .sourceAccurate).contains(where: { $0.tokenKind == .keyword(.try) }) {
                throwing.insert(expression.index)
            }
            if let cell = expression.cellIndex {
                byCell[cell, default: []].append(expression)
            } else {
                beforeCells.append(expression)
            }
        }
    }

    /// The code evaluating `expressions`, with the cell's `ending` (if any) after them, in one
    /// `do { }`, and the column shifts of the text put around each expression.
    func code(_ expressions: [InlineExpression], ending: String?, path: String)
        -> (text: String, shifts: [GeneratedProgram.ColumnShift]) {
        var text = "do {\n"
        var shifts: [GeneratedProgram.ColumnShift] = []
        var lines: [Int: [InlineExpression]] = [:]
        for expression in expressions { lines[expression.line, default: []].append(expression) }
        for line in lines.keys.sorted() {
            // The `.md` line blanked but for its expressions, each wrapped in its call: what is
            // inserted before and after each one is a column shift on that line.
            var written = ""
            var column = 1
            for expression in lines[line]!.sorted(by: { $0.column < $1.column }) where expression.column >= column {
                written += String(repeating: " ", count: expression.column - column)
                // One that may throw first tells the kernel its line (where an error thrown out of it came from).
                let mark = throwing.contains(expression.index) ? "NotebookSession.willTry(\(line)); try " : ""
                let call = "\(mark)\(expression.index)._nbInline(\(ProgramGenerator.swiftStringLiteral(expression.source))) { "
                let close = " };"
                written += call + expression.source + close
                shifts.append(.init(markdownLine: line, fromColumn: expression.column, width: call.utf8.count))
                shifts.append(.init(markdownLine: line, fromColumn: expression.column + expression.source.utf8.count,
                                    width: close.utf8.count))
                column = expression.column + expression.source.utf8.count
            }
            text += "#sourceLocation(file: \(path), line: \(line))\n\(written)\n"
        }
        text += "#sourceLocation()\n"
        if let ending { text += ending + "\n" }
        return (text + "}", shifts)
    }
}
