import Crypto
import Foundation

/// The render stage: an executed notebook -> one HTML page (plus any files beside it).
///
/// Pure: it reads nothing but KaTeX's files and writes nothing; `ReportWriter` writes.
/// All text from cells (code, output, errors) is escaped. Prose is cmark-gfm's HTML, raw HTML
/// included, after `HTMLSanitizer`'s allow-list (applied by the parser, where that HTML is made);
/// `DisplayItem.html` from cells passes the same allow-list here. The page also carries a
/// Content-Security-Policy that lets only its own inline scripts and styles run (by hash), so
/// anything the allow-list missed still could not run script.
public struct HTMLReport {
    public struct Options: Sendable {
        /// Inline figures as `data:` URLs; `false` writes them beside the report.
        public var embedFigures = true
        /// Outputs longer than this many lines are cut in the page, and kept whole beside it.
        public var maxOutputLines = 500
        public var maxOutputBytes = 256 * 1024
        public init(embedFigures: Bool = true) { self.embedFigures = embedFigures }
    }

    /// A rendered report: the page and the files it links to, by path relative to it.
    public struct Rendered: Sendable {
        public var html: String
        public var files: [(path: String, data: Data)]
    }

    public var document: ExecutedNotebook
    public var options: Options
    /// Base name for files beside the report (`backprop` -> `backprop_files/...`).
    public var name: String

    /// Where a file beside the page goes: `NAME_files/BASE-HASH.EXT`, the hash (eight hex digits of
    /// its SHA-256) naming its content, so that a new run never writes over a file the old page
    /// links to (`ReportWriter` relies on it).
    func filePath(_ base: String, extension fileExtension: String, data: Data) -> String {
        let hash = SHA256.hash(data: data).hex.prefix(8)
        return "\(name)_files/\(base)-\(hash).\(fileExtension)"
    }
    /// Set for a live page (`nbrun watch`): each cell's state, training progress, the status line.
    public var live: Live?

    public init(document: ExecutedNotebook, options: Options = Options(), name: String) {
        self.document = document
        self.options = options
        self.name = name
    }

    public func render() -> Rendered {
        render(checkpoint: {})
    }

