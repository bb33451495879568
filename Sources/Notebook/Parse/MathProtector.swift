import Crypto
import Foundation

/// The marks nbrun writes into a notebook's Markdown while cmark-gfm renders it (math, cells,
/// padding lines), all built on one prefix of 16 capital letters that occurs nowhere in that
/// Markdown: derived from the text's SHA-256 and checked absent, so the author cannot write a
/// mark, not even through an entity (`&#78;...`), which cmark decodes before nbrun reads the HTML.
///
/// A mark is the prefix, a kind letter, and for math, cells and inline expressions the index and `z`:
/// `PREFIXm12z`, `PREFIXc0z`, `PREFIXp`. Letters and digits only, so cmark leaves it whole.
struct Placeholder {
    enum Kind: UInt8 {
        case math = 0x6D  // m
        case cell = 0x63  // c
        case padding = 0x70  // p
        case inline = 0x69  // i: an inline expression (`{swift} x`)
    }

    let prefix: [UInt8]
    /// `prefix` and the kind letter: the start of a math mark, and a whole padding mark.
    let mathHead: [UInt8]
    let padding: [UInt8]

    /// A prefix that does not occur in `text`.
    init(unusedIn text: UnsafeBufferPointer<UInt8>) {
        var seed = Array(SHA256.hash(data: UnsafeRawBufferPointer(text)))
        while true {
            let prefix = seed.prefix(16).map { UInt8(ascii: "A") + $0 % 26 }
            if HTMLSanitizer.find(prefix, in: text, from: 0, to: text.count) == text.count {
                self.prefix = prefix
                mathHead = prefix + [Kind.math.rawValue]
                padding = prefix + [Kind.padding.rawValue]
                return
            }
            seed = Array(SHA256.hash(data: seed))
        }
    }

    func token(_ kind: Kind, _ index: Int = 0) -> String {
        let head = String(decoding: prefix, as: UTF8.self) + String(UnicodeScalar(kind.rawValue))
        return kind == .padding ? head : head + "\(index)z"
    }

    /// A mark found in text: its kind, its index (0 for padding) and where it ends.
    struct Match {
        var kind: Kind
        var index: Int
        var start: Int
        var end: Int
    }

    /// The first mark at or after `start` in `bytes[..<end]`.
    func next(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Match? {
        var from = start
        while from < end {
            let position = HTMLSanitizer.find(prefix, in: bytes, from: from, to: end)
            guard position < end else { return nil }
            var cursor = position + prefix.count
            if cursor < end, let kind = Kind(rawValue: bytes[cursor]) {
                cursor += 1
                if kind == .padding { return Match(kind: kind, index: 0, start: position, end: cursor) }
                var index = 0
                let digits = cursor
                while cursor < end, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39, cursor - digits < 18 {
                    index = index * 10 + Int(bytes[cursor] - 0x30)
                    cursor += 1
                }
                if cursor > digits, cursor < end, bytes[cursor] == UInt8(ascii: "z") {
                    return Match(kind: kind, index: index, start: position, end: cursor + 1)
                }
            }
            from = position + 1
        }
        return nil
    }
}

/// Hides TeX math from cmark, which would otherwise read `$a_1 * b_1$` as emphasis.
///
/// `$...$` (inline) and `$$...$$` (display) in prose are replaced by placeholders before cmark
/// parses the Markdown. Where a placeholder ends up inside an attribute (a link's address, an
/// image's alt text) or a title, `restoreLiteral` writes the TeX back as it was, between dollars;
/// in text, `restore` writes `<span class="math inline|display">TeX</span>` for KaTeX. Code (fenced, indented and inline backtick spans) is
/// left alone, as is an escaped `\$`. Rules follow pandoc's `tex_math_dollars`: an opening `$`
/// is not followed by a space, a closing `$` is not preceded by a space nor followed by a digit,
/// so "costs $5 and $10" is not math. Line numbers are kept: each newline inside math becomes a
/// padding line removed after rendering.
///
/// Everything runs on UTF-8 bytes in time proportional to the text: a `$` that opens nothing is
/// not searched past twice (a failed search's end is remembered), so 50,000 dollars in a 3 MB
/// notebook cost what one pass over it costs.
struct MathProtector {
    struct Span: Equatable {
        var tex: String
        var display: Bool

