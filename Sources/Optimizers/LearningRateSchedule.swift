import Foundation

/// A learning rate that changes with the epoch: `rate(epoch:)` for epoch 0, 1, 2, ...
///
///     let schedule = LearningRateSchedule.cosine(initial: 1e-3, minimum: 1e-5, epochs: 10)
///     optimizer.learningRate = schedule.rate(epoch: 3)
public enum LearningRateSchedule: Codable, Equatable {
    /// The same rate every epoch.
    case constant(Float)
    /// `initial * factor^(epoch / every)`, the rate dropping by `factor` every `every` epochs.
    case step(initial: Float, factor: Float, every: Int)
    /// `initial * decay^epoch`.
    case exponential(initial: Float, decay: Float)
    /// Cosine annealing (Loshchilov & Hutter, SGDR, 2017) from `initial` down to `minimum` over
    /// `epochs`: `minimum + (initial - minimum) * (1 + cos(pi * epoch / epochs)) / 2`.
    case cosine(initial: Float, minimum: Float, epochs: Int)

    public func rate(epoch: Int) -> Float {
        switch self {
        case .constant(let rate):
            return rate
        case .step(let initial, let factor, let every):
            return initial * pow(factor, Float(epoch / max(every, 1)))
        case .exponential(let initial, let decay):
            return initial * pow(decay, Float(epoch))
        case .cosine(let initial, let minimum, let epochs):
            let progress = Float(min(epoch, epochs)) / Float(max(epochs, 1))
            return minimum + (initial - minimum) * (1 + cos(Float.pi * progress)) / 2
        }
    }
}
