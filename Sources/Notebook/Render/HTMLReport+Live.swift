import Foundation

extension HTMLReport {
    /// What a live page (`nbrun watch`) adds to a report: each cell's state, training progress
    /// while a cell trains, and a status line.
    public struct Live: Sendable {
        public var states: [Int: LiveCellState]
        public var progress: [Int: [TrainingUpdate]]
        public var status: LiveStatus

        public init(states: [Int: LiveCellState] = [:], progress: [Int: [TrainingUpdate]] = [:], status: LiveStatus) {
            self.states = states
            self.progress = progress
            self.status = status
        }
    }

    public enum LiveCellState: String, Sendable {
        /// Its result is from this run.
        case done
        /// It runs now: its output so far.
        case running
        /// Not run yet in this run; no earlier result.
        case pending
        /// Not run yet in this run, or the run stopped: the result shown is an earlier run's.
        case stale
    }

    public struct LiveStatus: Sendable, Equatable {
        public enum State: String, Sendable { case running, passed, failed, stale }
        public var state: State
        public var text: String

        public init(state: State, text: String) {
            self.state = state
            self.text = text
        }
    }

    // MARK: The live page

    /// The page `nbrun watch` serves: the report with a status line, each cell marked with its
    /// state, and the script that applies the server's updates without a reload (allowed by the
    /// page's Content-Security-Policy, with connections to the server that served it).
    public func renderLivePage() -> String {
        render().html
    }

    /// The page's content, `<article class="page">` and what it holds: what a page swaps in
    /// when the notebook's structure may have changed.
    public func renderLivePageBody() -> String {
        let page = render().html
        guard let start = page.range(of: "<article class=\"page\">"), let end = page.range(of: "</article>\n", range: start.upperBound..<page.endIndex) else {
            return ""
        }
        return String(page[start.lowerBound..<end.upperBound])
    }

    /// One cell's section with its live state (and its training progress while it runs).
    public func renderLiveCell(_ index: Int) -> String? {
        guard let executed = document.cell(index) else { return nil }
        var files: [(path: String, data: Data)] = []
        var section = renderCell(executed.cell, result: executed.result, files: &files)
        let state = live?.states[index] ?? .done
        if state != .done, let range = section.range(of: "<section class=\"cell ") {
            section.replaceSubrange(range, with: "<section class=\"cell live-\(state.rawValue) ")
        }
        if state == .running || state == .pending, let badge = section.range(of: #"<span class="badge [a-zA-Z]+">[^<]*</span>"#, options: .regularExpression) {
            section.replaceSubrange(badge, with: state == .running ? "<span class=\"badge running\">running…</span>"
                                                                  : "<span class=\"badge pending\">waiting</span>")
        }
        if state == .stale, let badge = section.range(of: #"<span class="badge [a-zA-Z]+">"#, options: .regularExpression) {
            section.insert(contentsOf: "<span class=\"badge stale\" title=\"from an earlier run\">stale</span> ", at: badge.lowerBound)
        }
        if let updates = live?.progress[index], !updates.isEmpty, let end = section.range(of: "</section>", options: .backwards) {
            section.insert(contentsOf: Self.renderTraining(updates, running: state == .running), at: end.lowerBound)
        }
        return section
    }

    /// What stands for each inline expression of the prose evaluated in cell `index` (its value,
    /// or why there is none yet), by the expression's index: a live page replaces them when the
    /// cell changes.
    public func renderLiveInlineValues(ofCell index: Int) -> [(index: Int, html: String)] {
        let firstEvaluated = document.cells.first { $0.cell.options.eval }?.cell.index ?? 0
        let expressions = document.inlineExpressions.filter { ($0.cellIndex ?? firstEvaluated) == index }
        guard !expressions.isEmpty else { return [] }
        let values = InlineValues(document: document, states: live?.states)
        return expressions.map { ($0.index, values.element($0.index)) }
    }

    public func renderLiveStatus() -> String {
        guard let status = live?.status else { return "" }
        return "<span class=\"live-dot \(status.state.rawValue)\"></span> <span class=\"live-text\">\(HTML.escape(status.text))</span>"
    }

    /// The latest epoch's progress line, and the loss per finished epoch as a small SVG chart.
    static func renderTraining(_ updates: [TrainingUpdate], running: Bool) -> String {
        guard let last = updates.last else { return "" }
        var html = "<div class=\"training\">\n"
        if running {
            let share = last.steps > 0 ? Double(last.step) / Double(last.steps) : 0
            html += "<p class=\"training-line\">epoch \(last.epoch)/\(last.epochs), step \(last.step)/\(last.steps), "
                + "loss \(String(format: "%.4f", last.loss)) <progress max=\"1\" value=\"\(String(format: "%.3f", share))\"></progress></p>\n"
        }
        let epochs = updates.filter(\.epochEnded)
        if epochs.count >= 1 {
            html += lossChart(epochs)
        }
        return html + "</div>\n"
    }