    /// The page; `checkpoint` is called between blocks and every few hundred headings, to stop
    /// on Ctrl-C (what it throws is rethrown).
    public func render(checkpoint: () throws -> Void) rethrows -> Rendered {
        var files: [(path: String, data: Data)] = []
        var headings = HeadingIDs()
        var body = ""
        let inlineValues = InlineValues(document: document, states: live?.states)
        for block in document.blocks {
            try checkpoint()
            switch block {
            case .prose(let prose):
                body += try headings.add(to: inlineValues.fill(prose.html), checkpoint: checkpoint)
            case .cell(let executed):
                body += live != nil ? (renderLiveCell(executed.cell.index) ?? "")
                                    : renderCell(executed.cell, result: executed.result, files: &files)
            }
        }
        try checkpoint()
        let title = document.title ?? (document.path as NSString).lastPathComponent
        let katex = document.hasMath ? KaTeXAssets.load() : nil
        try checkpoint()
        // Everything the page runs or styles itself, written inline and allowed by its hash.
        // A live page (`nbrun watch`) adds its script, which talks to the server that serves it.
        let scripts = ((katex.map { [$0.script, KaTeXAssets.renderScript] } ?? []) + (live != nil ? [Self.liveScript] : []))
            .map(Self.inlineText)
        let styles = ([Self.stylesheet] + (katex.map { [$0.stylesheet] } ?? []) + (live != nil ? [Self.liveStylesheet] : []))
            .map(Self.inlineText)
        let policy = Self.contentSecurityPolicy(inlineScripts: scripts, inlineStyles: styles,
                                                imagesBesideThePage: !options.embedFigures, connectsToItsServer: live != nil)
        try checkpoint()
        var page = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(HTML.escape(policy))">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="nbrun \(HTML.escape(document.run.nbrunVersion))">
        <title>\(HTML.escape(title))</title>

        """
        for style in styles { page += "<style>\(style)</style>\n" }
        // The page's containers are elements prose may not write (`article`, `main`), so no end tag in it can close them.
        page += "</head>\n<body>\n"
        if live != nil { page += "<div id=\"nbrun-live\" class=\"live-status\">\(renderLiveStatus())</div>\n" }
        page += "<article class=\"page\">\n"
        page += renderHeader(title: title)
        page += renderContents(headings.list)
        page += "<main>\n\(body)</main>\n</article>\n"
        for script in scripts { page += "<script>\(script)</script>\n" }
        page += "</body>\n</html>\n"
        return Rendered(html: page, files: files)
    }

    /// The page's Content-Security-Policy: nothing may load or run but `inlineScripts` and
    /// `inlineStyles` (the exact text of each inline `<script>` and `<style>`, allowed by its
    /// SHA-256), images inlined as `data:` URLs or, when figures are written beside the page,
    /// the page's own files, and fonts as `data:` URLs (KaTeX's). A page with another script
    /// (a live view, say) passes it in `inlineScripts`, and writes it as `inlineText` returns it.
    static func contentSecurityPolicy(inlineScripts: [String], inlineStyles: [String], imagesBesideThePage: Bool,
                                      connectsToItsServer: Bool = false) -> String {
        func hashes(_ texts: [String]) -> String {
            guard !texts.isEmpty else { return "'none'" }
            return texts.map { "'sha256-\(Data(SHA256.hash(data: Data($0.utf8))).base64EncodedString())'" }.joined(separator: " ")
        }
        return [
            "default-src 'none'",
            "script-src \(hashes(inlineScripts))",
            "style-src \(hashes(inlineStyles))",
            "img-src \(imagesBesideThePage ? "'self' data:" : "data:")",
            "font-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ].joined(separator: "; ") + (connectsToItsServer ? "; connect-src 'self'" : "")
    }

    /// A script or stylesheet as it is written between its tags, so that the browser hashes the
    /// same text: newlines as the HTML parser leaves them (`\r\n` and `\r` become `\n`), and no
    /// `</script` or `</style` that would end the element early.
    static func inlineText(_ text: String) -> String {
        var text = text
        if text.contains("\r") { text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") }
        guard HTML.contains("</", in: text) else { return text }
        for tag in ["script", "style"] {
            text = text.replacingOccurrences(of: "</" + tag, with: "<\\/" + tag, options: .caseInsensitive)
        }
        return text
    }

    /// The notebook's path as the report shows it: relative to the folder nbrun ran in
    /// (`notebooks/backprop.md`), so that a report does not carry the folders of the machine that
    /// wrote it, however the path was given.
    static func displayPath(_ path: String, from directory: String = FileManager.default.currentDirectoryPath) -> String {
        let target = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            .standardizedFileURL.pathComponents
        let base = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.pathComponents
        var shared = 0
        while shared < min(target.count, base.count), target[shared] == base[shared] { shared += 1 }
        let relative = Array(repeating: "..", count: base.count - shared) + target[shared...]
        return relative.isEmpty ? path : relative.joined(separator: "/")
    }

    // MARK: Header and contents

    private func renderHeader(title: String) -> String {
        let info = document.run
        let runVerdict = document.verdict
        var verdict = runVerdict.summary
        if let status = live?.status, status.state == .running || status.state == .stale { verdict = status.text }
        let formatter = ISO8601DateFormatter()
        // While a live page's run goes on, the last run's time would read as this one's.
        let running = live?.status.state == .running
        var rows: [(String, String)] = [
            ("result", verdict),
            ("date", formatter.string(from: info.date)),
            ("total time", running ? "running" : String(format: "%.2f s", info.seconds) + (info.binaryReused ? " (binary reused)" : "")),
            ("notebook", Self.displayPath(document.path)),
            ("swift", info.swiftVersion),
            ("nbrun", info.nbrunVersion),
            ("cores", String(info.cores)),
        ]
        if let engine = info.engine { rows.append(("BLAS", engine)) }
        if let commit = info.gitCommit { rows.append(("git commit", commit)) }
        for key in FrontMatter.metadataKeys { if let value = document.metadata[key] { rows.insert((key, value), at: 0) } }
        if !document.parameters.isEmpty {
            rows.append(("parameters", document.parameters.map { "\($0.name) = \($0.value.text)" }.joined(separator: ", ")))
        }
        let status = runVerdict.succeeded ? "passed" : "failed"
        var html = "<header class=\"run \(status)\">\n<p class=\"doc-title\">\(titleHTML(title))</p>\n<dl>\n"
        for (key, value) in rows {
            html += "<dt>\(HTML.escape(key))</dt><dd>\(HTML.escape(value))</dd>\n"
        }
        return html + "</dl>\n</header>\n"
    }

    /// The title with its `$math$` rendered by KaTeX like the prose's, when the page loads KaTeX.
    private func titleHTML(_ title: String) -> String {
        guard document.hasMath else { return HTML.escape(title) }
        var math = MathProtector(for: title)
        let protected = HTML.escape(math.protect(title))
        return math.restore(protected)
    }

    private func renderContents(_ headings: [(level: Int, id: String, text: String)]) -> String {
        guard !headings.isEmpty else { return "" }
        var html = "<nav class=\"toc\">\n<p>Contents</p>\n<ul>\n"
        for heading in headings {
            html += "<li class=\"toc-\(heading.level)\"><a href=\"#\(heading.id)\">\(heading.text)</a></li>\n"
        }
        return html + "</ul>\n</nav>\n"
    }

    // MARK: Cells

    func renderCell(_ cell: Cell, result: CellResult?, files: inout [(path: String, data: Data)]) -> String {
        let status = result?.status ?? .notRun
        let anchor = "cell-\(cell.index + 1)"
        var html = "<section class=\"cell \(status.rawValue)\" id=\"\(anchor)\">\n"
        var head = "<a href=\"#\(anchor)\">[\(cell.index + 1)]</a>"
        if let label = cell.options.label { head += " <span class=\"label\">\(HTML.escape(label))</span>" }
        head += " <span class=\"where\">\(HTML.escape(Self.displayPath(document.path))):\(cell.displayLine)</span>"
        if let result, status == .passed || status == .failed || status == .expectedError {
            head += " <span class=\"time\">\(Self.formatSeconds(result.seconds))</span>"
        }
        if let result, result.cached {
            var title = "restored from the cache"
            if let key = result.cacheKey { title += ", key \(key.prefix(16))" }
            if let stored = result.cacheStored { title += ", stored \(Self.formatStoredDate(stored))" }
            head += " <span class=\"badge cached\" title=\"\(HTML.escape(title))\">cached</span>"
        }
        head += " <span class=\"badge \(status.rawValue)\">\(Self.badge(status))</span>"
        html += "<div class=\"cell-head\">\(head)</div>\n"
        if let result, result.cached {
            var text = "restored from the cache"
            if let stored = result.cacheStored { text += " stored \(Self.formatStoredDate(stored))" }
            if let key = result.cacheKey { text += " (key \(key.prefix(16)))" }
            html += "<div class=\"cache-info\">\(HTML.escape(text))</div>\n"
        } else if let note = result?.cacheNote {
            html += "<div class=\"cache-info note\">\(HTML.escape(note))</div>\n"
        }
        if cell.options.echo {
            html += "<pre class=\"code\"><code class=\"language-swift\">\(SwiftHighlighter.html(cell.displaySource))</code></pre>\n"
        }
        if let result, cell.options.output, result.outputs.contains(where: { !$0.isInlineValue }) {
            html += "<div class=\"outputs\">\n"
            var figureNumber = 0
            var streamNumber = 0
            for output in result.outputs {
                switch output {
                case .stdout(let text):
                    streamNumber += 1
                    html += renderStream(text, kind: "stdout", cell: cell, number: streamNumber, result: result, files: &files)
                case .stderr(let text):
                    streamNumber += 1
                    html += renderStream(text, kind: "stderr", cell: cell, number: streamNumber, result: result, files: &files)
                case .display(.text(let text)) where text.utf8.count > options.maxOutputBytes
                        || HTML.newlineOffsets(in: text).count + 1 > options.maxOutputLines:
                    // A long value (an array of a million numbers) is cut like printed text, and kept whole beside.
                    streamNumber += 1
                    html += renderStream(text, kind: "display", cell: cell, number: streamNumber, result: nil, files: &files)
                case .display(let item):
                    html += renderDisplay(item, cell: cell, figureNumber: &figureNumber, files: &files)
                }
            }
            html += "</div>\n"
        }
        if let error = result?.error {
            html += renderError(error, status: status)
        }
        let cellWarnings = document.warnings.filter { $0.line.map { cell.sourceLine(atMarkdownLine: $0) != nil } ?? false }
        for warning in cellWarnings {
            html += "<p class=\"warning\">warning (line \(warning.line ?? 0)): \(HTML.escape(warning.message))</p>\n"
        }
        return html + "</section>\n"
    }

    private func renderStream(_ raw: String, kind: String, cell: Cell, number: Int, result: CellResult?,
                              files: inout [(path: String, data: Data)]) -> String {
        var text = HTML.terminalText(raw)
        let byteCount = text.utf8.count
        let newlines = HTML.newlineOffsets(in: text)
        let lineCount = newlines.count + 1
        guard lineCount > options.maxOutputLines || byteCount > options.maxOutputBytes else {
            return "<pre class=\"\(kind)\">\(HTML.escape(text))</pre>\n"
        }
        let data = Data(raw.utf8)
        let path = filePath("cell-\(cell.index + 1)-\(kind)-\(number)", extension: "txt", data: data)
        files.append((path, data))
        let headCount = options.maxOutputLines * 4 / 5
        let tailCount = min(options.maxOutputLines / 5, max(0, lineCount - headCount))
        // `lines.prefix(headCount)` and `lines.suffix(tailCount)` of the text split at "\n", joined again.
        let headEnd = headCount < lineCount ? newlines[headCount - 1] : byteCount
        let tailStart = tailCount == 0 ? byteCount : tailCount < lineCount ? newlines[lineCount - tailCount - 1] + 1 : 0
        var (head, tail) = text.withUTF8 { bytes in
            (String(decoding: bytes[..<headEnd], as: UTF8.self), String(decoding: bytes[tailStart...], as: UTF8.self))
        }
        var what = "\(lineCount - headCount - tailCount) of \(lineCount) lines (\(byteCount) bytes)"
        if head.utf8.count > options.maxOutputBytes * 4 / 5 || tail.utf8.count > options.maxOutputBytes / 5 {
            // Long lines: cut by bytes, the first four fifths and the last fifth of the text, without overlap.
            head = String(decoding: text.utf8.prefix(options.maxOutputBytes * 4 / 5), as: UTF8.self)
            tail = String(decoding: text.utf8.suffix(options.maxOutputBytes / 5), as: UTF8.self)
            what = "\(byteCount - options.maxOutputBytes * 4 / 5 - options.maxOutputBytes / 5) of \(byteCount) bytes"
        }
        let link = "<a href=\"\(HTML.escape(HTML.fileURL(path)))\">\(HTML.escape(path))</a>"
        var where_ = "Full output: \(link)"
        // The cell wrote more than nbrun keeps: the file holds its start and its end, not all of it.
        if let cut = result?.outputCuts.first(where: { $0.stream == kind && HTML.contains($0.note, in: raw) }) {
            what = "\(byteCount - head.utf8.count - tail.utf8.count) of the \(byteCount) bytes kept"
            where_ = "The cell printed \(cut.totalBytes) bytes, more than nbrun keeps (\(ProgramRunner.maxOutputBytes >> 20) MiB): "
                + "\(link) holds its first \(cut.keptHeadBytes) and last \(cut.keptTailBytes) bytes; "
                + "the \(cut.totalBytes - cut.keptHeadBytes - cut.keptTailBytes) bytes between were not kept."
        }
        return """
        <pre class="\(kind)">\(HTML.escape(head))</pre>
        <p class="cut">… output cut: \(what) not shown. \(where_)</p>
        <pre class="\(kind)">\(HTML.escape(tail))</pre>

        """
    }

    private func renderDisplay(_ item: DisplayItem, cell: Cell, figureNumber: inout Int,
                               files: inout [(path: String, data: Data)]) -> String {
        switch item {
        case .text(let text):
            return "<pre class=\"display\">\(HTML.escape(text))</pre>\n"
        case .png(let bytes, let width, _):
            figureNumber += 1
            let alt = "figure \(figureNumber) of cell \(cell.index + 1)"
            let size = width.map { " width=\"\($0)\"" } ?? ""
            if options.embedFigures {
                return "<figure><img alt=\"\(alt)\"\(size) src=\"data:image/png;base64,\(Data(bytes).base64EncodedString())\"></figure>\n"
            }
            let path = filePath("cell-\(cell.index + 1)-figure-\(figureNumber)", extension: "png", data: Data(bytes))
            files.append((path, Data(bytes)))
            return "<figure><img alt=\"\(alt)\"\(size) src=\"\(HTML.escape(HTML.fileURL(path)))\"></figure>\n"
        case .table(let headers, let rows):
            var html = "<table class=\"display\">\n"
            if !headers.isEmpty {
                html += "<thead><tr>" + headers.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n"
            }
            html += "<tbody>\n"
            for row in rows { html += "<tr>" + row.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>\n" }
            return html + "</tbody>\n</table>\n"
        case .html(let html):
            // Markup a cell made (`display(DisplayItem.html(...))`): the prose's allow-list applies.
            return "<div class=\"display-html\">\(HTMLSanitizer().sanitize(html))</div>\n"
        case .inline:
            // Shown in the prose (`InlineValues`).
            return ""
        }
    }

    private func renderError(_ error: CellError, status: CellResult.Status) -> String {
        let title = error.title(expected: status == .expectedError)
        var html = "<div class=\"error \(status == .expectedError ? "expected" : "")\">\n"
        // A golden outputs' diff is lines of expected and got text: it keeps its columns.
        let lines = error.message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        if error.kind == .golden, lines.count == 2 {
            html += "<p class=\"error-title\">\(title): \(HTML.escape(String(lines[0])))</p>\n"
            html += "<pre class=\"golden-diff\">\(HTML.escape(String(lines[1])))</pre>\n"
        } else {
            html += "<p class=\"error-title\">\(title): \(HTML.escape(error.message))</p>\n"
        }
        if let line = error.line {
            html += "<p class=\"error-where\">at \(HTML.escape(Self.displayPath(document.path))):\(line)</p>\n"
            if let source = error.sourceLine {
                html += "<pre class=\"error-line\"><span class=\"lineno\">\(line)</span> \(HTML.escape(source))</pre>\n"
            }
        }
        if let details = error.details {
            html += "<details><summary>backtrace</summary><pre>\(HTML.escape(details))</pre></details>\n"
        }
        return html + "</div>\n"
    }

    static func formatStoredDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }

    static func badge(_ status: CellResult.Status) -> String {
        switch status {
        case .passed: return "ok"
        case .expectedError: return "error (expected)"
        case .failed: return "failed"
        case .notEvaluated: return "not evaluated"
        case .notRun: return "not run"
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }

    static let stylesheet = """
    :root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--code:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
    *{box-sizing:border-box}
    body{margin:0;color:var(--fg);font:16px/1.55 -apple-system,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;background:#fff}
    .page{max-width:980px;margin:0 auto;padding:24px 32px 64px}
    header.run{border:1px solid var(--line);border-left:6px solid var(--ok);border-radius:6px;padding:10px 16px;margin-bottom:20px;background:#fbfcfd;font-size:13px}
    header.run.failed{border-left-color:var(--bad)}
    header.run .doc-title{font-size:18px;font-weight:600;margin:0 0 6px}
    header.run dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
    header.run dt{color:var(--muted)}header.run dd{margin:0;overflow-wrap:anywhere}
    nav.toc{border:1px solid var(--line);border-radius:6px;padding:8px 16px;margin-bottom:24px;font-size:14px}
    nav.toc p{margin:0 0 4px;font-weight:600}nav.toc ul{margin:0;padding-left:18px}
    nav.toc .toc-2{margin-left:14px}nav.toc .toc-3{margin-left:28px}
    main h1,main h2,main h3{line-height:1.25}
    pre{margin:0;padding:10px 12px;overflow-x:auto;font:13px/1.45 "DejaVu Sans Mono",Menlo,Consolas,monospace;white-space:pre}
    code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em}
    main > pre, main pre:not([class]){background:var(--code);border-radius:6px}
    table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 10px;text-align:left}th{background:var(--code)}
    .cell{border:1px solid var(--line);border-radius:6px;margin:18px 0;overflow:hidden}
    .cell.failed{border-color:var(--bad)}
    .cell-head{font-size:12px;color:var(--muted);padding:4px 10px;border-bottom:1px solid var(--line);background:#fff;display:flex;gap:10px;align-items:baseline}
    .cell-head a{color:var(--muted);text-decoration:none;font-family:monospace}
    .cell-head .label{font-weight:600;color:var(--fg)}.cell-head .time{margin-left:auto}
    .badge{border-radius:10px;padding:0 8px;font-size:11px;color:#fff;background:var(--ok)}
    .badge.failed{background:var(--bad)}.badge.notRun,.badge.notEvaluated{background:var(--muted)}.badge.expectedError{background:var(--warn)}.badge.cached{background:#0969da}.cache-info{font-size:12px;color:var(--muted);margin:2px 0 4px;padding:0 10px}.cache-info.note{color:var(--warn)}
    .cell:not(:has(.badge.passed)) .cell-head .time{margin-left:auto}
    pre.code{background:var(--code)}
    .outputs{border-top:1px solid var(--line)}
    .outputs pre.stdout,.outputs pre.stderr{max-height:36em;overflow-y:auto}
    .outputs pre.stderr{background:#fff5f5;color:#82071e}
    .outputs pre.display{color:#0a3069}
    .outputs figure{margin:8px 12px}.outputs img{max-width:100%;height:auto}
    .outputs table.display{margin:8px 12px;font-size:13px}
    p.warning{margin:0;padding:3px 12px;font-size:12px;color:var(--warn);background:#fffbe6;border-top:1px solid var(--line)}
    p.cut{margin:0;padding:4px 12px;font-size:12px;color:var(--warn);background:#fff8c5}
    .error{border-top:1px solid var(--bad);background:#ffebe9;padding:8px 12px;font-size:14px}
    .error.expected{border-top-color:var(--warn);background:#fff8c5}
    .error p{margin:2px 0}.error .error-title{font-weight:600;white-space:pre-wrap}
    .error pre{background:#fff;border:1px solid var(--line);border-radius:4px;margin:6px 0}
    .error .lineno{color:var(--muted);user-select:none}
    .k{color:#cf222e}.s{color:#0a3069}.n{color:#0550ae}.t{color:#8250df}.c{color:#6e7781;font-style:italic}.a{color:#953800}
    .math.display{display:block;overflow-x:auto;margin:12px 0}
    .inline-value.missing{color:var(--bad)}.inline-value.missing em{font-size:.85em}.inline-value.stale{opacity:.45}
    """
}

/// nbrun's version, shown in reports.
public let nbrunVersionString = "0.1.0"

/// Ids for `<h1>`..`<h3>` in the prose (`intro`, `intro-2`...) and the list for the contents, in one
/// pass over each prose block. Cells' sections have the ids `cell-1`, `cell-2`...: a heading never
/// takes one (`## Cell 1` gets `cell-1-2`), so a link or a live update never finds a heading for a cell.
struct HeadingIDs {
    private(set) var list: [(level: Int, id: String, text: String)] = []
    private var used: Set<String> = []
    /// The next number to try for a repeated id.
    private var nextNumber: [String: Int] = [:]

    /// `html` with an id on each of its `<h1>`..`<h3>`.
    mutating func add(to html: String, checkpoint: () throws -> Void) rethrows -> String {
        var html = html
        return try html.withUTF8 { bytes in
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + 256)
            var from = 0
            var count = 0
            while true {
                let open = HTMLSanitizer.find("<h", in: bytes, from: from)
                guard open + 3 < bytes.count else { break }
                let levelByte = bytes[open + 2]
                guard (UInt8(ascii: "1")...UInt8(ascii: "3")).contains(levelByte), bytes[open + 3] == UInt8(ascii: ">") else {
                    output.append(contentsOf: bytes[from..<(open + 2)])
                    from = open + 2
                    continue
                }
                let level = Int(levelByte - UInt8(ascii: "0"))
                let closeTag = "</h\(level)>"
                let close = HTMLSanitizer.find(closeTag, in: bytes, from: open + 4)
                guard close < bytes.count else { break }
                count += 1
                if count % 256 == 0 { try checkpoint() }
                let inner = String(decoding: bytes[(open + 4)..<close], as: UTF8.self)
                let id = unique(HTML.slug(HTML.stripTags(inner)))
                list.append((level, id, HTML.stripTagsKeepingMath(inner)))
                output.append(contentsOf: bytes[from..<open])
                output.append(contentsOf: "<h\(level) id=\"\(id)\">".utf8)
                output.append(contentsOf: bytes[(open + 4)..<close])
                output.append(contentsOf: closeTag.utf8)
                from = close + closeTag.utf8.count
            }
            output.append(contentsOf: bytes[from...])
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// `id`, or `id-2`, `id-3`... the first not used yet, nor a cell's.
    private mutating func unique(_ id: String) -> String {
        guard used.contains(id) || Self.isCellID(id) else {
            used.insert(id)
            return id
        }
        var number = nextNumber[id] ?? 2
        while used.contains("\(id)-\(number)") { number += 1 }
        nextNumber[id] = number + 1
        used.insert("\(id)-\(number)")
        return "\(id)-\(number)"
    }

    /// Whether `id` is of the form of a cell section's id, `cell-` and a number.
    static func isCellID(_ id: String) -> Bool {
        id.hasPrefix("cell-") && id.utf8.count > 5 && id.utf8.dropFirst(5).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
