import SwiftParser
import SwiftSyntax

/// One cell as the plan stage sees it, from a single parse: how the generator wraps it (its
/// imports hoisted, its last value displayed, a cached cell's statements in a closure), the
/// delimiters it leaves open, what it binds, declares, reads and changes (`CellSymbols`), and
/// why a `cache: true` cell cannot be cached when its text alone decides it.
struct CellPlan {
    let cell: Cell
    /// The cell's code with imports blanked and the last expression wrapped.
    var text: String
    /// The imports taken out, as written, and their `.md` lines.
    var imports: [(text: String, line: Int)] = []
    /// Where the generator inserted text before code on a line (the last expression's display
    /// wrapper, a statement's `willTry` mark): columns after it moved right.
    var shifts: [GeneratedProgram.ColumnShift] = []
    /// Delimiters the cell leaves open or closes without opening, and option conflicts.
    var problems: [Diagnostic] = []
    /// The names a `cache: true` cell binds with top-level `let`/`var`, in order.
    var bindings: [(keyword: String, name: String)] = []
    /// The cell has a `try` or `throw` outside its declarations: a closure around it throws, and needs a `try`.
    var mayThrow = false
    /// A cached cell's code without its functions and types (blanked in place, lines and columns kept).
    var statementText = ""
    /// Only a cached cell's functions and types (the rest blanked), or nil when it has none.
    var declarationText: String?
    /// Why a `cache: true` cell cannot be cached and runs normally, when its own text decides it.
    var cacheBlocker: String?
    /// The last expression is wrapped in `_nbDiscardLast(...)` (`output: false`).
    var discardsLast = false
    let symbols: CellSymbols

    static let displayPrefix = "_nbDisplayLast("
    static let discardPrefix = "_nbDiscardLast("
    /// Defined in the generated file when a cell with `output: false` ends in an expression.
    static let discardFunction = "func _nbDiscardLast<T>(_ value: T) {}"

