import ArgumentParser
import Foundation
import Notebook

/// `nbrun NOTEBOOK.md [-p name=value]... [-o DIR] [--to html,ipynb] [--timeout S] [--no-embed] [--no-cache] [--refresh] [--cache-url URL]`
///
/// Exit status: 0 every cell ran; 1 a cell failed; 2 bad usage or a bad notebook (parse,
/// options, parameters, compile errors); 3 the machine failed the run (a full disk, a path too
/// long, a report that cannot be written); 130 interrupted.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Markdown notebook of ```swift cells and write an HTML report or a Jupyter notebook (the default command).",
        discussion: """
        Exit status: 0 when every cell ran, 1 when a cell failed, 2 for bad usage or a bad \
        notebook (parse, options, parameters, compile errors), 3 when the machine failed the run \
        (it could not build, run or write: a full disk, a path too long, a report path that is a \
        folder; the last report is kept), 130 when interrupted.
        """)

    @Argument(help: "The notebook (.md).")
    var notebook: String

    @OptionGroup var parameters: ParameterOptions

    @Option(name: .short, help: ArgumentHelp("Folder for the report.", valueName: "DIR"))
    var output: String = "output"

    @Option(help: ArgumentHelp("The report's name (without .html); {param} becomes that parameter's value.", valueName: "NAME"))
    var outputName: String?

    @Option(name: .customLong("to"),
            help: ArgumentHelp("What to write: html (the report), ipynb (a Jupyter notebook with the outputs), or both: html,ipynb.",
                               valueName: "FORMATS"))
    var formats: String = "html"

    @Option(help: ArgumentHelp("Time limit in seconds for the whole run.", valueName: "S"))
    var timeout: Double?

    @Flag(help: "Write figures beside the report instead of inside it.")
    var noEmbed = false

    @Flag(help: "Compile and run everything again: no reused binary, no restored or stored 'cache: true' cells.")
    var noCache = false

    @Flag(help: "Run 'cache: true' cells again and overwrite their cache entries.")
    var refresh = false

    @Flag(name: .shortAndLong, help: "Print only one line per cell: no streamed output or training progress.")
    var quiet = false

    @OptionGroup var sharedCache: SharedCacheOptions

    @Option(name: .customLong("summary"), help: .hidden)
    var summaryPath: String?

    /// `compare` (`nbrun test`) or `update` (`nbrun test --update-golden`) the golden outputs beside the notebook.
    @Option(name: .customLong("golden"), help: .hidden)
    var golden: String?

    /// The content of every value after each cell, in the summary (`nbrun test --rerun`).
    @Flag(name: .customLong("state-trace"), help: .hidden)
    var stateTrace = false

    mutating func validate() throws {
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds") }
        if let golden, GoldenOutputs.Mode(rawValue: golden) == nil {
            throw ValidationError("--golden must be \(GoldenOutputs.Mode.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        do {
            _ = try ReportFormat.list(formats)
        } catch let error as NotebookError {
            // ArgumentParser says "error:" itself.
            throw ValidationError(error.diagnostics.map { $0.message + ($0.hint.map { " (\($0))" } ?? "") }.joined(separator: "\n"))
        }
    }

    func run() throws {
        var options = RunOptions()
        options.outputDirectory = output
        options.reportName = outputName
        options.formats = (try? ReportFormat.list(formats)) ?? [.html]
        options.parameters = parameters.pairs
        options.timeout = timeout
        options.embedFigures = !noEmbed
        options.reuseBinaries = !noCache
        options.refreshCache = refresh
        options.stateTrace = stateTrace
        options.golden = golden.flatMap(GoldenOutputs.Mode.init(rawValue:))
        let terminal = TerminalProgress()
        options.progress = { line in terminal.line(line) }
        if !quiet { terminal.install(on: &options) }
        let run: NotebookRun
        do {
            options.cacheURL = sharedCache.url()
            run = try runNotebook(path: notebook, options: options)
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            if let summaryPath {
                try? NotebookSummary(path: notebook, exitCode: ExitStatus.usage, seconds: 0, cells: [],
                                     error: error.description, errorKind: error.stage == .compile ? .compile : .notebook)
                    .write(to: summaryPath)
            }
            throw ExitCode(ExitStatus.usage)
        } catch let error as EnvironmentError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            if let summaryPath {
                try? NotebookSummary(path: notebook, exitCode: ExitStatus.environment, seconds: 0, cells: [],
                                     error: error.description, errorKind: .environment).write(to: summaryPath)
            }
            throw ExitCode(ExitStatus.environment)
        } catch let error as NotebookInterrupted {
            FileHandle.standardError.write(Data("nbrun: \(error)\n".utf8))
            throw ExitCode(ExitStatus.interrupted)
        }
        let document = run.document
        for warning in document.warnings {
            FileHandle.standardError.write(Data((warning.headline + "\n").utf8))
        }
        for warning in document.cacheWarnings + document.sharedCacheWarnings {
            FileHandle.standardError.write(Data("nbrun: warning: \(warning)\n".utf8))
        }
        for note in document.goldenNotes {
            FileHandle.standardError.write(Data("nbrun: \(note)\n".utf8))
        }
        let failed = run.failedCells
        let summary = document.verdict.summary + String(format: " in %.2f s", document.run.seconds)
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        for result in failed {
            let cell = document.cells[result.cellIndex].cell
            let line = result.error?.line ?? cell.displayLine
            let message = "\(document.path):\(line): error: \(cell.name) failed: \(result.error?.message ?? "")\n"
            FileHandle.standardError.write(Data(message.utf8))
        }
        if let error = run.reportError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
        }
        if let summaryPath {
            do {
                try NotebookSummary(run: run).write(to: summaryPath)
            } catch {
                let failure = EnvironmentError("cannot write the summary \(summaryPath): \(EnvironmentError.reason(error))")
                FileHandle.standardError.write(Data((failure.description + "\n").utf8))
                throw ExitCode(ExitStatus.environment)
            }
        }
        for report in run.reportPaths { print(report) }
        if run.exitCode != 0 { throw ExitCode(run.exitCode) }
    }
}
