import Foundation

/// The stages of one run, in order, each taking the one before's output:
///
///     parse     path            -> Notebook
///     plan      Notebook        -> ExecutionPlan        (parameters applied, toolchain and kernel found)
///     generate  ExecutionPlan   -> GeneratedProgram     (holds its plan)
///     build     GeneratedProgram -> NotebookBuilder.Result (holds its program; compile errors: a report, then thrown)
///     run       NotebookBuilder.Result -> RunPipeline.Ran
///     document  Ran             -> ExecutedNotebook
///     golden    ExecutedNotebook -> ExecutedNotebook    (`nbrun test`: compared with its golden outputs, or recorded)
///     render    ExecutedNotebook -> NotebookRun          (the reports written)
///
/// What the stages share is the run's setting, not data: the options, the start time, Ctrl-C,
/// the trace, and the machine found by the plan stage (toolchain, kernel, builder).
final class RunPipeline {
    let options: RunOptions
    let start = Date()
    private let trace = PhaseTrace()
    private let interruption: InterruptWatch
    /// Found by the plan stage, used by the build and run stages.
    private var builder: NotebookBuilder?
    /// The shared cache server (`--cache-url`) behind the local cache, when there is one.
    private var shared: SharedCache?
    private var kernelHash = ""
    private var cacheLimit = CellCache.defaultLimit
    private var cacheDirectory: String { options.outputDirectory + "/.cache" }

    /// The run stage's output: what was built and what running it produced.
    struct Ran {
        var built: NotebookBuilder.Result
        var outcome: ProgramRunner.Outcome
    }

    init(options: RunOptions) {
        self.options = options
        if options.handlesInterrupts { InterruptWatch.reset() }
        interruption = InterruptWatch.install()
    }

    func end() {
        interruption.remove()
    }

    /// Ctrl-C before the program runs stops the run at once: each stage checks between its steps.
    private func stopIfInterrupted() throws {
        if interruption.fired { throw NotebookInterrupted() }
    }

    // MARK: The stages

    func parse(_ path: String) throws -> Notebook {
        // The trace counts the parse's checks: tests signal nbrun at chosen points of a long parse.
        var parseChecks = 0
        let notebook = try NotebookParser.parse(fileAt: path, checkpoint: {
            try stopIfInterrupted()
            parseChecks += 1
            if parseChecks % 100 == 0 { trace.note("parse checked \(parseChecks) times") }
        })
        trace.mark("parse")
        return notebook
    }

    /// Applies `-p`, finds the kernel and the toolchain (their versions salt the cache keys), and plans.
    func plan(_ notebook: Notebook) throws -> ExecutionPlan {
        let parameters = try Parameter.applying(options.parameters, to: notebook.parameters, path: notebook.path)
        cacheLimit = try options.cacheLimit ?? CellCache.limit()
        let kernel = try options.kernel ?? KernelLocation.locate()
        try ReportWriter.prepare(options.outputDirectory, cacheDirectory: cacheDirectory)
        let toolchain = try Toolchain.detect(cacheDirectory: cacheDirectory)
        var builder = NotebookBuilder(kernel: kernel, toolchain: toolchain, cacheDirectory: cacheDirectory,
                                      reuseBinaries: options.reuseBinaries)
        // `--no-cache` redoes everything: nothing is fetched from the server, nor stored there.
        if options.reuseBinaries, let url = options.cacheURL {
            shared = SharedCache(server: CacheServer(url: url, timeout: try CacheServer.timeout()))
        }
        builder.sharedCache = shared
        self.builder = builder
        try stopIfInterrupted()
        kernelHash = try builder.kernelHash()
        try stopIfInterrupted()
        trace.mark("toolchain")
        // swift-syntax's parse cannot be asked to stop, and on some unclosed brackets it takes minutes.
        let plan = try InterruptWatch.exitingAtOnce {
            try stopIfInterrupted()
            trace.note("plan begins")
            return try ExecutionPlan(notebook: notebook, parameters: parameters, salt: "\(toolchain.version)\n\(kernelHash)")
        }
        trace.mark("plan")
        return plan
    }

    func generate(_ plan: ExecutionPlan) throws -> GeneratedProgram {
        let program = ProgramGenerator.generate(plan)
        try stopIfInterrupted()
        trace.mark("generate")
        return program
    }

    /// Builds the program; when it does not compile, writes a report that says so (errors at
    /// their cells, rather than the last run's report looking current) and throws the errors.
    func build(_ program: GeneratedProgram) throws -> NotebookBuilder.Result {
        guard let builder else { preconditionFailure("the plan stage finds the builder") }
        CellCache(directory: cacheDirectory).cleanUpAfterStoppedRuns()
        let cells = program.plan.notebook.cells
        options.progress?(cells.count == 1 ? "compiling 1 cell" : "compiling \(cells.count) cells")
        let built: NotebookBuilder.Result
        do {
            built = try builder.build(program, kernelHash: kernelHash)
        } catch let error as NotebookError {
            if interruption.fired { throw NotebookInterrupted() }
            if options.writeReport {
                let document = ExecutedNotebook(notebook: program.plan.notebook, compileErrors: error.diagnostics,
                                                parameters: program.plan.parameters, run: facts(toolchain: builder.toolchain, notebook: program.plan.notebook))
                _ = try? write(document, interruptible: false)
            }
            throw error
        } catch {
            if interruption.fired { throw NotebookInterrupted() }
            throw error
        }
        try stopIfInterrupted()
        trace.mark(built.cacheHit ? "build (reused)" : "build")
        options.progress?(built.shared ? "binary from the shared cache (source, toolchain and kernel unchanged)"
                            : built.cacheHit ? "binary reused (source, toolchain and kernel unchanged)"
                            : String(format: "compiled in %.2f s", built.compileSeconds))
        return built
    }