    /// Training (and validation) loss per epoch, as an SVG polyline with its axes' ends labelled.
    static func lossChart(_ epochs: [TrainingUpdate]) -> String {
        let width = 360.0, height = 120.0, left = 44.0, bottom = 18.0, top = 8.0, right = 8.0
        let train = epochs.map { Double($0.loss) }
        let validation = epochs.compactMap { $0.validationLoss.map(Double.init) }
        let values = (train + validation).filter(\.isFinite)
        guard let low = values.min(), let high = values.max() else { return "" }
        let span = high > low ? high - low : max(abs(high), 1e-6)
        let total = Double(max(epochs.last?.epochs ?? epochs.count, 2))
        func point(_ epoch: Int, _ value: Double) -> String {
            let x = left + (width - left - right) * Double(epoch - 1) / (total - 1)
            let y = top + (height - top - bottom) * (1 - (value - low) / span)
            return String(format: "%.1f,%.1f", x, y)
        }
        func line(_ series: [Double], _ kind: String) -> String {
            let points = series.enumerated().filter { $0.element.isFinite }.map { point($0.offset + 1, $0.element) }
            return "<polyline class=\"\(kind)\" fill=\"none\" points=\"\(points.joined(separator: " "))\"/>"
                + points.map { "<circle class=\"\(kind)\" r=\"2.5\" cx=\"\($0.split(separator: ",")[0])\" cy=\"\($0.split(separator: ",")[1])\"/>" }.joined()
        }
        var svg = "<svg class=\"loss-chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        svg += "<title>loss per epoch</title>"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\"/>"
        svg += "<line class=\"axis\" x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\"/>"
        svg += "<text class=\"tick\" x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=\"end\">\(String(format: "%.3g", high))</text>"
        svg += "<text class=\"tick\" x=\"\(left - 4)\" y=\"\(height - bottom)\" text-anchor=\"end\">\(String(format: "%.3g", low))</text>"
        svg += "<text class=\"tick\" x=\"\(left)\" y=\"\(height - 4)\">epoch 1</text>"
        svg += "<text class=\"tick\" x=\"\(width - right)\" y=\"\(height - 4)\" text-anchor=\"end\">epoch \(Int(total))</text>"
        svg += line(train, "train")
        if !validation.isEmpty { svg += line(validation, "validation") }
        svg += "</svg>"
        let legend = validation.isEmpty ? "training loss per epoch" : "training (blue) and validation (orange) loss per epoch"
        return "<figure class=\"loss-chart\">\(svg)<figcaption>\(legend)</figcaption></figure>\n"
    }

    static let liveStylesheet = """
    .live-status{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid var(--line);padding:6px 16px;font-size:13px;display:flex;align-items:center;gap:8px}
    .live-dot{display:inline-block;width:10px;height:10px;border-radius:50%;background:var(--muted)}
    .live-dot.running{background:#0969da;animation:nbpulse 1s infinite}.live-dot.passed{background:var(--ok)}.live-dot.failed{background:var(--bad)}
    @keyframes nbpulse{50%{opacity:.3}}
    section.live-stale>*:not(.cell-head),section.live-pending>*:not(.cell-head){opacity:.45}
    .badge.running{background:#0969da}.badge.pending,.badge.stale{background:var(--muted)}
    section.live-running{border-left:3px solid #0969da}
    .training{margin:4px 10px 8px;font-size:13px}.training-line{margin:2px 0;font-family:"DejaVu Sans Mono",monospace}
    .training progress{width:160px;vertical-align:middle;margin-left:8px}
    figure.loss-chart{margin:4px 0}figure.loss-chart figcaption{font-size:12px;color:var(--muted)}
    svg.loss-chart .axis{stroke:#8c959f;stroke-width:1}svg.loss-chart .tick{font-size:10px;fill:#57606a}
    svg.loss-chart polyline.train{stroke:#1f77b4;stroke-width:2}svg.loss-chart circle.train{fill:#1f77b4}
    svg.loss-chart polyline.validation{stroke:#ff7f0e;stroke-width:2}svg.loss-chart circle.validation{fill:#ff7f0e}
    """

    /// Connects to the server's WebSocket and applies each update: a whole new page content, a
    /// cell's section, an inline value of the prose, the status line. Math in new content is rendered by KaTeX, when the page has it.
    static let liveScript = """
    (function () {
      function renderMath(root) {
        if (typeof katex === 'undefined') return;
        root.querySelectorAll('.math').forEach(function (element) {
          if (element.querySelector('.katex')) return;
          katex.render(element.textContent, element, {displayMode: element.classList.contains('display'), throwOnError: false});
        });
      }
      var status = document.getElementById('nbrun-live');
      function apply(message) {
        if (message.type === 'page') {
          var page = document.querySelector('.page');
          var holder = document.createElement('div');
          holder.innerHTML = message.html;
          var fresh = holder.querySelector('.page');
          if (page && fresh) { page.replaceWith(fresh); renderMath(fresh); }
        } else if (message.type === 'cell') {
          var cell = document.getElementById(message.id);
          if (!cell || !cell.matches('section.cell')) return;
          var box = document.createElement('div');
          box.innerHTML = message.html;
          var section = box.firstElementChild;
          if (section) { cell.replaceWith(section); renderMath(section); }
        } else if (message.type === 'inline') {
          var value = document.querySelector('span.inline-value[data-inline="' + Number(message.index) + '"]');
          if (!value) return;
          var span = document.createElement('span');
          span.innerHTML = message.html;
          if (span.firstElementChild) value.replaceWith(span.firstElementChild);
        } else if (message.type === 'status') {
          status.innerHTML = message.html;
        }
        document.body.setAttribute('data-nbrun-updates', String(Number(document.body.getAttribute('data-nbrun-updates') || '0') + 1));
      }
      function connect() {
        var socket = new WebSocket('ws://' + location.host + '/events');
        socket.onmessage = function (event) { apply(JSON.parse(event.data)); };
        socket.onclose = function () {
          status.innerHTML = '<span class="live-dot failed"></span> <span class="live-text">disconnected from nbrun watch; retrying</span>';
          setTimeout(connect, 1000);
        };
      }
      connect();
    })();
    """
}
