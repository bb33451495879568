/// Something a notebook cell shows in the report besides its printed output.
///
/// The runner renders each case and escapes all text; only `.html` is passed through,
/// for types of the engine that build their own markup.
public enum DisplayItem: Sendable, Equatable {
    /// Preformatted text.
    case text(String)
    /// A PNG image.
    case png([UInt8])
    /// A table: column headers and rows of cells, all text.
    case table(headers: [String], rows: [[String]])
    /// Trusted HTML (from engine types, never from printed output).
    case html(String)
}

/// A type that chooses how it is shown when displayed or left as a cell's last expression.
///
/// Engine types (models, tables) conform in their own modules' extensions inside the
/// kernel, so the kernel does not depend on their layout.
///
///     extension Sequential: NotebookDisplayable {
///         public var notebookDisplay: DisplayItem { .table(headers: ["layer", "shape", "parameters"], rows: rows) }
///     }
public protocol NotebookDisplayable {
    var notebookDisplay: DisplayItem { get }
}
