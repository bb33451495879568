import Foundation
internal import CMark

/// The parse stage: Markdown text -> `Notebook`.
///
/// cmark-gfm parses the document (with the GFM table, strikethrough, autolink and task
/// list extensions). Fenced code blocks whose info string starts with `swift` become
/// cells; fenced blocks in other languages and indented code stay prose, shown and not run.
/// Each cell is replaced in the tree by a placeholder paragraph, the tree is rendered to
/// HTML once (so reference links work across cells), the HTML passes `HTMLSanitizer`'s
/// allow-list, and it is cut at the placeholders into the prose blocks between cells. Inline
/// code that starts with `{swift}` is an inline expression (`InlineExpressionFinder`).
/// Time and memory grow in proportion to the text; `checkpoint` is called often enough
/// (at least every few milliseconds of work) to stop a 3 MB parse on Ctrl-C at once.
public enum NotebookParser {
    /// Reads and parses the notebook at `path` (kept as given for diagnostics).
    ///
    /// - Throws: `NotebookError` when the file is missing, unreadable, not Markdown, has
    ///   bad front matter or options, or has no Swift cells; whatever `checkpoint` throws.
    public static func parse(fileAt path: String, checkpoint: () throws -> Void = {}) throws -> Notebook {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw NotebookError(file: path, "no such file")
        }
        guard !isDirectory.boolValue else {
            throw NotebookError(file: path, "is a directory, not a Markdown notebook")
        }
        let pathExtension = (path as NSString).pathExtension.lowercased()
        guard ["md", "markdown", "qmd"].contains(pathExtension) else {
            throw NotebookError(file: path, "not a Markdown notebook (expected a .md file with ```swift cells)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError(file: path, "cannot read the file")
        }
        try checkpoint()
        let hasNul = data.withUnsafeBytes { $0.baseAddress.map { memchr($0, 0, data.count) != nil } ?? false }
        guard !hasNul, let text = String(data: data, encoding: .utf8) else {
            throw NotebookError(file: path, "not a Markdown notebook: the file is not UTF-8 text")
        }
        return try parse(text, path: path, checkpoint: checkpoint)
    }

    /// What `parse` says of Markdown without a Swift cell (`nbrun test` leaves such files out).
    static let noCellsMessage = "not a notebook: no ```swift cells found"

