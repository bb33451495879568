import Foundation

/// What one epoch of `fit` measured.
public struct EpochRecord: Codable, Equatable {
    /// 1-based.
    public var epoch: Int
    /// The mean training loss over the epoch's batches.
    public var loss: Float
    /// Training metrics by name ("accuracy"), over the epoch's batches.
    public var metrics: [String: Float]
    public var validationLoss: Float?
    public var validationMetrics: [String: Float]
    public var learningRate: Float
    public var seconds: Double
}

/// The record of a `fit`: one entry per epoch, and the loss of every step.
///
///     let history = try model.fit(x: x, y: y, epochs: 5)
///     Figure(title: "Loss").line(history.loss, label: "train").line(history.validationLoss, label: "validation")
public struct History: Codable, Equatable {
    public var epochs: [EpochRecord] = []
    /// The loss of each training step (mini-batch), in order.
    public var stepLosses: [Float] = []

    public init() {}

    /// The training loss per epoch.
    public var loss: [Float] { epochs.map(\.loss) }
    /// The validation loss per epoch (empty without validation data).
    public var validationLoss: [Float] { epochs.compactMap(\.validationLoss) }
    /// A training metric per epoch ("accuracy").
    public func metric(_ name: String) -> [Float] { epochs.compactMap { $0.metrics[name] } }
    /// A validation metric per epoch ("accuracy").
    public func validationMetric(_ name: String) -> [Float] { epochs.compactMap { $0.validationMetrics[name] } }
    /// Training accuracy per epoch.
    public var accuracy: [Float] { metric("accuracy") }
    /// Validation accuracy per epoch.
    public var validationAccuracy: [Float] { validationMetric("accuracy") }

    /// A series by its Keras name (`history.history["val_loss"]`): "loss", "val_loss", a metric's
    /// name ("accuracy", "mae", "mse"), or "val_" and a metric's name. Empty for a name not measured.
    public subscript(name: String) -> [Float] {
        switch name {
        case "loss": return loss
        case "val_loss": return validationLoss
        default: return name.hasPrefix("val_") ? validationMetric(String(name.dropFirst(4))) : metric(name)
        }
    }

    /// A training metric per epoch.
    public subscript(metric: Metric) -> [Float] { self.metric(metric.name) }

    /// The names measured, in Keras' order: "loss", the metrics, "val_loss", the validation metrics.
    public var names: [String] {
        guard let first = epochs.first else { return [] }
        return ["loss"] + first.metrics.keys.sorted() + (first.validationLoss == nil ? [] : ["val_loss"])
            + first.validationMetrics.keys.sorted().map { "val_" + $0 }
    }
}

/// A training run that cannot go on.
public enum TrainingError: Error, CustomStringConvertible, LocalizedError {
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int, loss: Float)
    /// `fit`, `evaluate` or a callback was used before `compile`.
    case notCompiled
    /// Inputs and targets disagree, or the data is empty.
    case badData(String)
    /// Parameters that train got no gradient on the first step, by model-level name ("2.weight"),
    /// each with the layer holding it ("layer 2 (Dense)").
    case noGradient([(layer: String, parameter: String)])
    /// Every parameter is frozen (or the model has none): there is nothing to train.
    case nothingToTrain(frozen: Int)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let step, let loss):
            return "training stopped: the loss became \(loss) at epoch \(epoch), step \(step). Lower the learning rate, or check the inputs for NaN and their scale."
        case .notCompiled:
            return "the model is not compiled: call model.compile(optimizer:loss:) before fit or evaluate"
        case .badData(let message):
            return message
        case .noGradient(let parameters):
            let names = parameters.map { "\($0.layer): '\($0.parameter)'" }.joined(separator: ", ")
            let first = parameters.first.map { String($0.parameter.split(separator: ".").last ?? "") } ?? "weight"
            return "fit: \(names) got no gradient on the first step: the loss does not depend on "
                + (parameters.count == 1 ? "it" : "them") + ". Use each in the layer's callAsFunction as a Variable "
                + "(.value and detached() cut it off from the gradients), or freeze it (\(first).requiresGrad = false) "
                + "if it is not meant to train."
        case .nothingToTrain(let frozen):
            return frozen > 0
                ? "fit: every parameter of the model is frozen (\(frozen) of them): there is nothing to train; unfreeze() a layer first"
                : "fit: the model has no parameters to train"
        }
    }
    public var errorDescription: String? { description }
}

/// The quantities `EarlyStopping` can watch.
public enum Monitor: String, Codable {
    case loss, validationLoss, accuracy, validationAccuracy

    func value(of record: EpochRecord) -> Float? {
        switch self {
        case .loss: return record.loss
        case .validationLoss: return record.validationLoss
        case .accuracy: return record.metrics["accuracy"]
        case .validationAccuracy: return record.validationMetrics["accuracy"]
        }
    }

    var higherIsBetter: Bool { self == .accuracy || self == .validationAccuracy }
}

