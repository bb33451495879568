import ArgumentParser
import Foundation
import Notebook

/// `nbrun test [PATHS...] [-j N] [--junit FILE] [--timeout S] [-p name=value]... [-o DIR] [--shard i/n]`
///
/// Each notebook is a test and its cells are the steps. One line per notebook (PASS/FAIL,
/// time, the first failure), then the runs' total time (with `--rerun`, of the first runs,
/// which run cached cells too: the notebooks' first-run time), then `N passed, N failed` alone
/// on a line. Exit status: 0 when
/// all passed, 1 when any failed, 2 for bad usage, 3 when the only failures were the machine's
/// (`EnvironmentError`: a full disk, a report or JUnit file that cannot be written).
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run notebooks as tests: each notebook a test, its cells the steps.",
        discussion: """
        Exit status: 0 when every notebook passed, 1 when any failed, 2 for bad usage, 3 when the only \
        failures were the machine's (a notebook could not be built or its report written: a full disk, \
        a path too long), 130 when interrupted.
        """)

    @Argument(help: "Notebooks, or folders searched recursively for them (default: notebooks).")
    var paths: [String] = []

    @Option(name: .short, help: ArgumentHelp("Notebooks to run at once.", valueName: "N"))
    var jobs: Int = 1

    @Option(help: ArgumentHelp("Write JUnit XML here.", valueName: "FILE"))
    var junit: String?

    @Option(help: ArgumentHelp("Time limit in seconds per notebook.", valueName: "S"))
    var timeout: Double?

    /// Set in every notebook that declares the parameter.
    @OptionGroup var parameters: ParameterOptions

    @Option(name: .short, help: ArgumentHelp("Folder for the reports.", valueName: "DIR"))
    var output: String = "output"

    @Flag(help: "No reused binaries, no restored 'cache: true' cells.")
    var noCache = false

    @Flag(help: """
        Run each notebook twice: in full (its cached cells run again and are stored), then restoring them; fail it if \
        any cell's output, or any value the notebook bound, differs after any cell.
        """)
    var rerun = false

    @Option(help: ArgumentHelp("""
        Run only the i-th of n parts of the notebooks, balanced by the durations recorded in nbrun-durations.json \
        (the same parts on every machine).
        """, valueName: "i/n"))
    var shard: String?

    @Flag(help: "Record each notebook's time in nbrun-durations.json beside the notebooks, for --shard.")
    var storeDurations = false

    @Flag(help: """
        Record what each cell showed in NAME.golden.yaml beside each notebook that passes, instead of comparing with it \
        (without it, a notebook with a golden file fails each cell whose output differs).
        """)
    var updateGolden = false

    @Flag(help: "Print the notebooks this run would run, with their recorded or estimated seconds, and run none.")
    var list = false

    /// Read and written by the shared cache's `--cache-url` (passed on to each notebook's run).
    @OptionGroup var sharedCache: SharedCacheOptions

    mutating func validate() throws {
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        // The parts are computed from the durations file: a shard that rewrote it would change the
        // parts of the shards after it in the same checkout, which would run some notebooks twice
        // and others never.
        if storeDurations && shard != nil {
            throw ValidationError("--store-durations records a whole run: run it without --shard")
        }
    }

    func run() throws {
        // Before any notebook runs: a run of an hour must not end in "cannot write".
        if let junit {
            do {
                // A JUnit file in the report folder: nbrun creates that folder anyway.
                let folder = (junit as NSString).deletingLastPathComponent
                if !folder.isEmpty, Self.isInside(folder, output) {
                    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
                try JUnitReport.checkWritable(junit)
            } catch let error as NotebookError {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(ExitStatus.usage)
            }
        }
        var options = NotebookTestRunner.Options()
        options.jobs = jobs
        options.outputDirectory = output
        options.timeout = timeout
        options.noCache = noCache
        options.rerun = rerun
        options.golden = updateGolden ? .update : .compare
        options.parameters = parameters.pairs
        options.cacheURL = sharedCache.url()
        let runner = NotebookTestRunner(executable: Self.executablePath(), options: options)
        let summaries: [NotebookSummary]
        var all: [String] = []
        var notebooks: [String] = []
        var testShard: TestShard?
        do {
            all = try NotebookTestRunner.discover(paths.isEmpty ? ["notebooks"] : paths)
            notebooks = all
            if let text = shard { testShard = try TestShard(parsing: text) }
            if testShard != nil || list {
                let durations = try TestDurations.load(for: all)
                let assignment = TestShard.assign(all, durations: durations, count: testShard?.count ?? 1)
                if let testShard {
                    let part = assignment.parts[testShard.index - 1]
                    notebooks = part.notebooks
                    let estimated = notebooks.filter(assignment.estimated.contains).count
                    FileHandle.standardError.write(Data(String(
                        format: "shard %@: %d of %d notebooks, %.0f s of %.0f s recorded%@\n", testShard.description, notebooks.count, all.count,
                        Double(part.milliseconds) / 1000, Double(assignment.totalMilliseconds) / 1000,
                        estimated > 0 ? " (\(estimated) without a recorded duration, estimated)" : "").utf8))
                }
                if list {
                    for notebook in notebooks {
                        let seconds = Double(assignment.milliseconds[notebook] ?? 0) / 1000
                        print(String(format: "%@ %.1f s%@", notebook, seconds, assignment.estimated.contains(notebook) ? " (estimated)" : ""))
                    }
                    return
                }
            }
            FileHandle.standardError.write(Data("running \(notebooks.count) notebook\(notebooks.count == 1 ? "" : "s")\(jobs > 1 ? ", \(jobs) at once" : "")\n".utf8))
            summaries = try runner.run(notebooks) { summary in
                var line = String(format: "%@ %@ (%.1f s)", summary.passed ? "PASS" : "FAIL", summary.path, summary.seconds)
                if let again = summary.rerunSeconds {
                    line = String(line.dropLast()) + String(format: ", again in %.1f s with %d cell%@ restored)", again, summary.rerunRestored ?? 0,
                                                                          summary.rerunRestored == 1 ? "" : "s")
                }
                if let failure = summary.firstFailure { line += ": " + failure }
                for warning in summary.warnings ?? [] { line += "\n  warning: " + warning }
                for note in summary.notes ?? [] { line += "\n  " + note }
                print(line)
                fflush(stdout)
            }
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitStatus.usage)
        }
        var junitError: EnvironmentError?
        if let junit {
            do {
                try JUnitReport.write(summaries, to: junit, name: testShard.map { "nbrun shard \($0.description)" } ?? "nbrun")
            } catch let error as EnvironmentError {
                junitError = error
            }
        }
        if storeDurations {
            do {
                try storeDurations(summaries)
            } catch let error as NotebookError {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
            } catch let error as EnvironmentError {
                junitError = junitError ?? error
            }
        }
        let failed = summaries.filter { !$0.passed }
        let interrupted = summaries.contains { $0.exitCode == ExitStatus.interrupted }
        // With --rerun each notebook's first run runs its cached cells too: a first run's time.
        let total = summaries.reduce(0) { $0 + $1.seconds }
        print(String(format: rerun ? "first runs: %.1f s in all (cached cells run), then %.1f s restoring" : "runs: %.1f s in all",
                     total, summaries.reduce(0) { $0 + ($1.rerunSeconds ?? 0) }))
        print("\(summaries.count - failed.count) passed, \(failed.count) failed\(interrupted ? ", interrupted" : "")")
        if let junitError { FileHandle.standardError.write(Data((junitError.description + "\n").utf8)) }
        if interrupted { throw ExitCode(ExitStatus.interrupted) }
        // A notebook's own failure first; the machine's when it is all there is.
        if failed.contains(where: { $0.errorKind != .environment && $0.exitCode != ExitStatus.environment }) {
            throw ExitCode(ExitStatus.failure)
        }
        if !failed.isEmpty || junitError != nil { throw ExitCode(ExitStatus.environment) }
    }

    /// Records the time of each notebook that ran to its end (not one stopped by Ctrl-C or by the
    /// machine), in the durations file beside it, or a new one in the folder it was found in.
    func storeDurations(_ summaries: [NotebookSummary]) throws {
        var homes: [String: String] = [:]
        for path in paths.isEmpty ? ["notebooks"] : paths {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let folder = isDirectory.boolValue ? (path.hasSuffix("/") ? String(path.dropLast()) : path) : (path as NSString).deletingLastPathComponent
            for summary in summaries where homes[summary.path] == nil {
                let found = isDirectory.boolValue ? summary.path.hasPrefix(folder + "/") : summary.path == path
                if found { homes[summary.path] = folder.isEmpty ? "." : folder }
            }
        }
        let ran = summaries.filter { $0.exitCode != ExitStatus.interrupted && $0.errorKind != .environment && $0.exitCode != ExitStatus.environment }
        let files = try TestDurations.store(Dictionary(ran.map { ($0.path, $0.seconds) }, uniquingKeysWith: { first, _ in first }), homes: homes)
        for file in files { FileHandle.standardError.write(Data("durations recorded in \(file)\n".utf8)) }
    }

    /// Whether `path` is `folder` or inside it (by their standardized absolute paths).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        func absolute(_ path: String) -> String {
            let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            return (full as NSString).standardizingPath
        }
        let inner = absolute(path), outer = absolute(folder)
        return inner == outer || inner.hasPrefix(outer + "/")
    }

    /// This executable, to run each notebook in a child process.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
