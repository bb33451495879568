import Foundation

/// How to run a notebook (the command line's options, for `runNotebook`).
public struct RunOptions: Sendable {
    /// Folder for the report (`output` by default); its `.cache` holds binaries.
    public var outputDirectory: String = "output"
    /// `-p name=value` overrides, in order.
    public var parameters: [(name: String, value: String)] = []
    /// Seconds the whole run may take.
    public var timeout: Double?
    /// Inline figures in the HTML (`--no-embed` sets false).
    public var embedFigures = true
    /// Reuse a binary built from the same source, toolchain and kernel, and the stored
    /// results of `cache: true` cells (`--no-cache` sets false: everything is redone).
    public var reuseBinaries = true
    /// Run `cache: true` cells again and overwrite their entries (`--refresh`).
    public var refreshCache = false
    /// Have the program send the content digest of every value after each cell
    /// (`CellResult.state`), for the differential check of `nbrun test --rerun`.
    public var stateTrace = false
    /// Bytes the cell cache may hold; nil: `NBRUN_CACHE_LIMIT`, else 2 GiB.
    public var cacheLimit: Int64?
    /// A shared cache server (`--cache-url`) behind the local binaries and cell entries.
    public var cacheURL: URL?
    /// Write the HTML report.
    public var writeReport = true
    /// The report's file name without `.html` (`--output-name`); `{name}` in it becomes the
    /// value of parameter `name`, so a sweep writes one report per value. Default: the notebook's name.
    public var reportName: String?
    /// Where the kernel is; found from the environment when nil.
    public var kernel: KernelLocation?
    /// Receives progress lines (one per cell); nbrun sends them to stderr.
    public var progress: (@Sendable (String) -> Void)?
    /// Receives every event of the notebook program as it arrives (live views).
    public var onEvent: (@Sendable (KernelEvent) -> Void)?
    /// Receives a running cell's printed output as it appears: cell index, stderr?, text.
    public var onOutput: (@Sendable (Int, Bool, String) -> Void)?
    /// Checked while cells run: true stops the program (its report is still written).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Receives each cell's result as it ends (or fails).
    public var onCellEnd: (@Sendable (CellResult) -> Void)?
    /// Whether the run takes Ctrl-C itself (false when the caller watches for it across runs,
    /// as `nbrun watch` does: then the caller's `InterruptWatch` stops the run).
    public var handlesInterrupts = true

    public init() {}
}

/// A finished run: per-cell results, the report's path, and the verdict.
public struct NotebookRun: Sendable {
    public var notebook: Notebook
    public var results: [CellResult]
    /// The parameters the run used, after `-p` overrides.
    public var parameters: [Parameter]
    public var reportPath: String?
    public var seconds: Double
    public var compileSeconds: Double
    public var binaryReused: Bool
    public var interrupted: Bool
    /// swiftc's warnings about the notebook's cells.
    public var warnings: [Diagnostic] = []
    /// Problems with the cell cache: the run went on without it where it had to.
    public var cacheWarnings: [String] = []
    /// Problems with the shared cache (`--cache-url`): the run went on with the local cache.
    public var sharedCacheWarnings: [String] = []
    /// The Swift toolchain's version line.
    public var swiftVersion = ""
    /// What the notebook program's engine ran on (BLAS library, kernel set, threads).
    public var engine: String?
    /// Why the report could not be written (the cells ran; the last report was kept).
    public var reportError: EnvironmentError?

    public var failedCells: [CellResult] { results.filter { $0.status == .failed } }
    public var verdict: RunVerdict { RunVerdict(results, interrupted: interrupted) }
    public var passedCount: Int { verdict.passed }

    /// 0 when every evaluated cell ran; 1 when one failed; 3 when the report could not be
    /// written; 130 after Ctrl-C.
    public var exitCode: Int32 {
        if reportError != nil, !interrupted { return ExitStatus.environment }
        return verdict.exitStatus
    }
}

