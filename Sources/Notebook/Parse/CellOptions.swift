/// Per-cell options, written as `//| key: value` lines at the top of a cell (Quarto's syntax
/// with Swift's comment) or as notebook-wide defaults in the front matter.
public struct CellOptions: Codable, Sendable, Equatable {
    /// A name for the cell, used in progress lines, the table of contents and errors.
    public var label: String?
    /// `false`: the cell is shown but neither compiled nor run.
    public var eval = true
    /// `false`: the cell's code is hidden in the report.
    public var echo = true
    /// `false`: the cell's output and figures are hidden in the report.
    public var output = true
    /// `true`: the cell is expected to throw; its error is shown and the run goes on.
    public var error = false
    /// Seconds the cell may run before the program is killed.
    public var timeout: Double?
    /// `true`: the cell's results may be reused across runs (see the README's cache section).
    public var cache = false
    /// A Swift expression whose value is added to the cell's cache key, evaluated before the cell
    /// runs: what the cell reads that nbrun cannot see (knitr's `cache.extra`), e.g.
    /// `fileHash("data.csv")` or `ProcessInfo.processInfo.environment["SEED"]`.
    public var cacheExtra: String?
    /// Default figure size in pixels for figures made in this cell.
    public var figWidth: Int?
    public var figHeight: Int?
    /// How the cell's output is compared with its golden outputs (`nbrun test`); nil: as the
    /// defaults say.
    public var golden: GoldenSettings?

    public init() {}

    /// The option keys, as written in `//|` lines and front matter.
    public static let keys = ["label", "eval", "echo", "output", "error", "timeout", "cache", "cache-extra", "fig-width", "fig-height", "golden"]

    /// Sets option `key` from its written value.
    ///
    /// - Throws: `CellOptions.Problem` naming the key and what was expected; the caller adds the place.
    public mutating func set(_ key: String, to value: String) throws {
        switch key {
        case "label":
            guard let label = Self.identifierLike(value) else {
                throw Problem("option 'label' needs a name of letters, digits, '-' or '_', got '\(value)'")
            }
            self.label = label
        case "eval": eval = try Self.bool(key, value)
        case "echo": echo = try Self.bool(key, value)
        case "output": output = try Self.bool(key, value)
        case "error": error = try Self.bool(key, value)
        case "cache": cache = try Self.bool(key, value)
        case "cache-extra":
            guard !value.trimmingWhitespace().isEmpty else {
                throw Problem("option 'cache-extra' needs a Swift expression, e.g. fileHash(\"data.csv\")")
            }
            cacheExtra = value
        case "timeout":
            guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
                throw Problem("option 'timeout' needs a positive number of seconds, got '\(value)'")
            }
            timeout = seconds
        case "fig-width": figWidth = try Self.pixels(key, value)
        case "fig-height": figHeight = try Self.pixels(key, value)
        case "golden":
            var settings = golden ?? GoldenSettings()
            try settings.apply(value)
            golden = settings
        default:
            throw Problem("unknown cell option '\(key)'", hint: "known options: \(Self.keys.joined(separator: ", "))")
        }
    }

    /// Why an option could not be set.
    public struct Problem: Error, Sendable {
        public var message: String
        public var hint: String?
        init(_ message: String, hint: String? = nil) {
            self.message = message
            self.hint = hint
        }
    }

    private static func bool(_ key: String, _ value: String) throws -> Bool {
        switch value {
        case "true": return true
        case "false": return false
        default: throw Problem("option '\(key)' needs true or false, got '\(value)'")
        }
    }

    private static func pixels(_ key: String, _ value: String) throws -> Int {
        guard let pixels = Int(value), pixels > 0, pixels <= 10_000 else {
            throw Problem("option '\(key)' needs a whole number of pixels from 1 to 10000, got '\(value)'")
        }
        return pixels
    }

    private static func identifierLike(_ value: String) -> String? {
        guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return value
    }
}

extension CellOptions {
    /// One `//| key: value` line found at the top of a cell.
    struct Line {
        var key: String
        var value: String
        var offset: Int  // 0-based line within the cell
        /// The value as written, quotes kept (`cache-extra` is Swift code).
        var raw: String = ""
    }

    /// The leading `//|` lines of `source`. Parsing stops at the first other line.
    static func optionLines(in source: String) -> [Line] {
        var lines: [Line] = []
        for (offset, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = raw.drop(while: { $0 == " " || $0 == "\t" })
            guard text.hasPrefix("//|") else { break }
            let body = text.dropFirst(3)
            if let colon = body.firstIndex(of: ":") {
                let key = body[..<colon].trimmingWhitespace()
                var value = body[body.index(after: colon)...].trimmingWhitespace()
                if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                    value = String(value.dropFirst().dropLast())
                }
                lines.append(Line(key: key, value: value, offset: offset, raw: body[body.index(after: colon)...].trimmingWhitespace()))
            } else {
                lines.append(Line(key: body.trimmingWhitespace(), value: "", offset: offset))
            }
        }
        return lines
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}

extension String {
    func trimmingWhitespace() -> String { self[...].trimmingWhitespace() }
}
