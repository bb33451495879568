import Foundation
import KernelProtocol

/// What happened in one cell, folded from the kernel's events.
struct CellRecord {
    var began: Date?
    var ended: Date?
    var displays: [(item: DisplayItem, stdoutOffset: Int, stderrOffset: Int)] = []
    /// The error an `error: true` cell threw.
    var caught: (type: String, message: String)?
    /// Set when the cell was restored from the cache.
    var restored: (key: String, outputs: [CellOutput], stored: Date, seconds: Double)?
    /// How many of `displays` came before the restore: the prose's inline values (`{swift} x`)
    /// evaluated before and after the cell's restored outputs.
    var displaysBeforeRestore = 0
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

    /// Folds in `event`, which arrived at `time`.
    mutating func record(_ event: KernelEvent, at time: Date) {
        switch event {
        case .begin(let cell):
            self[cell].began = time
            running = cell
        case .end(let cell):
            self[cell].ended = time
            running = nil
        case .display(let cell, let item, let stdoutOffset, let stderrOffset):
            self[cell].displays.append((item, stdoutOffset, stderrOffset))
        case .caught(let cell, let type, let message):
            self[cell].caught = (type, message)
        case .restored(let cell, let key, let outputs, let stored, let seconds):
            self[cell].restored = (key, outputs, stored, seconds)
            self[cell].displaysBeforeRestore = self[cell].displays.count
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
