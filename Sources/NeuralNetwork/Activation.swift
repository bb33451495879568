import Foundation

/// The activation functions, as values: apply one to a variable (differentiable) or a tensor,
/// or take its derivative for backpropagation written by hand.
///
///     sigmoid     σ(x) = 1 / (1 + e^-x)               σ'(x) = σ(x) (1 - σ(x))
///     tanh        tanh(x)                              tanh'(x) = 1 - tanh(x)²
///     relu        max(0, x)                            1 if x > 0, else 0
///     leakyRelu   x if x > 0, else αx                  1 if x > 0, else α
///     elu         x if x > 0, else α(e^x - 1)          1 if x > 0, else α e^x
///     softmax     e^x_i / Σ_j e^x_j (along the last axis; its Jacobian is not elementwise)
public enum Activation: Codable, Equatable, CustomStringConvertible {
    case sigmoid
    case tanh
    case relu
    case leakyRelu(alpha: Float)
    case elu(alpha: Float)
    case softmax

    /// Leaky ReLU with the usual slope 0.01.
    public static let leakyReLU = Activation.leakyRelu(alpha: 0.01)

    public var description: String {
        switch self {
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case .leakyRelu(let alpha): return "leakyRelu(\(alpha))"
        case .elu(let alpha): return "elu(\(alpha))"
        case .softmax: return "softmax"
        }
    }

    /// The activation of a variable, recorded for differentiation.
    public func callAsFunction(_ x: Variable) -> Variable {
        switch self {
        case .sigmoid: return Autodiff.sigmoid(x)
        case .tanh: return Autodiff.tanh(x)
        case .relu: return Autodiff.relu(x)
        case .leakyRelu(let alpha): return Autodiff.leakyRelu(x, alpha: alpha)
        case .elu(let alpha): return Autodiff.elu(x, alpha: alpha)
        case .softmax: return Autodiff.softmax(x, axis: -1)
        }
    }

    /// The activation of a tensor.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .sigmoid: return TensorCore.sigmoid(x)
        case .tanh: return TensorCore.tanh(x)
        case .relu: return TensorCore.relu(x)
        case .leakyRelu(let alpha): return TensorCore.leakyRelu(x, alpha: alpha)
        case .elu(let alpha): return TensorCore.elu(x, alpha: alpha)
        case .softmax: return TensorCore.softmax(x, axis: -1)
        }
    }

    /// The elementwise derivative f'(x) at `x` (the pre-activation). For softmax, whose
    /// Jacobian is not diagonal, this is its diagonal s_i (1 - s_i); backpropagate softmax
    /// through the cross-entropy instead (gradient p - y).
    public func derivative(_ x: Tensor) -> Tensor {
        switch self {
        case .sigmoid:
            let s = TensorCore.sigmoid(x)
            return s * (1 - s)
        case .tanh:
            let t = TensorCore.tanh(x)
            return 1 - t * t
        case .relu:
            return x .> 0
        case .leakyRelu(let alpha):
            return Tensor.where(x .> 0, Tensor.ones(like: x), Tensor.full(x.shape, alpha))
        case .elu(let alpha):
            return Tensor.where(x .> 0, Tensor.ones(like: x), alpha * exp(x))
        case .softmax:
            let s = TensorCore.softmax(x, axis: -1)
            return s * (1 - s)
        }
    }
}

/// An activation as a layer of a `Sequential` model; `ReLU()`, `Sigmoid()`, ... name each one.
public class ActivationLayer: Layer, SavableLayer {
    public let activation: Activation
    public init(_ activation: Activation) { self.activation = activation }
    public func callAsFunction(_ x: Variable) -> Variable { activation(x) }
    public func outputShape(forInput input: [Int]) throws -> [Int] { input }

    /// "ReLU", "Sigmoid", ...: the activation's layer name, whichever class holds it.
    public var typeName: String {
        switch activation {
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .relu: return "ReLU"
        case .leakyRelu: return "LeakyReLU"
        case .elu: return "ELU"
        case .softmax: return "Softmax"
        }
    }

    public var description: String {
        switch activation {
        case .leakyRelu(let alpha): return "LeakyReLU(alpha: \(alpha))"
        case .elu(let alpha): return "ELU(alpha: \(alpha))"
        default: return typeName + "()"
        }
    }

    /// Saved as `{"activation": {"_0": {"relu": {}}}}` (the key LayerSpec's enum case wrote).
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var activation: Activation
        enum CodingKeys: String, CodingKey { case activation = "_0" }
        var parameterCount: Int? { 0 }
    }
    public static var savedTypeName: String { "activation" }
    public var configuration: Configuration { Configuration(activation: activation) }
    public required convenience init(configuration: Configuration) { self.init(configuration.activation) }
}

public final class ReLU: ActivationLayer { public convenience init() { self.init(.relu) } }
public final class Sigmoid: ActivationLayer { public convenience init() { self.init(.sigmoid) } }
public final class Tanh: ActivationLayer { public convenience init() { self.init(.tanh) } }
public final class LeakyReLU: ActivationLayer { public convenience init(alpha: Float = 0.01) { self.init(.leakyRelu(alpha: alpha)) } }
public final class ELU: ActivationLayer { public convenience init(alpha: Float = 1) { self.init(.elu(alpha: alpha)) } }
public final class Softmax: ActivationLayer { public convenience init() { self.init(.softmax) } }
