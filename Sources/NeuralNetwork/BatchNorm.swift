import Foundation

/// Batch normalisation (Ioffe & Szegedy, 2015) over the feature axis of (batch, features)
/// inputs, or the channel axis of (batch, channels, height, width) inputs:
///
///     x̂ = (x - μ) / sqrt(σ² + ε),   y = γ x̂ + β
///
/// In training μ and σ² are the batch's statistics (per feature / channel), and running averages
/// are updated: running ← (1 - momentum)·running + momentum·batch (the variance unbiased, as in
/// PyTorch). In evaluation the running statistics are used, so one sample's output does not
/// depend on the others in its batch.
public final class BatchNorm: Layer {
    public let featureCount: Int
    public let momentum: Float
    public let epsilon: Float
    /// γ, the per-feature scale (starts at 1).
    public let scale: Variable
    /// β, the per-feature shift (starts at 0).
    public let offset: Variable
    public private(set) var runningMean: Tensor
    public private(set) var runningVariance: Tensor
    /// Stored, as it is read on every call: the batch's statistics in training, the running ones otherwise.
    public var isTraining = true

    public init(_ featureCount: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.featureCount = featureCount
        self.momentum = momentum
        self.epsilon = epsilon
        scale = Variable(Tensor.ones([featureCount]), requiresGrad: true)
        offset = Variable(Tensor.zeros([featureCount]), requiresGrad: true)
        runningMean = Tensor.zeros([featureCount])
        runningVariance = Tensor.ones([featureCount])
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        checkInput(x)
        let statisticShape = x.rank == 2 ? [1, featureCount] : [1, featureCount, 1, 1]
        if isTraining {
            // Fused forward and backward (TensorCore's batchNormForward/Backward), about seven
            // full-size passes fewer than the composed formula.
            let (output, mean, variance) = batchNorm(x, scale: scale, offset: offset, epsilon: epsilon)
            let n = Float(x.count / featureCount)
            let unbiased = variance * (n / Swift.max(n - 1, 1))
            runningMean = runningMean * (1 - momentum) + mean * momentum
            runningVariance = runningVariance * (1 - momentum) + unbiased * momentum
            return output
        }
        let mean = runningMean.reshaped(to: statisticShape)
        let deviation = sqrt(runningVariance.reshaped(to: statisticShape) + epsilon)
        let normalized = (x - mean) / deviation
        return normalized * scale.reshaped(to: statisticShape) + offset.reshaped(to: statisticShape)
    }

    public var namedBuffers: [(String, Tensor)] { [("runningMean", runningMean), ("runningVariance", runningVariance)] }
    public func setBuffer(_ name: String, _ value: Tensor) {
        if value.shape != [featureCount] { shapeMismatch("BatchNorm.setBuffer(\(name))", value.shape, [featureCount]) }
        switch name {
        case "runningMean": runningMean = value
        case "runningVariance": runningVariance = value
        default: break
        }
    }

    public func outputShape(forInput input: [Int]) throws -> [Int] {
        guard input.count == 1 || input.count == 3, input[0] == featureCount else {
            throw LayerShapeError(input: input, expected: "(\(featureCount)) or (\(featureCount), height, width)")
        }
        return input
    }

    public var description: String {
        "BatchNorm(\(featureCount)" + (momentum != 0.1 ? ", momentum: \(momentum)" : "") + (epsilon != 1e-5 ? ", epsilon: \(epsilon)" : "") + ")"
    }
}

extension BatchNorm: SavableLayer {
    /// Saved as `{"batchNorm": {"features": 256, "momentum": 0.1, "epsilon": 1e-05}}`; the running
    /// statistics are buffers, saved with the weights.
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var features: Int
        public var momentum: Float
        public var epsilon: Float
        var parameterCount: Int? { checkedProduct(2, features) }
    }
    public static var savedTypeName: String { "batchNorm" }
    public var configuration: Configuration { Configuration(features: featureCount, momentum: momentum, epsilon: epsilon) }
    public convenience init(configuration: Configuration) {
        self.init(configuration.features, momentum: configuration.momentum, epsilon: configuration.epsilon)
    }
    public static func problem(with configuration: Configuration) -> String? {
        positiveSizes([("features", configuration.features)])
    }
}
