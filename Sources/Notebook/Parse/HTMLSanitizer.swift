import Foundation

/// An allow-list filter for HTML that did not come from nbrun: the prose cmark-gfm renders (raw
/// HTML and Markdown links included) and `DisplayItem.html` from cells.
///
/// The input is read as a browser tokenises it, and written again from what was read, so the
/// browser sees only what passed: allowed tags with allowed attributes, values quoted and
/// escaped, URLs with an allowed scheme (`http`, `https`, `mailto` or none), text, entities. A
/// tag that is not allowed is written as text (`&lt;svg onload=...&gt;`), so the author sees what
/// was dropped; an attribute that is not allowed (every `on...` handler, `style`, `class`, `id`)
/// is left out; a `<` that does not start a complete tag is text; comments go. End tags close only
/// elements the same input opened, and every element is closed explicitly, where a browser would
/// close it without an end tag too (`<li>` after `<li>`, `<div>` after `<p>`, `<a>` in `<a>`,
/// `</h2>` for an `<h1>`): so the browser's open elements stay those counted here, and prose cannot close the
/// report's own (which are, besides, of kinds prose may not use: `<main>`, `<article>`, `<section>`).
///
/// It works on UTF-8 bytes in one pass, in time proportional to the input.
struct HTMLSanitizer {
    /// Rewrites an attribute value (decoded) or the text of a tag shown as text, before it is
    /// checked and escaped.
    var rewriteLiteral: (String) -> String = { $0 }

    /// An element that may appear.
    struct Element {
        var name: String
        var nameBytes: [UInt8] { Array(name.utf8) }
        /// The attributes it may keep, besides `globalAttributes`.
        var attributes: Set<String>
        /// No content nor end tag: written `<br />`, as cmark writes it.
        var isVoid = false
        /// A browser closes an open `<p>` before it (HTML's "close a p element").
        var closesParagraph = false
        /// One of HTML's "special" elements: a `<li>` closes an open `<li>` only through elements
        /// that are not special (or are `div` or `p`).
        var isSpecial = false
        var isHeading = false
    }

    static let elements: [Element] = {
        let attributes: [String: Set<String>] = [
            "a": ["href"], "img": ["src", "alt", "width", "height"], "code": ["class"],
            "ol": ["start", "reversed", "type"], "li": ["value"], "details": ["open"],
            "td": ["align", "colspan", "rowspan"], "th": ["align", "colspan", "rowspan", "scope"],
            "input": ["type", "checked", "disabled"], "p": ["align"], "div": ["align"], "table": ["align"],
            "tr": ["align"], "h1": ["align"], "h2": ["align"], "h3": ["align"], "h4": ["align"], "h5": ["align"], "h6": ["align"],
        ]
        let names = ["a", "abbr", "b", "bdi", "bdo", "big", "blockquote", "br", "center", "cite", "code", "dd", "del",
                     "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
                     "hr", "i", "img", "input", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
                     "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
                     "tr", "tt", "u", "ul", "var", "wbr"]
        let void: Set<String> = ["br", "hr", "img", "input", "wbr"]
        let headings: Set<String> = ["h1", "h2", "h3", "h4", "h5", "h6"]
        let closesParagraph = headings.union(["blockquote", "center", "details", "div", "dl", "dd", "dt", "figcaption",
                                              "figure", "hr", "li", "ol", "p", "pre", "summary", "table", "ul"])
        let special = headings.union(["blockquote", "br", "center", "dd", "details", "div", "dl", "dt", "figcaption",
                                      "figure", "hr", "img", "input", "li", "ol", "p", "pre", "summary", "table", "tbody",
                                      "td", "tfoot", "th", "thead", "tr", "ul", "wbr"])
        return names.map { name in
            Element(name: name, attributes: attributes[name] ?? [], isVoid: void.contains(name),
                    closesParagraph: closesParagraph.contains(name), isSpecial: special.contains(name),
                    isHeading: headings.contains(name))
        }
    }()