        /// The TeX escaped for HTML text.
        var html: String {
            for byte in tex.utf8 where byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                return HTML.escape(tex)
            }
            return tex
        }
    }

    private(set) var spans: [Span] = []
    let placeholder: Placeholder

    /// A protector for `text`, whose placeholders cannot occur in it.
    init(for text: String) {
        var text = text
        placeholder = text.withUTF8 { Placeholder(unusedIn: $0) }
    }

    /// `markdown` with its math replaced by placeholders.
    mutating func protect(_ markdown: String) -> String {
        protect(markdown, checkpoint: {})
    }

    /// `protect(markdown)`, calling `checkpoint` every few thousand lines and every 64 KiB inside
    /// a paragraph (to stop on Ctrl-C).
    mutating func protect(_ markdown: String, checkpoint: () throws -> Void) rethrows -> String {
        var markdown = markdown
        let output = ByteWriter(capacity: markdown.utf8.count + markdown.utf8.count / 8 + 16)
        try markdown.withUTF8 { bytes in
            var fence: (character: UInt8, length: Int)?
            var inIndentedCode = false
            var previousBlank = true
            var proseStart: Int?
            var proseEnd = 0
            var lineStart = 0
            var lineCount = 0

            func flushProse() throws {
                guard let start = proseStart else { return }
                try protectInline(bytes, start, proseEnd, into: output, checkpoint: checkpoint)
                output.append(0x0A)
                proseStart = nil
            }

            while true {
                let lineEnd = HTMLSanitizer.find(0x0A, in: bytes, from: lineStart)
                lineCount += 1
                if lineCount % 4096 == 0 { try checkpoint() }
                var indent = 0
                while lineStart + indent < lineEnd, bytes[lineStart + indent] == 0x20 { indent += 1 }
                let trimmed = lineStart + indent
                let isBlank = Self.isBlank(bytes, trimmed, lineEnd)
                func run(of character: UInt8) -> Int {
                    var end = trimmed
                    while end < lineEnd, bytes[end] == character { end += 1 }
                    return end - trimmed
                }
                func outputLine() { output.append(HTMLSanitizer.slice(bytes, lineStart, lineEnd)); output.append(0x0A) }
                if let open = fence {
                    outputLine()
                    let length = run(of: open.character)
                    if indent < 4, length >= open.length, Self.isBlank(bytes, trimmed + length, lineEnd) { fence = nil }
                } else if indent < 4, trimmed < lineEnd, bytes[trimmed] == UInt8(ascii: "`") || bytes[trimmed] == UInt8(ascii: "~"),
                          run(of: bytes[trimmed]) >= 3 {
                    try flushProse()
                    outputLine()
                    fence = (bytes[trimmed], run(of: bytes[trimmed]))
                    inIndentedCode = false
                } else if (inIndentedCode || previousBlank) && (indent >= 4 || (lineStart < lineEnd && bytes[lineStart] == 0x09)) && !isBlank {
                    try flushProse()
                    outputLine()
                    inIndentedCode = true
                } else if inIndentedCode && isBlank {
                    outputLine()
                } else {
                    inIndentedCode = false
                    if proseStart == nil { proseStart = lineStart }
                    proseEnd = lineEnd
                }
                previousBlank = isBlank
                if lineEnd >= bytes.count { break }
                lineStart = lineEnd + 1
            }
            try flushProse()
        }
        output.removeLast()  // one "\n" per line was added; the text had one fewer
        return output.string
    }

    /// Copies `bytes` to `output` with each math placeholder written by `writeMath` and the
    /// padding lines removed. Cell and inline-expression placeholders are left for the parser.
    private func appendReplacingPlaceholders(_ bytes: UnsafeBufferPointer<UInt8>, to output: ByteWriter,
                                             writeMath: (Span, ByteWriter) -> Void,
                                             checkpoint: () throws -> Void) rethrows {
        var from = 0
        var count = 0
        while let match = placeholder.next(in: bytes, from: from, to: bytes.count) {
            count += 1
            if count % 4096 == 0 { try checkpoint() }
            output.append(HTMLSanitizer.slice(bytes, from, match.start))
            switch match.kind {
            case .padding:
                if output.last == 0x0A { output.removeLast() }
            case .math where spans.indices.contains(match.index):
                writeMath(spans[match.index], output)
            default:
                output.append(HTMLSanitizer.slice(bytes, match.start, match.end))
            }
            from = match.end
        }
        output.append(HTMLSanitizer.slice(bytes, from, bytes.count))
    }

