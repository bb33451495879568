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
    /// Write the reports (`formats`).
    public var writeReport = true
    /// What the run writes (`--to html,ipynb`): the HTML report, the Jupyter notebook, or both.
    public var formats: [ReportFormat] = [.html]
    /// The report's file name without its extension (`--output-name`); `{name}` in it becomes the
    /// value of parameter `name`, so a sweep writes one report per value. Default: the notebook's name.
    public var reportName: String?
    /// Record the run as the notebook's golden outputs, or compare it with them (`nbrun test`);
    /// nil: neither.
    public var golden: GoldenOutputs.Mode?
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

/// What a run can write: an HTML report, a Jupyter notebook.
public enum ReportFormat: String, CaseIterable, Sendable {
    case html
    case ipynb

    /// `html,ipynb` as the command line writes it.
    ///
    /// - Throws: `NotebookError` naming what is not a format.
    public static func list(_ text: String) throws -> [ReportFormat] {
        var formats: [ReportFormat] = []
        for name in text.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingWhitespace().lowercased() }) {
            guard let format = ReportFormat(rawValue: name) else {
                throw NotebookError("--to '\(text)': '\(name)' is not a format nbrun writes",
                                    hint: "give html, ipynb or both: --to html,ipynb")
            }
            if !formats.contains(format) { formats.append(format) }
        }
        return formats
    }
}

/// A finished run: the executed notebook, where its reports went, and the verdict.
public struct NotebookRun: Sendable {
    public var document: ExecutedNotebook
    /// The reports written, in the order of `RunOptions.formats`.
    public var reportPaths: [String]
    /// Why a report could not be written (the cells ran; the last report was kept).
    public var reportError: EnvironmentError?

    public init(document: ExecutedNotebook, reportPaths: [String] = [], reportError: EnvironmentError? = nil) {
        self.document = document
        self.reportPaths = reportPaths
        self.reportError = reportError
    }

    /// The first report written (the HTML one unless only `ipynb` was asked for).
    public var reportPath: String? { reportPaths.first }

    /// Every cell's result, in order.
    public var results: [CellResult] { document.results }
    public var failedCells: [CellResult] { document.failedCells }
    public var verdict: RunVerdict { document.verdict }

    /// 0 when every evaluated cell ran; 1 when one failed; 3 when the report could not be
    /// written; 130 after Ctrl-C.
    public var exitCode: Int32 {
        if reportError != nil, !document.run.interrupted { return ExitStatus.environment }
        return verdict.exitStatus
    }
}

/// Parse, plan, generate, build, run, document, render: the whole pipeline, without exiting the
/// process. Each stage takes the one before's output (see `RunPipeline`).
///
/// - Throws: `NotebookError` for a bad notebook or bad usage (exit 2): a missing file,
///   bad front matter or options, unknown or mistyped parameters, compile errors, a
///   missing kernel. `EnvironmentError` (exit 3) when the machine keeps the notebook from being
///   built or run (a full disk, a path too long); no report is written then, the last one stays.
///   A cell that fails at run time is not thrown: it is in `results`; a report that cannot be
///   written is `reportError`.
public func runNotebook(path: String, options: RunOptions = RunOptions()) throws -> NotebookRun {
    let pipeline = RunPipeline(options: options)
    defer { pipeline.end() }
    let notebook = try pipeline.parse(path)
    let plan = try pipeline.plan(notebook)
    let program = try pipeline.generate(plan)
    let built = try pipeline.build(program)
    let ran = try pipeline.run(built)
    let document = try pipeline.golden(pipeline.document(ran))
    return try pipeline.render(document)
}

/// The report's base name: `template` with `{parameter}` replaced by the values, or the notebook's name.
func reportName(_ template: String?, notebook path: String, parameters: [Parameter]) throws -> String {
    guard var name = template else { return ((path as NSString).lastPathComponent as NSString).deletingPathExtension }
    for parameter in parameters { name = name.replacingOccurrences(of: "{\(parameter.name)}", with: parameter.value.text) }
    for suffix in [".html", ".ipynb"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
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