/// Parse, generate, build, run, render: the whole pipeline, without exiting the process.
///
/// - Throws: `NotebookError` for a bad notebook or bad usage (exit 2): a missing file,
///   bad front matter or options, unknown or mistyped parameters, compile errors, a
///   missing kernel. `EnvironmentError` (exit 3) when the machine keeps the notebook from being
///   built or run (a full disk, a path too long); no report is written then, the last one stays.
///   A cell that fails at run time is not thrown: it is in `results`; a report that cannot be
///   written is `reportError`.
public func runNotebook(path: String, options: RunOptions = RunOptions()) throws -> NotebookRun {
    let start = Date()
    let trace = PhaseTrace()
    if options.handlesInterrupts { InterruptWatch.reset() }
    let interruption = InterruptWatch.install()
    defer { interruption.remove() }
    // Ctrl-C before the program runs stops the run at once: each stage checks between its steps.
    let stopIfInterrupted: () throws -> Void = { if interruption.fired { throw NotebookInterrupted() } }
    // The trace counts the parse's checks: tests signal nbrun at chosen points of a long parse.
    var parseChecks = 0
    let notebook = try NotebookParser.parse(fileAt: path, checkpoint: {
        try stopIfInterrupted()
        parseChecks += 1
        if parseChecks % 100 == 0 { trace.note("parse checked \(parseChecks) times") }
    })
    trace.mark("parse")
    let parameters = try Parameter.applying(options.parameters, to: notebook.parameters, path: path)
    let cacheLimit = try options.cacheLimit ?? CellCache.limit()
    let kernel = try options.kernel ?? KernelLocation.locate()
    let outputDirectory = options.outputDirectory
    let cacheDirectory = outputDirectory + "/.cache"
    try ReportWriter.prepare(outputDirectory, cacheDirectory: cacheDirectory)
    let toolchain = try Toolchain.detect(cacheDirectory: cacheDirectory)
    var builder = NotebookBuilder(kernel: kernel, toolchain: toolchain, cacheDirectory: cacheDirectory,
                                  reuseBinaries: options.reuseBinaries)
    // `--no-cache` redoes everything: nothing is fetched from the server, nor stored there.
    var shared: SharedCache?
    if options.reuseBinaries, let url = options.cacheURL {
        shared = SharedCache(server: CacheServer(url: url, timeout: try CacheServer.timeout()))
    }
    builder.sharedCache = shared
    try stopIfInterrupted()
    let kernelHash = try builder.kernelHash()
    try stopIfInterrupted()
    trace.mark("toolchain")
    // swift-syntax's parse cannot be asked to stop, and on some unclosed brackets it takes minutes.
    let plan = try InterruptWatch.exitingAtOnce {
        try stopIfInterrupted()
        trace.note("plan begins")
        return try ExecutionPlan(notebook: notebook, parameters: parameters, salt: "\(toolchain.version)\n\(kernelHash)")
    }
    trace.mark("plan")
    let program = ProgramGenerator.generate(plan)
    try stopIfInterrupted()
    trace.mark("generate")
    CellCache(directory: cacheDirectory).cleanUpAfterStoppedRuns()
    let cells = notebook.cells
    let progress = options.progress
    progress?(cells.count == 1 ? "compiling 1 cell" : "compiling \(cells.count) cells")
    let build: NotebookBuilder.Result
    do {
        build = try builder.build(program, notebook: notebook, kernelHash: kernelHash)
    } catch let error as NotebookError {
        if interruption.fired { throw NotebookInterrupted() }
        // A report that says so, errors at their cells, rather than the last run's looking current.
        if options.writeReport {
            let info = HTMLReport.RunInfo(date: start, seconds: Date().timeIntervalSince(start), swiftVersion: toolchain.version,
                                          gitCommit: gitCommit(near: path), parameters: parameters)
            let name = try reportName(options.reportName, notebook: path, parameters: parameters)
            let results = HTMLReport.compileErrorResults(error.diagnostics, notebook: notebook)
            let report = HTMLReport(notebook: notebook, results: results, info: info, options: HTMLReport.Options(embedFigures: options.embedFigures),
                                    name: name)
            _ = try? ReportWriter.write(report.render(), to: outputDirectory, name: name)
        }
        throw error
    } catch {
        if interruption.fired { throw NotebookInterrupted() }
        throw error
    }
    if interruption.fired { throw NotebookInterrupted() }
    trace.mark(build.cacheHit ? "build (reused)" : "build")
    progress?(build.shared ? "binary from the shared cache (source, toolchain and kernel unchanged)"
                : build.cacheHit ? "binary reused (source, toolchain and kernel unchanged)"
                : String(format: "compiled in %.2f s", build.compileSeconds))

    let name = NotebookBuilder.safeName((path as NSString).lastPathComponent)
    // Absolute: the program opens each cell's output files there, and a cell may change its working directory.
    var runner = ProgramRunner(workDirectory: KernelLocation.absolute("\(cacheDirectory)/run/\(name)-\(getpid())"),
                               timeout: options.timeout)
    runner.cacheDirectory = KernelLocation.absolute(cacheDirectory)
    runner.cellCacheMode = !options.reuseBinaries ? .off : options.refreshCache ? .refresh : .on
    runner.cacheNotes = plan.cacheNotes
    runner.stateTrace = options.stateTrace
    runner.cacheLimit = cacheLimit
    runner.plan = plan.program
    if let shared, !options.refreshCache {
        let fetched = shared.fetchCells(plan: plan.program, cache: CellCache(directory: cacheDirectory))
        if fetched > 0 { progress?("\(fetched) cached cell\(fetched == 1 ? "" : "s") from the shared cache") }
        trace.mark("shared cache")
    }
    let stored = StoredEntries()
    runner.onEvent = { event in
        if case .stored(let cell, let key) = event { stored.append(cell, key) }
        options.onEvent?(event)
    }
    runner.onOutput = options.onOutput
    runner.shouldStop = options.shouldStop
    let reporter = ProgressReporter(cells: cells, progress: progress)
    let onCellEnd = options.onCellEnd
    runner.onCellEnd = { cell, result in
        onCellEnd?(result)
        reporter.report(cell, result)
        if let seconds = result.restoreSeconds { trace.note(String(format: "%@ restored %.4f s", cell.name, seconds)) }
    }
    let outcome = try withExtendedLifetime(build.lock) { try runner.run(binary: build.binaryPath, notebook: notebook) }
    reporter.finish()
    trace.mark("run")
    if let shared, !outcome.interrupted {
        shared.storeCells(stored.entries, plan: plan.program, cache: CellCache(directory: cacheDirectory))
        trace.mark("shared cache")
    }
    try? FileManager.default.removeItem(atPath: runner.workDirectory)

    var run = NotebookRun(notebook: notebook, results: outcome.results, parameters: parameters, reportPath: nil,
                          seconds: Date().timeIntervalSince(start), compileSeconds: build.compileSeconds,
                          binaryReused: build.cacheHit, interrupted: outcome.interrupted, warnings: build.warnings,
                          cacheWarnings: outcome.cacheWarnings)
    run.swiftVersion = toolchain.version
    run.engine = outcome.engine
    run.sharedCacheWarnings = shared?.warnings ?? []
    if options.writeReport {
        var info = HTMLReport.RunInfo(date: start, seconds: run.seconds, swiftVersion: toolchain.version,
                                      gitCommit: gitCommit(near: path), parameters: parameters,
                                      binaryReused: build.cacheHit, interrupted: outcome.interrupted)
        info.engine = run.engine
        var reportOptions = HTMLReport.Options()
        reportOptions.embedFigures = options.embedFigures
        let baseName = try reportName(options.reportName, notebook: path, parameters: parameters)
        var report = HTMLReport(notebook: notebook, results: outcome.results, info: info, options: reportOptions, name: baseName)
        report.warnings = build.warnings
        // A run stopped by Ctrl-C still gets its report; another Ctrl-C while it is written stops that.
        let signalsBefore = InterruptWatch.count
        let rendered = try report.render(checkpoint: {
            if InterruptWatch.count > signalsBefore { throw NotebookInterrupted(when: "while writing the report (no report written)") }
        })
        do {
            run.reportPath = try ReportWriter.write(rendered, to: outputDirectory, name: baseName)
        } catch let error as EnvironmentError {
            run.reportError = error
        }
        trace.mark("report")
    }
    return run
}