    /// Each allowed element's index in `elements`, by name.
    static let elementIndex: [String: Int] = Dictionary(uniqueKeysWithValues: elements.enumerated().map { ($1.name, $0) })
    /// The same for names of up to 8 bytes, keyed by their bytes packed in a number (a lookup that
    /// costs little in unoptimised builds, for the `<p>` and `</em>` that make most of the tags).
    static let packedElementIndex: [UInt64: Int] = {
        var index: [UInt64: Int] = [:]
        for (position, element) in elements.enumerated() where element.name.utf8.count <= 8 {
            var key: UInt64 = 0
            for (offset, byte) in element.name.utf8.enumerated() { key |= UInt64(byte) << (8 * UInt64(offset)) }
            index[key] = position
        }
        return index
    }()
    static let elementNameBytes: [[UInt8]] = elements.map(\.nameBytes)
    private static func id(_ name: String) -> Int { elementIndex[name]! }
    private static let a = id("a"), p = id("p"), div = id("div"), li = id("li"), dd = id("dd"), dt = id("dt")
    private static let table = id("table"), tr = id("tr"), td = id("td"), th = id("th")
    private static let thead = id("thead"), tbody = id("tbody"), tfoot = id("tfoot"), input = id("input")

    static let globalAttributes: Set<String> = ["title", "lang", "dir"]

    /// URL schemes links may use; images may use `http` and `https` (or none).
    static let linkSchemes: Set<String> = ["http", "https", "mailto"]
    static let imageSchemes: Set<String> = ["http", "https"]

    /// `html` with everything not allowed removed or shown as text.
    func sanitize(_ html: String) -> String {
        sanitize(html, checkpoint: {})
    }

    /// `sanitize(html)`, calling `checkpoint` every few thousand tags (to stop on Ctrl-C).
    func sanitize(_ html: String, checkpoint: () throws -> Void) rethrows -> String {
        var html = html
        return try html.withUTF8 { bytes in
            let output = ByteWriter(capacity: bytes.count + bytes.count / 4)
            var open: [Int] = []
            var index = 0
            var tags = 0
            while index < bytes.count {
                let lessThan = Self.find(UInt8(ascii: "<"), in: bytes, from: index)
                if lessThan > index { output.append(Self.slice(bytes, index, lessThan)) }
                guard lessThan < bytes.count else { break }
                tags += 1
                if tags % 4096 == 0 { try checkpoint() }
                index = handleMarkup(at: lessThan, in: bytes, output: output, open: &open)
            }
            Self.close(from: 0, open: &open, output: output)
            return output.string
        }
    }

    /// Reads what starts at `start` (a `<`), writes it or its escaped text, and returns where to go on.
    private func handleMarkup(at start: Int, in bytes: UnsafeBufferPointer<UInt8>, output: ByteWriter,
                              open: inout [Int]) -> Int {
        let next = start + 1 < bytes.count ? bytes[start + 1] : 0
        // Comments: dropped whole (the report shows nothing of them either way).
        if next == UInt8(ascii: "!"), Self.hasPrefix("<!--", in: bytes, at: start) {
            let end = Self.find("-->", in: bytes, from: start + 2)
            if end < bytes.count { return end + 3 }
        }
        if let simple = Self.readSimpleTag(at: start, in: bytes), simple.element != Self.input {
            let element = simple.element
            if simple.isEnd {
                closeEnd(element, open: &open, output: output)
            } else {
                Self.closeImplicitly(before: element, open: &open, output: output)
                output.append(UInt8(ascii: "<"))
                output.append(Self.elementNameBytes[element])
                if Self.elements[element].isVoid {
                    output.append(" />")
                } else {
                    output.append(UInt8(ascii: ">"))
                    open.append(element)
                }
            }
            return simple.end
        }
        guard let tag = Self.readTag(at: start, in: bytes) else {
            // Not a tag (`a < b`, `<!DOCTYPE`, `<?`, a tag cut off by the end of the input): text.
            Self.append("&lt;", to: output)
            return start + 1
        }
        guard let element = Self.elementIndex[tag.name], element != Self.input || tag.isCheckbox else {
            let source = String(decoding: Self.slice(bytes, start, tag.end), as: UTF8.self)
            Self.append(HTML.escape(rewriteLiteral(source)), to: output)
            return tag.end
        }
        let info = Self.elements[element]
        if tag.isEnd {
            closeEnd(element, open: &open, output: output)
            return tag.end
        }
        Self.closeImplicitly(before: element, open: &open, output: output)
        output.append(UInt8(ascii: "<"))
        Self.append(info.name, to: output)
        var seen: Set<String> = []
        for (name, rawValue) in tag.attributes where seen.insert(name).inserted {
            guard info.attributes.contains(name) || Self.globalAttributes.contains(name),
                  let value = checkedValue(of: name, rawValue, element: element) else { continue }
            Self.append(" \(name)=\"\(HTML.escape(value))\"", to: output)
        }
        if element == Self.input, !seen.contains("disabled") { Self.append(" disabled=\"\"", to: output) }
        if info.isVoid {
            Self.append(" />", to: output)
        } else {
            output.append(UInt8(ascii: ">"))
            open.append(element)
        }
        return tag.end
    }

