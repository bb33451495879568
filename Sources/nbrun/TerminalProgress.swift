import Foundation
import Notebook

/// What `nbrun` shows on stderr while cells run, besides one line per cell.
///
/// On a terminal: each cell's printed output as it appears (indented), and a progress line
/// for training that is rewritten in place until the epoch ends. Elsewhere (CI logs): one line
/// per finished epoch. `--quiet` turns both off.
final class TerminalProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal: Bool
    /// A progress line is on screen, to be cleared before anything else is written.
    private var transient = false

    init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    func install(on options: inout RunOptions) {
        if isTerminal {
            options.onOutput = { [self] _, _, text in output(text) }
        }
        options.onEvent = { [self] event in
            if case .progress(_, let update) = event { progress(update) }
        }
    }

    /// Wraps a one-line-per-cell progress message so it does not mix with a transient line.
    func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        clearTransient()
        write(text + "\n")
    }

    private func output(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        clearTransient()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        // \r-rewritten lines from the program: keep only what a terminal would show last.
        write(lines.map { "    " + ($0.split(separator: "\r").last.map(String.init) ?? "") }.joined(separator: "\n") + "\n")
    }

    private func progress(_ update: TrainingUpdate) {
        // `fit(..., verbose: false)` asked for silence: no epoch line, no progress bar.
        if update.verbose == false { return }
        lock.lock(); defer { lock.unlock() }
        let epoch = "epoch \(update.epoch)/\(update.epochs)"
        if update.epochEnded {
            clearTransient()
            var parts = ["\(epoch): loss \(Self.format(update.loss))"]
            for (name, value) in update.metrics.sorted(by: { $0.key < $1.key }) { parts.append("\(name) \(Self.format(value))") }
            if let validation = update.validationLoss { parts.append("val_loss \(Self.format(validation))") }
            for (name, value) in update.validationMetrics.sorted(by: { $0.key < $1.key }) {
                parts.append("val_\(name) \(Self.format(value))")
            }
            if let seconds = update.seconds { parts.append(String(format: "%.1f s", seconds)) }
            write("    " + parts.joined(separator: ", ") + "\n")
        } else if isTerminal {
            let width = 24
            let done = update.steps > 0 ? min(width, width * update.step / update.steps) : 0
            let bar = String(repeating: "█", count: done) + String(repeating: "░", count: width - done)
            write("\r\u{1B}[2K    \(epoch) \(bar) step \(update.step)/\(update.steps)  loss \(Self.format(update.loss))")
            transient = true
        }
    }

    private func clearTransient() {
        if transient {
            write("\r\u{1B}[2K")
            transient = false
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func format(_ value: Float) -> String {
        String(format: "%.4f", value)
    }
}
