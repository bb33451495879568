@_exported import TensorCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A tensor that takes part in reverse-mode differentiation (a dynamic tape, as in PyTorch).
///
/// Operations on variables compute their value at once and, when gradients are being
/// recorded (`GradientMode.isEnabled`, off inside `withoutGradients { }`) and some input
/// has `requiresGrad`, remember the primitive operation and its inputs. `backward()`
/// on a scalar result then walks that graph in reverse topological order and adds
/// d(result)/d(leaf) into the `grad` of every leaf that requires gradients.
/// Gradients accumulate across calls until `zeroGrad()`.
///
/// A variable requires gradients unless made with `requiresGrad: false` (as Keras'
/// `tf.Variable` is trainable unless told otherwise): a weight a layer holds trains as it is.
/// Data and constants are `Tensor`s, which mix with variables in every operation and never
/// get a gradient.
///
///     let w = Variable(Tensor.randomNormal(shape: [3, 2]))
///     let x = Tensor([[1, 2, 3]])
///     let loss = relu(matmul(x, w)).sum()
///     loss.backward()
///     print(w.grad!)   // (3, 2)
///
/// Only leaves (variables created by `init`) keep `grad`; intermediate results pass
/// their gradients on and keep none.
public final class Variable {
    /// The current value. Optimizers update it in place (`value.withUnsafeMutableBufferPointer`).
    public var value: Tensor
    /// d(result)/d(self) summed over the `backward()` calls since the last `zeroGrad()`; nil before any.
    public var grad: Tensor?
    /// Whether operations on this variable are recorded for differentiation. Set it to false
    /// to freeze a weight (PyTorch's `requires_grad_(False)`): optimizers then leave it as it is.
    public var requiresGrad: Bool
    /// The primitive that produced this variable (nil for a leaf), and its operands.
    let primitive: Primitive?
    private(set) var inputs: [Variable]

    /// A leaf variable holding `value`; `requiresGrad: false` makes it a constant (a frozen weight).
    public init(_ value: Tensor, requiresGrad: Bool = true) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.primitive = nil
        self.inputs = []
    }

    init(value: Tensor, primitive: Primitive, inputs: [Variable]) {
        self.value = value
        self.requiresGrad = true
        self.primitive = primitive
        self.inputs = inputs
    }

    /// The result of `primitive` on `inputs`: recorded when gradients are on and an input
    /// requires them, else a plain constant (so evaluation builds no graph).
    static func record(_ value: Tensor, _ primitive: @autoclosure () -> Primitive, _ inputs: [Variable]) -> Variable {
        if GradientMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            return Variable(value: value, primitive: primitive(), inputs: inputs)
        }
        return Variable(value, requiresGrad: false)
    }

    /// Releases the graph behind this variable one variable at a time. Left to Swift, each
    /// variable's release would release its inputs from inside its own deinit, one stack frame
    /// per recorded operation: a chain of tens of thousands (a loop in a cell, a long sequence)
    /// overflowed the stack when its result was dropped.
    deinit {
        guard !inputs.isEmpty else { return }
        var pending = inputs
        inputs = []
        while var next = pending.popLast() {
            // Only what nothing else holds goes now; its inputs wait in `pending`, not in a deinit.
            if isKnownUniquelyReferenced(&next) {
                pending.append(contentsOf: next.inputs)
                next.inputs = []
            }
        }
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }
    /// The rank of `value`.
    public var rank: Int { value.rank }
    /// The number of values in `value`.
    public var count: Int { value.count }
    /// The single value of a one-element variable.
    public var scalar: Float { value.scalar }
    /// True for variables created directly (not by an operation).
    public var isLeaf: Bool { primitive == nil }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }

    /// A leaf holding the same value, cut from the graph (no gradient flows through it).
    public func detached() -> Variable { Variable(value, requiresGrad: false) }

    /// Back-propagates from this variable: adds d(self)/d(leaf), weighted by `gradient`, into
    /// the `grad` of every leaf that requires gradients.
    ///
    /// - Parameter gradient: the upstream gradient, of this variable's shape. Defaults to 1,
    ///   which needs a one-element variable (a loss).
    public func backward(gradient: Tensor? = nil) {
        let seed: Tensor
        if let gradient {
            if gradient.shape != shape { shapeMismatch("backward(gradient:)", gradient.shape, shape, "differ (gradient vs variable)") }
            seed = gradient
        } else {
            if count != 1 {
                engineFailure("backward(): needs a one-element variable (a loss), got shape \(shape); pass gradient: for others")
            }
            seed = Tensor(repeating: 1, shape: shape)
        }
        if !requiresGrad { return }

        // Reverse topological order by an iterative depth-first search (graphs of long
        // sequences would overflow a recursive one): inputs come before their users.
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(variable: Variable, finished: Bool)] = [(self, false)]
        while let (variable, finished) = stack.popLast() {
            if finished { order.append(variable); continue }
            if !visited.insert(ObjectIdentifier(variable)).inserted { continue }
            stack.append((variable, true))
            for input in variable.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }

        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
        for variable in order.reversed() {
            guard let upstream = pending.removeValue(forKey: ObjectIdentifier(variable)) else { continue }
            guard let primitive = variable.primitive else {
                if variable.grad == nil { variable.grad = upstream } else { variable.grad! += upstream }
                continue
            }
            let gradients = primitive.backward(upstream, output: variable.value, inputs: variable.inputs)
            for (input, gradient) in zip(variable.inputs, gradients) where input.requiresGrad {
                guard let gradient else { continue }
                if gradient.shape != input.shape {
                    engineFailure("backward of \(primitive): gradient shape \(gradient.shape) differs from input shape \(input.shape)")
                }
                let key = ObjectIdentifier(input)
                if pending[key] == nil { pending[key] = gradient } else { pending[key]! += gradient }
            }
        }
    }
}

extension Variable: CustomStringConvertible {
    public var description: String {
        "Variable(requiresGrad: \(requiresGrad)\(primitive.map { ", from: \($0.name)" } ?? "")) \(value)"
    }
}

/// Whether operations on variables are being recorded, per thread (as PyTorch's grad mode):
/// `withoutGradients` on one thread does not stop recording on another.
public enum GradientMode {
    /// True unless inside `withoutGradients { }` on this thread.
    public static var isEnabled: Bool {
        get { pthread_getspecific(disabledKey) == nil }
        set { pthread_setspecific(disabledKey, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
    }

    private static let disabledKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// Runs `body` without recording operations on this thread (for evaluation and optimizer
/// updates): results are constants and no graph is kept alive.
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = GradientMode.isEnabled
    GradientMode.isEnabled = false
    defer { GradientMode.isEnabled = previous }
    return try body()
}