    private static let inlineOpen = "<span class=\"math inline\">"
    private static let displayOpen = "<span class=\"math display\">"
    private static let spanClose = "</span>"

    /// `html` with the math placeholders in its text as math spans: HTML in which no placeholder
    /// is left inside a tag (the prose after `HTMLSanitizer`, a title made safe with `HTML.escape`).
    func restore(_ html: String) -> String {
        restore(html, checkpoint: {})
    }

    /// `restore(html)`, calling `checkpoint` every few thousand placeholders (to stop on Ctrl-C).
    func restore(_ html: String, checkpoint: () throws -> Void) rethrows -> String {
        var html = html
        let output = ByteWriter(capacity: html.utf8.count + spans.count * 40)
        try html.withUTF8 { bytes in
            try appendReplacingPlaceholders(bytes, to: output, writeMath: { span, output in
                output.append(span.display ? Self.displayOpen : Self.inlineOpen)
                output.append(span.html)
                output.append(Self.spanClose)
            }, checkpoint: checkpoint)
        }
        return output.string
    }

    /// `text` with each math placeholder written back as the TeX between dollars (where math
    /// cannot be rendered: attribute values, the page title) and the padding lines removed.
    func restoreLiteral(_ text: String) -> String {
        var copy = text
        let output = ByteWriter()
        copy.withUTF8 { bytes in
            appendReplacingPlaceholders(bytes, to: output, writeMath: { span, output in
                let dollars = span.display ? "$$" : "$"
                output.append(dollars + span.tex + dollars)
            }, checkpoint: {})
        }
        return output.string
    }

    // MARK: Inline math

    /// Where an earlier search found nothing: a later one from before there would find nothing either.
    private struct Memo {
        var inlineFailsBefore = -1
        var displayFailsFrom = Int.max
        var backtickFailsFrom: [Int: Int] = [:]
    }

