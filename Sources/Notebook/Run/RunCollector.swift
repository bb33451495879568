import Foundation
import KernelProtocol

/// The collect half of the run stage, pure: the notebook program's events as they arrive, what
/// each cell printed, and how the program ended -> one `CellResult` per cell.
///
/// `ProgramRunner` drives the process and feeds this; tests feed it events and printed text
/// without a process. A cell's result is made once: when its `end` event arrives (the kernel
/// flushes the cell's output before sending it), or, for the cell the program died in, when the
/// program is gone.
struct RunCollector {
    /// What stopped the program, when nbrun stopped it.
    typealias Stop = (kind: CellError.Kind, message: String)

    let notebook: Notebook
    /// Why each `cache: true` cell that runs every time does (the plan's cache blockers).
    let cacheBlockers: [Int: String]
    /// What cell `index` printed to `stream` (`stdout` or `stderr`), as kept.
    let printed: (_ index: Int, _ stream: String) -> ProgramRunner.CapturedOutput
    /// The last of what the program wrote to stderr outside every cell (a loader's error, say).
    let outsideErrors: () -> String
    private(set) var log = EventLog()
    /// The results of the cells that ended, made when they did.
    private var ended: [Int: CellResult] = [:]

    init(notebook: Notebook, cacheBlockers: [Int: String],
         printed: @escaping (_ index: Int, _ stream: String) -> ProgramRunner.CapturedOutput,
         outsideErrors: @escaping () -> String = { "" }) {
        self.notebook = notebook
        self.cacheBlockers = cacheBlockers
        self.printed = printed
        self.outsideErrors = outsideErrors
        log.path = notebook.path
    }

    /// Folds in an event that arrived at `time`; when it ended a cell, that cell's result.
    mutating func receive(_ event: KernelEvent, at time: Date = Date()) -> CellResult? {
        log.record(event, at: time)
        guard case .end(let index) = event, let cell = notebook.cells.first(where: { $0.index == index }) else { return nil }
        let result = collect(cell, failure: nil)
        ended[index] = result
        return result
    }

    /// Every cell's result once the program is gone, and the result made now for the cell the run
    /// stopped in (to report it as it ends), if any.
    func finish(termination: Subprocess.Termination, stop: Stop?) -> (results: [CellResult], failed: CellResult?) {
        var results: [CellResult] = []
        var failedResult: CellResult?
        var failed = false
        for cell in notebook.cells {
            if !cell.options.eval {
                results.append(CellResult(cellIndex: cell.index, status: .notEvaluated))
            } else if !failed, log[cell.index].began == nil {
                // The program stopped outside any cell, before this one began (it could not start,
                // or its time ran out between cells): the notebook did not run to its end.
                let result = notStarted(cell, stop: stop, termination: termination)
                results.append(result)
                failedResult = result
                failed = true
            } else if failed {
                results.append(CellResult(cellIndex: cell.index, status: .notRun))
            } else if log[cell.index].ended != nil {
                results.append(ended[cell.index] ?? collect(cell, failure: nil))
            } else {
                var failure = stop ?? (.crash, Self.describe(termination))
                if stop == nil, log.checkFailedCell == cell.index, let check = log[cell.index].checkFailure {
                    failure = (.check, check.message)
                }
                let result = collect(cell, failure: failure)
                results.append(result)
                failedResult = result
                failed = true
            }
        }
        for (index, message) in log.cacheWarnings where results.indices.contains(index) {
            results[index].cacheNote = results[index].cacheNote.map { $0 + "; " + message } ?? message
        }
        return (results, failedResult)
    }

    /// The result of the first cell the program never began, though no cell before it failed.
    func notStarted(_ cell: Cell, stop: Stop?, termination: Subprocess.Termination) -> CellResult {
        let message: String
        switch termination {
        case _ where stop != nil: message = stop!.message
        case .exited(let status): message = "the program exited with status \(status) before the cell began"
        case .signaled(let signal): message = "the program was stopped by signal \(signal) (\(String(cString: strsignal(signal)))) before the cell began"
        }
        let tail = outsideErrors().split(separator: "\n").suffix(40).joined(separator: "\n")
        let error = CellError(kind: stop?.kind ?? .crash, message: message, line: cell.displayLine,
                              details: tail.isEmpty ? nil : tail)
        return CellResult(cellIndex: cell.index, status: .failed, error: error)
    }

