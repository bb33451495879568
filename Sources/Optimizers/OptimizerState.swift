import Foundation

/// An optimizer's kind and hyperparameters: enough to build another one like it
/// (`ParameterOptimizer.make(_:learningRate:)`). Checkpoints and the notebook cell cache use it.
public enum OptimizerConfiguration: Codable, Equatable, Sendable {
    case sgd(momentum: Float, nesterov: Bool, weightDecay: Float)
    case adam(beta1: Float, beta2: Float, epsilon: Float, decoupledWeightDecay: Float)
    case adamW(beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float)
    case adagrad(epsilon: Float)
    case rmsprop(rho: Float, epsilon: Float)
}

/// What an optimizer carries from one step to the next for one parameter: its own update
/// count (Adam's bias correction) and its state slots (momentum, moment estimates), each
/// of the parameter's shape.
public struct ParameterSlots {
    public var parameter: Variable
    public var updates: Int
    public var slots: [Tensor]

    public init(parameter: Variable, updates: Int, slots: [Tensor]) {
        self.parameter = parameter
        self.updates = updates
        self.slots = slots
    }
}

extension ParameterOptimizer {
    /// The kind and hyperparameters of the optimizers of this module; nil for another subclass.
    public var configuration: OptimizerConfiguration? {
        switch self {
        case let adamW as AdamW:
            return .adamW(beta1: adamW.beta1, beta2: adamW.beta2, epsilon: adamW.epsilon, weightDecay: adamW.decoupledWeightDecay)
        case let adam as Adam:
            guard type(of: adam) == Adam.self else { return nil }
            return .adam(beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon, decoupledWeightDecay: adam.decoupledWeightDecay)
        case let sgd as SGD: return .sgd(momentum: sgd.momentum, nesterov: sgd.nesterov, weightDecay: sgd.weightDecay)
        case let adagrad as Adagrad: return .adagrad(epsilon: adagrad.epsilon)
        case let rmsprop as RMSprop: return .rmsprop(rho: rmsprop.rho, epsilon: rmsprop.epsilon)
        default: return nil
        }
    }

    /// A new optimizer of `configuration`'s kind, with no state.
    public static func make(_ configuration: OptimizerConfiguration, learningRate: Float) -> ParameterOptimizer {
        switch configuration {
        case .sgd(let momentum, let nesterov, let weightDecay):
            return SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        case .adam(let beta1, let beta2, let epsilon, let decay):
            return Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, decoupledWeightDecay: decay)
        case .adamW(let beta1, let beta2, let epsilon, let decay):
            return AdamW(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay)
        case .adagrad(let epsilon): return Adagrad(learningRate: learningRate, epsilon: epsilon)
        case .rmsprop(let rho, let epsilon): return RMSprop(learningRate: learningRate, rho: rho, epsilon: epsilon)
        }
    }

    /// The state of every parameter updated so far (copies: later steps do not change them).
    public var parameterSlots: [ParameterSlots] {
        states.values.map { state in
            ParameterSlots(parameter: state.parameter, updates: state.updates,
                           slots: state.slots.map { Tensor(Array($0), shape: state.parameter.shape) })
        }
    }

    /// Replaces all state: the step count and each parameter's slots, so that training goes on
    /// exactly as it would have from the moment the state was taken.
    ///
    /// - Throws: `OptimizerStateError` when a parameter's slots do not match it (nothing is changed then).
    public func restoreState(step: Int, parameters: [ParameterSlots]) throws {
        for entry in parameters {
            guard entry.slots.count == slotCount, entry.slots.allSatisfy({ $0.shape == entry.parameter.shape }), entry.updates >= 0 else {
                throw OptimizerStateError(description: "\(type(of: self)): a parameter of shape \(entry.parameter.shape) comes with "
                    + "\(entry.slots.count) slots of shapes \(entry.slots.map(\.shape)); it takes \(slotCount) of its own shape")
            }
        }
        var restored: [ObjectIdentifier: ParameterState] = [:]
        for entry in parameters {
            let state = ParameterState(parameter: entry.parameter, slots: slotCount)
            state.updates = entry.updates
            for (slot, tensor) in zip(state.slots, entry.slots) {
                tensor.withUnsafeBufferPointer { source in _ = slot.update(fromContentsOf: source) }
            }
            restored[ObjectIdentifier(entry.parameter)] = state
        }
        states = restored
        self.step = step
    }
}

/// Optimizer state that does not fit the optimizer (`restoreState`).
public struct OptimizerStateError: Error, CustomStringConvertible {
    public var description: String
}
