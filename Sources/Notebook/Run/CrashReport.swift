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
        message = fatal ?? Self.runtimeFailure(in: trace) ?? Self.stackOverflow(in: trace)
            ?? trace.first(where: { $0.contains("Program crashed") }).map(Self.crashLine)
        backtrace = trace.isEmpty ? nil : Self.foldingRepeatedFrames(trace).joined(separator: "\n").trimmingWhitespace()
        stderrBeforeBacktrace = before.joined(separator: "\n")
        if stderrBeforeBacktrace.allSatisfy(\.isWhitespace) { stderrBeforeBacktrace = "" }

        markdownLines = ([fatal ?? ""] + trace.map(String.init)).flatMap { Self.lines(in: $0, notebookPath: notebookPath) }
    }

    /// `*** Program crashed: Bad pointer dereference at 0x... ***` without its stars and bomb.
    private static func crashLine(_ line: Substring) -> String {
        line.replacingOccurrences(of: "💣", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "* "))
    }

    /// A trap the compiler put in the code (integer overflow, division by zero...), which stops
    /// the program without a message: the backtracer names it on its own line
    /// (`*** Swift runtime failure: arithmetic overflow ***`) and as the first frame.
    static func runtimeFailure(in trace: [Substring]) -> String? {
        let marker = "Swift runtime failure: "
        guard let line = trace.first(where: { $0.contains(marker) }), let range = line.range(of: marker) else { return nil }
        var what = String(line[range.upperBound...])
        if let end = what.range(of: " ***") ?? what.range(of: " in ") { what = String(what[..<end.lowerBound]) }
        what = what.trimmingWhitespace()
        switch what.lowercased() {
        case "arithmetic overflow":
            return "integer overflow: the result does not fit its integer type (Swift runtime failure: arithmetic overflow)"
        case "division by zero":
            return "division by zero (Swift runtime failure: Division by zero)"
        default:
            return "Swift runtime failure: \(what)"
        }
    }

    /// A crash deep in a recursion: a memory fault (signal 11) thousands of frames deep, the
    /// frames mostly one function's, is the stack running out, not a bad pointer. (The backtracer
    /// shows the first and last few dozen frames, numbered to the real depth.)
    static func stackOverflow(in trace: [Substring]) -> String? {
        guard let crash = trace.first(where: { $0.contains("Program crashed") }),
              crash.contains("Bad pointer dereference") || trace.contains(where: { $0.contains("Signal 11") }) else { return nil }
        var counts: [String: Int] = [:]
        var shown = 0
        var depth = 0
        for line in trace {
            guard let (number, function) = frame(line) else { continue }
            shown += 1
            depth = max(depth, number + 1)
            counts[function, default: 0] += 1
        }
        guard depth >= 1000, let (function, count) = counts.max(by: { $0.value < $1.value }), count * 2 >= shown else { return nil }
        return "stack overflow: \(function) called itself until the stack ran out, \(depth) calls deep (infinite or too deep recursion)"
    }

    /// The number and function of a backtrace frame line (`  12 [ra] 0x... depth(_:) + 76 in prog at x.md:4:48`).
    static func frame(_ line: Substring) -> (number: Int, function: String)? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, let number = Int(first),
              let address = words.firstIndex(where: { $0.hasPrefix("0x") }) else { return nil }
        let rest = words[(address + 1)...]
        guard let end = rest.firstIndex(where: { $0 == "+" || $0 == "in" }), end > rest.startIndex else { return nil }
        return (number, rest[..<end].joined(separator: " "))
    }

    /// The backtrace with each run of identical frames (the same address and place: a recursion)
    /// shown once, then a line saying how many there were: a stack overflow prints 100,000 of them.
    static func foldingRepeatedFrames(_ trace: [Substring]) -> [Substring] {
        /// A frame without its number, to compare.
        func body(_ line: Substring) -> Substring? {
            let trimmed = line.drop { $0 == " " }
            guard let space = trimmed.firstIndex(of: " "), Int(trimmed[..<space]) != nil else { return nil }
            return trimmed[space...]
        }
        var result: [Substring] = []
        var index = 0
        while index < trace.count {
            result.append(trace[index])
            guard let frame = body(trace[index]) else { index += 1; continue }
            var end = index + 1
            while end < trace.count, body(trace[end]) == frame { end += 1 }
            if end - index > 3 {
                result.append(trace[index + 1])
                result.append("     ... \(end - index - 3) more identical frames ...")
                result.append(trace[end - 1])
                index = end
            } else {
                index += 1
            }
        }
        return result
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
