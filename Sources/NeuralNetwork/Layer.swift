import Foundation

/// A building block of a `Sequential` model (Keras' `Layer`, PyTorch's `nn.Module`): a module
/// that tells the shape of its output and the name `summary()` shows. A layer is its call; its
/// weights are the `Variable`s in its stored properties, its sublayers the `Module`s there
/// (`Module` says how they are found), and they train as they are:
///
///     final class Scale: Layer {
///         func callAsFunction(_ x: Variable) -> Variable { x * 2 }
///     }
///
///     final class Dense: Layer {
///         let weight = Variable(Tensor.randomNormal(shape: [784, 64]) * 0.05)
///         let bias = Variable(Tensor.zeros([64]))
///         func callAsFunction(_ x: Variable) -> Variable { relu(matmul(x, weight) + bias) }
///     }
///
/// To save it with the model (`Sequential.save(to:)`), adopt `SavableLayer` too. Write
/// `outputShape(forInput:)` to have `fit`, `evaluate` and `summary()` check the data's shape
/// without running the layer (and throw, rather than stop, on a shape the layer cannot take).
public protocol Layer: Module, CustomStringConvertible {
    /// Applies the layer to a batch (batch axis first). The one thing a layer must write.
    func callAsFunction(_ x: Variable) -> Variable
    /// The shape of one output sample for one input sample of shape `input` (batch axis
    /// omitted). Throws `LayerShapeError` when the layer cannot take such samples.
    ///
    /// `Sequential` asks each layer in turn before training, evaluating or predicting (so a
    /// wrong shape is a thrown error there) and for `summary()`; the built-in layers' calls
    /// check their input with it. The default runs the layer once on one zero sample, in
    /// evaluation mode and without gradients, and reads the output's shape: a layer that
    /// cannot take the sample stops the program there, with its own message.
    func outputShape(forInput input: [Int]) throws -> [Int]
    /// The name `summary()` shows; by default the type's name ("ResidualBlock").
    var typeName: String { get }
}

extension Layer {
    public var typeName: String { String(describing: type(of: self)) }

    /// The layer as `print` shows it; by default its `typeName`.
    public var description: String { typeName }

    public func outputShape(forInput input: [Int]) throws -> [Int] {
        let output = inEvaluationMode { withoutGradients { self(Tensor.zeros([1] + input)) } }
        return Array(output.shape.dropFirst())
    }

    /// The layer's output shape for the batch `x` (batch axis first), or a stop naming the
    /// layer, what it got and what it takes: the check the built-in layers' calls make with
    /// their own `outputShape(forInput:)` (which must not be the default, which calls the layer).
    @discardableResult
    func checkInput(_ x: Variable) -> [Int] {
        guard x.rank >= 1 else { engineFailure("\(self): input of shape \(x.shape) has no batch axis; pass (batch, ...)") }
        do {
            return [x.shape[0]] + (try outputShape(forInput: Array(x.shape.dropFirst())))
        } catch {
            engineFailure("\(self) \(error) (input of shape \(x.shape), batch first)")
        }
    }
}

/// A layer that cannot take samples of a shape: what it got and what it takes.
///
///     LayerShapeError(input: [5], expected: "(784)").description
///     // "gets samples of shape [5] but takes (784)"
public struct LayerShapeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The shape of one input sample (batch axis omitted).
    public var input: [Int]
    /// What the layer takes, in words: "(784)", "(channels, height, width)".
    public var expected: String

    public init(input: [Int], expected: String) {
        self.input = input
        self.expected = expected
    }

    public var description: String { "gets samples of shape \(input) but takes \(expected)" }
    public var errorDescription: String? { description }
}
