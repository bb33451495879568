/// A type that chooses how it is shown when displayed or left as a cell's last expression.
///
/// Engine types (models, tables) conform in their own modules' extensions inside the
/// kernel, so the kernel does not depend on their layout. (`DisplayItem` itself is part of
/// the kernel protocol, shared with the tool.)
///
///     extension Sequential: NotebookDisplayable {
///         public var notebookDisplay: DisplayItem { .table(headers: ["layer", "shape", "parameters"], rows: rows) }
///     }
public protocol NotebookDisplayable {
    var notebookDisplay: DisplayItem { get }
}