    private mutating func protectInline(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                                        into output: ByteWriter, checkpoint: () throws -> Void) rethrows {
        var memo = Memo()
        var index = start
        var nextCheck = start + 65_536
        while index < end {
            if index >= nextCheck {
                try checkpoint()
                nextCheck = index + 65_536
            }
            // Bytes that start nothing are copied in runs.
            var plain = index
            while plain < end, bytes[plain] != UInt8(ascii: "\\"), bytes[plain] != UInt8(ascii: "`"), bytes[plain] != UInt8(ascii: "$") {
                plain += 1
            }
            if plain > index {
                output.append(HTMLSanitizer.slice(bytes, index, plain))
                index = plain
                continue
            }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\"), index + 1 < end {
                output.append(byte)
                output.append(bytes[index + 1])
                index += 2
            } else if byte == UInt8(ascii: "`") {
                var run = 0
                while index + run < end, bytes[index + run] == UInt8(ascii: "`") { run += 1 }
                if let close = findBacktickRun(bytes, from: index + run, to: end, length: run, memo: &memo) {
                    output.append(HTMLSanitizer.slice(bytes, index, close + run))
                    index = close + run
                } else {
                    output.append(HTMLSanitizer.slice(bytes, index, index + run))
                    index += run
                }
            } else if byte == UInt8(ascii: "$"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "$"),
                      let close = findDisplayClose(bytes, from: index + 2, to: end, memo: &memo) {
                append(bytes, (index + 2)..<close, display: true, to: output)
                index = close + 2
            } else if byte == UInt8(ascii: "$"), let close = findInlineClose(bytes, from: index + 1, to: end, memo: &memo) {
                append(bytes, (index + 1)..<close, display: false, to: output)
                index = close + 1
            } else {
                output.append(byte)
                index += 1
            }
        }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, display: Bool, to output: ByteWriter) {
        // The TeX without the whitespace around it.
        var start = range.lowerBound, end = range.upperBound
        while start < end, Self.isWhitespace(bytes, at: start, end) { start += Self.scalarLength(bytes[start]) }
        while end > start, Self.isWhitespace(before: end, bytes) {
            end -= 1
            while end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        }
        output.append(placeholder.mathHead)
        output.append(String(spans.count))
        output.append(UInt8(ascii: "z"))
        spans.append(Span(tex: String(decoding: HTMLSanitizer.slice(bytes, start, end), as: UTF8.self), display: display))
        var newline = HTMLSanitizer.find(0x0A, in: bytes, from: range.lowerBound)
        while newline < range.upperBound {
            output.append(0x0A)
            output.append(placeholder.padding)
            newline = HTMLSanitizer.find(0x0A, in: bytes, from: newline + 1)
        }
    }

    /// The start of the next run of exactly `length` backticks.
    private func findBacktickRun(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, length: Int,
                                 memo: inout Memo) -> Int? {
        if let failed = memo.backtickFailsFrom[length], start >= failed { return nil }
        var index = start
        while index < end {
            if bytes[index] == UInt8(ascii: "`") {
                var run = 0
                while index + run < end, bytes[index + run] == UInt8(ascii: "`") { run += 1 }
                if run == length { return index }
                index += run
            } else {
                index += 1
            }
        }
        memo.backtickFailsFrom[length] = start
        return nil
    }

    /// The start of the `$$` closing display math opened just before `start`.
    private func findDisplayClose(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, memo: inout Memo) -> Int? {
        if start >= memo.displayFailsFrom { return nil }
        var index = start
        while index + 1 < end {
            if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
            if bytes[index] == UInt8(ascii: "$") && bytes[index + 1] == UInt8(ascii: "$") { return index > start ? index : nil }
            index += 1
        }
        memo.displayFailsFrom = start
        return nil
    }

    /// The `$` closing inline math opened just before `start`, if the paragraph has one.
    private func findInlineClose(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, memo: inout Memo) -> Int? {
        guard start < end, !Self.isWhitespace(bytes, at: start, end), bytes[start] != UInt8(ascii: "$") else { return nil }
        if start < memo.inlineFailsBefore { return nil }
        var index = start
        var previousNewline = false
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") { index += 2; previousNewline = false; continue }
            if byte == UInt8(ascii: "`") { break }  // a code span starts: this `$` was a dollar
            if byte == 0x0A {
                if previousNewline { break }  // a blank line ends the paragraph
                previousNewline = true
            } else if !Self.isWhitespace(bytes, at: index, end) {
                previousNewline = false
            }
            if byte == UInt8(ascii: "$") {
                let beforeIsSpace = Self.isWhitespace(before: index, bytes)
                let afterIsDigit = index + 1 < end && Self.isNumber(bytes, at: index + 1, end)
                if !beforeIsSpace && !afterIsDigit { return index }
            }
            index += byte < 0x80 ? 1 : Self.scalarLength(byte)
        }
        memo.inlineFailsBefore = index
        return nil
    }

    // MARK: UTF-8

    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    /// The Unicode scalar starting at `index` (a lead byte).
    static func scalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ end: Int) -> Unicode.Scalar? {
        let length = min(scalarLength(bytes[index]), end - index)
        var decoder = UTF8()
        var iterator = bytes[index..<(index + length)].makeIterator()
        if case .scalarValue(let scalar) = decoder.decode(&iterator) { return scalar }
        return nil
    }

    static func isWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ end: Int) -> Bool {
        let byte = bytes[index]
        if byte < 0x80 { return byte == 0x20 || (0x09...0x0D).contains(byte) }
        return scalar(bytes, at: index, end)?.properties.isWhitespace ?? false
    }

    /// Whether the character just before `index` is whitespace.
    static func isWhitespace(before index: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var lead = index - 1
        while lead > 0, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        return isWhitespace(bytes, at: lead, index)
    }

    static func isNumber(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, _ end: Int) -> Bool {
        let byte = bytes[index]
        if byte < 0x80 { return byte >= 0x30 && byte <= 0x39 }
        return scalar(bytes, at: index, end)?.properties.numericType != nil
    }

    /// Whether `bytes[start..<end]` holds only whitespace.
    static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = start
        while index < end {
            guard isWhitespace(bytes, at: index, end) else { return false }
            index += scalarLength(bytes[index])
        }
        return true
    }
}