    /// Builds a cell's result from its events and printed output.
    func collect(_ cell: Cell, failure: Stop?) -> CellResult {
        let record = log[cell.index]
        if failure == nil, let restored = record.restored {
            // The entry holds what the cell printed and showed; the inline values shown in the prose
            // were computed in this run, from the restored state (see `InlinePlan`).
            let displays = record.displays.map { CellOutput.display($0.item) }
            let outputs = displays.prefix(record.displaysBeforeRestore) + restored.outputs + displays.dropFirst(record.displaysBeforeRestore)
            var result = CellResult(cellIndex: cell.index, status: .passed, outputs: Array(outputs),
                                    seconds: (record.ended ?? Date()).timeIntervalSince(record.began ?? Date()))
            result.cached = true
            result.cacheKey = restored.key
            result.cacheStored = restored.stored
            result.restoreSeconds = restored.seconds
            result.cacheNote = record.cacheNote
            result.state = record.state
            return result
        }
        let capturedStdout = printed(cell.index, "stdout")
        let capturedStderr = printed(cell.index, "stderr")
        let stdout = capturedStdout.bytes
        var stderr = capturedStderr.bytes
        var error: CellError?
        if let failure {
            var kind = failure.kind
            var message = failure.message
            var details: String?
            var line: Int?
            if failure.kind == .check, let check = record.checkFailure {
                line = check.line
                // The kernel also wrote the failure to stderr for plain runs; the report shows it once.
                let text = String(decoding: stderr, as: UTF8.self)
                if let range = text.range(of: "check failed: ", options: .backwards) {
                    stderr = Array(text[..<range.lowerBound].utf8)
                }
            }
            if failure.kind == .crash {
                let crash = CrashReport(stderr: String(decoding: stderr, as: UTF8.self), notebookPath: log.path ?? "")
                if let fatal = crash.message { message = fatal }
                details = crash.backtrace
                line = crash.markdownLine(in: cell)
                stderr = Array(crash.stderrBeforeBacktrace.utf8)
                // A `try` outside an `error: true` cell that threw: the runtime stops the
                // program with this message, and no frame of the backtrace is in the cell.
                if let range = message.range(of: "Error raised at top level: ") {
                    kind = .thrown
                    message = "uncaught error: " + message[range.upperBound...]
                        .replacingOccurrences(of: "NotebookProgram.", with: "")
                    // The statement that threw: the last one marked before it ran.
                    line = record.tryingLine ?? line ?? Self.onlyTryLine(in: cell)
                    details = nil
                }
            }
            let errorLine = line ?? cell.displayLine
            error = CellError(kind: kind, message: message, line: errorLine,
                              sourceLine: line.flatMap { cell.sourceLine(atMarkdownLine: $0) }, details: details)
        }
        let outputs = CellOutput.interleaving(stdout: stdout, stderr: stderr, displays: record.displays.map { display in
            (display.item, capturedStdout.position(ofFileOffset: display.stdoutOffset), capturedStderr.position(ofFileOffset: display.stderrOffset))
        })

        var status: CellResult.Status = failure == nil ? .passed : .failed
        if failure == nil, let caught = record.caught {
            status = .expectedError
            let line = record.tryingLine ?? Self.onlyTryLine(in: cell)
            error = CellError(kind: .thrown, message: caught.message, line: line ?? cell.displayLine,
                              sourceLine: line.flatMap { cell.sourceLine(atMarkdownLine: $0) })
        }
        let began = record.began ?? Date()
        let ended = record.ended ?? Date()
        var result = CellResult(cellIndex: cell.index, status: status, outputs: outputs,
                                seconds: max(0, ended.timeIntervalSince(began)), error: error)
        result.cacheNote = record.cacheNote ?? cacheBlockers[cell.index].map { "not cached: " + $0 }
        result.outputCuts = [capturedStdout.cut, capturedStderr.cut].compactMap { $0 }
        result.state = record.state
        return result
    }

    /// The `.md` line of the cell's only `try`, if it has exactly one: where a caught error
    /// must have come from (errors carry no location of their own).
    ///
    /// Without a `try`, the line of its only `throw` (`throw Oops()` written in the cell).
    static func onlyTryLine(in cell: Cell) -> Int? {
        var found: [Int] = []
        var throwing: [Int] = []
        for (offset, line) in cell.source.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where offset >= cell.optionLineCount {
            let words = line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "?" || $0 == "!") })
            if words.contains(where: { $0 == "try" || $0 == "try?" || $0 == "try!" }) { found.append(cell.line + offset) }
            if words.contains("throw") { throwing.append(cell.line + offset) }
        }
        if found.isEmpty, throwing.count == 1 { return throwing[0] }
        return found.count == 1 ? found[0] : nil
    }

    static func describe(_ termination: Subprocess.Termination) -> String {
        switch termination {
        case .exited(let status): return "the program exited with status \(status) during the cell"
        case .signaled(let signal): return "the program crashed (signal \(signal): \(String(cString: strsignal(signal))))"
        }
    }
}