/// The entries the program stored while it ran, by cell (set on the runner's reading thread).
private final class StoredEntries: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(cell: Int, key: String)] = []

    func append(_ cell: Int, _ key: String) {
        lock.lock(); stored.append((cell, key)); lock.unlock()
    }

    var entries: [(cell: Int, key: String)] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }
}

/// The report's base name: `template` with `{parameter}` replaced by the values, or the notebook's name.
func reportName(_ template: String?, notebook path: String, parameters: [Parameter]) throws -> String {
    guard var name = template else { return ((path as NSString).lastPathComponent as NSString).deletingPathExtension }
    for parameter in parameters { name = name.replacingOccurrences(of: "{\(parameter.name)}", with: parameter.value.text) }
    if name.hasSuffix(".html") { name.removeLast(5) }
    guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("{") else {
        throw NotebookError("--output-name '\(template!)' does not give a file name (\(name.isEmpty ? "empty" : name))",
                            hint: "give a name without '/', with {param} for a parameter's value, e.g. --output-name 'run-{epochs}'")
    }
    return name
}

/// Ctrl-C before any cell ran (while parsing or compiling): there is nothing to report; or a
/// second one while the report was written.
public struct NotebookInterrupted: Error, CustomStringConvertible {
    /// When it happened, for the message.
    public var when: String

