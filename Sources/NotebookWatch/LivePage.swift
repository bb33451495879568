import Foundation
import Notebook

/// What the live page shows, kept as the notebook runs: the notebook as last parsed, each
/// cell's result (complete, in progress, or from an earlier run and so stale), training
/// progress, compile errors, a status line. It renders the page and the updates sent to open
/// pages (`LiveMessage`); all access goes through one lock (runs report from their own thread,
/// pages connect from the server's).
final class LivePage: @unchecked Sendable {
    private let lock = NSLock()
    private let name: String
    private var notebook: Notebook?
    private var results: [Int: CellResult] = [:]
    private var states: [Int: HTMLReport.LiveCellState] = [:]
    private var progress: [Int: [TrainingUpdate]] = [:]
    private var compileErrors: [Diagnostic] = []
    private var status = HTMLReport.LiveStatus(state: .running, text: "starting")
    private var facts = ExecutedNotebook.RunFacts()
    /// The last run's parameters (none shown before a run ended).
    private var parameters: [Parameter] = []
    /// When the run in progress started (parsing included).
    private var started = Date()
    /// Cells whose section changed since the last `takeChanges`.
    private var dirty: Set<Int> = []
    private var pageChanged = true

    init(name: String) {
        self.name = name
    }

    // MARK: What happened

    /// A new run starts on a freshly parsed notebook: earlier results stay, greyed as stale,
    /// for the cells whose code did not change.
    func runStarted(_ notebook: Notebook, at start: Date = Date()) {
        lock.lock(); defer { lock.unlock() }
        started = start
        var kept: [Int: CellResult] = [:]
        if let old = self.notebook {
            for cell in notebook.cells where old.cells.indices.contains(cell.index) {
                if let result = results[cell.index], old.cells[cell.index].source == cell.source { kept[cell.index] = result }
            }
        }
        self.notebook = notebook
        results = kept
        states = Dictionary(uniqueKeysWithValues: notebook.cells.map { ($0.index, kept[$0.index] == nil ? .pending : .stale) })
        progress = [:]
        compileErrors = []
        status = HTMLReport.LiveStatus(state: .running, text: "running: compiling \(notebook.cells.count) cells")
        pageChanged = true
    }

    /// The notebook could not be parsed or compiled: errors at their cells, the rest stale.
    func failedToBuild(_ error: NotebookError, notebook parsed: Notebook?, startedAt start: Date? = nil) {
        lock.lock(); defer { lock.unlock() }
        // The header tells of this attempt (as a report of a notebook that did not compile does), not of the last run.
        let start = start ?? started
        facts = ExecutedNotebook.RunFacts(date: start, seconds: Date().timeIntervalSince(start), swiftVersion: facts.swiftVersion)
        if let parsed, parsed.path == notebook?.path || notebook == nil { notebook = parsed }
        compileErrors = error.diagnostics
        for (index, state) in states where state != .stale { states[index] = results[index] == nil ? .pending : .stale }
        let first = error.diagnostics.first.map { $0.headline } ?? "\(error)"
        status = HTMLReport.LiveStatus(state: .failed, text: "did not compile: \(first)")
        pageChanged = true
    }

    func cellStarted(_ index: Int) {
        lock.lock(); defer { lock.unlock() }
        results[index] = CellResult(cellIndex: index, status: .passed)
        states[index] = .running
        progress[index] = nil
        let name = notebook?.cells.indices.contains(index) == true ? notebook!.cells[index].name : "cell \(index + 1)"
        status = HTMLReport.LiveStatus(state: .running, text: "running \(name)")
        dirty.insert(index)
    }

    func output(_ index: Int, isError: Bool, _ text: String) {
        lock.lock(); defer { lock.unlock() }
        var result = results[index] ?? CellResult(cellIndex: index, status: .passed)
        switch (result.outputs.last, isError) {
        case (.stdout(let earlier)?, false):
            result.outputs[result.outputs.count - 1] = .stdout(earlier + text)
        case (.stderr(let earlier)?, true):
            result.outputs[result.outputs.count - 1] = .stderr(earlier + text)
        default:
            result.outputs.append(isError ? .stderr(text) : .stdout(text))
        }
        results[index] = result
        dirty.insert(index)
    }

