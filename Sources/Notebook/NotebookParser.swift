import Foundation
internal import CMark

/// The parse stage: Markdown text -> `Notebook`.
///
/// cmark-gfm parses the document (with the GFM table, strikethrough, autolink and task
/// list extensions). Fenced code blocks whose info string starts with `swift` become
/// cells; fenced blocks in other languages and indented code stay prose, shown and not run.
/// Each cell is replaced in the tree by a placeholder paragraph, the tree is rendered to
/// HTML once (so reference links work across cells), and the HTML is cut at the
/// placeholders into the prose blocks between cells.
public enum NotebookParser {
    /// Reads and parses the notebook at `path` (kept as given for diagnostics).
    ///
    /// - Throws: `NotebookError` when the file is missing, unreadable, not Markdown, has
    ///   bad front matter or options, or has no Swift cells.
    public static func parse(fileAt path: String) throws -> Notebook {
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
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else {
            throw NotebookError(file: path, "not a Markdown notebook: the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses notebook text; `path` is only used to name places in errors.
    public static func parse(_ text: String, path: String) throws -> Notebook {
        var text = text.replacingOccurrences(of: "\r\n", with: "\n")
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let (yaml, markdown) = try FrontMatter.split(text, path: path)
        let frontMatter = try yaml.map { try FrontMatter.parse($0, path: path) } ?? FrontMatter()

        var math = MathProtector()
        let protected = math.protect(markdown)

        cmark_gfm_core_extensions_ensure_registered()
        // Raw HTML in the prose (<sub>, <kbd>, <details>, <img>) is kept, as Jupyter, Quarto and
        // GitHub keep it, with GitHub's tag filter: <script>, <style>, <iframe> and the like are
        // escaped, so they show as text and do not run (cmark's default dropped all raw HTML).
        let options = CMARK_OPT_DEFAULT | CMARK_OPT_UNSAFE
        guard let parser = cmark_parser_new(options) else { fatalError("cmark_parser_new failed") }
        defer { cmark_parser_free(parser) }
        for name in ["table", "strikethrough", "autolink", "tasklist", "tagfilter"] {
            if let extensionPointer = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, extensionPointer)
            }
        }
        protected.withCString { cmark_parser_feed(parser, $0, strlen($0)) }
        guard let document = cmark_parser_finish(parser) else { fatalError("cmark_parser_finish failed") }
        defer { cmark_node_free(document) }

        var cellNodes: [OpaquePointer] = []
        var cells: [Cell] = []
        var headingTitle: String?
        let lines = SourceLines(markdown)
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
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
            cells.append(try makeCell(index: cells.count, source: source, line: line,
                                      defaults: frontMatter.defaults, path: path))
            cellNodes.append(node)
        }
        guard !cells.isEmpty else {
            throw NotebookError(file: path, "not a notebook: no ```swift cells found",
                                hint: "a notebook is Markdown with fenced code blocks that start with ```swift")
        }
        try checkUniqueLabels(cells, path: path)

        for (index, node) in cellNodes.enumerated() {
            let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)
            let textNode = cmark_node_new(CMARK_NODE_TEXT)
            cmark_node_set_literal(textNode, placeholder(index))
            cmark_node_append_child(paragraph, textNode)
            cmark_node_replace(node, paragraph)
            cmark_node_free(node)
        }
        let renderedPointer = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser))!
        let html = math.restore(String(cString: renderedPointer))
        free(renderedPointer)

        var blocks: [Notebook.Block] = []
        var rest = Substring(html)
        for cell in cells {
            // In a tight list cmark renders the placeholder's paragraph without `<p>`.
            guard let range = rest.range(of: "<p>\(placeholder(cell.index))</p>\n") ?? rest.range(of: placeholder(cell.index)) else {
                fatalError("cell placeholder \(cell.index) missing from rendered HTML")
            }
            let prose = rest[..<range.lowerBound]
            if !prose.isEmpty { blocks.append(.prose(html: String(prose))) }
            blocks.append(.cell(cell))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { blocks.append(.prose(html: String(rest))) }

        if var title = headingTitle {
            for (index, span) in math.spans.enumerated() {
                title = title.replacingOccurrences(of: MathProtector.token(index), with: "$\(span.tex)$")
            }
            headingTitle = title
        }
        return Notebook(path: path, title: frontMatter.title ?? headingTitle, metadata: frontMatter.metadata,
                        parameters: frontMatter.parameters, blocks: blocks, hasMath: !math.spans.isEmpty)
    }

    private static func placeholder(_ index: Int) -> String { "NBRUNCELL\(index)END" }

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
                try options.set(option.key, to: option.value)
            } catch let problem as CellOptions.Problem {
                throw NotebookError(file: path, line: line + option.offset, problem.message, hint: problem.hint)
            }
        }
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
        for (index, byte) in bytes.enumerated() where byte == 0x0A { starts.append(index + 1) }
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