    /// An end tag: only for an element this input opened (`</div>` cannot close the report's
    /// page); `</h2>` closes whatever heading is open, as in a browser.
    private func closeEnd(_ element: Int, open: inout [Int], output: ByteWriter) {
        var position = open.count - 1
        let heading = Self.elements[element].isHeading
        while position >= 0, heading ? !Self.elements[open[position]].isHeading : open[position] != element { position -= 1 }
        if position >= 0 { Self.close(from: position, open: &open, output: output) }
    }

    /// `<name>` or `</name>`: a name of up to 8 lowercase letters and digits, no attributes.
    static func readSimpleTag(at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (element: Int, isEnd: Bool, end: Int)? {
        var index = start + 1
        var isEnd = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
            isEnd = true
            index += 1
        }
        let nameStart = index
        var key: UInt64 = 0
        while index < bytes.count, index - nameStart < 8 {
            let byte = bytes[index]
            guard (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) else { break }
            key |= UInt64(byte) << (8 * UInt64(index - nameStart))
            index += 1
        }
        guard index > nameStart, index < bytes.count, bytes[index] == UInt8(ascii: ">"),
              let element = packedElementIndex[key] else { return nil }
        return (element, isEnd, index + 1)
    }

    /// Writes end tags for `open[position...]`, innermost first, and forgets them.
    private static func close(from position: Int, open: inout [Int], output: ByteWriter) {
        while open.count > position {
            output.append(UInt8(ascii: "<"))
            output.append(UInt8(ascii: "/"))
            output.append(elementNameBytes[open.removeLast()])
            output.append(UInt8(ascii: ">"))
        }
    }

    /// Closes, with explicit end tags, what a browser closes when `element` starts without one.
    private static func closeImplicitly(before element: Int, open: inout [Int], output: ByteWriter) {
        guard !open.isEmpty else { return }
        /// The innermost open `target` (or `other`), searching no further than `stop` allows.
        func innermost(_ target: Int, or other: Int = -1, stoppingAt stop: (Int) -> Bool) -> Int? {
            var index = open.count - 1
            while index >= 0 {
                let current = open[index]
                if current == target || current == other { return index }
                if stop(current) { return nil }
                index -= 1
            }
            return nil
        }
        let throughListItems: (Int) -> Bool = { elements[$0].isSpecial && $0 != div && $0 != p }
        var position: Int?
        switch element {
        case li: position = innermost(li, stoppingAt: throughListItems)
        case dd, dt: position = innermost(dd, or: dt, stoppingAt: throughListItems)
        case td, th: position = innermost(td, or: th) { $0 == tr || $0 == table }
        case tr: position = innermost(tr) { $0 == table }
        case thead, tbody, tfoot:
            position = innermost(thead, or: tbody) { $0 == table } ?? innermost(tfoot) { $0 == table }
        case table: position = innermost(table) { $0 == td || $0 == th }  // a table straight inside a table ends it
        case a: position = innermost(a) { $0 == td || $0 == th }  // a link inside a link ends the first
        default: break
        }
        if let position { close(from: position, open: &open, output: output) }
        let info = elements[element]
        if info.closesParagraph, let position = innermost(p, stoppingAt: { $0 == table || $0 == td || $0 == th }) {
            close(from: position, open: &open, output: output)
        }
        if info.isHeading, let last = open.last, elements[last].isHeading {
            close(from: open.count - 1, open: &open, output: output)
        }
    }