    /// Parses notebook text; `path` is only used to name places in errors.
    public static func parse(_ text: String, path: String, checkpoint: () throws -> Void = {}) throws -> Notebook {
        var text = text
        if text.utf8.withContiguousStorageIfAvailable({ HTMLSanitizer.find(0x0D, in: $0, from: 0) < $0.count }) ?? true {
            text = text.replacingOccurrences(of: "\r\n", with: "\n")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let (yaml, markdown) = try FrontMatter.split(text, path: path)
        let frontMatter = try yaml.map { try FrontMatter.parse($0, path: path) } ?? FrontMatter()
        try checkpoint()

        var math = MathProtector(for: markdown)
        try checkpoint()
        let protected = try math.protect(markdown, checkpoint: checkpoint)
        try checkpoint()

        // Raw HTML in the prose (<sub>, <kbd>, <details>, <img>) is kept, as Jupyter, Quarto and
        // GitHub keep it (cmark's default dropped all raw HTML), and so are Markdown links as
        // written: cmark's UNSAFE option lets both through, and what it renders then passes
        // `HTMLSanitizer`'s allow-list below, which drops event handlers and script URLs and
        // shows tags such as <script>, <svg> or <iframe> as text.
        let tree = CMarkTree()
        try whileChecking(checkpoint) { tree.parse(protected) }
        let document = tree.document!

        var cellNodes: [OpaquePointer] = []
        var cells: [Cell] = []
        var headingTitle: String?
        let lines = SourceLines(markdown)
        try checkpoint()
        var nodeCount = 0
        for node in blocks(of: document) {
            nodeCount += 1
            if nodeCount % 4096 == 0 { try checkpoint() }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_HEADING, headingTitle == nil, cmark_node_get_heading_level(node) == 1 {
                headingTitle = plainText(of: node)
            }
            var fenceLength: Int32 = 0, fenceOffset: Int32 = 0
            var fenceCharacter: CChar = 0
            guard type == CMARK_NODE_CODE_BLOCK,
                  cmark_node_get_fenced(node, &fenceLength, &fenceOffset, &fenceCharacter) != 0 else { continue }
            let info = String(cString: cmark_node_get_fence_info(node))
            // `swift`, `swift title=x`, or Quarto's `{swift}`.
            let language = info.split(whereSeparator: { $0 == " " || $0 == "{" || $0 == "}" || $0 == "," })
                .first.map(String.init) ?? ""
            let isCell = language.lowercased() == "swift"
            try checkFence(node, lines: lines, character: UInt8(bitPattern: fenceCharacter), length: Int(fenceLength),
                           info: info, isCell: isCell, path: path)
            guard isCell else { continue }
            var source = String(cString: cmark_node_get_literal(node))
            if source.hasSuffix("\n") { source.removeLast() }
            let line = Int(cmark_node_get_start_line(node)) + 1
            var cell = try makeCell(index: cells.count, source: source, line: line, defaults: frontMatter.defaults, path: path)
            cell.closingFenceLine = Int(cmark_node_get_end_line(node))
            cells.append(cell)
            cellNodes.append(node)
        }
        guard !cells.isEmpty else {
            throw NotebookError(file: path, noCellsMessage,
                                hint: "a notebook is Markdown with fenced code blocks that start with ```swift")
        }
        try checkUniqueLabels(cells, path: path)
        let inline = try InlineExpressionFinder(document: document, cellNodes: cellNodes, markdown: markdown,
                                                placeholder: math.placeholder, path: path)
        try checkpoint()

        for (index, node) in cellNodes.enumerated() {
            let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)
            let textNode = cmark_node_new(CMARK_NODE_TEXT)
            cmark_node_set_literal(textNode, math.placeholder.token(.cell, index))
            cmark_node_append_child(paragraph, textNode)
            cmark_node_replace(node, paragraph)
            cmark_node_free(node)
        }
        let rendered = try whileChecking(checkpoint) { tree.renderHTML() }
        // Math marks inside attributes (a link's address) become their TeX again while the HTML is
        // filtered; those left are in text, where they become math spans for KaTeX.
        let sanitizer = HTMLSanitizer(rewriteLiteral: { inline.restoreLiteral(math.restoreLiteral($0)) })
        let html = inline.insertElements(try math.restore(try sanitizer.sanitize(rendered, checkpoint: checkpoint), checkpoint: checkpoint))
        try checkpoint()

        let blocks = try splitAtCells(html, cells: cells, placeholder: math.placeholder, path: path)
        var notebook = Notebook(path: path, title: frontMatter.title ?? headingTitle.map { math.restoreLiteral($0) },
                                metadata: frontMatter.metadata, parameters: frontMatter.parameters, blocks: blocks,
                                hasMath: !math.spans.isEmpty, markdown: markdown)
        notebook.inlineExpressions = inline.expressions
        return notebook
    }

    /// Runs `work` (cmark, in C: a few tenths of a second for a 3 MB notebook, where Ctrl-C
    /// cannot be checked) on a thread of its own, calling `checkpoint` every 10 ms meanwhile.
    /// When `checkpoint` throws, that is thrown at once: the thread runs on unobserved (the
    /// process is stopping) and frees what it used when done, as `work` holds it.
    static func whileChecking<T: Sendable>(_ checkpoint: () throws -> Void, _ work: @escaping @Sendable () -> T) throws -> T {
        let outcome = WorkOutcome<T>()
        Thread.detachNewThread {
            outcome.finish(work())
        }
        while true {
            if let result = outcome.wait(seconds: 0.01) { return result }
            try checkpoint()
        }
    }

    /// The prose between the cells' placeholders, and the cells. In a tight list cmark renders
    /// the placeholder's paragraph without `<p>`.
    private static func splitAtCells(_ html: String, cells: [Cell], placeholder: Placeholder, path: String) throws -> [Notebook.Block] {
        var html = html
        return try html.withUTF8 { bytes in
            var blocks: [Notebook.Block] = []
            var proseStart = 0
            var from = 0
            var next = 0
            func appendProse(upTo end: Int) {
                if end > proseStart { blocks.append(.prose(html: String(decoding: bytes[proseStart..<end], as: UTF8.self))) }
            }
            while let match = placeholder.next(in: bytes, from: from, to: bytes.count) {
                from = match.end
                guard match.kind == .cell else { continue }
                guard match.index == next, next < cells.count else {
                    throw NotebookError(file: path, "internal error: cell placeholder \(match.index) found where \(next) was expected")
                }
                var start = match.start, end = match.end
                let open = Array("<p>".utf8), close = Array("</p>\n".utf8)
                if start >= open.count, Array(bytes[(start - open.count)..<start]) == open,
                   end + close.count <= bytes.count, Array(bytes[end..<(end + close.count)]) == close {
                    start -= open.count
                    end += close.count
                }
                appendProse(upTo: start)
                blocks.append(.cell(cells[next]))
                next += 1
                proseStart = end
                from = end
            }
            guard next == cells.count else {
                throw NotebookError(file: path, "internal error: cell placeholder \(next) missing from the rendered HTML")
            }
            appendProse(upTo: bytes.count)
            return blocks
        }
    }

