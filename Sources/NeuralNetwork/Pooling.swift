import Foundation

/// Max or average pooling over NCHW batches: each `size`×`size` window of every channel
/// becomes one value. Use `MaxPool2D` or `AvgPool2D`; this class holds what they share.
public class Pooling2D: Layer, SavableLayer {
    public let window: Window2D

    /// Windows of `size`×`size`, moved by `stride` (default: `size`, non-overlapping).
    public required init(size: Int = 2, stride: Int? = nil, padding: Int = 0) {
        window = Window2D(size: size, stride: stride ?? size, padding: padding)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        checkInput(x)
        return pooled(x)
    }

    /// The pooling of a batch the layer takes.
    func pooled(_ x: Variable) -> Variable { engineFailure("Pooling2D: use MaxPool2D or AvgPool2D") }

    public func outputShape(forInput input: [Int]) throws -> [Int] {
        guard input.count == 3 else { throw LayerShapeError(input: input, expected: "(channels, height, width)") }
        let (oh, ow) = window.outputSize(height: input[1], width: input[2])
        guard oh >= 1, ow >= 1 else { throw LayerShapeError(input: input, expected: "images at least as large as the window") }
        return [input[0], oh, ow]
    }

    public var description: String {
        "\(typeName)(size: \(window.kernelHeight)" + (window.strideHeight != window.kernelHeight ? ", stride: \(window.strideHeight)" : "")
            + (window.paddingHeight != 0 ? ", padding: \(window.paddingHeight)" : "") + ")"
    }

    /// Saved as `{"maxPool2D": {"size": 2, "stride": 2, "padding": 0}}` (or "avgPool2D").
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var size: Int
        public var stride: Int
        public var padding: Int
        var parameterCount: Int? { 0 }
    }
    public class var savedTypeName: String { String(reflecting: self) }
    public var configuration: Configuration {
        Configuration(size: window.kernelHeight, stride: window.strideHeight, padding: window.paddingHeight)
    }
    public required convenience init(configuration: Configuration) {
        self.init(size: configuration.size, stride: configuration.stride, padding: configuration.padding)
    }
    public static func problem(with configuration: Configuration) -> String? {
        if configuration.padding < 0 { return "has padding \(configuration.padding); it must not be negative" }
        return positiveSizes([("size", configuration.size), ("stride", configuration.stride)])
    }
}

/// Max pooling over NCHW batches: the largest value of each window (the gradient flows to it).
public final class MaxPool2D: Pooling2D {
    override func pooled(_ x: Variable) -> Variable { maxPool2D(x, window: window) }
    public override class var savedTypeName: String { "maxPool2D" }
}

/// Average pooling over NCHW batches: the mean of each window.
public final class AvgPool2D: Pooling2D {
    override func pooled(_ x: Variable) -> Variable { avgPool2D(x, window: window) }
    public override class var savedTypeName: String { "avgPool2D" }
}

/// Flattens each sample: (batch, d1, d2, ...) -> (batch, d1·d2·...).
public final class Flatten: Layer {
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable {
        x.reshaped(to: [x.shape[0], x.count / Swift.max(x.shape[0], 1)])
    }
    public func outputShape(forInput input: [Int]) throws -> [Int] { [input.reduce(1, *)] }
}

extension Flatten: SavableLayer {
    /// Nothing to configure: saved as `{"flatten": {}}`.
    public struct Configuration: Codable, Equatable, CountsParameters {
        var parameterCount: Int? { 0 }
    }
    public static var savedTypeName: String { "flatten" }
    public var configuration: Configuration { Configuration() }
    public convenience init(configuration: Configuration) { self.init() }
}

/// Reshapes each sample to `shape` (one extent may be -1, inferred): (batch, ...) ->
/// (batch, shape...). E.g. MNIST rows of 784 into (1, 28, 28) images for a convolution.
public final class Reshape: Layer {
    public let shape: [Int]
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Variable) -> Variable {
        checkInput(x)
        return x.reshaped(to: [x.shape[0]] + shape)
    }
    public func outputShape(forInput input: [Int]) throws -> [Int] {
        let count = input.reduce(1, *), known = shape.filter { $0 != -1 }.reduce(1, *)
        guard let free = shape.firstIndex(of: -1) else {
            guard known == count else { throw LayerShapeError(input: input, expected: "samples of \(known) values") }
            return shape
        }
        guard known > 0, count % known == 0 else { throw LayerShapeError(input: input, expected: "samples of a multiple of \(known) values") }
        var output = shape
        output[free] = count / known
        return output
    }
    public var description: String { "Reshape(\(shape))" }
}

extension Reshape: SavableLayer {
    /// Saved as `{"reshape": {"_0": [1, 28, 28]}}` (the key LayerSpec's enum case wrote).
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var shape: [Int]
        enum CodingKeys: String, CodingKey { case shape = "_0" }
        var parameterCount: Int? { 0 }
    }
    public static var savedTypeName: String { "reshape" }
    public var configuration: Configuration { Configuration(shape: shape) }
    public convenience init(configuration: Configuration) { self.init(configuration.shape) }
    public static func problem(with configuration: Configuration) -> String? {
        let shape = configuration.shape
        if shape.contains(where: { $0 < -1 }) || shape.filter({ $0 == -1 }).count > 1 { return "has an impossible shape \(shape)" }
        return nil
    }
}

/// Inverted dropout (Srivastava et al., 2014): in training, zeroes each value with probability
/// `rate` and scales the others by 1/(1 - rate); in evaluation, the identity.
public final class Dropout: Layer {
    public let rate: Float
    /// Stored, as it is read on every call: dropout applies only in training.
    public var isTraining = true
    public init(rate: Float) {
        engineCheck(rate >= 0 && rate < 1, "Dropout: rate \(rate) must be in [0, 1)")
        self.rate = rate
    }
    /// A rate given as a Double (a front-matter parameter).
    @_disfavoredOverload public convenience init<N: ConvertibleToFloat>(rate: N) { self.init(rate: rate.floatValue) }
    public func callAsFunction(_ x: Variable) -> Variable {
        isTraining ? dropout(x, rate: rate) : x
    }
    public func outputShape(forInput input: [Int]) throws -> [Int] { input }
    public var description: String { "Dropout(rate: \(rate))" }
}

extension Dropout: SavableLayer {
    /// Saved as `{"dropout": {"rate": 0.2}}`.
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var rate: Float
        var parameterCount: Int? { 0 }
    }
    public static var savedTypeName: String { "dropout" }
    public var configuration: Configuration { Configuration(rate: rate) }
    public convenience init(configuration: Configuration) { self.init(rate: configuration.rate) }
    public static func problem(with configuration: Configuration) -> String? {
        configuration.rate >= 0 && configuration.rate < 1 ? nil : "has rate \(configuration.rate); it must be in [0, 1)"
    }
}
