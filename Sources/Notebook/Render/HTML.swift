import Foundation

/// HTML text helpers.
enum HTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`: safe in element content and quoted attributes.
    ///
    /// Control characters other than tab, newline, form feed and carriage return (a NUL printed by
    /// a cell, a stray ESC) are HTML parse errors, and a browser drops or hides them: they show as
    /// their Unicode control pictures (NUL as ␀, ESC as ␛, DEL as ␡).
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\u{0C}", "\r": result.unicodeScalars.append(character)
            case "\u{00}"..."\u{1F}": result.unicodeScalars.append(Unicode.Scalar(0x2400 + character.value)!)
            case "\u{7F}": result.unicodeScalars.append("\u{2421}")
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// Printed text as a terminal shows it: a carriage return goes back to the start of the
    /// line and what follows overwrites it (progress lines), and ANSI escape sequences (colours,
    /// cursor moves) are dropped instead of showing as `[31m` around invisible ESC characters.
    static func terminalText(_ text: String) -> String {
        guard contains("\r", in: text) || contains("\u{1B}", in: text) else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        var line: [Unicode.Scalar] = []
        var column = 0
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "\u{1B}":
                guard index < scalars.count else { break }
                let kind = scalars[index]
                index += 1
                if kind == "[" {  // CSI: parameters and intermediates, then one final byte
                    while index < scalars.count, !(0x40...0x7E).contains(scalars[index].value) { index += 1 }
                    index += 1
                } else if kind == "]" {  // OSC: up to BEL or ESC \
                    while index < scalars.count, scalars[index] != "\u{07}", scalars[index] != "\u{1B}" { index += 1 }
                    if index < scalars.count, scalars[index] == "\u{1B}" { index += 1 }
                    index += 1
                }
            case "\n":
                result.append(contentsOf: line)
                result.append(scalar)
                line.removeAll(keepingCapacity: true)
                column = 0
            case "\r":
                column = 0
            default:
                if column < line.count { line[column] = scalar } else { line.append(scalar) }
                column += 1
            }
        }
        result.append(contentsOf: line)
        return String(result)
    }

    /// A relative URL for a file beside the page: each path segment percent-encoded (a `#` or
    /// `?` in a notebook's name is part of the file name, not a fragment or query), and `./`
    /// before a first segment with a `:`, which would otherwise read as a URL scheme
    /// (`javascript:x_files/...`).
    static func fileURL(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%;")
        let encoded = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
        let first = encoded.prefix { $0 != "/" }
        return first.contains(":") ? "./" + encoded : encoded
    }

    /// Whether `needle` occurs in `text` (a byte search: fast on outputs of megabytes).
    static func contains(_ needle: String, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { HTMLSanitizer.find(needle, in: $0, from: 0) < $0.count }
    }

    /// The byte offsets of the newlines in `text`.
    static func newlineOffsets(in text: String) -> [Int] {
        var text = text
        return text.withUTF8 { bytes in
            var offsets: [Int] = []
            var index = HTMLSanitizer.find(0x0A, in: bytes, from: 0)
            while index < bytes.count {
                offsets.append(index)
                index = HTMLSanitizer.find(0x0A, in: bytes, from: index + 1)
            }
            return offsets
        }
    }

    /// An id for a heading: lowercase letters, digits and `-`.
    static func slug(_ text: String) -> String {
        var slug = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "section" : slug
    }

    /// `stripTags`, but math spans stay, for KaTeX to render (a heading's math in the contents).
    static func stripTagsKeepingMath(_ html: String) -> String {
        var result = ""
        var rest = Substring(html)
        while let open = rest.range(of: "<span class=\"math "), let close = rest[open.upperBound...].range(of: "</span>") {
            result += stripTags(String(rest[..<open.lowerBound]))
            result += rest[open.lowerBound..<close.upperBound]
            rest = rest[close.upperBound...]
        }
        return result + stripTags(String(rest))
    }

    /// Text of an HTML fragment without its tags (entities stay escaped).
    static func stripTags(_ html: String) -> String {
        var text = ""
        var inTag = false
        for character in html {
            if character == "<" { inTag = true } else if character == ">" { inTag = false } else if !inTag { text.append(character) }
        }
        return text
    }
}
