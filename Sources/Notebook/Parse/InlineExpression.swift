/// A Swift expression written in the prose as inline code, `` `{swift} expression` `` (Quarto's
/// `` `{python} x` ``, knitr's `` `r x` ``): the report shows its value in its place.
///
/// It is evaluated after the cell before it (so it sees what that cell and the ones before it
/// bound), and compiled with the rest of the program, so a type error in it is a compile error
/// at its `.md` line. One written before the first cell is evaluated at the start of the first
/// cell, before its code: it sees the parameters and the notebook's functions and types. One
/// after a cell with `eval: false` is not compiled, and the report says so in its place.
public struct InlineExpression: Codable, Sendable, Equatable {
    /// Position among the notebook's inline expressions, from 0.
    public var index: Int
    /// The expression as written after `{swift}`, without the spaces around it.
    public var source: String
    /// The `.md` line and (1-based, in bytes) column where `source` starts.
    public var line: Int
    public var column: Int
    /// The text of that `.md` line, for compile errors' excerpts.
    public var lineText: String
    /// The cell before it; nil when it comes before the first cell.
    public var cellIndex: Int?

    public init(index: Int, source: String, line: Int, column: Int, lineText: String = "", cellIndex: Int?) {
        self.index = index
        self.source = source
        self.line = line
        self.column = column
        self.lineText = lineText
        self.cellIndex = cellIndex
    }

    /// What prefixes the expression in the inline code.
    static let marker = "{swift}"

    /// Where the value goes in the prose HTML the parser makes (`Notebook.blocks`): an element
    /// prose cannot write (the allow-list drops `class` but `language-*`, and every `data-`
    /// attribute), holding the expression as written, which `InlineValues` replaces by the value.
    public var element: String {
        "\(Self.elementOpening(index))<code>\(HTML.escape(Self.marker + " " + source))</code></span>"
    }

    static func elementOpening(_ index: Int) -> String {
        "<span class=\"inline-value\" data-inline=\"\(index)\">"
    }
}
