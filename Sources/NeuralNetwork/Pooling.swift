import Foundation

/// Max pooling over NCHW batches: the largest value of each window (the gradient flows to it).
public final class MaxPool2D: Layer {
    public let window: Window2D
    public var isTraining = true
    /// Windows of `size`×`size`, moved by `stride` (default: `size`, non-overlapping).
    public init(size: Int = 2, stride: Int? = nil, padding: Int = 0) {
        window = Window2D(size: size, stride: stride ?? size, padding: padding)
    }
    public func callAsFunction(_ x: Variable) -> Variable { maxPool2D(x, window: window) }
    public var namedParameters: [(String, Variable)] { [] }
    public var spec: LayerSpec { .maxPool2D(size: window.kernelHeight, stride: window.strideHeight, padding: window.paddingHeight) }
    public func outputShape(forInput input: [Int]) -> [Int] {
        let (oh, ow) = window.outputSize(height: input[1], width: input[2])
        return [input[0], oh, ow]
    }
}

/// Average pooling over NCHW batches: the mean of each window.
public final class AvgPool2D: Layer {
    public let window: Window2D
    public var isTraining = true
    public init(size: Int = 2, stride: Int? = nil, padding: Int = 0) {
        window = Window2D(size: size, stride: stride ?? size, padding: padding)
    }
    public func callAsFunction(_ x: Variable) -> Variable { avgPool2D(x, window: window) }
    public var namedParameters: [(String, Variable)] { [] }
    public var spec: LayerSpec { .avgPool2D(size: window.kernelHeight, stride: window.strideHeight, padding: window.paddingHeight) }
    public func outputShape(forInput input: [Int]) -> [Int] {
        let (oh, ow) = window.outputSize(height: input[1], width: input[2])
        return [input[0], oh, ow]
    }
}

/// Flattens each sample: (batch, d1, d2, ...) -> (batch, d1·d2·...).
public final class Flatten: Layer {
    public var isTraining = true
    public init() {}
    public func callAsFunction(_ x: Variable) -> Variable {
        x.reshaped(to: [x.shape[0], x.count / Swift.max(x.shape[0], 1)])
    }
    public var namedParameters: [(String, Variable)] { [] }
    public var spec: LayerSpec { .flatten }
    public func outputShape(forInput input: [Int]) -> [Int] { [input.reduce(1, *)] }
}

/// Reshapes each sample to `shape`: (batch, ...) -> (batch, shape...). E.g. MNIST rows of 784
/// into (1, 28, 28) images for a convolution.
public final class Reshape: Layer {
    public let shape: [Int]
    public var isTraining = true
    public init(_ shape: [Int]) { self.shape = shape }
    public func callAsFunction(_ x: Variable) -> Variable { x.reshaped(to: [x.shape[0]] + shape) }
    public var namedParameters: [(String, Variable)] { [] }
    public var spec: LayerSpec { .reshape(shape) }
    public func outputShape(forInput input: [Int]) -> [Int] { shape }
}

/// Inverted dropout (Srivastava et al., 2014): in training, zeroes each value with probability
/// `rate` and scales the others by 1/(1 - rate); in evaluation, the identity.
public final class Dropout: Layer {
    public let rate: Float
    public var isTraining = true
    public init(rate: Float) {
        engineCheck(rate >= 0 && rate < 1, "Dropout: rate \(rate) must be in [0, 1)")
        self.rate = rate
    }
    public func callAsFunction(_ x: Variable) -> Variable {
        isTraining ? dropout(x, rate: rate) : x
    }
    public var namedParameters: [(String, Variable)] { [] }
    public var spec: LayerSpec { .dropout(rate: rate) }
    public func outputShape(forInput input: [Int]) -> [Int] { input }
}