    init(_ cell: Cell, path: String) {
        self.cell = cell
        let tree = Parser.parse(source: cell.source)
        symbols = CellSymbols(tree: tree)
        let converter = SourceLocationConverter(fileName: path, tree: tree)
        problems = Self.unbalanced(tree, cell: cell, converter: converter, path: path)
        let original = Array(cell.source.utf8)
        var edits: [(start: Int, end: Int, replacement: String)] = []
        var declarations: [Range<Int>] = []
        var declarationNodes: [DeclSyntax] = []
        func markdownLine(_ position: AbsolutePosition) -> Int {
            cell.line + converter.location(for: position).line - 1
        }

        for item in tree.statements {
            guard case .decl(let decl) = item.item else { continue }
            if let importDecl = decl.as(ImportDeclSyntax.self) {
                imports.append((importDecl.trimmedDescription, markdownLine(importDecl.positionAfterSkippingLeadingTrivia)))
                edits.append((importDecl.positionAfterSkippingLeadingTrivia.utf8Offset, importDecl.endPositionBeforeTrailingTrivia.utf8Offset, ""))
            } else if cell.options.cache {
                if decl.is(VariableDeclSyntax.self) {
                    if let blocker = Self.cacheBindings(decl, into: &bindings) { cacheBlocker = cacheBlocker ?? blocker }
                } else if decl.is(FunctionDeclSyntax.self) || decl.is(StructDeclSyntax.self) || decl.is(ClassDeclSyntax.self)
                            || decl.is(EnumDeclSyntax.self) || decl.is(ExtensionDeclSyntax.self) || decl.is(ProtocolDeclSyntax.self)
                            || decl.is(TypeAliasDeclSyntax.self) || decl.is(ActorDeclSyntax.self) || decl.is(OperatorDeclSyntax.self)
                            || decl.is(PrecedenceGroupDeclSyntax.self) {
                    declarations.append(decl.positionAfterSkippingLeadingTrivia.utf8Offset..<decl.endPositionBeforeTrailingTrivia.utf8Offset)
                    declarationNodes.append(decl)
                } else {
                    let line = markdownLine(decl.positionAfterSkippingLeadingTrivia)
                    cacheBlocker = cacheBlocker ?? "the declaration at line \(line) cannot be kept apart from the cell's values"
                }
            }
        }
        mayThrow = tree.tokens(viewMode: .sourceAccurate).contains { token in
            (token.tokenKind == .keyword(.try) || token.tokenKind == .keyword(.throw))
                && !declarations.contains { $0.contains(token.positionAfterSkippingLeadingTrivia.utf8Offset) }
        }
        if cell.options.cache && cell.options.error {
            problems.append(Diagnostic(file: path, line: cell.line, column: nil, severity: .error,
                                       message: "a cell cannot be both 'cache: true' and 'error: true'"))
        }
        if cell.options.cache, cacheBlocker == nil {
            // A function or type reading a value of the same cell would read it before the
            // restored copy exists: such a cell runs normally.
            let names = Set(bindings.map(\.name))
            outer: for decl in declarationNodes {
                for token in decl.tokens(viewMode: .sourceAccurate) {
                    if case .identifier(let name) = token.tokenKind, names.contains(name) {
                        cacheBlocker = "the declaration at line \(markdownLine(decl.positionAfterSkippingLeadingTrivia)) uses '\(name)', which this cell binds"
                        break outer
                    }
                }
            }
        }
        if cell.options.cache, cacheBlocker == nil, !symbols.codeValues.isEmpty {
            cacheBlocker = "it binds '\(symbols.codeValues.sorted()[0])' to a closure or computed value, which the cache cannot store"
        }
        if problems.isEmpty, let last = tree.statements.last,
           case .expr(let expression) = last.item, Self.isDisplayable(expression) {
            // With `output: false` the value is not shown, and swiftc must not warn that it is unused.
            let prefix = cell.options.output ? Self.displayPrefix : Self.discardPrefix
            discardsLast = !cell.options.output
            let start = expression.positionAfterSkippingLeadingTrivia
            let end = expression.endPositionBeforeTrailingTrivia
            edits.append((end.utf8Offset, end.utf8Offset, ")"))
            edits.append((start.utf8Offset, start.utf8Offset, prefix))
            let location = converter.location(for: start)
            shifts.append(.init(markdownLine: cell.line + location.line - 1, fromColumn: location.column, width: prefix.utf8.count))
        }
        // Before each top-level statement that may throw, its `.md` line for the kernel: an error
        // thrown out of a cell carries no location, and the cell may hold several `try`s.
        if problems.isEmpty {
            for item in tree.statements where item.tokens(viewMode: .sourceAccurate).contains(where: { $0.tokenKind == .keyword(.try) }) {
                if case .decl(let decl) = item.item, !decl.is(VariableDeclSyntax.self) { continue }
                let start = item.positionAfterSkippingLeadingTrivia
                let location = converter.location(for: start)
                let mark = "NotebookSession.willTry(\(cell.line + location.line - 1)); "
                edits.insert((start.utf8Offset, start.utf8Offset, mark), at: 0)
                shifts.append(.init(markdownLine: cell.line + location.line - 1, fromColumn: location.column, width: mark.utf8.count))
            }
        }
        func apply(_ edits: [(start: Int, end: Int, replacement: String)], to bytes: [UInt8]) -> String {
            var bytes = bytes
            // Insertions at one place go in the order listed (a mark before the display wrapper).
            let ordered = edits.enumerated().sorted { ($0.element.start, $0.offset) > ($1.element.start, $1.offset) }.map(\.element)
            for edit in ordered {
                bytes.replaceSubrange(edit.start..<edit.end, with: Array(edit.replacement.utf8))
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        text = apply(edits, to: original)
        if cell.options.cache {
            statementText = apply(edits + declarations.map { ($0.lowerBound, $0.upperBound, Self.blank(original[$0])) }, to: original)
            if !declarations.isEmpty {
                var kept = [UInt8](repeating: UInt8(ascii: " "), count: original.count)
                for (offset, byte) in original.enumerated() where byte == UInt8(ascii: "\n") { kept[offset] = byte }
                for range in declarations { kept.replaceSubrange(range, with: original[range]) }
                declarationText = String(decoding: kept, as: UTF8.self)
            }
        }
    }

    /// Spaces for every byte but newlines: what was there is gone, lines and columns stay.
    static func blank(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 == UInt8(ascii: "\n") ? $0 : UInt8(ascii: " ") }, as: UTF8.self)
    }

    /// Collects the names a top-level `let`/`var` of a cached cell binds; returns why the cell
    /// cannot be cached when a binding is not a plain stored name.
    static func cacheBindings(_ decl: DeclSyntax, into bindings: inout [(keyword: String, name: String)]) -> String? {
        guard let variable = decl.as(VariableDeclSyntax.self) else { return "not a let or var" }
        let keyword = variable.bindingSpecifier.text
        for binding in variable.bindings {
            if binding.accessorBlock != nil {
                return "the computed variable '\(binding.pattern.trimmedDescription)' cannot be stored"
            }
            if variable.modifiers.contains(where: { $0.name.tokenKind == .keyword(.lazy) }) {
                return "the lazy variable '\(binding.pattern.trimmedDescription)' cannot be stored"
            }
            if let identifier = binding.pattern.as(IdentifierPatternSyntax.self) {
                bindings.append((keyword, identifier.identifier.text))
            } else if let tuple = binding.pattern.as(TuplePatternSyntax.self) {
                for element in tuple.elements {
                    if let identifier = element.pattern.as(IdentifierPatternSyntax.self) {
                        bindings.append((keyword, identifier.identifier.text))
                    } else if !element.pattern.is(WildcardPatternSyntax.self) {
                        return "the binding '\(binding.pattern.trimmedDescription)' is not a list of plain names"
                    }
                }
            } else if !binding.pattern.is(WildcardPatternSyntax.self) {
                return "the binding '\(binding.pattern.trimmedDescription)' is not a plain name"
            }
        }
        return nil
    }