    /// A fenced block must end with its closing fence. When one is missing, the block runs on
    /// to the end of the file (or of its list item or quote), or to the closing fence of the
    /// next block, whose opening line (```swift) it then holds: either way the cells after it
    /// vanish into it, so the notebook is refused with the block's line.
    private static func checkFence(_ node: OpaquePointer, lines: SourceLines, character: UInt8, length: Int,
                                   info: String, isCell: Bool, path: String) throws {
        let startLine = Int(cmark_node_get_start_line(node))
        let endLine = Int(cmark_node_get_end_line(node))
        let fence = String(repeating: String(UnicodeScalar(character)), count: length)
        let what = isCell ? "the \(fence)\(info) cell" : "the \(fence)\(info) block"
        // An opening fence line inside the block (same character, at least as long, with an
        // info string) is the next block's: this one was not closed before it.
        if endLine > startLine + 1 {
            for line in (startLine + 1)..<endLine {
                if let opening = lines.fenceOpening(line, opening: startLine, character: character, minimumLength: length) {
                    throw NotebookError(file: path, line: startLine, "\(what) that starts here is not closed before the \(opening) fence at line \(line)",
                                        hint: "add a line \(fence) before line \(line) (a fence with an info string opens a block; it cannot close one)")
                }
            }
        }
        guard endLine > startLine, lines.isClosingFence(endLine, character: character, minimumLength: length) else {
            throw NotebookError(file: path, line: startLine, "\(what) that starts here has no closing \(fence) fence",
                                hint: "end it with a line \(fence) (as long as the opening fence, or longer)")
        }
    }

    /// Builds a cell, reading its `//|` options over the notebook's defaults.
    static func makeCell(index: Int, source: String, line: Int, defaults: CellOptions, path: String) throws -> Cell {
        var options = defaults
        let optionLines = CellOptions.optionLines(in: source)
        for option in optionLines {
            do {
                try options.set(option.key, to: option.key == "cache-extra" ? option.raw : option.value)
            } catch let problem as CellOptions.Problem {
                throw NotebookError(file: path, line: line + option.offset, problem.message, hint: problem.hint)
            }
        }
        // A notebook-wide `cache: true` leaves out the cells that expect an error (they cannot be cached).
        if options.cache, options.error, !optionLines.contains(where: { $0.key == "cache" }) { options.cache = false }
        return Cell(index: index, source: source, line: line, options: options, optionLineCount: optionLines.count)
    }

    private static func checkUniqueLabels(_ cells: [Cell], path: String) throws {
        var seen: [String: Int] = [:]
        for cell in cells {
            guard let label = cell.options.label else { continue }
            if let first = seen[label] {
                throw NotebookError(file: path, line: cell.line, "label '\(label)' is already used by the cell at line \(first)")
            }
            seen[label] = cell.line
        }
    }

    /// The document's blocks in order, those in quotes and lists included, without their inline
    /// content (cells and headings are blocks; skipping the inlines halves the walk).
    private static func blocks(of document: OpaquePointer) -> [OpaquePointer] {
        var blocks: [OpaquePointer] = []
        var stack: [OpaquePointer] = []
        var child = cmark_node_first_child(document)
        while true {
            while let node = child {
                blocks.append(node)
                let type = cmark_node_get_type(node)
                if type == CMARK_NODE_BLOCK_QUOTE || type == CMARK_NODE_LIST || type == CMARK_NODE_ITEM,
                   let first = cmark_node_first_child(node) {
                    stack.append(node)
                    child = first
                } else {
                    child = cmark_node_next(node)
                }
            }
            guard let parent = stack.popLast() else { return blocks }
            child = cmark_node_next(parent)
        }
    }

