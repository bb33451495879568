import Foundation

/// JUnit XML for CI systems: one `<testsuite>` per notebook, one `<testcase>` per cell, with
/// its time and, for a failed cell, a `<failure>` carrying the message and the .md line.
/// A notebook that did not compile is one failed test case named "compile".
public enum JUnitReport {
    public static func xml(_ summaries: [NotebookSummary]) -> String {
        let failures = summaries.reduce(0) { $0 + failureCount($1) }
        let tests = summaries.reduce(0) { $0 + max($1.cells.count, $1.error == nil ? 0 : 1) }
        let seconds = summaries.reduce(0) { $0 + $1.seconds }
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="nbrun" tests="\#(tests)" failures="\#(failures)" time="\#(format(seconds))">"# + "\n"
        for summary in summaries {
            let suiteName = escape(summary.path)
            let caseCount = max(summary.cells.count, summary.error == nil ? 0 : 1)
            let skipped = notRun(summary) ? 1 : summary.cells.filter { $0.status == "skipped" || $0.status == "notRun" }.count
            out += #"  <testsuite name="\#(suiteName)" tests="\#(caseCount)" failures="\#(failureCount(summary))" skipped="\#(skipped)" time="\#(format(summary.seconds))">"# + "\n"
            if notRun(summary) {
                // Interrupted before it started: skipped, not failed.
                out += #"    <testcase classname="\#(suiteName)" name="run" time="0">"# + "\n"
                out += #"      <skipped message="\#(escape(firstLine(summary.error ?? "not run")))"/>"# + "\n"
                out += "    </testcase>\n"
            } else if let error = summary.error {
                out += #"    <testcase classname="\#(suiteName)" name="compile" time="0">"# + "\n"
                out += #"      <failure message="\#(escape(firstLine(error)))" type="compile">\#(escape(error))</failure>"# + "\n"
                out += "    </testcase>\n"
            }
            for cell in summary.cells {
                let name = escape("\(cell.name) (line \(cell.line))")
                out += #"    <testcase classname="\#(suiteName)" name="\#(name)" time="\#(format(cell.seconds))""#
                switch cell.status {
                case "failed":
                    let message = cell.message ?? "failed"
                    let location = "\(summary.path):\(cell.errorLine ?? cell.line)"
                    out += ">\n"
                    out += #"      <failure message="\#(escape(firstLine(message)))" type="cell">\#(escape(location + ": " + message))</failure>"# + "\n"
                    out += "    </testcase>\n"
                case "skipped", "notRun":
                    out += ">\n      <skipped/>\n    </testcase>\n"
                default:
                    out += "/>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    /// A notebook `nbrun test` never started (interrupted first): exit 130, no cells.
    private static func notRun(_ summary: NotebookSummary) -> Bool {
        summary.exitCode == ExitStatus.interrupted && summary.cells.isEmpty
    }

    private static func failureCount(_ summary: NotebookSummary) -> Int {
        if notRun(summary) { return 0 }
        let cells = summary.cells.filter { $0.status == "failed" }.count
        if summary.error != nil { return 1 }
        if cells == 0 && summary.exitCode != 0 { return 1 }
        return cells
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
