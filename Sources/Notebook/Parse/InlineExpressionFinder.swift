import Foundation
internal import CMark

/// Finds the prose's inline expressions (inline code that starts with `{swift}`) in the tree
/// cmark-gfm parsed, for `NotebookParser`: each code node becomes a text node holding a
/// placeholder mark, which survives rendering and the allow-list as letters and digits and is
/// then replaced by the expression's `element` (or, inside an attribute such as an image's alt
/// text, where no element can go, by the code as written).
struct InlineExpressionFinder {
    private(set) var expressions: [InlineExpression] = []
    let placeholder: Placeholder

    /// Takes the inline expressions out of `document` (before its cells are replaced), in
    /// document order, each with the cell before it. `markdown` is the text cmark parsed, with
    /// its lines as the `.md` file's (the front matter blanked, math unprotected).
    init(document: OpaquePointer, cellNodes: [OpaquePointer], markdown: String, placeholder: Placeholder, path: String) throws {
        self.placeholder = placeholder
        // Most notebooks have none: no walk through every inline node then.
        guard markdown.utf8.count >= InlineExpression.marker.utf8.count,
              markdown.contains(InlineExpression.marker) else { return }
        let cells = Set(cellNodes.map { UInt(bitPattern: $0) })
        var found: [(node: OpaquePointer, cellIndex: Int?)] = []
        var cellsPassed = 0
        let iterator = cmark_iter_new(document)
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_CODE_BLOCK, cells.contains(UInt(bitPattern: node)) {
                cellsPassed += 1
            } else if type == CMARK_NODE_CODE, case let literal = String(cString: cmark_node_get_literal(node)),
                      literal.hasPrefix(InlineExpression.marker), literal != InlineExpression.marker {
                // `{swift}` alone is code about the syntax, shown as written.
                found.append((node, cellsPassed == 0 ? nil : cellsPassed - 1))
            }
        }
        guard !found.isEmpty else { return }
        let text = Array(markdown.utf8)
        var lineStarts = [0]
        for (offset, byte) in text.enumerated() where byte == 0x0A { lineStarts.append(offset + 1) }
        var cursor = 0
        for (node, cellIndex) in found {
            let literal = String(cString: cmark_node_get_literal(node))
            let source = literal.dropFirst(InlineExpression.marker.count).trimmingCharacters(in: .whitespacesAndNewlines)
            let nodeLine = Self.line(of: node)
            // The code as written: the next `{swift}` after a backtick, from the node's line on.
            let from = max(cursor, lineStarts[min(max(nodeLine, 1), lineStarts.count) - 1])
            let position = Self.findMarker(in: text, from: from, before: Array(source.utf8.prefix(32)))
                ?? Self.findMarker(in: text, from: from, before: []) ?? from
            cursor = position + InlineExpression.marker.utf8.count
            let line = (lineStarts.lastIndex { $0 <= position } ?? 0) + 1
            var start = cursor
            while start < text.count, text[start] == 0x20 || text[start] == 0x09 { start += 1 }
            let lineEnd = line < lineStarts.count ? lineStarts[line] - 1 : text.count
            let lineText = String(decoding: text[lineStarts[line - 1]..<lineEnd], as: UTF8.self)
            guard !source.isEmpty else {
                throw NotebookError(file: path, line: line, "an inline expression '{swift}' with no expression after it",
                                    hint: "write the Swift expression whose value the prose shows: `{swift} answer`")
            }
            let expression = InlineExpression(index: expressions.count, source: source, line: line,
                                              column: min(start, lineEnd) - lineStarts[line - 1] + 1, lineText: lineText,
                                              cellIndex: cellIndex)
            let mark = cmark_node_new(CMARK_NODE_TEXT)
            cmark_node_set_literal(mark, placeholder.token(.inline, expression.index))
            cmark_node_replace(node, mark)
            cmark_node_free(node)
            expressions.append(expression)
        }
    }

    /// A node's line; an inline node cmark gave no position (in a table cell) takes its block's.
    private static func line(of node: OpaquePointer) -> Int {
        var current: OpaquePointer? = node
        while let node = current {
            let line = Int(cmark_node_get_start_line(node))
            if line > 0 { return line }
            current = cmark_node_parent(node)
        }
        return 1
    }

    /// The offset of the next `{swift}` that follows a backtick (spaces between allowed) and is
    /// followed by `expression` (after spaces): where the code was written.
    private static func findMarker(in text: [UInt8], from start: Int, before expression: [UInt8]) -> Int? {
        let marker = Array(InlineExpression.marker.utf8)
        var index = start
        while index + marker.count <= text.count {
            if text[index] == marker[0], Array(text[index..<(index + marker.count)]) == marker {
                var before = index - 1
                while before >= 0, text[before] == 0x20 { before -= 1 }
                var after = index + marker.count
                while after < text.count, text[after] == 0x20 || text[after] == 0x09 { after += 1 }
                if before >= 0, text[before] == UInt8(ascii: "`"), text[after...].starts(with: expression) { return index }
            }
            index += 1
        }
        return nil
    }

    /// `html` with each inline expression's mark replaced by its element.
    func insertElements(_ html: String) -> String {
        replacingMarks(html) { $0.element }
    }

    /// `text` (an attribute's value) with each mark written back as the code it stands for.
    func restoreLiteral(_ text: String) -> String {
        replacingMarks(text) { InlineExpression.marker + " " + $0.source }
    }

    private func replacingMarks(_ text: String, with replacement: (InlineExpression) -> String) -> String {
        guard !expressions.isEmpty else { return text }
        var text = text
        return text.withUTF8 { bytes in
            var output = ""
            var from = 0
            var found = false
            while let match = placeholder.next(in: bytes, from: from, to: bytes.count) {
                guard match.kind == .inline, expressions.indices.contains(match.index) else {
                    output += String(decoding: bytes[from..<match.end], as: UTF8.self)
                    from = match.end
                    continue
                }
                found = true
                output += String(decoding: bytes[from..<match.start], as: UTF8.self)
                output += replacement(expressions[match.index])
                from = match.end
            }
            guard found else { return String(decoding: bytes, as: UTF8.self) }
            return output + String(decoding: bytes[from...], as: UTF8.self)
        }
    }
}