/// Called by `fit` after each epoch; returning `false` stops training.
public protocol Callback: AnyObject {
    /// Called once by each `fit`, before its first epoch: forget the state of an earlier run.
    func trainingStarted(model: Sequential)
    /// Called before each epoch (1-based, as `EpochRecord.epoch`).
    func epochStarted(_ epoch: Int, model: Sequential)
    func epochEnded(_ record: EpochRecord, model: Sequential) -> Bool
}

extension Callback {
    public func trainingStarted(model: Sequential) {}
    public func epochStarted(_ epoch: Int, model: Sequential) {}
}

/// Stops training when `monitor` has not improved by `minimumDelta` for `patience` epochs,
/// and (by default) puts back the weights of the best epoch.
public final class EarlyStopping: Callback {
    public let monitor: Monitor
    public let patience: Int
    public let minimumDelta: Float
    public let restoreBestWeights: Bool
    public private(set) var bestEpoch = 0
    public private(set) var stoppedEpoch: Int?
    private var best: Float?
    private var bestWeights: [String: Tensor] = [:]

    public init(monitor: Monitor = .validationLoss, patience: Int = 2, minimumDelta: Float = 0, restoreBestWeights: Bool = true) {
        self.monitor = monitor
        self.patience = patience
        self.minimumDelta = minimumDelta
        self.restoreBestWeights = restoreBestWeights
    }

    /// A new run starts from scratch: the best value and weights of an earlier `fit` (maybe of
    /// another model) are not compared with, nor restored into, this one.
    public func trainingStarted(model: Sequential) {
        best = nil
        bestEpoch = 0
        stoppedEpoch = nil
        bestWeights = [:]
    }

    public func epochEnded(_ record: EpochRecord, model: Sequential) -> Bool {
        guard let value = monitor.value(of: record) else { return true }
        let improved: Bool
        if let best {
            improved = monitor.higherIsBetter ? value > best + minimumDelta : value < best - minimumDelta
        } else {
            improved = true
        }
        if improved {
            best = value
            bestEpoch = record.epoch
            if restoreBestWeights { bestWeights = model.stateDictionary() }
            return true
        }
        if record.epoch - bestEpoch >= patience {
            stoppedEpoch = record.epoch
            if restoreBestWeights && !bestWeights.isEmpty { try? model.loadStateDictionary(bestWeights, file: "early stopping") }
            return false
        }
        return true
    }
}

extension EarlyStopping {
    /// Everything an `EarlyStopping` carries: its settings and what it has seen (the best value
    /// and epoch, the weights of that epoch, where it stopped). For checkpoints and the notebook
    /// cell cache, which put a callback back as a cell left it.
    public struct State: Codable, Equatable {
        public var monitor: Monitor
        public var patience: Int
        public var minimumDelta: Float
        public var restoreBestWeights: Bool
        public var bestEpoch: Int
        public var stoppedEpoch: Int?
        public var best: Float?
        public var bestWeights: [String: Tensor]
    }

    public var state: State {
        State(monitor: monitor, patience: patience, minimumDelta: minimumDelta, restoreBestWeights: restoreBestWeights,
              bestEpoch: bestEpoch, stoppedEpoch: stoppedEpoch, best: best, bestWeights: bestWeights)
    }

    /// A callback in `state`.
    public convenience init(state: State) {
        self.init(monitor: state.monitor, patience: state.patience, minimumDelta: state.minimumDelta,
                  restoreBestWeights: state.restoreBestWeights)
        restore(state)
    }

    /// Puts back what it has seen; its settings stay.
    public func restore(_ state: State) {
        bestEpoch = state.bestEpoch
        stoppedEpoch = state.stoppedEpoch
        best = state.best
        bestWeights = state.bestWeights
    }
}

/// Sets the optimizer's learning rate at the start of each epoch from `rate(epoch)` (0-based);
/// `LearningRateSchedule.rate(epoch:)` fits here.
public final class LearningRateScheduler: Callback {
    public let rate: (Int) -> Float
    public init(_ rate: @escaping (Int) -> Float) { self.rate = rate }
    public func epochStarted(_ epoch: Int, model: Sequential) {
        model.optimizer?.learningRate = rate(epoch - 1)
    }
    public func epochEnded(_ record: EpochRecord, model: Sequential) -> Bool { true }
}

/// Progress of a training run, as reported to `TrainingProgress.observer` (the notebook kernel
/// shows it) after each step.
package struct TrainingProgress {
    public var epoch: Int
    public var epochs: Int
    public var step: Int
    public var steps: Int
    /// The step's loss.
    public var loss: Float
    /// The mean loss of the epoch so far.
    public var meanLoss: Float
    /// Set once per epoch, after its last step (and validation): the epoch's record.
    public var record: EpochRecord?
    /// `fit`'s `verbose`: false asks that nothing be printed (nbrun's terminal progress line neither).
    public var verbose: Bool

    public init(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Float, meanLoss: Float, record: EpochRecord? = nil,
                verbose: Bool = true) {
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.meanLoss = meanLoss
        self.record = record
        self.verbose = verbose
    }

    /// Receives progress from every `fit`; nil by default.
    nonisolated(unsafe) public static var observer: ((TrainingProgress) -> Void)?
}
