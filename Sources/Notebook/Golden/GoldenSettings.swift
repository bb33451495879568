import Foundation

/// How a cell's output is compared with its golden outputs: the tolerance of its numbers, lines
/// that change from run to run, or no comparison at all.
///
/// Set in the front matter for the whole notebook and in a cell over it:
///
///     golden: {rtol: 1e-3, atol: 1e-6, ignore-lines: ["^seed from the clock"]}
///
///     //| golden: rtol=0.02, atol=0.001
///     //| golden: ignore
///
/// A number `got` matches `expected` when |got - expected| <= atol + rtol * |expected|
/// (NumPy's `isclose`). Numbers followed by a unit of time (`2.3 s`, `15 ms`) or a rate
/// (`812 samples/s`) are timings and never compared.
public struct GoldenSettings: Codable, Sendable, Equatable {
    /// The tolerances when neither the front matter nor the cell gives one. Wide enough for the
    /// last printed digit of a float computed by another BLAS kernel set (the order of its sums
    /// differs), narrow enough that a changed result fails.
    public static let defaultRelativeTolerance = 1e-4
    public static let defaultAbsoluteTolerance = 1e-6

    public var relativeTolerance: Double?
    public var absoluteTolerance: Double?
    /// True: the cell's output is neither recorded nor compared.
    public var ignored: Bool?
    /// Regular expressions: a printed line that one matches is left out of the golden outputs.
    public var ignoredLines: [String]?

    public init(relativeTolerance: Double? = nil, absoluteTolerance: Double? = nil, ignored: Bool? = nil, ignoredLines: [String]? = nil) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.ignored = ignored
        self.ignoredLines = ignoredLines
    }

    public var rtol: Double { relativeTolerance ?? Self.defaultRelativeTolerance }
    public var atol: Double { absoluteTolerance ?? Self.defaultAbsoluteTolerance }
    public var isIgnored: Bool { ignored ?? false }

    /// Whether `got` is within tolerance of `expected` (equal non-finite values match).
    public func matches(_ got: Double, _ expected: Double) -> Bool {
        if got == expected { return true }
        guard got.isFinite, expected.isFinite else { return got.isNaN && expected.isNaN }
        return abs(got - expected) <= atol + rtol * abs(expected)
    }

    /// The patterns of `ignoredLines`, compiled (each was checked when it was read).
    var lineExpressions: [NSRegularExpression] {
        (ignoredLines ?? []).compactMap { try? NSRegularExpression(pattern: $0) }
    }

    /// Sets what a `//| golden:` value says, over what the front matter set: `ignore`, `compare`
    /// (undoing a front matter's `ignore`), or `rtol=X`, `atol=X`, separated by commas.
    ///
    /// - Throws: `CellOptions.Problem` naming what is wrong.
    mutating func apply(_ value: String) throws {
        let items = value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw Self.problem(value) }
        for item in items {
            switch item {
            case "ignore": ignored = true
            case "compare": ignored = false
            default:
                let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
                guard pair.count == 2 else { throw Self.problem(value) }
                try setTolerance(pair[0], pair[1])
            }
        }
    }

    /// Sets `rtol` or `atol` from its written value.
    ///
    /// - Throws: `CellOptions.Problem` when the key is another or the value is not a number >= 0.
    mutating func setTolerance(_ key: String, _ value: String) throws {
        guard let number = Double(value), number >= 0, number.isFinite else {
            throw CellOptions.Problem("golden: \(key) needs a number of 0 or more, got '\(value)'")
        }
        switch key {
        case "rtol": relativeTolerance = number
        case "atol": absoluteTolerance = number
        default: throw CellOptions.Problem("golden: unknown setting '\(key)'", hint: Self.hint)
        }
    }

    /// Checks a volatile line's pattern.
    ///
    /// - Throws: `CellOptions.Problem` with the regular expression's error.
    static func checkPattern(_ pattern: String) throws {
        do {
            _ = try NSRegularExpression(pattern: pattern)
        } catch {
            throw CellOptions.Problem("golden: ignore-lines: '\(pattern)' is not a regular expression",
                                      hint: "give ICU regular expressions, e.g. \"^seed: \"")
        }
    }

    static let hint = "in a cell: //| golden: ignore, or //| golden: rtol=1e-3, atol=1e-6; in the front matter: golden: {rtol: 1e-3, atol: 1e-6, ignore-lines: [\"pattern\"]}"

    private static func problem(_ value: String) -> CellOptions.Problem {
        CellOptions.Problem("option 'golden' needs ignore, compare, or rtol=X and atol=X separated by commas, got '\(value)'", hint: hint)
    }
}
