import Foundation
@_exported import KernelProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The generated program's side of the link to the runner.
///
/// Events (`KernelEvent`, one JSON line each) go out on the file descriptor named by
/// `NBRUN_EVENT_FD` (the runner passes a pipe as fd 3). When `NBRUN_OUTPUT_DIR` is set, each
/// cell's stdout and stderr go to their own files there (`cell-N.stdout`, `cell-N.stderr`,
/// switched with `dup2` at cell boundaries), so output is attributed to its cell exactly,
/// whatever the pipes' timing; display events carry the stdout/stderr offsets at which they
/// happened, to interleave them with printed text. stdout is line-buffered so a crash loses
/// at most a partial line. The plan (`NBRUN_PLAN`) gives the parameters and the facts the cell
/// cache keys on (see `CellTracker`).
public enum NotebookSession {
    nonisolated(unsafe) private static var eventDescriptor: Int32 = -1
    /// Where each cell's stdout and stderr files are, when the runner set it.
    nonisolated(unsafe) private(set) static var outputDirectory: String?
    /// The items the running cell has displayed, with the stdout and stderr offsets at which it
    /// showed them (a cached cell's entry keeps its outputs).
    nonisolated(unsafe) private(set) static var cellDisplays: [(item: DisplayItem, stdoutOffset: Int, stderrOffset: Int)] = []
    nonisolated(unsafe) private static var encoder = KernelCoding.encoder()
    /// The cell running now, or -1 outside cells.
    nonisolated(unsafe) public private(set) static var currentCell = -1
    /// The plan the tool wrote for this run (empty when run by hand).
    nonisolated(unsafe) static var plan = ProgramPlan(notebook: "", salt: "", parameters: [], declarations: [:], cells: [])

