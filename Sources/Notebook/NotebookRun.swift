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
    /// The Swift toolchain's version line.
    public var swiftVersion = ""

    public var failedCells: [CellResult] { results.filter { $0.status == .failed } }
    public var verdict: RunVerdict { RunVerdict(results, interrupted: interrupted) }
    public var passedCount: Int { verdict.passed }

    /// 0 when every evaluated cell ran; 1 when one failed; 130 after Ctrl-C.
    public var exitCode: Int32 { verdict.exitStatus }
}

/// Parse, generate, build, run, render: the whole pipeline, without exiting the process.
///
/// - Throws: `NotebookError` for a bad notebook or bad usage (exit 2): a missing file,
///   bad front matter or options, unknown or mistyped parameters, compile errors, a
///   missing kernel. A cell that fails at run time is not thrown: it is in `results`.
public func runNotebook(path: String, options: RunOptions = RunOptions()) throws -> NotebookRun {
    let start = Date()
    let trace = PhaseTrace()
    if options.handlesInterrupts { InterruptWatch.reset() }
    let interruption = InterruptWatch.install()
    defer { interruption.remove() }
    // Ctrl-C before the program runs stops the run at once: each stage checks between its steps.
    let stopIfInterrupted: () throws -> Void = { if interruption.fired { throw NotebookInterrupted() } }
    let notebook = try NotebookParser.parse(fileAt: path, checkpoint: stopIfInterrupted)
    trace.mark("parse")
    let parameters = try Parameter.applying(options.parameters, to: notebook.parameters, path: path)
    let cacheLimit = try options.cacheLimit ?? CellCache.limit()
    let kernel = try options.kernel ?? KernelLocation.locate()
    let outputDirectory = options.outputDirectory
    let cacheDirectory = outputDirectory + "/.cache"
    try ReportWriter.prepare(outputDirectory, cacheDirectory: cacheDirectory)
    let toolchain = try Toolchain.detect(cacheDirectory: cacheDirectory)
    let builder = NotebookBuilder(kernel: kernel, toolchain: toolchain, cacheDirectory: cacheDirectory,
                                  reuseBinaries: options.reuseBinaries)
    try stopIfInterrupted()
    let kernelHash = try builder.kernelHash()
    try stopIfInterrupted()
    trace.mark("toolchain")
    // swift-syntax's parse cannot be asked to stop, and on some unclosed brackets it takes minutes.
    let plan = try InterruptWatch.exitingAtOnce {
        try stopIfInterrupted()
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
    progress?(build.cacheHit ? "binary reused (source, toolchain and kernel unchanged)"
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
    runner.onEvent = options.onEvent
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
    try? FileManager.default.removeItem(atPath: runner.workDirectory)

    var run = NotebookRun(notebook: notebook, results: outcome.results, parameters: parameters, reportPath: nil,
                          seconds: Date().timeIntervalSince(start), compileSeconds: build.compileSeconds,
                          binaryReused: build.cacheHit, interrupted: outcome.interrupted, warnings: build.warnings,
                          cacheWarnings: outcome.cacheWarnings)
    run.swiftVersion = toolchain.version
    if options.writeReport {
        let info = HTMLReport.RunInfo(date: start, seconds: run.seconds, swiftVersion: toolchain.version,
                                      gitCommit: gitCommit(near: path), parameters: parameters,
                                      binaryReused: build.cacheHit, interrupted: outcome.interrupted)
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
        run.reportPath = try ReportWriter.write(rendered, to: outputDirectory, name: baseName)
        trace.mark("report")
    }
    return run
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

/// Writes a rendered report and its files.
enum ReportWriter {
    /// Creates the output folder and its cache, before anything is compiled or run.
    ///
    /// - Throws: `NotebookError` naming the folder and why it cannot be written.
    static func prepare(_ directory: String, cacheDirectory: String) throws {
        guard !directory.isEmpty else {
            throw NotebookError("the report folder is empty ('-o \"\"')", hint: "give a folder with -o DIR, or leave -o out for 'output'")
        }
        var problem: (folder: String, reason: String)?
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            if access(directory, W_OK) != 0 {
                problem = (directory, String(cString: strerror(errno)))
            } else if access(cacheDirectory, W_OK) != 0 {
                problem = (cacheDirectory, String(cString: strerror(errno)))
            }
        } catch {
            let underlying = (error as? CocoaError)?.underlying.map { $0 as NSError }
            var isFolder: ObjCBool = false
            let folderExists = FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) && isFolder.boolValue
            let existing = folderExists ? cacheDirectory : directory
            problem = (existing, underlying.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription)
        }
        if let problem, problem.folder == directory {
            throw NotebookError("cannot write the report to the folder '\(directory)': \(problem.reason)",
                                hint: "choose a folder you can write with -o DIR")
        } else if let problem {
            throw NotebookError("cannot write nbrun's cache folder '\(problem.folder)' (built notebooks and cached cells): \(problem.reason)",
                                hint: "make it writable (or remove it), or choose another folder with -o DIR")
        }
    }

    static func write(_ rendered: HTMLReport.Rendered, to directory: String, name: String) throws -> String {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let filesDirectory = "\(directory)/\(name)_files"
        try? fileManager.removeItem(atPath: filesDirectory)
        for file in rendered.files {
            let path = "\(directory)/\(file.path)"
            try fileManager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try file.data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        let path = "\(directory)/\(name).html"
        try Data(rendered.html.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
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
