import Foundation
import KernelProtocol

/// What running one cell produced: the collect stage's output, the render stage's input.
public struct CellResult: Codable, Sendable, Equatable {
    public var cellIndex: Int
    public var status: Status
    /// Printed output and display items, in the order they happened.
    public var outputs: [CellOutput]
    /// Wall time from the cell's start to its end (or to the failure).
    public var seconds: Double
    /// Set when `status` is `.failed`, or `.expectedError` for an `error: true` cell.
    public var error: CellError?
    /// A `cache: true` cell restored from the cache: `outputs` are the stored ones.
    public var cached = false
    /// For a restored cell: its cache entry's key and when the entry was stored.
    public var cacheKey: String?
    public var cacheStored: Date?
    /// For a restored cell: seconds the kernel took to find the entry and load its values.
    public var restoreSeconds: Double?
    /// For a `cache: true` cell: why it was not cached or restored (a value the cache
    /// cannot store, an unreadable entry, a cache folder that cannot be written).
    public var cacheNote: String?
    /// The content of every value the notebook had bound after the cell, when the run was asked
    /// for it (`RunOptions.stateTrace`): what the differential check compares.
    public var state: [ValueDigest]?
    /// Output streams longer than nbrun keeps (`ProgramRunner.maxOutputBytes`): `outputs` hold
    /// their beginning and end, with the cut's `note` line where the middle was.
    public var outputCuts: [OutputCut] = []

    public init(cellIndex: Int, status: Status, outputs: [CellOutput] = [], seconds: Double = 0, error: CellError? = nil) {
        self.cellIndex = cellIndex
        self.status = status
        self.outputs = outputs
        self.seconds = seconds
        self.error = error
    }

    public enum Status: String, Codable, Sendable, Equatable {
        /// The cell ran to its end.
        case passed
        /// An `error: true` cell threw, as expected; the run went on.
        case expectedError
        /// The cell crashed, threw at top level, timed out or was interrupted.
        case failed
        /// `eval: false`.
        case notEvaluated
        /// An earlier cell failed, so this one never started.
        case notRun
    }

    /// A stream whose middle was not kept.
    public struct OutputCut: Codable, Sendable, Equatable {
        /// `stdout` or `stderr`.
        public var stream: String
        /// Bytes the cell wrote to the stream.
        public var totalBytes: Int
        /// Bytes kept from its start and from its end.
        public var keptHeadBytes: Int
        public var keptTailBytes: Int
        /// The line written where the middle was (it says so).
        public var note: String

        public init(stream: String, totalBytes: Int, keptHeadBytes: Int, keptTailBytes: Int, note: String) {
            self.stream = stream
            self.totalBytes = totalBytes
            self.keptHeadBytes = keptHeadBytes
            self.keptTailBytes = keptTailBytes
            self.note = note
        }
    }

    /// Everything the cell printed to stdout, joined.
    public var stdout: String {
        outputs.map { if case .stdout(let text) = $0 { return text } else { return "" } }.joined()
    }

    /// Everything the cell printed to stderr, joined.
    public var stderr: String {
        outputs.map { if case .stderr(let text) = $0 { return text } else { return "" } }.joined()
    }

    /// The display items, in order.
    public var displays: [DisplayItem] {
        outputs.compactMap { if case .display(let item) = $0 { return item } else { return nil } }
    }
}

/// Why a cell failed (or what an `error: true` cell threw).
public struct CellError: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// An error thrown out of the cell (caught for `error: true` cells).
        case thrown
        /// A trap or signal: `fatalError`, index out of range, force-unwrapped nil.
        case crash
        /// The cell ran past its `timeout` or the notebook's `--timeout`.
        case timeout
        /// Ctrl-C.
        case interrupted
        /// A `check` or `expectClose` in the cell failed.
        case check
        /// The notebook did not compile: swiftc's error in this cell (nothing ran).
        case compile
        /// The cell ran, but what it showed differs from its golden outputs (`nbrun test`), or
        /// they hold none for it.
        case golden
    }

    public var kind: Kind
    public var message: String
    /// The `.md` line the error points at (from the backtrace), else the cell's first line.
    public var line: Int?
    /// The text of that line.
    public var sourceLine: String?
    /// Crash backtrace, when there was one.
    public var details: String?

    public init(kind: Kind, message: String, line: Int? = nil, sourceLine: String? = nil, details: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.sourceLine = sourceLine
        self.details = details
    }

    /// What the error is called in a report ("Crash", "Check failed"); `expected` for an
    /// `error: true` cell's.
    public func title(expected: Bool) -> String {
        switch kind {
        case .thrown: return expected ? "Error (expected)" : "Error thrown"
        case .crash: return "Crash"
        case .timeout: return "Time limit"
        case .interrupted: return "Interrupted"
        case .check: return "Check failed"
        case .compile: return "Compile error"
        case .golden: return "Golden outputs"
        }
    }
}

/// The verdict on a run, from its cells' results: how many passed, failed, never ran, and the
/// exit status. The report's header, the run's exit status and `nbrun test` all read it here.
public struct RunVerdict: Codable, Sendable, Equatable {
    /// Cells that ran to their end (or threw as `error: true` expects).
    public var passed = 0
    public var failed = 0
    /// Cells an earlier failure kept from running.
    public var notRun = 0
    /// `eval: false` cells.
    public var notEvaluated = 0
    /// Cells holding a compile error (then nothing ran).
    public var compileErrors = 0
    public var interrupted: Bool

    public init(_ results: [CellResult], interrupted: Bool = false) {
        self.interrupted = interrupted
        for result in results {
            switch result.status {
            case .passed, .expectedError: passed += 1
            case .failed:
                failed += 1
                if result.error?.kind == .compile { compileErrors += 1 }
            case .notRun: notRun += 1
            case .notEvaluated: notEvaluated += 1
            }
        }
    }

    public var succeeded: Bool { !interrupted && failed == 0 }

    public var exitStatus: Int32 {
        if interrupted { return ExitStatus.interrupted }
        if compileErrors > 0 { return ExitStatus.usage }
        return failed > 0 ? ExitStatus.failure : ExitStatus.success
    }

    /// "3 passed, 1 failed, 2 not run", or why nothing ran.
    public var summary: String {
        if compileErrors > 0 { return "did not compile: \(compileErrors) cell\(compileErrors == 1 ? "" : "s") with errors; nothing ran" }
        var text = "\(passed) passed, \(failed) failed"
        if notRun > 0 { text += ", \(notRun) not run" }
        if interrupted { text += " (interrupted)" }
        return text
    }
}
