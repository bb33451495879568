import Foundation
import KernelProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The run and collect stages: a built notebook program -> `[CellResult]`.
///
/// The program runs as a child process. The kernel sends events (cell begin/end, display
/// items, caught errors) as JSON lines on a pipe that is the child's fd 3, and writes each
/// cell's stdout and stderr to its own files in a run folder. The runner watches the
/// events to time cells, enforce time limits and show progress; when the child is gone it
/// reads the files and builds one `CellResult` per cell. A cell that began and never
/// ended failed: a crash (its .md line taken from the backtrace, which names the `.md`
/// file thanks to `-g` and `#sourceLocation`), a time limit, or Ctrl-C.
public struct ProgramRunner {
    /// Seconds the whole run may take (`--timeout`); per-cell limits come from `timeout:`.
    public var timeout: Double?
    /// Folder for the per-cell output files (emptied first).
    public var workDirectory: String
    /// Called when a cell starts and when it ends, for progress lines.
    public var onCellStart: ((Cell) -> Void)?
    public var onCellEnd: ((Cell, CellResult) -> Void)?
    /// Called with every event as it arrives (live views: `nbrun watch`, terminal streaming).
    public var onEvent: ((KernelEvent) -> Void)?
    /// Called with a running cell's printed output as it appears (at most every 50 ms, whole
    /// lines while the cell runs, the rest when it ends): cell index, stderr?, text.
    public var onOutput: ((Int, Bool, String) -> Void)?
    /// Checked while the program runs: when it returns true the program is stopped (a newer
    /// save in `nbrun watch`), as Ctrl-C stops it.
    public var shouldStop: (() -> Bool)?
    /// Where `cache: true` cells keep their entries (`<cache>/cells/<key>`); nil: no cell cache.
    public var cacheDirectory: String?
    /// Whether `cache: true` cells are restored and stored.
    public var cellCacheMode: CellCacheMode = .on
    /// `cache: true` cells that run normally, and why, from the plan.
    public var cacheNotes: [Int: String] = [:]
    /// Bytes the cell cache may hold before least recently used entries go.
    public var cacheLimit: Int64 = CellCache.defaultLimit
    /// The plan the program reads at start (parameters and cache facts).
    public var plan: ProgramPlan?
    /// Ask the program for the content of every value after each cell (`CellResult.state`).
    public var stateTrace = false

    public init(workDirectory: String, timeout: Double? = nil) {
        self.workDirectory = workDirectory
        self.timeout = timeout
    }

    /// What a run produced.
    public struct Outcome: Sendable {
        public var results: [CellResult]
        /// True when Ctrl-C stopped the run.
        public var interrupted: Bool
        public var seconds: Double
        /// Problems with the cell cache (unreadable entries, a folder that cannot be written).
        public var cacheWarnings: [String] = []
        /// What the program's engine ran on (BLAS library, kernel set, threads), when it said.
        public var engine: String?
    }

