/// A problem with the notebook itself or with how nbrun was called: the command exits 2.
///
/// Printed as compiler-style diagnostics, `path:line:col: error: message`, so editors and
/// terminals can jump to the place. Runtime failures of cells are not errors of this kind:
/// they are results (`CellResult`), and the run goes on to write its report.
public struct NotebookError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Each problem found; usually one, several for compile errors.
    public var diagnostics: [Diagnostic]
    /// Where the problem was found: in the notebook's text and options, or by swiftc.
    public var stage: Stage = .notebook

    public enum Stage: String, Sendable {
        case notebook, compile
    }

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public init(file: String? = nil, line: Int? = nil, column: Int? = nil, _ message: String, hint: String? = nil) {
        self.diagnostics = [Diagnostic(file: file, line: line, column: column, severity: .error, message: message, hint: hint)]
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// One compiler-style message: where, how bad, what, and optionally how to fix it.
public struct Diagnostic: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Codable, Sendable { case error, warning, note }

    public var file: String?
    public var line: Int?
    public var column: Int?
    public var severity: Severity
    public var message: String
    /// A suggested fix, printed on its own line after the message.
    public var hint: String?
    /// The source line and caret lines that swiftc printed under the message, if any.
    public var excerpt: String?

    public init(file: String?, line: Int?, column: Int?, severity: Severity, message: String,
                hint: String? = nil, excerpt: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.hint = hint
        self.excerpt = excerpt
    }

    /// `file:line:col: error: message` (parts that are unknown are left out).
    public var headline: String {
        var location = ""
        if let file {
            location = file
            if let line {
                location += ":\(line)"
                if let column { location += ":\(column)" }
            }
            location += ": "
        }
        return "\(location)\(severity.rawValue): \(message)"
    }

    public var description: String {
        var text = headline
        if let excerpt, !excerpt.isEmpty { text += "\n" + excerpt }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}
