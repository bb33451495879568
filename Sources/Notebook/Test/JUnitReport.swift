import Foundation

/// JUnit XML for CI systems: one `<testsuite>` per notebook, one `<testcase>` per cell, with
/// its time and, for a failed cell, a `<failure>` carrying the message and the .md line.
/// A notebook that could not be read or parsed is one failed test case named "notebook", one
/// that did not compile one named "compile"; a failure of the machine (`EnvironmentError`: a
/// full disk, a report that cannot be written) is an `<error>` in a case named "environment",
/// beside the cells' cases when they ran: CI tells a broken build machine from a broken notebook.
///
/// A shard (`nbrun test --shard i/n`) writes a file of its own, its `<testsuites>` named after it;
/// each notebook is in one shard, so the files of all shards merge into one report (each suite is
/// a notebook's path) without two suites sharing a name.
public enum JUnitReport {
    /// - Parameter name: the `<testsuites>` name (a shard's says which it is).
    public static func xml(_ summaries: [NotebookSummary], name: String = "nbrun") -> String {
        let failures = summaries.reduce(0) { $0 + failureCount($1) }
        let errors = summaries.filter(isEnvironmentError).count
        let tests = summaries.reduce(0) { $0 + caseCount($1) }
        let seconds = summaries.reduce(0) { $0 + $1.seconds }
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="\#(escape(name))" tests="\#(tests)" failures="\#(failures)" errors="\#(errors)" time="\#(format(seconds))">"# + "\n"
        for summary in summaries {
            let suiteName = escape(summary.path)
            let skipped = notRun(summary) ? 1 : summary.cells.filter { verdict($0).isSkipped }.count
            out += #"  <testsuite name="\#(suiteName)" tests="\#(caseCount(summary))" failures="\#(failureCount(summary))" skipped="\#(skipped)" errors="\#(isEnvironmentError(summary) ? 1 : 0)" time="\#(format(summary.seconds))">"# + "\n"
            if notRun(summary) {
                // Interrupted before it started: skipped, not failed.
                out += #"    <testcase classname="\#(suiteName)" name="run" time="0">"# + "\n"
                out += #"      <skipped message="\#(escape(firstLine(summary.error ?? "not run")))"/>"# + "\n"
                out += "    </testcase>\n"
            } else if let error = summary.error {
                let kind = summary.errorKind ?? .notebook
                let element = kind == .environment ? "error" : "failure"
                out += #"    <testcase classname="\#(suiteName)" name="\#(kind.rawValue)" time="0">"# + "\n"
                out += #"      <\#(element) message="\#(escape(firstLine(error)))" type="\#(kind.rawValue)">\#(escape(error))</\#(element)>"# + "\n"
                out += "    </testcase>\n"
            } else if failedWithoutFailedCell(summary) {
                // The run failed (interrupted between cells, a crash outside them) though no cell did.
                let message = summary.firstFailure ?? "\(summary.path): exited with status \(summary.exitCode)"
                out += #"    <testcase classname="\#(suiteName)" name="run" time="0">"# + "\n"
                out += #"      <failure message="\#(escape(firstLine(message)))" type="run">\#(escape(message))</failure>"# + "\n"
                out += "    </testcase>\n"
            }
            for cell in summary.cells {
                let name = escape("\(cell.name) (line \(cell.line))")
                out += #"    <testcase classname="\#(suiteName)" name="\#(name)" time="\#(format(cell.seconds))""#
                switch verdict(cell) {
                case .failed(let message):
                    let location = "\(summary.path):\(cell.errorLine ?? cell.line)"
                    out += ">\n"
                    out += #"      <failure message="\#(escape(firstLine(message)))" type="cell">\#(escape(location + ": " + message))</failure>"# + "\n"
                    out += "    </testcase>\n"
                case .skipped(let reason):
                    out += ">\n      <skipped message=\"\(escape(reason))\"/>\n    </testcase>\n"
                case .passed:
                    out += "/>\n"
                }
            }
            if let warnings = summary.warnings, !warnings.isEmpty {
                out += "    <system-err>\(escape(warnings.map { "warning: \($0)" }.joined(separator: "\n")))</system-err>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// Writes the JUnit XML of `summaries` to `path`, whole or not at all.
    ///
    /// - Throws: `EnvironmentError` saying why it could not be written.
    public static func write(_ summaries: [NotebookSummary], to path: String, name: String = "nbrun") throws {
        do {
            try ReportWriter.writeWhole(Data(xml(summaries, name: name).utf8), to: path)
        } catch {
            throw EnvironmentError("cannot write the JUnit report \(path): \(EnvironmentError.reason(error))")
        }
    }

    /// Checks that the JUnit file can be written at `path` (it is written whole at the end, by
    /// a rename in its folder): the folder exists and is writable, and `path` is not a folder.
    ///
    /// - Throws: `NotebookError` saying why not.
    public static func checkWritable(_ path: String) throws {
        func fail(_ reason: String) -> NotebookError {
            NotebookError("cannot write the JUnit report to '\(path)': \(reason)", hint: "give --junit a file in a folder you can write")
        }
        guard !path.isEmpty else { throw fail("the path is empty") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fail("it is a folder")
        }
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw fail("the folder '\(folder)' does not exist")
        }
        guard isDirectory.boolValue else { throw fail("'\(folder)' is not a folder") }
        guard access(folder, W_OK | X_OK) == 0 else { throw fail("the folder '\(folder)' cannot be written (\(String(cString: strerror(errno))))") }
    }

    /// What JUnit says of a cell, from its status (`CellResult.Status`'s raw value).
    enum Verdict: Equatable {
        case passed
        case failed(String)
        case skipped(String)

        var isFailed: Bool { if case .failed = self { return true } else { return false } }
        var isSkipped: Bool { if case .skipped = self { return true } else { return false } }
    }

    static func verdict(_ cell: NotebookSummary.Cell) -> Verdict {
        guard let status = CellResult.Status(rawValue: cell.status) else {
            // A status this version does not know is not a pass.
            return .failed("unknown cell status '\(cell.status)'")
        }
        switch status {
        case .passed, .expectedError: return .passed
        case .failed: return .failed(cell.message ?? "failed")
        case .notEvaluated: return .skipped("eval: false")
        case .notRun: return .skipped("not run: an earlier cell failed")
        }
    }

    /// Test cases: one per cell, plus one for a run that failed before, after or outside its cells.
    private static func caseCount(_ summary: NotebookSummary) -> Int {
        if notRun(summary) { return max(summary.cells.count, 1) }
        if summary.error != nil { return summary.cells.count + 1 }
        return summary.cells.count + (failedWithoutFailedCell(summary) ? 1 : 0)
    }

    /// The machine failed the run: counted in `errors`, not `failures`.
    private static func isEnvironmentError(_ summary: NotebookSummary) -> Bool {
        summary.error != nil && summary.errorKind == .environment && !notRun(summary)
    }

    /// A notebook `nbrun test` never started (interrupted first): exit 130, no cells.
    private static func notRun(_ summary: NotebookSummary) -> Bool {
        summary.exitCode == ExitStatus.interrupted && summary.cells.isEmpty
    }

    /// A run that did not pass, though none of its cells failed.
    private static func failedWithoutFailedCell(_ summary: NotebookSummary) -> Bool {
        summary.exitCode != 0 && summary.error == nil && !notRun(summary)
            && !summary.cells.contains { verdict($0).isFailed }
    }

    private static func failureCount(_ summary: NotebookSummary) -> Int {
        if notRun(summary) { return 0 }
        let cells = summary.cells.filter { verdict($0).isFailed }.count
        if summary.error != nil { return cells + (isEnvironmentError(summary) ? 0 : 1) }
        return cells + (failedWithoutFailedCell(summary) ? 1 : 0)
    }

    private static func firstLine(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? text
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    /// Escapes text for an XML attribute or element, dropping characters XML 1.0 cannot hold.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