    /// Called once, before the first cell.
    public static func start(cellCount: Int) {
        setvbuf(stdout, nil, _IOLBF, 0)
        setvbuf(stderr, nil, _IONBF, 0)
        let environment = ProcessInfo.processInfo.environment
        if let text = environment[EnvironmentKey.eventDescriptor], let descriptor = Int32(text) {
            eventDescriptor = descriptor
        }
        if let directory = environment[EnvironmentKey.outputDirectory], !directory.isEmpty {
            outputDirectory = directory
            redirectOutput(to: "outside")
        }
        if let path = environment[EnvironmentKey.plan], !path.isEmpty {
            do {
                plan = try KernelCoding.decoder().decode(ProgramPlan.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                fputs("nbrun: cannot read the program plan \(path): \(error)\n", stderr)
                exit(2)
            }
        }
        CellTracker.shared.start(plan: plan)
        TrainingProgress.observer = TrainingEvents.observe
        emit(.start(cellCount: cellCount))
        emit(.engine(description: BLASLibrary.current.description))
    }

    /// The value of front-matter parameter `name` for this run (after `-p`), as the plan gives it.
    public static func parameter<T: Decodable>(_ name: String, as type: T.Type = T.self) -> T {
        guard let parameter = plan.parameters.first(where: { $0.name == name }) else {
            fputs("nbrun: the program plan has no parameter '\(name)' (run the notebook with nbrun)\n", stderr)
            exit(2)
        }
        do {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
            return try decoder.decode([T].self, from: Data("[\(parameter.json)]".utf8))[0]
        } catch {
            fputs("nbrun: parameter '\(name)' is \(parameter.json), not a \(T.self): \(error)\n", stderr)
            exit(2)
        }
    }

    /// A cell begins; `cacheExtra` is its `cache-extra` value.
    public static func beginCell(_ index: Int, line: Int, cacheExtra: (() -> Any)? = nil) {
        redirectOutput(to: "cell-\(index)")
        currentCell = index
        cellDisplays = []
        emit(.begin(cell: index))
        CellTracker.shared.begin(index, extra: cacheExtra)
    }

    /// Values the notebook has bound (a cell's top-level `let`s and `var`s, once bound; the
    /// parameters): the cell cache reads and restores them by name.
    public static func register(_ globals: [NotebookGlobal]) {
        NotebookGlobals.shared.register(globals)
    }

    public static func endCell(_ index: Int) {
        CellTracker.shared.end(index)
        StateTrace.send(cell: index)
        currentCell = -1
        // The cell's output is in its files (flushed, and nothing more goes there) before the
        // runner hears that it ended: it reads them then, once.
        redirectOutput(to: "outside")
        emit(.end(cell: index))
    }

    /// Marks the `.md` line of a top-level statement that may throw, before it runs (the
    /// generated program calls this).
    public static func willTry(_ line: Int) {
        emit(.trying(cell: currentCell, line: line))
    }

    /// Reports the error an `error: true` cell threw; the run goes on.
    public static func caught(_ error: Error) {
        fflush(stdout)
        emit(.caught(cell: currentCell, type: typeName(of: error), message: String(describing: error)))
    }

    public static func finish() {
        emit(.finish)
    }

    /// Sends a display item for the current cell.
    public static func send(_ item: DisplayItem) {
        fflush(stdout)
        let stdoutOffset = offset(1), stderrOffset = offset(2)
        cellDisplays.append((item, stdoutOffset, stderrOffset))
        emit(.display(cell: currentCell, item: item, stdoutOffset: stdoutOffset, stderrOffset: stderrOffset))
    }

    /// Points fds 1 and 2 at `<outputDirectory>/<name>.stdout` and `.stderr`.
    private static func redirectOutput(to name: String) {
        guard let outputDirectory else { return }
        fflush(stdout)
        fflush(stderr)
        for (descriptor, suffix) in [(Int32(1), "stdout"), (Int32(2), "stderr")] {
            let file = open("\(outputDirectory)/\(name).\(suffix)", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard file >= 0 else { continue }
            dup2(file, descriptor)
            close(file)
        }
    }

    /// Bytes written so far to fd 1 or 2 (a file when the runner redirected them).
    private static func offset(_ descriptor: Int32) -> Int {
        max(0, Int(lseek(descriptor, 0, SEEK_END)))
    }

    static func emit(_ event: KernelEvent) {
        fflush(stdout)
        guard eventDescriptor >= 0, var data = try? encoder.encode(event) else { return }
        data.append(UInt8(ascii: "\n"))
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(eventDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

extension NotebookSession {
    /// A failed `check`: reports it (message and the .md location of the call) and ends the
    /// program with status 1, as a failing test stops.
    static func failCheck(_ message: String, file: String, line: Int) {
        fflush(stdout)
        emit(.checkFailed(cell: currentCell, message: message, file: file, line: line))
        fputs("check failed: \(message)\n  at \(file):\(line)\n", stderr)
        finish()
        exit(1)
    }
}

/// Training progress from `fit`, sent as events: after each step at most five times a second,
/// and at the end of every epoch (with its metrics).
enum TrainingEvents {
    nonisolated(unsafe) private static var lastSent = DispatchTime(uptimeNanoseconds: 0)

    static func observe(_ progress: TrainingProgress) {
        let now = DispatchTime.now()
        let record = progress.record
        if record == nil, now.uptimeNanoseconds - lastSent.uptimeNanoseconds < 200_000_000, progress.step < progress.steps {
            return
        }
        lastSent = now
        let update = TrainingUpdate(epoch: progress.epoch, epochs: progress.epochs, step: progress.step, steps: progress.steps,
                                    loss: record?.loss ?? progress.meanLoss, epochEnded: record != nil,
                                    metrics: record?.metrics ?? [:], validationLoss: record?.validationLoss,
                                    validationMetrics: record?.validationMetrics ?? [:], seconds: record?.seconds,
                                    verbose: progress.verbose ? nil : false)
        NotebookSession.emit(.progress(cell: NotebookSession.currentCell, update: update))
    }
}
