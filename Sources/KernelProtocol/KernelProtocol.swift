import Foundation

// The contract between nbrun (the tool) and the programs it generates (which link the
// notebook kernel). Both sides import this module and nothing else defines these types:
// the events the kernel sends while a notebook runs, the display items, the cache entry
// manifest, the cache mode, the environment a program is started with, and the plan the
// tool hands the program (parameters and the static facts the cell cache keys on).
// Everything is `Codable`; `KernelCoding` fixes the JSON settings both sides use.

/// The environment variables the tool sets for a notebook program.
public enum EnvironmentKey {
    /// The file descriptor the kernel writes events to (one JSON line each).
    public static let eventDescriptor = "NBRUN_EVENT_FD"
    /// The folder for per-cell stdout/stderr files (`cell-N.stdout`, `outside.stderr`).
    public static let outputDirectory = "NBRUN_OUTPUT_DIR"
    /// The cache folder (`<output>/.cache`); cell entries live in its `cells/`.
    public static let cacheDirectory = "NBRUN_CACHE_DIR"
    /// The cell cache mode (`CellCacheMode.rawValue`).
    public static let cellCache = "NBRUN_CELL_CACHE"
    /// The path of the `ProgramPlan` JSON.
    public static let plan = "NBRUN_PLAN"
    /// "1": after each cell the kernel sends the content digest of every value the notebook has
    /// bound (`KernelEvent.state`), to compare a restored run with a full one.
    public static let stateTrace = "NBRUN_STATE_TRACE"
}

/// How `cache: true` cells use their entries.
public enum CellCacheMode: String, Codable, Sendable, CaseIterable {
    /// Restore stored cells, store new ones.
    case on
    /// Run cached cells again and overwrite their entries (`--refresh`).
    case refresh
    /// Neither read nor write (`--no-cache`).
    case off
}

/// Something a cell shows besides its printed text.
///
/// The report renders each case and escapes all text; only `.html` is passed through, for
/// engine types that build their own markup.
public enum DisplayItem: Codable, Sendable, Equatable {
    /// Preformatted text.
    case text(String)
    /// A PNG image; `width` is the CSS width to show it at (figures render at 2x); `data`: what a
    /// figure shows, as data (none for other images), which golden outputs compare.
    case png(Data, width: Int? = nil, data: FigureData? = nil)
    /// A table: column headers and rows of cells, all text.
    case table(headers: [String], rows: [[String]])
    /// Trusted HTML (from engine types, never from printed output).
    case html(String)
    /// The value of an inline expression of the prose (`` `{swift} expression` ``), the
    /// notebook's `index`-th, as text: shown in the prose, not under the cell.
    case inline(index: Int, expression: String, value: String)
}

/// One piece of a cell's output, in the order it happened.
public enum CellOutput: Codable, Sendable, Equatable {
    case stdout(String)
    case stderr(String)
    case display(DisplayItem)
}

/// Where `fit` is: sent after each step (at most a few times a second) and at each epoch's end.
public struct TrainingUpdate: Codable, Sendable, Equatable {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    /// The mean loss of the epoch so far.
    public var loss: Float
    /// Set at the end of an epoch: its metrics, and validation loss and metrics if any.
    public var epochEnded: Bool
    public var metrics: [String: Float]
    public var validationLoss: Float?
    public var validationMetrics: [String: Float]
    public var seconds: Double?
    /// False when `fit` was asked not to print (`verbose: false`): the terminal shows nothing of it;
    /// nil or true: it does.
    public var verbose: Bool?

    public init(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Float, epochEnded: Bool = false,
                metrics: [String: Float] = [:], validationLoss: Float? = nil, validationMetrics: [String: Float] = [:],
                seconds: Double? = nil, verbose: Bool? = nil) {
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.epochEnded = epochEnded
        self.metrics = metrics
        self.validationLoss = validationLoss
        self.validationMetrics = validationMetrics
        self.seconds = seconds
        self.verbose = verbose
    }
}

