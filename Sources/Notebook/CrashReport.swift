import Foundation

/// What a crashed cell wrote to stderr, taken apart: the fatal error message, the
/// backtrace the Swift runtime printed, and the `.md` line it points at.
struct CrashReport {
    /// `Fatal error: ...` (or the backtracer's `Program crashed: ...` line).
    var message: String?
    /// From the backtracer's first line on.
    var backtrace: String?
    /// What the cell printed to stderr before crashing.
    var stderrBeforeBacktrace: String
    /// Lines in the notebook named by the fatal error message and the backtrace, innermost first.
    var markdownLines: [Int]

    init(stderr: String, notebookPath: String) {
        var before: [Substring] = []
        var fatal: String?
        var trace: [Substring] = []
        var inTrace = false
        for line in stderr.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inTrace, line.contains("Program crashed:") || line.hasPrefix("*** Program crashed")
                || (line.hasPrefix("*** Signal ") && line.contains("Backtracing")) {
                inTrace = true
            }
            if inTrace {
                trace.append(line)
            } else if fatal == nil, let range = line.range(of: "Fatal error: ") ?? line.range(of: "Fatal error") {
                fatal = String(line[range.lowerBound...]).trimmingWhitespace()
                if fatal!.hasSuffix(":") { fatal!.removeLast() }
                // `file:line: Fatal error`: keep the place when it is in the notebook (a
                // `fatalError` in a cell), not when it is inside the standard library.
                let place = line[..<range.lowerBound].trimmingWhitespace()
                if place.hasPrefix(notebookPath + ":"), place.hasSuffix(":") { fatal = fatal! + " (at \(place.dropLast()))" }
            } else {
                before.append(line)
            }
        }
        message = fatal ?? trace.first(where: { $0.contains("Program crashed") }).map {
            $0.replacingOccurrences(of: "💣", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "* "))
        }
        backtrace = trace.isEmpty ? nil : trace.joined(separator: "\n").trimmingWhitespace()
        stderrBeforeBacktrace = before.joined(separator: "\n")
        if stderrBeforeBacktrace.allSatisfy(\.isWhitespace) { stderrBeforeBacktrace = "" }

        var lines: [Int] = []
        let needle = notebookPath + ":"
        for text in [fatal ?? ""] + trace.map(String.init) {
            var rest = Substring(text)
            while let range = rest.range(of: needle) {
                let digits = rest[range.upperBound...].prefix(while: { $0.isNumber })
                if let line = Int(digits) { lines.append(line) }
                rest = rest[range.upperBound...]
            }
        }
        markdownLines = lines
    }

    /// The innermost notebook line inside `cell` (a crash in a function defined in an earlier
    /// cell still names that function's line when nothing in this cell is on the stack).
    func markdownLine(in cell: Cell) -> Int? {
        markdownLines.first { cell.sourceLine(atMarkdownLine: $0) != nil } ?? markdownLines.first
    }
}
