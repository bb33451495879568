import Foundation

/// The outcome of one notebook run as data: what `nbrun NOTEBOOK --summary FILE` writes and
/// `nbrun test` reads back from each child run (one notebook per process, so a crash, a hang or
/// Ctrl-C in one cannot disturb the others).
public struct NotebookSummary: Codable, Sendable, Equatable {
    public struct Cell: Codable, Sendable, Equatable {
        public var name: String
        /// 1-based position in the notebook.
        public var number: Int
        /// The .md line of the cell's code.
        public var line: Int
        /// A `CellResult.Status`: passed, expectedError, failed, notEvaluated (`eval: false`), notRun.
        public var status: String
        public var seconds: Double
        public var cached: Bool
        /// For a failed cell: the message and the .md line of the error.
        public var message: String?
        public var errorLine: Int?
        /// A hash of everything the cell printed and showed (timings aside), to compare runs.
        public var outputDigest: String?
        /// The content of every value bound after the cell, when the run traced it (`--state-trace`).
        public var state: [ValueDigest]?
    }

    /// Why `error` is set: the notebook could not be read, parsed or planned, it did not compile,
    /// or the machine failed the run (`EnvironmentError`: then the cells may have run).
    public enum ErrorKind: String, Codable, Sendable {
        case notebook, compile, environment
        /// `nbrun test --rerun`: the second run failed or showed something else.
        case rerun
    }

    public var path: String
    /// 0 every cell ran, 1 a cell failed, 2 a bad notebook (nothing ran), 3 the machine failed
    /// the run, 130 interrupted.
    public var exitCode: Int32
    public var seconds: Double
    public var cells: [Cell]
    /// For exit code 2: the diagnostics (compile errors, bad options), as printed; for exit code 3,
    /// the environment's error.
    public var error: String?
    public var errorKind: ErrorKind?
    public var reportPath: String?
    /// With `--rerun`: the second run's time and how many cells it restored from the cache.
    public var rerunSeconds: Double?
    public var rerunRestored: Int?
    /// What went wrong around the run without failing it (the shared cache unreachable, an
    /// object on it damaged): `nbrun test` prints them under the notebook's line.
    public var warnings: [String]?
    /// What the run did with the notebook's golden outputs (written, not written and why, outputs of
    /// cells the notebook no longer has): printed under the notebook's line too.
    public var notes: [String]?

    public init(path: String, exitCode: Int32, seconds: Double, cells: [Cell], error: String? = nil,
                errorKind: ErrorKind? = nil, reportPath: String? = nil) {
        self.path = path
        self.exitCode = exitCode
        self.seconds = seconds
        self.cells = cells
        self.error = error
        self.errorKind = error == nil ? nil : errorKind ?? .notebook
        self.reportPath = reportPath
    }

    /// The summary of a completed run: its executed notebook, cell by cell.
    public init(run: NotebookRun) {
        let document = run.document
        self.init(path: document.path, exitCode: run.exitCode, seconds: document.run.seconds, cells: document.cells.compactMap { executed in
            guard let result = executed.result else { return nil }
            let cell = executed.cell
            return Cell(name: cell.name, number: result.cellIndex + 1, line: cell.displayLine, status: result.status.rawValue,
                        seconds: result.seconds, cached: result.cached,
                        message: result.status == .failed ? result.error?.message : nil,
                        errorLine: result.status == .failed ? (result.error?.line ?? cell.displayLine) : nil,
                        outputDigest: CacheAnalysis.sha256((try? KernelCoding.encoder(sorted: true).encode(result.outputs))
                            .map { [String(decoding: $0, as: UTF8.self)] } ?? []),
                        state: result.state)
        }, error: run.reportError?.description, errorKind: run.reportError == nil ? nil : .environment, reportPath: run.reportPath)
        warnings = document.sharedCacheWarnings.isEmpty ? nil : document.sharedCacheWarnings
        notes = document.goldenNotes.isEmpty ? nil : document.goldenNotes
    }

    /// The first failure, as `path:line: message`, or nil when the notebook passed.
    public var firstFailure: String? {
        if let error { return error.split(separator: "\n").first.map(String.init) ?? error }
        if let cell = cells.first(where: { $0.status == "failed" }) {
            return "\(path):\(cell.errorLine ?? cell.line): \(cell.name): \(cell.message ?? "failed")"
        }
        if exitCode == ExitStatus.interrupted { return "\(path): interrupted" }
        if exitCode != 0 { return "\(path): exited with status \(exitCode)" }
        return nil
    }

    public var passed: Bool { exitCode == 0 }

    /// Compares a second run of the notebook (`nbrun test --rerun`) with this one, a full run: it
    /// must pass, every cell must print and show exactly the same, and leave every value the
    /// notebook bound with the same content (`StateComparison`). Returns the summary to report:
    /// this one with the second run's time noted, or a failure naming the first cell or value
    /// that differs.
    public func comparing(rerun: NotebookSummary) -> NotebookSummary {
        var result = self
        result.rerunSeconds = rerun.seconds
        result.rerunRestored = rerun.cells.filter(\.cached).count
        let warnings = (warnings ?? []) + (rerun.warnings ?? [])
        result.warnings = warnings.isEmpty ? nil : warnings
        guard passed else { return result }
        if !rerun.passed {
            result.exitCode = rerun.exitCode == 0 ? 1 : rerun.exitCode
            result.error = "\(path): the second run failed: \(rerun.firstFailure ?? "exit status \(rerun.exitCode)")"
            result.errorKind = rerun.errorKind == .environment ? .environment : .rerun
            return result
        }
        for (first, second) in zip(cells, rerun.cells) where first.outputDigest != second.outputDigest {
            result.exitCode = 1
            result.errorKind = .rerun
            result.error = "\(path):\(first.line): \(first.name): its output on a second run\(second.cached ? ", restored from the cache," : "") "
                + "differs from the first run's"
            return result
        }
        if let difference = StateComparison.firstDifference(full: cells.map(\.state), restored: rerun.cells.map(\.state)) {
            let cell = cells[difference.cell]
            let restored = rerun.cells.prefix(difference.cell + 1).filter(\.cached).map(\.name)
            result.exitCode = 1
            result.error = "\(path):\(cell.line): \(cell.name): \(difference); cells restored so far: "
                + (restored.isEmpty ? "none" : restored.joined(separator: ", "))
        }
        return result
    }

    /// Writes the summary as JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> NotebookSummary {
        try JSONDecoder().decode(NotebookSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