    /// Runs `binary`, built from `notebook`, and collects one result per cell.
    ///
    /// - Throws: `EnvironmentError` when the program cannot be started (its run folder or plan
    ///   cannot be written, it cannot be executed); what happens once it runs is in the results.
    public func run(binary: String, notebook: Notebook) throws -> Outcome {
        let fileManager = FileManager.default
        func cannot(_ action: String, _ error: Error) -> EnvironmentError {
            EnvironmentError("cannot run \(notebook.path): cannot \(action): \(EnvironmentError.reason(error))")
        }
        try? fileManager.removeItem(atPath: workDirectory)
        do {
            try fileManager.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw cannot("create \(workDirectory)", error)
        }

        let events: Pipe
        do { events = try Pipe.make() } catch { throw cannot("create a pipe", error) }
        var environment = ProcessInfo.processInfo.environment
        environment[EnvironmentKey.eventDescriptor] = "3"
        environment[EnvironmentKey.outputDirectory] = workDirectory
        if let plan {
            let planPath = workDirectory + "/plan.json"
            do {
                try KernelCoding.encoder(sorted: true).encode(plan).write(to: URL(fileURLWithPath: planPath))
            } catch {
                throw cannot("write \(planPath)", error)
            }
            environment[EnvironmentKey.plan] = planPath
        }
        if let cacheDirectory {
            environment[EnvironmentKey.cacheDirectory] = cacheDirectory
            environment[EnvironmentKey.cellCache] = cellCacheMode.rawValue
        }
        if stateTrace {
            environment[EnvironmentKey.stateTrace] = "1"
            // The same iteration order of dictionaries and sets in both runs compared: a value
            // built from that order is then the same, as it should be, in a restored run.
            environment["SWIFT_DETERMINISTIC_HASHING"] = "1"
        }
        if environment["SWIFT_BACKTRACE"] == nil {
            environment["SWIFT_BACKTRACE"] = "enable=yes,interactive=no,color=no,threads=crashed,registers=none,images=none,sanitize=no"
        }
        let outside = open(workDirectory + "/outside.stdout", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let outsideErrors = open(workDirectory + "/outside.stderr", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        let interruption = InterruptWatch.install()
        defer { interruption.remove() }

        let start = Date()
        let child: Subprocess
        do {
            guard outside >= 0, outsideErrors >= 0 else {
                throw EnvironmentError.fromErrno("write the output files in \(workDirectory)")
            }
            child = try Subprocess.spawn(binary, [], environment: environment,
                                         descriptors: [1: outside, 2: outsideErrors, 3: events.write])
        } catch {
            for descriptor in [events.read, events.write, outside, outsideErrors] where descriptor >= 0 { close(descriptor) }
            throw EnvironmentError("cannot run \(notebook.path): \(EnvironmentError.reason(error))")
        }
        close(events.write)
        close(outside)
        close(outsideErrors)
        _ = fcntl(events.read, F_SETFL, fcntl(events.read, F_GETFL) | O_NONBLOCK)

        let cells = notebook.cells
        let decoder = KernelCoding.decoder()
        var log = EventLog()
        log.path = notebook.path
        var pending = [UInt8]()
        var tail = OutputTail(directory: workDirectory)
        var stop: (kind: CellError.Kind, message: String)?
        var killedAt: Date?
        var open = true
        var ended: Subprocess.Termination?
        while open {
            var descriptor = pollfd(fd: events.read, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            func handlePending() {
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Data(pending[..<newline])
                    pending.removeSubrange(...newline)
                    guard let event = try? decoder.decode(KernelEvent.self, from: line) else { continue }
                    if let onOutput, case .end(let index) = event { tail.flush(index, whole: true, onOutput) }
                    if let onOutput, case .display(let index, _, _, _) = event { tail.flush(index, whole: true, onOutput) }
                    log.record(event)
                    onEvent?(event)
                    if case .begin(let index) = event, cells.indices.contains(index) { onCellStart?(cells[index]) }
                    if case .end(let index) = event, cells.indices.contains(index) {
                        onCellEnd?(cells[index], collect(cells[index], log: log, failure: nil))
                    }
                }
            }
            if ready > 0 {
                open = !Pipe.drain(events.read, into: &pending)
                handlePending()
            }
            if let onOutput, let running = log.running { tail.flush(running, whole: false, onOutput) }
            if stop == nil {
                let now = Date()
                if interruption.fired {
                    stop = (.interrupted, "interrupted (\(InterruptWatch.cause))")
                } else if shouldStop?() == true {
                    stop = (.interrupted, "stopped: the notebook changed")
                } else if let running = log.running, let limit = cells[running].options.timeout,
                          let began = log[running].began, now.timeIntervalSince(began) > limit {
                    stop = (.timeout, "\(cells[running].name) ran past its time limit of \(Self.seconds(limit)) (timeout: \(Self.seconds(limit)))")
                } else if let timeout, now.timeIntervalSince(start) > timeout {
                    let what = log.running.map { "while \(cells[$0].name) was running" } ?? "between cells"
                    stop = (.timeout, "the notebook ran past its time limit of \(Self.seconds(timeout)) (--timeout) \(what)")
                }
                if stop != nil {
                    kill(child.pid, stop!.kind == .interrupted ? SIGINT : SIGKILL)
                    killedAt = now
                }
            } else if let killedAt, Date().timeIntervalSince(killedAt) > 1 {
                kill(child.pid, SIGKILL)
            }
            // The program is gone but something it started still holds the event pipe:
            // take what is there and stop listening.
            if open, ready == 0, ended == nil, let termination = child.termination() {
                ended = termination
                _ = Pipe.drain(events.read, into: &pending)
                handlePending()
                open = false
            }
        }
        close(events.read)
        let termination = ended ?? child.wait()
        let seconds = Date().timeIntervalSince(start)

        var results: [CellResult] = []
        var failed = false
        for cell in cells {
            if !cell.options.eval {
                results.append(CellResult(cellIndex: cell.index, status: .notEvaluated))
            } else if !failed, log[cell.index].began == nil {
                // The program stopped outside any cell, before this one began (it could not start,
                // or its time ran out between cells): the notebook did not run to its end.
                let result = notStarted(cell, stop: stop, termination: termination)
                results.append(result)
                onCellEnd?(cell, result)
                failed = true
            } else if failed {
                results.append(CellResult(cellIndex: cell.index, status: .notRun))
            } else if log[cell.index].ended != nil {
                results.append(collect(cell, log: log, failure: nil))
            } else {
                var failure = stop ?? (.crash, Self.describe(termination))
                if stop == nil, log.checkFailedCell == cell.index, let check = log[cell.index].checkFailure {
                    failure = (.check, check.message)
                }
                let result = collect(cell, log: log, failure: failure)
                results.append(result)
                onCellEnd?(cell, result)
                failed = true
            }
        }
        let warnings = finishCellCache(log: log, results: &results, notebook: notebook)
        return Outcome(results: results, interrupted: stop?.kind == .interrupted, seconds: seconds, cacheWarnings: warnings,
                       engine: log.engine)
    }

    /// The result of the first cell the program never began, though no cell before it failed.
    func notStarted(_ cell: Cell, stop: (kind: CellError.Kind, message: String)?, termination: Subprocess.Termination) -> CellResult {
        let message: String
        switch termination {
        case _ where stop != nil: message = stop!.message
        case .exited(let status): message = "the program exited with status \(status) before the cell began"
        case .signaled(let signal): message = "the program was stopped by signal \(signal) (\(String(cString: strsignal(signal)))) before the cell began"
        }
        // What the program wrote outside its cells (a loader error, say).
        let outside = String(decoding: Self.read(workDirectory + "/outside.stderr", limit: 1 << 20, stream: "stderr").bytes, as: UTF8.self)
        let tail = outside.split(separator: "\n").suffix(40).joined(separator: "\n")
        let error = CellError(kind: stop?.kind ?? .crash, message: message, line: cell.displayLine,
                              details: tail.isEmpty ? nil : tail)
        return CellResult(cellIndex: cell.index, status: .failed, error: error)
    }

    /// Marks restored entries used and evicts beyond the limit once the program stored some (the
    /// program writes its entries itself, whole); a cache that cannot be trimmed only costs a warning.
    func finishCellCache(log: EventLog, results: inout [CellResult], notebook: Notebook) -> [String] {
        var warnings = log.cacheWarnings.map(\.message)
        guard let cacheDirectory else { return warnings }
        let cache = CellCache(directory: cacheDirectory)
        for record in log.cells.values { if let restored = record.restored { cache.touch(key: restored.key) } }
        if log.cells.values.contains(where: { $0.stored != nil }) {
            FaultInjection.reach("cache.evict")
            do {
                for entry in try cache.evict(limit: cacheLimit) {
                    warnings.append("cache limit \(cacheLimit) bytes reached: removed \((entry.notebook as NSString).lastPathComponent) \(entry.cellName) (\(entry.bytes) bytes, last used \(KernelCoding.formatDate(entry.lastUsed)))")
                }
            } catch {
                warnings.append("could not trim the cell cache (\(error))")
            }
        }
        for (index, message) in log.cacheWarnings where results.indices.contains(index) {
            results[index].cacheNote = results[index].cacheNote.map { $0 + "; " + message } ?? message
        }
        return warnings
    }

    /// Builds a cell's result from its events and output files.
    func collect(_ cell: Cell, log: EventLog, failure: (kind: CellError.Kind, message: String)?) -> CellResult {
        let record = log[cell.index]
        if failure == nil, let restored = record.restored {
            var result = CellResult(cellIndex: cell.index, status: .passed, outputs: restored.outputs,
                                    seconds: (record.ended ?? Date()).timeIntervalSince(record.began ?? Date()))
            result.cached = true
            result.cacheKey = restored.key
            result.cacheStored = restored.stored
            result.restoreSeconds = restored.seconds
            result.cacheNote = record.cacheNote
            result.state = record.state
            return result
        }
        let capturedStdout = Self.read(workDirectory + "/cell-\(cell.index).stdout", stream: "stdout")
        let capturedStderr = Self.read(workDirectory + "/cell-\(cell.index).stderr", stream: "stderr")
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
        result.cacheNote = record.cacheNote ?? cacheNotes[cell.index].map { "not cached: " + $0 }
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

    /// Most of one cell's stdout or stderr kept in memory (and so in the report's text file).
    static let maxOutputBytes = CellOutputLimit.bytes

    /// An output file as read: all of it, or when it is longer than the limit its first three
    /// quarters and its last quarter (cut at line ends), with a note line between them.
    struct CapturedOutput {
        var bytes: [UInt8]
        var cut: CellResult.OutputCut?
        /// Where the middle was: file offsets in it map to the end of the note.
        private var headEnd = Int.max
        private var tailStartInFile = Int.max
        private var tailStart = Int.max

        init(bytes: [UInt8]) { self.bytes = bytes }

        init(head: [UInt8], tail: [UInt8], total: Int, stream: String) {
            var head = head
            if head.last != 0x0A { head.append(0x0A) }
            let dropped = total - head.count - tail.count
            let note = "[nbrun: output cut: \(dropped) bytes from the middle of this output (\(total) bytes) were not kept]\n"
            bytes = head + Array(note.utf8) + tail
            cut = CellResult.OutputCut(stream: stream, totalBytes: total, keptHeadBytes: head.count,
                                       keptTailBytes: tail.count, note: note)
            headEnd = head.count
            tailStartInFile = total - tail.count
            tailStart = head.count + note.utf8.count
        }

        /// The position in `bytes` of what was at `offset` in the file.
        func position(ofFileOffset offset: Int) -> Int {
            guard cut != nil else { return offset }
            if offset <= headEnd { return offset }
            if offset >= tailStartInFile { return tailStart + (offset - tailStartInFile) }
            return tailStart
        }
    }

    /// Reads an output file (missing means empty); of a file over `limit` bytes, the first three
    /// quarters of the limit and the last quarter: the report can then show its real last lines.
    static func read(_ path: String, limit: Int = maxOutputBytes, stream: String = "stdout") -> CapturedOutput {
        guard let handle = FileHandle(forReadingAtPath: path) else { return CapturedOutput(bytes: []) }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        guard size > limit else {
            let data = (try? handle.readToEnd()) ?? nil
            return CapturedOutput(bytes: data.map { [UInt8]($0) } ?? [])
        }
        var head = [UInt8]((try? handle.read(upToCount: limit * 3 / 4)) ?? Data())
        let tailLength = limit - limit * 3 / 4
        try? handle.seek(toOffset: UInt64(size - tailLength))
        var tail = [UInt8]((try? handle.read(upToCount: tailLength)) ?? Data())
        // Whole lines where a line end is near (in the last or first 64 KiB).
        if let newline = head.lastIndex(of: 0x0A), head.count - newline <= 65_536 { head.removeSubrange((newline + 1)...) }
        if let newline = tail.prefix(65_536).firstIndex(of: 0x0A), newline + 1 < tail.count { tail.removeSubrange(...newline) }
        return CapturedOutput(head: head, tail: tail, total: size, stream: stream)
    }

    static func describe(_ termination: Subprocess.Termination) -> String {
        switch termination {
        case .exited(let status): return "the program exited with status \(status) during the cell"
        case .signaled(let signal): return "the program crashed (signal \(signal): \(String(cString: strsignal(signal))))"
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

/// Reads what a running cell has printed so far from its output files, for live views.
struct OutputTail {
    let directory: String
    private var offsets: [String: UInt64] = [:]
    private var partial: [String: [UInt8]] = [:]

    init(directory: String) {
        self.directory = directory
    }

    /// Passes on the new text of cell `index`'s stdout and stderr: whole lines only unless `whole`.
    mutating func flush(_ index: Int, whole: Bool, _ deliver: (Int, Bool, String) -> Void) {
        for isError in [false, true] {
            let path = "\(directory)/cell-\(index).\(isError ? "stderr" : "stdout")"
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let offset = offsets[path] ?? 0
            try? handle.seek(toOffset: offset)
            let fresh = (try? handle.read(upToCount: 1 << 20)) ?? nil
            var bytes = partial[path, default: []] + [UInt8](fresh ?? Data())
            offsets[path] = offset + UInt64(fresh?.count ?? 0)
            var cut = bytes.count
            if !whole {
                guard let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
                    partial[path] = bytes
                    continue
                }
                cut = newline + 1
            }
            partial[path] = Array(bytes[cut...])
            bytes.removeSubrange(cut...)
            if !bytes.isEmpty { deliver(index, isError, String(decoding: bytes, as: UTF8.self)) }
        }
    }
}

/// What happened in one cell, folded from the kernel's events.
struct CellRecord {
    var began: Date?
    var ended: Date?
    var displays: [(item: DisplayItem, stdoutOffset: Int, stderrOffset: Int)] = []
    /// The error an `error: true` cell threw.
    var caught: (type: String, message: String)?
    /// Set when the cell was restored from the cache.
    var restored: (key: String, outputs: [CellOutput], stored: Date, seconds: Double)?
    /// The key of the entry the program stored for the cell.
    var stored: String?
    /// The content of every value bound after the cell (`EnvironmentKey.stateTrace`).
    var state: [ValueDigest]?
    /// Why a `cache: true` cell ran instead of being cached.
    var cacheNote: String?
    var cacheWarnings: [String] = []
    /// A failed `check` stops the program: its message and the .md line of the call.
    var checkFailure: (message: String, line: Int?)?
    /// The latest training progress.
    var progress: TrainingUpdate?
    /// The `.md` line of the last top-level statement that may throw, when it began.
    var tryingLine: Int?
}

/// The events received so far: one record per cell.
struct EventLog {
    var path: String?
    var cells: [Int: CellRecord] = [:]
    /// The cell running now.
    var running: Int?
    /// The cell whose `check` failed (the program stops there).
    var checkFailedCell: Int?
    /// What the program's engine runs on (its BLAS and kernel set), as it said when it started.
    var engine: String?

    subscript(cell: Int) -> CellRecord {
        get { cells[cell] ?? CellRecord() }
        set { cells[cell] = newValue }
    }

    mutating func record(_ event: KernelEvent) {
        switch event {
        case .begin(let cell):
            self[cell].began = Date()
            running = cell
        case .end(let cell):
            self[cell].ended = Date()
            running = nil
        case .display(let cell, let item, let stdoutOffset, let stderrOffset):
            self[cell].displays.append((item, stdoutOffset, stderrOffset))
        case .caught(let cell, let type, let message):
            self[cell].caught = (type, message)
        case .restored(let cell, let key, let outputs, let stored, let seconds):
            self[cell].restored = (key, outputs, stored, seconds)
        case .stored(let cell, let key):
            self[cell].stored = key
        case .state(let cell, let values):
            self[cell].state = values
        case .cacheNote(let cell, let message):
            self[cell].cacheNote = "not cached: " + message
        case .cacheWarning(let cell, let message):
            self[cell].cacheWarnings.append(message)
        case .checkFailed(let cell, let message, _, let line):
            self[cell].checkFailure = (message, line)
            checkFailedCell = cell
        case .progress(let cell, let update):
            self[cell].progress = update
        case .trying(let cell, let line):
            self[cell].tryingLine = line
        case .engine(let description):
            engine = description
        case .start, .finish:
            break
        }
    }

    /// Every cache warning, in cell order.
    var cacheWarnings: [(cell: Int, message: String)] {
        cells.keys.sorted().flatMap { cell in self[cell].cacheWarnings.map { (cell, $0) } }
    }
}
