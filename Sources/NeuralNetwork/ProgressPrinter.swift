import Foundation

/// Prints training progress: a bar redrawn on a terminal (stderr), a line per epoch otherwise.
final class ProgressPrinter {
    let enabled: Bool, epochs: Int, steps: Int
    /// The metrics' names, in the order of `compile(metrics:)`.
    let metrics: [String]
    let terminal = isatty(fileno(stderr)) != 0
    private var lastDraw: UInt64 = 0

    init(enabled: Bool, epochs: Int, steps: Int, metrics: [String]) {
        self.enabled = enabled
        self.epochs = epochs
        self.steps = steps
        self.metrics = metrics
    }

    func step(epoch: Int, step: Int, loss: Float) {
        guard enabled, terminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if step != steps && now - lastDraw < 100_000_000 { return }
        lastDraw = now
        let width = 30, done = width * step / max(steps, 1)
        let bar = String(repeating: "=", count: done) + String(repeating: " ", count: width - done)
        fputs("\repoch \(epoch)/\(epochs) [\(bar)] \(step)/\(steps) loss \(format(loss))", stderr)
    }

    func epochEnded(_ record: EpochRecord) {
        guard enabled else { return }
        if terminal { fputs("\r\u{1B}[K", stderr) }
        var parts = ["epoch \(record.epoch)/\(epochs)", "loss \(format(record.loss))"]
        for name in metrics { if let value = record.metrics[name] { parts.append("\(name) \(format(value))") } }
        if let validationLoss = record.validationLoss { parts.append("val_loss \(format(validationLoss))") }
        for name in metrics { if let value = record.validationMetrics[name] { parts.append("val_\(name) \(format(value))") } }
        parts.append(String(format: "%.1f s", record.seconds))
        print(parts.joined(separator: "  "))
        fflush(stdout)
    }
}

/// A loss or metric as training prints it: four decimals.
func format(_ value: Float) -> String { String(format: "%.4f", value) }