    public init(when: String = "before any cell ran") {
        self.when = when
    }

    public var description: String { "interrupted \(when)" }
}

/// The short commit of the git repository holding `path`, if any.
func gitCommit(near path: String) -> String? {
    let directory = (URL(fileURLWithPath: path).deletingLastPathComponent().path)
    guard let result = try? Subprocess.capture("git", ["-C", directory, "rev-parse", "--short", "HEAD"]),
          result.termination == .exited(0) else { return nil }
    let commit = result.stdout.trimmingWhitespace()
    return commit.isEmpty ? nil : commit
}

/// One progress line per cell, in notebook order (cells with `eval: false` included).
private final class ProgressReporter {
    let cells: [Cell]
    let progress: (@Sendable (String) -> Void)?
    var next = 0

    init(cells: [Cell], progress: (@Sendable (String) -> Void)?) {
        self.cells = cells
        self.progress = progress
    }

    func report(_ cell: Cell, _ result: CellResult) {
        skipUnevaluated(upTo: cell.index)
        var line = "[\(cell.index + 1)/\(cells.count)] \(cell.name)"
        switch result.status {
        case .passed:
            line += result.cached ? " (cache hit)" : String(format: " (%.2f s)", result.seconds)
            if let note = result.cacheNote { line += " (\(note))" }
        case .expectedError: line += " (error, as expected)"
        case .failed: line += " FAILED: \(result.error?.message ?? "")"
        case .notEvaluated, .notRun: break
        }
        progress?(line)
        next = cell.index + 1
    }

    func finish() {
        skipUnevaluated(upTo: cells.count)
    }

    private func skipUnevaluated(upTo index: Int) {
        while next < index {
            if !cells[next].options.eval { progress?("[\(next + 1)/\(cells.count)] \(cells[next].name) (eval: false)") }
            next += 1
        }
    }
}

/// With `NBRUN_TRACE=1`, prints how long each stage took to stderr (for tuning and benchmarks).
private final class PhaseTrace {
    let enabled = ProcessInfo.processInfo.environment["NBRUN_TRACE"] == "1"
    var last = Date()

    func note(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("trace: \(text)\n".utf8))
    }

    func mark(_ phase: String) {
        guard enabled else { return }
        let now = Date()
        FileHandle.standardError.write(Data(String(format: "trace: %@ %.3f s\n", phase, now.timeIntervalSince(last)).utf8))
        last = now
    }
}
