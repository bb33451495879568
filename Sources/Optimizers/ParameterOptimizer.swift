@_exported import NeuralNetwork
import Foundation

/// The template every optimizer follows (as in mlx-swift): this base walks the parameters that
/// train and have gradients, and keeps each one's state slots; a subclass only declares how many slots it
/// needs and writes its update, one fused loop over the values (no temporary tensors: in a
/// NumPy MLP, Adam's update is about 40% of an epoch).
open class ParameterOptimizer: Optimizer {
    public var learningRate: Float
    /// The number of updates so far (calls to `update`).
    public internal(set) var step = 0
    let slotCount: Int
    var states: [ObjectIdentifier: ParameterState] = [:]

    /// - Parameter slotCount: per-value state arrays the optimizer keeps (momentum: 1, Adam: 2).
    public init(learningRate: Float, slotCount: Int) {
        self.learningRate = learningRate
        self.slotCount = slotCount
    }

    public func update(_ parameters: [Variable]) {
        step += 1
        prepareStep()
        // A frozen parameter (requiresGrad false) stays as it is, even with a gradient from before it was frozen.
        for parameter in parameters where parameter.requiresGrad {
            guard let gradient = parameter.grad else { continue }
            if gradient.shape != parameter.shape {
                shapeMismatch("\(type(of: self)).update", gradient.shape, parameter.shape, "differ (gradient vs parameter)")
            }
            let key = ObjectIdentifier(parameter)
            let state: ParameterState
            if let existing = states[key], existing.count == parameter.count {
                state = existing
            } else {
                state = ParameterState(parameter: parameter, slots: slotCount)
                states[key] = state
            }
            state.updates += 1
            prepareParameter(updates: state.updates)
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { w in
                    applyInParts(weights: w, gradient: g, slots: state.slots)
                }
            }
        }
    }

    /// Whether `apply` updates each value from its own gradient and slots alone (true for every
    /// optimizer here), so a large parameter can be updated as separate ranges, one per core. An
    /// optimizer whose update reads the whole tensor (a norm, as in LARS) keeps the default, false.
    open var updatesValuesIndependently: Bool { false }

    /// Parameters with fewer values than this are updated on one thread. Adam's update is bound
    /// by its square root and division (about 2 cycles a value, not by memory), so it pays to
    /// split the MLP's 784x256 and 256x128 weights; `benchmarks mlp` measures it.
    public var minimumValuesPerPart = 1 << 14

    /// `apply` over `Parallelism.workers` fixed ranges of the values, side by side when the
    /// parameter is large and the machine idle. Each value gets the same operations either way.
    private func applyInParts(weights w: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                              slots: [UnsafeMutableBufferPointer<Float>]) {
        let count = w.count
        let parts = Swift.min(Parallelism.workers, count / Swift.max(1, minimumValuesPerPart))
        if !updatesValuesIndependently || parts < 2 {
            apply(weights: w, gradient: g, slots: slots)
            return
        }
        Parallelism.runParts(Parallelism.evenParts(count, parts: parts), work: count, minimumWork: 0) { _, range in
            apply(weights: UnsafeMutableBufferPointer(rebasing: w[range]), gradient: UnsafeBufferPointer(rebasing: g[range]),
                  slots: slots.map { UnsafeMutableBufferPointer(rebasing: $0[range]) })
        }
    }

    /// Called once per step before the parameters are visited.
    open func prepareStep() {}

    /// Called before each parameter's update with the number of updates that parameter has had,
    /// this one included: its own count, as PyTorch keeps one per parameter, so a parameter that
    /// starts training later (a layer unfrozen after some epochs, one without a gradient on some
    /// steps) gets the bias correction of its own first step (Adam).
    open func prepareParameter(updates: Int) {}

    /// Updates `weights` in place from `gradient`, reading and writing `slots` (each as long
    /// as the weights, zero at first).
    open func apply(weights: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                    slots: [UnsafeMutableBufferPointer<Float>]) {
        fatalError("\(type(of: self)) must override apply(weights:gradient:slots:)")
    }

    /// Forgets all state (momentum, moment estimates) and the step count.
    public func reset() {
        states.removeAll()
        step = 0
    }
}

/// One parameter's state slots. Holds the parameter so its identity cannot be reused by another.
final class ParameterState {
    let parameter: Variable
    let count: Int
    let slots: [UnsafeMutableBufferPointer<Float>]
    /// Updates applied to this parameter so far.
    var updates = 0

    init(parameter: Variable, slots: Int) {
        self.parameter = parameter
        count = parameter.count
        self.slots = (0..<slots).map { _ in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: parameter.count)
            buffer.initialize(repeating: 0)
            return buffer
        }
    }

    deinit {
        for slot in slots { slot.deallocate() }
    }
}
