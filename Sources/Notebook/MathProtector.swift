/// Hides TeX math from cmark, which would otherwise read `$a_1 * b_1$` as emphasis.
///
/// `$...$` (inline) and `$$...$$` (display) in prose are replaced by alphanumeric tokens
/// before cmark parses the Markdown, and the tokens in the rendered HTML are replaced by
/// `<span class="math inline|display">TeX</span>` for KaTeX. Code (fenced, indented and
/// inline backtick spans) is left alone, as is an escaped `\$`. Rules follow pandoc's
/// `tex_math_dollars`: an opening `$` is not followed by a space, a closing `$` is not
/// preceded by a space nor followed by a digit, so "costs $5 and $10" is not math.
/// Line numbers are kept: each newline inside math becomes a padding line removed after
/// rendering.
struct MathProtector {
    struct Span: Equatable {
        var tex: String
        var display: Bool
    }

    private(set) var spans: [Span] = []

    static let padding = "NBRUNMATHPADLINE"

    static func token(_ index: Int) -> String { "NBRUNMATH\(index)END" }

    /// `markdown` with its math replaced by tokens.
    mutating func protect(_ markdown: String) -> String {
        var output = ""
        var prose: [Substring] = []
        var fence: (character: Character, length: Int)?
        var inIndentedCode = false
        var previousBlank = true

        func flushProse() {
            guard !prose.isEmpty else { return }
            output += protectInline(prose.joined(separator: "\n")) + "\n"
            prose.removeAll()
        }

        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix(while: { $0 == " " }).count
            let trimmed = line.drop(while: { $0 == " " })
            let isBlank = trimmed.allSatisfy { $0.isWhitespace }
            if let open = fence {
                output += line + "\n"
                let run = trimmed.prefix(while: { $0 == open.character }).count
                if indent < 4, run >= open.length, trimmed.dropFirst(run).allSatisfy({ $0.isWhitespace }) { fence = nil }
            } else if indent < 4, let character = trimmed.first, character == "`" || character == "~",
                      trimmed.prefix(while: { $0 == character }).count >= 3 {
                flushProse()
                output += line + "\n"
                fence = (character, trimmed.prefix(while: { $0 == character }).count)
                inIndentedCode = false
            } else if (inIndentedCode || previousBlank) && (indent >= 4 || line.hasPrefix("\t")) && !isBlank {
                flushProse()
                output += line + "\n"
                inIndentedCode = true
            } else if inIndentedCode && isBlank {
                output += line + "\n"
            } else {
                inIndentedCode = false
                prose.append(line)
            }
            previousBlank = isBlank
        }
        flushProse()
        output.removeLast()  // the split added one "\n" per line; the text had one fewer
        return output
    }

    /// Replaces the tokens in rendered HTML with math spans for KaTeX.
    func restore(_ html: String) -> String {
        guard !spans.isEmpty || html.contains(Self.padding) else { return html }
        var result = html.replacingOccurrences(of: "\n" + Self.padding, with: "")
            .replacingOccurrences(of: Self.padding, with: "")
        for (index, span) in spans.enumerated().reversed() {
            let html = "<span class=\"math \(span.display ? "display" : "inline")\">\(HTML.escape(span.tex))</span>"
            result = result.replacingOccurrences(of: Self.token(index), with: html)
        }
        return result
    }

    private mutating func protectInline(_ text: String) -> String {
        let characters = Array(text)
        var output = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\\", index + 1 < characters.count {
                output.append(character)
                output.append(characters[index + 1])
                index += 2
            } else if character == "`" {
                let run = characters[index...].prefix(while: { $0 == "`" }).count
                if let close = findBacktickRun(characters, from: index + run, length: run) {
                    output += String(characters[index..<(close + run)])
                    index = close + run
                } else {
                    output += String(repeating: "`", count: run)
                    index += run
                }
            } else if character == "$", index + 1 < characters.count, characters[index + 1] == "$",
                      let close = findDisplayClose(characters, from: index + 2) {
                append(String(characters[(index + 2)..<close]), display: true, to: &output)
                index = close + 2
            } else if character == "$", let close = findInlineClose(characters, from: index + 1) {
                append(String(characters[(index + 1)..<close]), display: false, to: &output)
                index = close + 1
            } else {
                output.append(character)
                index += 1
            }
        }
        return output
    }

    private mutating func append(_ tex: String, display: Bool, to output: inout String) {
        output += Self.token(spans.count)
        spans.append(Span(tex: tex.trimmingWhitespace(), display: display))
        for _ in 0..<tex.filter({ $0 == "\n" }).count { output += "\n" + Self.padding }
    }

    private func findBacktickRun(_ characters: [Character], from start: Int, length: Int) -> Int? {
        var index = start
        while index < characters.count {
            if characters[index] == "`" {
                let run = characters[index...].prefix(while: { $0 == "`" }).count
                if run == length { return index }
                index += run
            } else {
                index += 1
            }
        }
        return nil
    }

    private func findDisplayClose(_ characters: [Character], from start: Int) -> Int? {
        var index = start
        while index + 1 < characters.count {
            if characters[index] == "\\" { index += 2; continue }
            if characters[index] == "$" && characters[index + 1] == "$" { return index > start ? index : nil }
            index += 1
        }
        return nil
    }

    private func findInlineClose(_ characters: [Character], from start: Int) -> Int? {
        guard start < characters.count, !characters[start].isWhitespace, characters[start] != "$" else { return nil }
        var index = start
        var previousNewline = false
        while index < characters.count {
            let character = characters[index]
            if character == "\\" { index += 2; previousNewline = false; continue }
            if character == "`" { return nil }  // a code span starts: this `$` was a dollar
            if character == "\n" {
                if previousNewline { return nil }  // a blank line ends the paragraph
                previousNewline = true
            } else if !character.isWhitespace {
                previousNewline = false
            }
            if character == "$" {
                let beforeIsSpace = characters[index - 1].isWhitespace
                let afterIsDigit = index + 1 < characters.count && characters[index + 1].isNumber
                if !beforeIsSpace && !afterIsDigit { return index }
            }
            index += 1
        }
        return nil
    }
}