    /// The text of a node's inline children (for the title).
    private static func plainText(of node: OpaquePointer) -> String {
        var text = ""
        var child = cmark_node_first_child(node)
        while let current = child {
            switch cmark_node_get_type(current) {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE:
                text += String(cString: cmark_node_get_literal(current))
            default:
                text += plainText(of: current)
            }
            child = cmark_node_next(current)
        }
        return text
    }
}

/// The lines of the Markdown cmark parsed, by 1-based number, for checking fences.
struct SourceLines {
    private let bytes: [UInt8]
    private var starts: [Int] = [0]

    init(_ text: String) {
        bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            var index = HTMLSanitizer.find(0x0A, in: buffer, from: 0)
            while index < buffer.count {
                starts.append(index + 1)
                index = HTMLSanitizer.find(0x0A, in: buffer, from: index + 1)
            }
        }
    }

    /// Line `number` without its newline, the markers of the containers it sits in (`>` of
    /// quotes, the indentation of list items) and trailing whitespace; `indent` counts the
    /// spaces just before the content.
    private func content(_ number: Int) -> (indent: Int, text: ArraySlice<UInt8>) {
        guard number >= 1, number <= starts.count else { return (0, []) }
        var start = starts[number - 1]
        var end = number < starts.count ? starts[number] - 1 : bytes.count
        var indent = 0
        while start < end, [0x20, 0x09, UInt8(ascii: ">")].contains(bytes[start]) {
            indent = bytes[start] == UInt8(ascii: ">") ? 0 : indent + (bytes[start] == 0x09 ? 4 : 1)
            start += 1
        }
        while end > start, [0x20, 0x09, 0x0D].contains(bytes[end - 1]) { end -= 1 }
        return (indent, bytes[start..<end])
    }

    /// Whether line `number` closes a fence of `minimumLength` `character`s: that run alone.
    func isClosingFence(_ number: Int, character: UInt8, minimumLength: Int) -> Bool {
        let line = content(number).text
        return line.count >= minimumLength && line.allSatisfy { $0 == character }
    }

    /// Line `number` as written, when it opens a fence of `character` at least `minimumLength`
    /// long with an info string (```swift), indented no more than three spaces past the block's
    /// own opening line `opening`: a line that cannot be the block's content.
    func fenceOpening(_ number: Int, opening: Int, character: UInt8, minimumLength: Int) -> String? {
        let (indent, line) = content(number)
        let run = line.prefix { $0 == character }.count
        guard run >= minimumLength, run < line.count, indent <= content(opening).indent + 3 else { return nil }
        if character == UInt8(ascii: "`"), line.dropFirst(run).contains(UInt8(ascii: "`")) { return nil }
        return String(decoding: line, as: UTF8.self)
    }
}

/// A cmark-gfm parser and its document, freed with the last reference (that of a thread still
/// parsing, when the parse was abandoned on Ctrl-C).
final class CMarkTree: @unchecked Sendable {
    static let options = CMARK_OPT_DEFAULT | CMARK_OPT_UNSAFE
    let parser: OpaquePointer
    private(set) var document: OpaquePointer?

    init() {
        cmark_gfm_core_extensions_ensure_registered()
        guard let parser = cmark_parser_new(Self.options) else { fatalError("cmark_parser_new failed") }
        self.parser = parser
        // GitHub's extensions: tables, ~~strikethrough~~, bare links, task lists, and its tag filter.
        for name in ["table", "strikethrough", "autolink", "tasklist", "tagfilter"] {
            if let extensionPointer = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, extensionPointer)
            }
        }
    }

    deinit {
        if let document { cmark_node_free(document) }
        cmark_parser_free(parser)
    }

    func parse(_ markdown: String) {
        markdown.withCString { cmark_parser_feed(parser, $0, strlen($0)) }
        guard let document = cmark_parser_finish(parser) else { fatalError("cmark_parser_finish failed") }
        self.document = document
    }

    func renderHTML() -> String {
        guard let document, let pointer = cmark_render_html(document, Self.options, cmark_parser_get_syntax_extensions(parser)) else {
            fatalError("cmark_render_html failed")
        }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// The result of work on another thread, once it is there.
private final class WorkOutcome<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: T?

    func finish(_ value: T) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    /// The result, if it comes within `seconds`.
    func wait(seconds: Double) -> T? {
        condition.lock()
        defer { condition.unlock() }
        if result == nil { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
        return result
    }
}