    /// Whether a cell's final expression should be shown: not an assignment (`x = 1`,
    /// `x += 1`, `_ = f()`), not an `if`/`switch` used as a statement.
    static func isDisplayable(_ expression: ExprSyntax) -> Bool {
        if expression.is(IfExprSyntax.self) || expression.is(SwitchExprSyntax.self) { return false }
        if isAssignment(expression) { return false }
        if let sequence = expression.as(SequenceExprSyntax.self) {
            return !sequence.elements.contains(where: isAssignment)
        }
        if let infix = expression.as(InfixOperatorExprSyntax.self) {
            return !isAssignment(infix.operator)
        }
        return true
    }

    /// `=` or a compound assignment operator such as `+=`.
    private static func isAssignment(_ expression: ExprSyntax) -> Bool {
        if expression.is(AssignmentExprSyntax.self) { return true }
        if let binary = expression.as(BinaryOperatorExprSyntax.self) {
            let name = binary.operator.text
            return name.hasSuffix("=") && !["==", "!=", "<=", ">=", "===", "!=="].contains(name)
        }
        return false
    }

    /// Opening delimiters left open and stray closers: errors at the `.md` line.
    static func unbalanced(_ tree: SourceFileSyntax, cell: Cell, converter: SourceLocationConverter, path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func diagnostic(_ position: AbsolutePosition, _ message: String) {
            let location = converter.location(for: position)
            diagnostics.append(Diagnostic(file: path, line: cell.line + location.line - 1, column: location.column,
                                          severity: .error, message: message,
                                          excerpt: cell.sourceLine(atMarkdownLine: cell.line + location.line - 1)))
        }
        let closers: [TokenKind: (open: TokenKind, text: String)] = [
            .rightBrace: (.leftBrace, "{"), .rightParen: (.leftParen, "("), .rightSquare: (.leftSquare, "["),
        ]
        for token in tree.tokens(viewMode: .all) {
            if token.presence == .missing, let closer = closers[token.tokenKind] {
                let opener = token.parent?.children(viewMode: .sourceAccurate)
                    .compactMap { $0.as(TokenSyntax.self) }
                    .first { $0.tokenKind == closer.open && $0.presence == .present }
                if let opener {
                    diagnostic(opener.positionAfterSkippingLeadingTrivia,
                               "this '\(closer.text)' is not closed before the end of cell \(cell.index + 1) (each cell must be complete)")
                } else {
                    diagnostic(token.position, "expected '\(token.text)' before the end of cell \(cell.index + 1)")
                }
            } else if token.presence == .missing,
                      [TokenKind.stringQuote, .multilineStringQuote, .singleQuote].contains(token.tokenKind) {
                // At the string's opening quote, not at the end of the cell where the closing one is missing.
                let opening = token.parent?.as(StringLiteralExprSyntax.self)?.openingQuote
                let start = opening.flatMap { $0.presence == .present ? $0.positionAfterSkippingLeadingTrivia : nil }
                diagnostic(start ?? token.position, "string literal is not closed before the end of cell \(cell.index + 1)")
            } else if token.presence == .missing, token.tokenKind == .poundEndif {
                // An #if that a later cell was meant to close: the cells between would belong to it.
                let opening = token.parent?.as(IfConfigDeclSyntax.self)?.clauses.first?.poundKeyword
                diagnostic(opening?.positionAfterSkippingLeadingTrivia ?? token.position,
                           "this '#if' is not closed before the end of cell \(cell.index + 1) (each cell must hold its own #endif)")
            } else if token.presence == .present, [TokenKind.poundEndif, .poundElse, .poundElseif].contains(token.tokenKind),
                      token.parent?.is(UnexpectedNodesSyntax.self) == true || token.parent?.parent?.is(UnexpectedNodesSyntax.self) == true {
                diagnostic(token.positionAfterSkippingLeadingTrivia, "unexpected '\(token.text)': it closes no '#if' of this cell")
            } else if token.presence == .present, token.tokenKind == .rightBrace || token.tokenKind == .rightParen,
                      token.parent?.is(UnexpectedNodesSyntax.self) == true {
                diagnostic(token.positionAfterSkippingLeadingTrivia, "unexpected '\(token.text)': it closes nothing in this cell")
            }
            for piece in token.leadingTrivia + token.trailingTrivia {
                if case .blockComment(let text) = piece, !text.hasSuffix("*/") {
                    diagnostic(token.position, "block comment '/*' is not closed before the end of cell \(cell.index + 1)")
                }
            }
        }
        return diagnostics
    }
}