    /// The value to write for an allowed attribute, or nil to leave it out.
    private func checkedValue(of name: String, _ raw: String, element: Int) -> String? {
        let value = rewriteLiteral(raw)
        switch name {
        case "href":
            return Self.urlIsAllowed(value, schemes: Self.linkSchemes) ? value : nil
        case "src":
            return Self.urlIsAllowed(value, schemes: Self.imageSchemes) ? value : nil
        case "class":
            // cmark's `language-swift` on fenced code; nothing that could match the report's own classes.
            return value.hasPrefix("language-") && !value.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) ? value : nil
        case "width", "height", "start", "value", "colspan", "rowspan":
            let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
            return !digits.isEmpty && digits.count <= 9 && digits.allSatisfy({ $0.isASCII && $0.isNumber }) ? value : nil
        case "align":
            return ["left", "right", "center", "justify"].contains(value.lowercased()) ? value : nil
        case "dir":
            return ["ltr", "rtl", "auto"].contains(value.lowercased()) ? value : nil
        case "scope":
            return ["row", "col", "rowgroup", "colgroup"].contains(value.lowercased()) ? value : nil
        case "type":
            if element == Self.input { return "checkbox" }
            return ["1", "a", "A", "i", "I"].contains(value) ? value : nil
        case "lang":
            return value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } ? value : nil
        case "open", "checked", "disabled", "reversed":
            return ""
        default:
            return value
        }
    }

    /// Whether a URL (as the browser will read it) has no scheme or one of `schemes`.
    ///
    /// Browsers drop leading spaces and control characters and every tab and newline inside a
    /// URL (`java&#9;script:` is `javascript:`); the scheme is what precedes the first `:` when
    /// no `/`, `?` or `#` comes first.
    static func urlIsAllowed(_ url: String, schemes: Set<String>) -> Bool {
        var scheme: [UInt8] = []
        var leading = true
        for byte in url.utf8 {
            if leading && byte <= 0x20 { continue }
            leading = false
            if byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            if byte == UInt8(ascii: ":") { return schemes.contains(String(decoding: scheme, as: UTF8.self).lowercased()) }
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { return true }
            scheme.append(byte)
        }
        return true
    }

    // MARK: Reading tags

    struct Tag {
        var name: String
        var isEnd: Bool
        var attributes: [(name: String, value: String)]
        /// Just past the closing `>`.
        var end: Int

        var isCheckbox: Bool {
            attributes.first { $0.name == "type" }.map { $0.value.lowercased() == "checkbox" } ?? false
        }
    }

    /// The start or end tag at `start`, read as HTML5's tokenizer reads it; nil when `start`
    /// does not begin one, or when the input ends before its `>`.
    static func readTag(at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Tag? {
        var index = start + 1
        var isEnd = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
            isEnd = true
            index += 1
        }
        guard index < bytes.count, isASCIILetter(bytes[index]) else { return nil }
        let nameStart = index
        while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "/"), bytes[index] != UInt8(ascii: ">") {
            index += 1
        }
        let name = lowercased(slice(bytes, nameStart, index))
        var attributes: [(name: String, value: String)] = []
        while index < bytes.count {
            let byte = bytes[index]
            if isSpace(byte) || byte == UInt8(ascii: "/") { index += 1; continue }
            if byte == UInt8(ascii: ">") {
                return Tag(name: name, isEnd: isEnd, attributes: attributes, end: index + 1)
            }
            // An attribute name runs to a space, `/`, `>` or `=` (its first character may be `=`).
            let attributeStart = index
            index += 1
            while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "/"),
                  bytes[index] != UInt8(ascii: ">"), bytes[index] != UInt8(ascii: "=") {
                index += 1
            }
            let attributeName = lowercased(slice(bytes, attributeStart, index))
            var afterName = index
            while afterName < bytes.count, isSpace(bytes[afterName]) { afterName += 1 }
            guard afterName < bytes.count, bytes[afterName] == UInt8(ascii: "=") else {
                attributes.append((attributeName, ""))
                continue
            }
            index = afterName + 1
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { return nil }
            let quote = bytes[index]
            let valueStart: Int, valueEnd: Int
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                valueStart = index + 1
                valueEnd = find(quote, in: bytes, from: valueStart)
                guard valueEnd < bytes.count else { return nil }
                index = valueEnd + 1
            } else {
                valueStart = index
                while index < bytes.count, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
                valueEnd = index
            }
            attributes.append((attributeName, decodeCharacterReferences(slice(bytes, valueStart, valueEnd))))
        }
        return nil
    }

    /// ASCII letters lowercased (tag and attribute names), the rest as it is.
    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var index = 0
        while index < bytes.count, !(bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z")) { index += 1 }
        guard index < bytes.count else { return String(decoding: bytes, as: UTF8.self) }
        var lower = Array(bytes)
        for index in lower.indices where lower[index] >= UInt8(ascii: "A") && lower[index] <= UInt8(ascii: "Z") {
            lower[index] |= 0x20
        }
        return String(decoding: lower, as: UTF8.self)
    }

    /// Character references in an attribute value, decoded as a browser does: numeric ones and
    /// the common named ones. Any other `&` stays, and is escaped when the value is written, so the
    /// browser reads the same text as this filter checked.
    static func decodeCharacterReferences(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard find(UInt8(ascii: "&"), in: bytes, from: 0) < bytes.count else { return String(decoding: bytes, as: UTF8.self) }
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "&" else { result.append(scalars[index]); index += 1; continue }
            if index + 1 < scalars.count, scalars[index + 1] == "#" {
                var cursor = index + 2
                var radix: UInt32 = 10
                if cursor < scalars.count, scalars[cursor] == "x" || scalars[cursor] == "X" { radix = 16; cursor += 1 }
                let digitsStart = cursor
                var value: UInt32 = 0
                while cursor < scalars.count, let digit = hexValue(scalars[cursor]), digit < radix {
                    value = min(value * radix + digit, 0x110000)
                    cursor += 1
                }
                if cursor > digitsStart {
                    if cursor < scalars.count, scalars[cursor] == ";" { cursor += 1 }
                    result.append(value != 0 ? Unicode.Scalar(value) ?? "\u{FFFD}" : "\u{FFFD}")
                    index = cursor
                    continue
                }
            } else {
                var cursor = index + 1
                var name = ""
                while cursor < scalars.count, scalars[cursor].isASCII, scalars[cursor].properties.isAlphabetic || ("0"..."9").contains(scalars[cursor]),
                      name.unicodeScalars.count < 32 {
                    name.unicodeScalars.append(scalars[cursor])
                    cursor += 1
                }
                if cursor < scalars.count, scalars[cursor] == ";", let decoded = namedReferences[name] {
                    result.append(decoded)
                    index = cursor + 1
                    continue
                }
            }
            result.append("&")
            index += 1
        }
        return String(result)
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": return scalar.value - 0x30
        case "a"..."f": return scalar.value - 0x61 + 10
        case "A"..."F": return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    static let namedReferences: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "Tab": "\t", "NewLine": "\n",
        "colon": ":", "sol": "/", "quest": "?", "num": "#", "lpar": "(", "rpar": ")", "period": ".", "comma": ",",
        "excl": "!", "equals": "=", "percnt": "%", "plus": "+", "semi": ";", "lowbar": "_", "hyphen": "-", "dash": "‐",
        "copy": "©", "reg": "®", "deg": "°", "middot": "·", "times": "×", "divide": "÷", "hellip": "…", "mdash": "—",
        "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "laquo": "«", "raquo": "»",
    ]

    // MARK: Bytes

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    /// `bytes[start..<end]` as a buffer of its own (no `Slice`: its generic code is slow unoptimised).
    static func slice(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        guard let base = bytes.baseAddress, end > start else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: base + start, count: end - start)
    }

    /// The index of the first `byte` at or after `start`, or `bytes.count`.
    static func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(byte), bytes.count - start) else { return bytes.count }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the first `needle` at or after `start`, or `bytes.count`.
    static func find(_ needle: String, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        find(Array(needle.utf8), in: bytes, from: start, to: bytes.count)
    }

    /// The index of the first `needle` in `bytes[start..<end]`, or `end`: `memchr` for its
    /// first byte, then a comparison.
    static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        guard let first = needle.first, let base = bytes.baseAddress else { return start }
        var from = start
        while from + needle.count <= end {
            guard let found = memchr(base + from, Int32(first), end - from - needle.count + 1) else { return end }
            let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + position, needle, needle.count) == 0 { return position }
            from = position + 1
        }
        return end
    }

    static func hasPrefix(_ prefix: String, in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        let pattern = Array(prefix.utf8)
        guard start + pattern.count <= bytes.count, let base = bytes.baseAddress else { return false }
        return memcmp(base + start, pattern, pattern.count) == 0
    }

    static func append(_ text: String, to output: ByteWriter) {
        output.append(text)
    }
}
