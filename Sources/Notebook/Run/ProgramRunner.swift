import Foundation
import KernelProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The run stage's process half: a built notebook program -> its events and output files, fed
/// to `RunCollector`, which makes the `[CellResult]`.
///
/// The program runs as a child process. The kernel sends events (cell begin/end, display
/// items, caught errors) as JSON lines on a pipe that is the child's fd 3, and writes each
/// cell's stdout and stderr to its own files in a run folder. The runner watches the events to
/// enforce time limits and stop the program (Ctrl-C, a newer save), and passes them on for
/// progress and live views. A cell that began and never ended failed: a crash (its .md line
/// taken from the backtrace, which names the `.md` file thanks to `-g` and `#sourceLocation`),
/// a time limit, or Ctrl-C.
public enum ProgramRunner {
    /// Everything a run needs, from the build stage's output and the command line.
    public struct Request: Sendable {
        public var binaryPath: String
        /// What was built: the notebook, its cells' options and the cache's facts, and the
        /// `ProgramPlan` the program reads at start.
        public var plan: ExecutionPlan
        /// Folder for the per-cell output files (emptied first).
        public var workDirectory: String
        /// Seconds the whole run may take (`--timeout`); per-cell limits come from `timeout:`.
        public var timeout: Double?
        /// The cell cache, nil: none.
        public var cache: CacheSettings?
        /// Ask the program for the content of every value after each cell (`CellResult.state`).
        public var stateTrace = false

        public init(binaryPath: String, plan: ExecutionPlan, workDirectory: String, timeout: Double? = nil,
                    cache: CacheSettings? = nil, stateTrace: Bool = false) {
            self.binaryPath = binaryPath
            self.plan = plan
            self.workDirectory = workDirectory
            self.timeout = timeout
            self.cache = cache
            self.stateTrace = stateTrace
        }
    }

    /// Where `cache: true` cells keep their entries, and how they are used.
    public struct CacheSettings: Sendable {
        /// `<cache>/cells/<key>` holds an entry.
        public var directory: String
        /// Whether `cache: true` cells are restored and stored.
        public var mode: CellCacheMode
        /// Bytes the cell cache may hold before least recently used entries go.
        public var limit: Int64

        public init(directory: String, mode: CellCacheMode = .on, limit: Int64 = CellCache.defaultLimit) {
            self.directory = directory
            self.mode = mode
            self.limit = limit
        }
    }

    /// Who hears about the run as it goes (progress lines, `nbrun watch`'s page).
    public struct Observers {
        /// Called when a cell starts and when it ends (or fails).
        public var onCellStart: ((Cell) -> Void)?
        public var onCellEnd: ((Cell, CellResult) -> Void)?
        /// Called with every event as it arrives.
        public var onEvent: ((KernelEvent) -> Void)?
        /// Called with a running cell's printed output as it appears (at most every 50 ms, whole
        /// lines while the cell runs, the rest when it ends): cell index, stderr?, text.
        public var onOutput: ((Int, Bool, String) -> Void)?
        /// Checked while the program runs: when it returns true the program is stopped (a newer
        /// save in `nbrun watch`), as Ctrl-C stops it.
        public var shouldStop: (() -> Bool)?

