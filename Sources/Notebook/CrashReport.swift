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
            } else if fatal == nil, let range = Self.fatalMarkers.lazy.compactMap({ line.range(of: $0) }).first {
                fatal = String(line[range.lowerBound...]).trimmingWhitespace()
                if fatal!.hasSuffix(":") { fatal!.removeLast() }
                // `file:line: Fatal error`: keep the place when it is in the notebook (a
                // `fatalError` in a cell), not when it is inside the standard library. The
                // runtime names the file `NotebookProgram/<name>.md` (its `#fileID`).
                let place = line[..<range.lowerBound].trimmingWhitespace()
                if place.hasSuffix(":"), let placeLine = Self.lines(in: place, notebookPath: notebookPath).first {
                    fatal = fatal! + " (at \(notebookPath):\(placeLine))"
                }
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

        markdownLines = ([fatal ?? ""] + trace.map(String.init)).flatMap { Self.lines(in: $0, notebookPath: notebookPath) }
    }

    /// How the runtime starts the message of a trap it explains (`fatalError`, `precondition`, `assert`).
    static let fatalMarkers = ["Fatal error: ", "Fatal error", "Precondition failed", "Assertion failed"]

    /// The notebook lines named in `text` as `<file>:<line>`. The backtracer and the runtime
    /// do not spell the file as nbrun was given it (`./x.md` and `/abs/x.md` can show as
    /// `x.md` or `/abs/x.md`; a `fatalError` names `NotebookProgram/x.md`), so a place is
    /// the notebook's when its file name is the notebook's: the program has no other `.md`.
    static func lines(in text: some StringProtocol, notebookPath: String) -> [Int] {
        let name = (notebookPath as NSString).lastPathComponent
        guard !name.isEmpty else { return [] }
        var lines: [Int] = []
        let whole = Substring(text)
        var rest = whole
        while let range = rest.range(of: name + ":") {
            let startsName = range.lowerBound == whole.startIndex
                || ["/", " ", "\t", "("].contains(whole[whole.index(before: range.lowerBound)])
            let digits = rest[range.upperBound...].prefix(while: { $0.isNumber })
            if startsName, let line = Int(digits) { lines.append(line) }
            rest = rest[range.upperBound...]
        }
        return lines
    }

    /// The innermost notebook line inside `cell` (a crash in a function defined in an earlier
    /// cell still names that function's line when nothing in this cell is on the stack).
    func markdownLine(in cell: Cell) -> Int? {
        markdownLines.first { cell.sourceLine(atMarkdownLine: $0) != nil } ?? markdownLines.first
    }
}
