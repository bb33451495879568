import Foundation

/// Updates parameters from their gradients. The concrete optimizers (SGD, Adagrad, RMSprop,
/// Adam, AdamW) live in the Optimizers module; `Sequential.fit` needs only this.
public protocol Optimizer: AnyObject {
    /// The step size; schedules and callbacks may change it between epochs.
    var learningRate: Float { get set }
    /// One step: updates each parameter that trains (`requiresGrad`) and has a gradient, in place.
    /// Does not clear gradients.
    func update(_ parameters: [Variable])
}