    func event(_ event: KernelEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .display(let index, let item, _, _):
            results[index, default: CellResult(cellIndex: index, status: .passed)].outputs.append(.display(item))
            dirty.insert(index)
        case .progress(let index, let update):
            var updates = progress[index] ?? []
            if let last = updates.last, !last.epochEnded { updates.removeLast() }
            updates.append(update)
            progress[index] = updates
            dirty.insert(index)
        default:
            break
        }
    }

    /// A cell ended (well or not): its final result.
    func cellEnded(_ result: CellResult) {
        lock.lock(); defer { lock.unlock() }
        results[result.cellIndex] = result
        states[result.cellIndex] = .done
        dirty.insert(result.cellIndex)
    }

    /// The run ended: every result, the header's facts.
    func runEnded(_ run: NotebookRun) {
        lock.lock(); defer { lock.unlock() }
        let document = run.document
        for result in document.results where result.status != .notRun || results[result.cellIndex] == nil {
            results[result.cellIndex] = result
            states[result.cellIndex] = .done
        }
        // The header's date is when the run ended, as it was shown while the page was live.
        facts = document.run
        facts.date = Date()
        facts.gitCommit = nil
        facts.compileSeconds = 0
        parameters = document.parameters
        let failed = document.failedCells.count
        let time = String(format: "%.2f s", document.run.seconds)
        if document.run.interrupted {
            status = HTMLReport.LiveStatus(state: .stale, text: "stopped: the notebook changed")
        } else {
            status = HTMLReport.LiveStatus(state: failed > 0 ? .failed : .passed,
                                           text: "\(document.verdict.summary) in \(time); watching for changes")
        }
        pageChanged = true
    }

    func setStatus(_ state: HTMLReport.LiveStatus.State, _ text: String) {
        lock.lock(); defer { lock.unlock() }
        status = HTMLReport.LiveStatus(state: state, text: text)
        pageChanged = true
    }

    // MARK: What pages see

    /// The whole page, for a browser opening it.
    func page() -> String {
        lock.lock(); defer { lock.unlock() }
        return report().renderLivePage()
    }

    /// What a page that just connected needs to be current: the content and the status line.
    func current() -> [LiveMessage] {
        lock.lock(); defer { lock.unlock() }
        let report = report()
        return [.page(report.renderLivePageBody()), .status(report.renderLiveStatus())]
    }

    /// What changed since the last call, as messages for open pages.
    func takeChanges() -> [LiveMessage] {
        lock.lock(); defer { lock.unlock() }
        guard notebook != nil else { return [] }
        let report = report()
        if pageChanged {
            pageChanged = false
            dirty = []
            return [.page(report.renderLivePageBody()), .status(report.renderLiveStatus())]
        }
        let changed = dirty.sorted()
        dirty = []
        var messages = changed.compactMap { index in report.renderLiveCell(index).map { LiveMessage.cell(id: "cell-\(index + 1)", html: $0) } }
        // The prose's inline values computed in those cells (or waiting for them).
        messages += changed.flatMap { report.renderLiveInlineValues(ofCell: $0).map { LiveMessage.inline(index: $0.index, html: $0.html) } }
        if !changed.isEmpty { messages.append(.status(report.renderLiveStatus())) }
        return messages
    }

    private func report() -> HTMLReport {
        let notebook = self.notebook ?? Notebook(path: name, blocks: [])
        var shown = results, states = self.states
        // A compile error shows at its cell; the other cells keep their last outputs, greyed.
        for result in ExecutedNotebook.compileErrorResults(compileErrors, notebook: notebook) {
            shown[result.cellIndex] = result
            states[result.cellIndex] = .done
        }
        let document = ExecutedNotebook(notebook: notebook, results: notebook.cells.compactMap { shown[$0.index] },
                                        parameters: parameters, run: facts)
        var report = HTMLReport(document: document, name: name)
        report.live = HTMLReport.Live(states: states, progress: progress, status: status)
        return report
    }
}

/// An update for open pages, sent as one JSON object over the page's WebSocket.
enum LiveMessage: Equatable {
    /// Replace the page's content (`.page`).
    case page(String)
    /// Replace one cell's section.
    case cell(id: String, html: String)
    /// Replace the status line.
    case status(String)
    /// Replace what stands for an inline expression of the prose (its value).
    case inline(index: Int, html: String)

    var json: String {
        let object: [String: String]
        switch self {
        case .page(let html): object = ["type": "page", "html": html]
        case .cell(let id, let html): object = ["type": "cell", "id": id, "html": html]
        case .status(let html): object = ["type": "status", "html": html]
        case .inline(let index, let html): object = ["type": "inline", "index": String(index), "html": html]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