        public init(onCellStart: ((Cell) -> Void)? = nil, onCellEnd: ((Cell, CellResult) -> Void)? = nil,
                    onEvent: ((KernelEvent) -> Void)? = nil, onOutput: ((Int, Bool, String) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) {
            self.onCellStart = onCellStart
            self.onCellEnd = onCellEnd
            self.onEvent = onEvent
            self.onOutput = onOutput
            self.shouldStop = shouldStop
        }
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

    /// Runs the request's binary and collects one result per cell.
    ///
    /// - Throws: `EnvironmentError` when the program cannot be started (its run folder or plan
    ///   cannot be written, it cannot be executed); what happens once it runs is in the results.
    public static func run(_ request: Request, observers: Observers = Observers()) throws -> Outcome {
        let notebook = request.plan.notebook
        let workDirectory = request.workDirectory
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
        let planPath = workDirectory + "/plan.json"
        do {
            try KernelCoding.encoder(sorted: true).encode(request.plan.program).write(to: URL(fileURLWithPath: planPath))
        } catch {
            throw cannot("write \(planPath)", error)
        }
        environment[EnvironmentKey.plan] = planPath
        if let cache = request.cache {
            environment[EnvironmentKey.cacheDirectory] = cache.directory
            environment[EnvironmentKey.cellCache] = cache.mode.rawValue
        }
        if request.stateTrace {
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
            child = try Subprocess.spawn(request.binaryPath, [], environment: environment,
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
        var collector = RunCollector(
            notebook: notebook, cacheBlockers: request.plan.cacheNotes,
            printed: { index, stream in Self.read("\(workDirectory)/cell-\(index).\(stream)", stream: stream) },
            outsideErrors: { String(decoding: Self.read(workDirectory + "/outside.stderr", limit: 1 << 20, stream: "stderr").bytes, as: UTF8.self) })
        var pending = [UInt8]()
        var tail = OutputTail(directory: workDirectory)
        var stop: RunCollector.Stop?
        var killedAt: Date?
        var open = true
        var ended: Subprocess.Termination?
        let onOutput = observers.onOutput
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
                    let endedCell = collector.receive(event)
                    observers.onEvent?(event)
                    if case .begin(let index) = event, cells.indices.contains(index) { observers.onCellStart?(cells[index]) }
                    if let endedCell, cells.indices.contains(endedCell.cellIndex) { observers.onCellEnd?(cells[endedCell.cellIndex], endedCell) }
                }
            }
            if ready > 0 {
                open = !Pipe.drain(events.read, into: &pending)
                handlePending()
            }
            let log = collector.log
            if let onOutput, let running = log.running { tail.flush(running, whole: false, onOutput) }
            if stop == nil {
                let now = Date()
                if interruption.fired {
                    stop = (.interrupted, "interrupted (\(InterruptWatch.cause))")
                } else if observers.shouldStop?() == true {
                    stop = (.interrupted, "stopped: the notebook changed")
                } else if let running = log.running, let limit = cells[running].options.timeout,
                          let began = log[running].began, now.timeIntervalSince(began) > limit {
                    stop = (.timeout, "\(cells[running].name) ran past its time limit of \(Self.seconds(limit)) (timeout: \(Self.seconds(limit)))")
                } else if let timeout = request.timeout, now.timeIntervalSince(start) > timeout {
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

        let (results, failed) = collector.finish(termination: termination, stop: stop)
        if let failed, cells.indices.contains(failed.cellIndex) { observers.onCellEnd?(cells[failed.cellIndex], failed) }
        let warnings = finishCellCache(log: collector.log, settings: request.cache)
        return Outcome(results: results, interrupted: stop?.kind == .interrupted, seconds: seconds, cacheWarnings: warnings,
                       engine: collector.log.engine)
    }

    /// Marks restored entries used and evicts beyond the limit once the program stored some (the
    /// program writes its entries itself, whole); a cache that cannot be trimmed only costs a warning.
    static func finishCellCache(log: EventLog, settings: CacheSettings?) -> [String] {
        var warnings = log.cacheWarnings.map(\.message)
        guard let settings else { return warnings }
        let cache = CellCache(directory: settings.directory)
        for record in log.cells.values { if let restored = record.restored { cache.touch(key: restored.key) } }
        if log.cells.values.contains(where: { $0.stored != nil }) {
            FaultInjection.reach("cache.evict")
            do {
                for entry in try cache.evict(limit: settings.limit) {
                    warnings.append("cache limit \(settings.limit) bytes reached: removed \((entry.notebook as NSString).lastPathComponent) \(entry.cellName) (\(entry.bytes) bytes, last used \(KernelCoding.formatDate(entry.lastUsed)))")
                }
            } catch {
                warnings.append("could not trim the cell cache (\(error))")
            }
        }
        return warnings
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

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