/// One event from a running notebook program, sent as a JSON line on the event descriptor.
public enum KernelEvent: Codable, Sendable, Equatable {
    /// The program started; it has this many cells.
    case start(cellCount: Int)
    /// What the engine runs on, for the report's header: its BLAS library, kernel set and threads.
    case engine(description: String)
    /// A cell began; its output now goes to its own files.
    case begin(cell: Int)
    /// A cell ended without failing.
    case end(cell: Int)
    /// A display item, with the byte offsets of stdout and stderr when it was shown (to
    /// interleave it with printed text).
    case display(cell: Int, item: DisplayItem, stdoutOffset: Int, stderrOffset: Int)
    /// An `error: true` cell threw, as expected.
    case caught(cell: Int, type: String, message: String)
    /// A `check` failed (or a figure could not be drawn): the program stops with status 1.
    case checkFailed(cell: Int, message: String, file: String, line: Int)
    /// Training progress in a cell.
    case progress(cell: Int, update: TrainingUpdate)
    /// A top-level statement that may throw starts at this `.md` line (where an error thrown out
    /// of the cell came from).
    case trying(cell: Int, line: Int)
    /// A cached cell was restored from its entry instead of running.
    case restored(cell: Int, key: String, outputs: [CellOutput], stored: Date, seconds: Double)
    /// A cached cell ran and the kernel stored its entry (whole, under `key`).
    case stored(cell: Int, key: String)
    /// A `cache: true` cell runs instead of being cached, and why.
    case cacheNote(cell: Int, message: String)
    /// A problem with the cache that cost a restore or a store (an unreadable entry).
    case cacheWarning(cell: Int, message: String)
    /// The content digest of every value the notebook has bound, and of the engine's state,
    /// after a cell (sent when `EnvironmentKey.stateTrace` is set).
    case state(cell: Int, values: [ValueDigest])
    /// The program reached its end.
    case finish
}

/// The content of one value the notebook has bound (or of a part of the engine's state), after
/// a cell: what the differential check (`nbrun test --rerun`) compares between a restored run
/// and a full one.
public struct ValueDigest: Codable, Sendable, Equatable {
    /// The name the notebook bound it to; engine state in parentheses, "(random generator)".
    public var name: String
    /// A digest of its content (objects it reaches included), nil when it holds something the
    /// kernel cannot see into (a closure).
    public var digest: String?
    /// Why the value may differ from run to run whatever the cache does (it was computed from
    /// the clock, the system's random numbers...), nil when it may not.
    public var nondeterministic: String?

    public init(name: String, digest: String?, nondeterministic: String? = nil) {
        self.name = name
        self.digest = digest
        self.nondeterministic = nondeterministic
    }
}

/// The JSON settings both sides use (dates as ISO 8601 with fractions of a second).
public enum KernelCoding {
    public static func encoder(sorted: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        encoder.outputFormatting = sorted ? [.sortedKeys] : []
        encoder.nonConformingFloatEncodingStrategy = nonFiniteNumbers
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }

    /// A figure's data may hold NaN and infinities (drawing skips them): JSON has no number for them.
    private static let nonFiniteNumbers = JSONEncoder.NonConformingFloatEncodingStrategy.convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    public static func formatDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: limitingFractionDigits(text))
    }

    /// `text` with at most 9 digits after the seconds' decimal point (a nanosecond; `formatDate`
    /// writes 3). On Linux, ISO8601DateFormatter parses with ICU, which divides by zero (SIGFPE,
    /// the process stops) on a fraction of about 32 digits or more: a damaged `manifest.json`
    /// (`"stored": "2026-01-01T12:00:00.2222…Z"`) stopped `nbrun cache list` and every run that
    /// read the cache. Digits below a nanosecond change nothing that a `Date` can hold.
    static func limitingFractionDigits(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else { return text }
        let fraction = text[text.index(after: dot)...]
        let digits = fraction.prefix { ("0"..."9").contains($0) }
        guard digits.count > 9 else { return text }
        return String(text[...dot]) + digits.prefix(9) + fraction[digits.endIndex...]
    }
}
