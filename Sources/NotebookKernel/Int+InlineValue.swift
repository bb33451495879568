/// Inline expressions of the prose (`` `{swift} expression` ``) as the generated program
/// evaluates them: at the end of the cell before them, as a call on the expression's index
/// literal (`3._nbInline("answer") { answer }`), which costs the compiler no name lookup (see
/// `Int._nbNextCell`). The value goes to the runner as a display item of the cell, shown in the
/// prose where the expression was written.
extension Int {
    /// Sends the value of the notebook's `self`-th inline expression, written `expression`.
    ///
    /// An expression of type `Void` (`print(x)`) has nothing to show: it fails the cell, as a
    /// failed `check` does, at its `.md` line. (Not a compile error: swiftc's overload ranking
    /// avoids an `unavailable` overload for `Void` and takes this generic one instead.)
    public func _nbInline<T>(_ expression: String, _ value: () throws -> T,
                             file: StaticString = #filePath, line: UInt = #line) rethrows {
        let result = try value()
        if T.self == Void.self {
            NotebookSession.failCheck("the inline expression '\(expression)' has no value to show (it is Void): write one whose "
                + "value the prose shows, such as '{swift} x'", file: "\(file)", line: Int(line))
        }
        NotebookSession.send(.inline(index: self, expression: expression, value: inlineText(result)))
    }
}

/// The text an inline expression's value shows as: its `description`, an optional's value or
/// `nil`. A `String` shows as itself, so `String(format:)` or any formatting of the author's
/// choice decides the digits.
func inlineText(_ value: Any) -> String {
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
        guard let wrapped = mirror.children.first?.value else { return "nil" }
        return inlineText(wrapped)
    }
    return String(describing: value)
}
