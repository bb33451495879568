import ArgumentParser
import Foundation
import Notebook

/// `nbrun test [PATHS...] [-j N] [--junit FILE] [--timeout S] [-p name=value]... [-o DIR]`
///
/// Each notebook is a test and its cells are the steps. One line per notebook (PASS/FAIL,
/// time, the first failure), then `N passed, N failed` alone on a line. Exit status: 0 when
/// all passed, 1 when any failed, 2 for bad usage.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run notebooks as tests: each notebook a test, its cells the steps.",
        discussion: "Exit status: 0 when every notebook passed, 1 when any failed, 2 for bad usage.")

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

    mutating func validate() throws {
        if jobs < 1 { throw ValidationError("-j must be at least 1") }
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() throws {
        // Before any notebook runs: a run of an hour must not end in "cannot write".
        if let junit {
            do {
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
        options.parameters = parameters.pairs
        let runner = NotebookTestRunner(executable: Self.executablePath(), options: options)
        let summaries: [NotebookSummary]
        do {
            let notebooks = try NotebookTestRunner.discover(paths.isEmpty ? ["notebooks"] : paths)
            FileHandle.standardError.write(Data("running \(notebooks.count) notebook\(notebooks.count == 1 ? "" : "s")\(jobs > 1 ? ", \(jobs) at once" : "")\n".utf8))
            summaries = try runner.run(notebooks) { summary in
                var line = String(format: "%@ %@ (%.1f s)", summary.passed ? "PASS" : "FAIL", summary.path, summary.seconds)
                if let again = summary.rerunSeconds {
                    line = String(line.dropLast()) + String(format: ", again in %.1f s with %d cell%@ restored)", again, summary.rerunRestored ?? 0,
                                                                          summary.rerunRestored == 1 ? "" : "s")
                }
                if let failure = summary.firstFailure { line += ": " + failure }
                print(line)
                fflush(stdout)
            }
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitStatus.usage)
        }
        if let junit {
            do {
                try Data(JUnitReport.xml(summaries).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("nbrun test: cannot write \(junit): \(error.localizedDescription)\n".utf8))
                throw ExitCode(ExitStatus.usage)
            }
        }
        let failed = summaries.filter { !$0.passed }.count
        let interrupted = summaries.contains { $0.exitCode == ExitStatus.interrupted }
        print("\(summaries.count - failed) passed, \(failed) failed\(interrupted ? ", interrupted" : "")")
        if interrupted { throw ExitCode(ExitStatus.interrupted) }
        if failed > 0 { throw ExitCode(ExitStatus.failure) }
    }

    /// This executable, to run each notebook in a child process.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
