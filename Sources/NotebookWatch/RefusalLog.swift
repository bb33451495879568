import Foundation

/// The terminal's lines about refused requests: one per refusal, at most `burst` in any
/// `interval`, so that a page sending thousands of requests cannot fill the terminal; the ones
/// left out are counted in one line when the interval ends (`flush`) or the next line is
/// printed. What a request sent is shown cut short and with control characters escaped, so a
/// request cannot write escape sequences to the terminal.
final class RefusalLog: @unchecked Sendable {
    private let lock = NSLock()
    private let burst: Int
    private let interval: TimeInterval
    private let now: @Sendable () -> Date
    private let write: @Sendable (String) -> Void
    private var windowStart: Date?
    private var printed = 0
    private var leftOut = 0

    init(burst: Int = 5, interval: TimeInterval = 10, now: @escaping @Sendable () -> Date = Date.init,
         write: @escaping @Sendable (String) -> Void) {
        self.burst = burst
        self.interval = interval
        self.now = now
        self.write = write
    }

    /// A request was refused: `request` is what it asked for (`GET /events`), `reason` why,
    /// `answer` what the client got.
    func refused(_ request: String, _ reason: String, answer: String = "403") {
        lock.lock(); defer { lock.unlock() }
        let time = now()
        endWindowIfOver(at: time)
        if windowStart == nil { windowStart = time }
        guard printed < burst else {
            leftOut += 1
            return
        }
        printed += 1
        write("\(Self.clock(time)) refused \(Self.shown(request)): \(Self.shown(reason)) (\(answer))")
    }

    /// Prints the count of refusals left out once their interval is over, or now with `all`
    /// (when the server stops).
    func flush(all: Bool = false) {
        lock.lock(); defer { lock.unlock() }
        endWindowIfOver(at: now(), all: all)
    }

    private func endWindowIfOver(at time: Date, all: Bool = false) {
        guard let start = windowStart, all || time.timeIntervalSince(start) >= interval else { return }
        if leftOut > 0 {
            write("\(Self.clock(time)) refused \(leftOut) more request\(leftOut == 1 ? "" : "s") since \(Self.clock(start)) (not shown one by one)")
        }
        windowStart = nil
        printed = 0
        leftOut = 0
    }

    private static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    /// At most 100 characters; control and format characters as `\u{..}`.
    static func shown(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(100) {
            // Control characters, and format characters (bidirectional overrides) that reorder what the terminal shows.
            if scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80..<0xA0).contains(scalar.value)
                && scalar.properties.generalCategory != .format {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return text.unicodeScalars.count > 100 ? result + "…" : result
    }
}
