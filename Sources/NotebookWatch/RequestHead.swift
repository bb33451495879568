import Foundation

/// An HTTP/1.1 request's head: its request line and header fields, as `RequestHeadReader` read
/// them. Field names are lowercased; a field sent twice appears twice.
struct RequestHead: Equatable {
    var method: String
    /// The request target as sent: `/`, `/?token=...`, `/events`.
    var target: String
    var version: String
    var fields: [Field]

    struct Field: Equatable {
        var name: String
        var value: String
    }

    /// The target without its query.
    var path: Substring { target.prefix { $0 != "?" } }

    /// The query's parameters named `name`, not percent-decoded (nbrun's values never need it).
    func queryValues(_ name: String) -> [Substring] {
        guard let mark = target.firstIndex(of: "?") else { return [] }
        return target[target.index(after: mark)...].split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 && parts[0] == name ? parts[1] : nil
        }
    }

    /// The values of the fields named `name` (lowercase).
    func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// The value of the field named `name` when it is sent exactly once.
    func single(_ name: String) -> String? {
        let found = values(name)
        return found.count == 1 ? found[0] : nil
    }

    /// The cookies sent under `name`, from every `Cookie` field (`a=1; b=2`).
    func cookies(_ name: String) -> [Substring] {
        values("cookie").flatMap { $0.split(separator: ";") }.compactMap { pair in
            let trimmed = pair.drop { $0 == " " || $0 == "\t" }
            let parts = trimmed.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 && parts[0] == name ? parts[1] : nil
        }
    }

    /// Whether a header field lists `token` (case-insensitively) in its comma-separated value:
    /// `Connection: keep-alive, Upgrade` lists `upgrade`.
    func lists(_ name: String, _ token: String) -> Bool {
        values(name).contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == token }
        }
    }
}

/// Reads a request's head from the bytes of a connection as they arrive, within fixed limits
/// and in time linear in what it is given: each byte is looked at once, and a head over a limit
/// is refused as soon as the limit is passed, without reading the rest.
///
/// The limits are those of common servers (nginx and Node allow an 8 KB request line, and 8 to
/// 16 KB of header fields): the live page's own requests take a few hundred bytes.
struct RequestHeadReader {
    static let maxRequestLineBytes = 8 * 1024
    static let maxHeadBytes = 32 * 1024
    static let maxFieldCount = 100

    enum Progress: Equatable {
        /// The head is not complete yet.
        case incomplete
        /// The head, and the bytes that came after it.
        case complete(RequestHead, rest: [UInt8])
        /// Over a limit, or not HTTP/1.x: why.
        case refused(String)
    }

    private var buffer: [UInt8] = []
    /// Where the line being read starts.
    private var lineStart = 0
    /// The lines read so far, as ranges of `buffer` without their line end.
    private var lines: [Range<Int>] = []

    /// Whether any byte arrived (a connection closed before sending anything is not a refusal).
    var hasStarted: Bool { !buffer.isEmpty }

    /// The start of the request line, for the terminal's line about a refused request.
    var start: String {
        String(decoding: buffer.prefix(120).prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
    }

    /// Adds bytes just read; says whether the head is complete, needs more, or is refused.
    mutating func add(_ bytes: some Collection<UInt8>) -> Progress {
        var index = buffer.count
        buffer.append(contentsOf: bytes)
        while index < buffer.count {
            guard let newline = buffer[index...].firstIndex(of: 0x0A) else { break }
            var end = newline
            if end > lineStart, buffer[end - 1] == 0x0D { end -= 1 }
            if lines.isEmpty, end - lineStart > Self.maxRequestLineBytes { return .refused(Self.requestLineTooLong) }
            if newline + 1 > Self.maxHeadBytes { return .refused(Self.headTooLarge) }
            if end == lineStart, !lines.isEmpty {
                return parse(rest: Array(buffer[(newline + 1)...]))
            }
            if end > lineStart || !lines.isEmpty { lines.append(lineStart..<end) }  // a blank line before the request line is skipped
            if lines.count > Self.maxFieldCount + 1 { return .refused("more than \(Self.maxFieldCount) header fields") }
            lineStart = newline + 1
            index = newline + 1
        }
        if lines.isEmpty, buffer.count - lineStart > Self.maxRequestLineBytes + 1 { return .refused(Self.requestLineTooLong) }
        if buffer.count > Self.maxHeadBytes { return .refused(Self.headTooLarge) }
        return .incomplete
    }

    static let requestLineTooLong = "a request line longer than \(maxRequestLineBytes / 1024) KB"
    static let headTooLarge = "header fields longer than \(maxHeadBytes / 1024) KB"

    private func parse(rest: [UInt8]) -> Progress {
        let requestLine = text(lines[0])
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenCharacter),
              parts[1].hasPrefix("/"), parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            return .refused("not an HTTP/1.1 request line")
        }
        var fields: [RequestHead.Field] = []
        for range in lines.dropFirst() {
            let line = text(range)
            // A line starting with a space continues the field before it (obsolete folding),
            // which RFC 9112 lets a server refuse: two readers could disagree on it.
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  line[..<colon].allSatisfy(Self.isTokenCharacter) else {
                return .refused("a malformed header field")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            fields.append(RequestHead.Field(name: line[..<colon].lowercased(), value: value))
        }
        return .complete(RequestHead(method: String(parts[0]), target: String(parts[1]), version: String(parts[2]), fields: fields),
                         rest: rest)
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: buffer[range], as: UTF8.self)
    }

    /// RFC 9110's `tchar`: what a method or a field name is made of.
    private static func isTokenCharacter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (0x30...0x39).contains(ascii) || (0x41...0x5A).contains(ascii) || (0x61...0x7A).contains(ascii)
            || "!#$%&'*+-.^_`|~".utf8.contains(ascii)
    }
}