    func run(_ built: NotebookBuilder.Result) throws -> Ran {
        let notebook = built.program.plan.notebook
        let name = NotebookBuilder.safeName((notebook.path as NSString).lastPathComponent)
        // Absolute: the program opens each cell's output files there, and a cell may change its working directory.
        let request = ProgramRunner.Request(
            binaryPath: built.binaryPath, plan: built.program.plan,
            workDirectory: KernelLocation.absolute("\(cacheDirectory)/run/\(name)-\(getpid())"), timeout: options.timeout,
            cache: ProgramRunner.CacheSettings(directory: KernelLocation.absolute(cacheDirectory),
                                               mode: !options.reuseBinaries ? .off : options.refreshCache ? .refresh : .on,
                                               limit: cacheLimit),
            stateTrace: options.stateTrace)
        if let shared, !options.refreshCache {
            let fetched = shared.fetchCells(plan: built.program.plan.program, cache: CellCache(directory: cacheDirectory))
            if fetched > 0 { options.progress?("\(fetched) cached cell\(fetched == 1 ? "" : "s") from the shared cache") }
            trace.mark("shared cache")
        }
        let stored = StoredEntries()
        let onEvent = options.onEvent
        let reporter = ProgressReporter(cells: notebook.cells, progress: options.progress)
        let onCellEnd = options.onCellEnd
        let trace = self.trace
        let observers = ProgramRunner.Observers(
            onCellEnd: { cell, result in
                onCellEnd?(result)
                reporter.report(cell, result)
                if let seconds = result.restoreSeconds { trace.note(String(format: "%@ restored %.4f s", cell.name, seconds)) }
            },
            onEvent: { event in
                if case .stored(let cell, let key) = event { stored.append(cell, key) }
                onEvent?(event)
            },
            onOutput: options.onOutput, shouldStop: options.shouldStop)
        let outcome = try withExtendedLifetime(built.lock) { try ProgramRunner.run(request, observers: observers) }
        reporter.finish()
        trace.mark("run")
        if let shared, !outcome.interrupted {
            shared.storeCells(stored.entries, plan: built.program.plan.program, cache: CellCache(directory: cacheDirectory))
            trace.mark("shared cache")
        }
        try? FileManager.default.removeItem(atPath: request.workDirectory)
        return Ran(built: built, outcome: outcome)
    }

    func document(_ ran: Ran) -> ExecutedNotebook {
        let plan = ran.built.program.plan
        guard let builder else { preconditionFailure("the plan stage finds the builder") }
        var facts = facts(toolchain: builder.toolchain, notebook: plan.notebook)
        facts.compileSeconds = ran.built.compileSeconds
        facts.binaryReused = ran.built.cacheHit
        facts.interrupted = ran.outcome.interrupted
        facts.engine = ran.outcome.engine
        var document = ExecutedNotebook(notebook: plan.notebook, results: ran.outcome.results, parameters: plan.parameters, run: facts,
                                        warnings: ran.built.warnings, cacheWarnings: ran.outcome.cacheWarnings)
        document.sharedCacheWarnings = shared?.warnings ?? []
        return document
    }

    /// Compares the run with the notebook's golden outputs, or records them (`RunOptions.golden`).
    func golden(_ document: ExecutedNotebook) throws -> ExecutedNotebook {
        guard let mode = options.golden, !document.run.interrupted else { return document }
        var document = document
        try GoldenOutputs.apply(mode, to: &document)
        trace.mark("golden")
        return document
    }

    /// Writes the reports the options ask for. A run stopped by Ctrl-C still gets its report;
    /// another Ctrl-C while it is written stops that.
    func render(_ document: ExecutedNotebook) throws -> NotebookRun {
        var run = NotebookRun(document: document)
        guard options.writeReport else { return run }
        do {
            run.reportPaths = try write(document, interruptible: true)
        } catch let error as EnvironmentError {
            run.reportError = error
        }
        trace.mark("report")
        return run
    }

    // MARK: Support

    /// The run's facts so far: when it started, how long it has taken, where.
    private func facts(toolchain: Toolchain, notebook: Notebook) -> ExecutedNotebook.RunFacts {
        ExecutedNotebook.RunFacts(date: start, seconds: Date().timeIntervalSince(start), swiftVersion: toolchain.version,
                                  gitCommit: gitCommit(near: notebook.path))
    }

    /// Renders and writes each report the options ask for; returns their paths.
    private func write(_ document: ExecutedNotebook, interruptible: Bool) throws -> [String] {
        let name = try reportName(options.reportName, notebook: document.path, parameters: document.parameters)
        var paths: [String] = []
        for format in options.formats {
            switch format {
            case .html:
                let report = HTMLReport(document: document, options: HTMLReport.Options(embedFigures: options.embedFigures), name: name)
                let signalsBefore = InterruptWatch.count
                let rendered = try report.render(checkpoint: {
                    if interruptible, InterruptWatch.count > signalsBefore {
                        throw NotebookInterrupted(when: "while writing the report (no report written)")
                    }
                })
                paths.append(try ReportWriter.write(rendered, to: options.outputDirectory, name: name))
            case .ipynb:
                paths.append(try ReportWriter.write(notebookFile: JupyterNotebook.render(document), to: options.outputDirectory, name: name))
            }
        }
        return paths
    }
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
