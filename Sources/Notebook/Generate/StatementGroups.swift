import SwiftParser
import SwiftSyntax

/// A cell's runs of consecutive top-level statements, each wrapped in `do { }`, and the cell's
/// ending call placed inside its last run.
///
/// Why: in `main.swift` each top-level statement opens a scope holding the rest of the file, and
/// swiftc resolves a name (and SILGen places a debug scope) by walking through every one before
/// it, so the cost of a statement grows with the number of statements above it and a notebook's
/// compile time with the square of its length (measured: `benchmarks compile`). A run of
/// statements in one `do { }` is one top-level statement. Nothing a run holds is visible after
/// it (it declares nothing: declarations, `guard`, whose bindings hold for the code after it,
/// and `defer`, which at top level runs when the program ends, are never in a run), and it runs
/// in the same order, so the program means the same. The wrapping is written on the lines it
/// wraps, so lines stay put, and its `do { ` is recorded as a column shift.
struct StatementGroups {
    /// The cell's code with its runs wrapped.
    var text: String
    /// The `do { ` insertions, in `.md` columns.
    var shifts: [GeneratedProgram.ColumnShift] = []
    /// Whether `ending` was put at the end of the last run (the cell ends with a statement);
    /// otherwise the caller emits it after the cell.
    var holdsEnding = false

    /// - Parameters:
    ///   - text: the cell's code as the plan made it (`CellPlan.text`).
    ///   - shifts: the plan's column shifts for that code.
    ///   - ending: a call to run after the cell's last statement (the cell's end).
    init(text: String, cell: Cell, shifts: [GeneratedProgram.ColumnShift], ending: String) {
        self.text = text
        let tree = Parser.parse(source: text)
        // Code swiftc will reject anyway stays as written, for its messages.
        guard !tree.hasError else { return }
        let items = Array(tree.statements)
        var runs: [Range<Int>] = []
        var start: Int?
        for (index, item) in items.enumerated() {
            if Self.isGroupable(item) {
                if start == nil { start = index }
            } else if let first = start {
                runs.append(first..<index)
                start = nil
            }
        }
        if let first = start { runs.append(first..<items.count) }
        let endsWithRun = runs.last?.upperBound == items.count
        let converter = SourceLocationConverter(fileName: "", tree: tree)
        var edits: [(offset: Int, text: String)] = []
        for run in runs {
            let isLast = endsWithRun && run == runs.last
            // A run of one statement is one statement either way; the last takes the ending.
            guard run.count > 1 || isLast else { continue }
            let first = items[run.lowerBound], last = items[run.upperBound - 1]
            let opening = first.positionAfterSkippingLeadingTrivia
            var closing = " };"
            if isLast {
                closing = (last.semicolon == nil ? "; " : " ") + ending + closing
                holdsEnding = true
            }
            edits.append((opening.utf8Offset, "do { "))
            edits.append((last.endPositionBeforeTrailingTrivia.utf8Offset, closing))
            let location = converter.location(for: opening)
            let line = cell.line + location.line - 1
            let column = GeneratedProgram.markdownColumn(location.column, line: line, shifts: shifts)
            self.shifts.append(.init(markdownLine: line, fromColumn: column, width: "do { ".utf8.count))
        }
        var bytes = Array(text.utf8)
        for edit in edits.sorted(by: { $0.offset > $1.offset }) {
            bytes.insert(contentsOf: Array(edit.text.utf8), at: edit.offset)
        }
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    /// A top-level item that can go in a `do { }` without changing what the program means: an
    /// expression or a statement that declares nothing for the code after it.
    static func isGroupable(_ item: CodeBlockItemSyntax) -> Bool {
        switch item.item {
        case .decl: return false
        case .expr(let expression): return !expression.is(MacroExpansionExprSyntax.self)
        case .stmt(let statement):
            return statement.is(ExpressionStmtSyntax.self) || statement.is(ForStmtSyntax.self)
                || statement.is(WhileStmtSyntax.self) || statement.is(RepeatStmtSyntax.self)
                || statement.is(DoStmtSyntax.self) || statement.is(ThrowStmtSyntax.self)
        }
    }
}
