import Foundation

/// A layer's kind and configuration: what `summary()` shows and what a saved model's
/// architecture JSON holds, enough to rebuild the layer (its weights come from the safetensors).
public enum LayerSpec: Codable, Equatable {
    case linear(inputs: Int, outputs: Int, bias: Bool)
    case conv2D(inputChannels: Int, filters: Int, kernelSize: Int, stride: Int, padding: Int)
    case maxPool2D(size: Int, stride: Int, padding: Int)
    case avgPool2D(size: Int, stride: Int, padding: Int)
    case flatten
    case reshape([Int])
    case dropout(rate: Float)
    case batchNorm(features: Int, momentum: Float, epsilon: Float)
    case lstm(inputs: Int, hidden: Int, returnSequences: Bool)
    case activation(Activation)

    /// The type name shown by `summary()`.
    public var typeName: String {
        switch self {
        case .linear: return "Linear"
        case .conv2D: return "Conv2D"
        case .maxPool2D: return "MaxPool2D"
        case .avgPool2D: return "AvgPool2D"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .dropout: return "Dropout"
        case .batchNorm: return "BatchNorm"
        case .lstm: return "LSTM"
        case .activation(let activation):
            switch activation {
            case .sigmoid: return "Sigmoid"
            case .tanh: return "Tanh"
            case .relu: return "ReLU"
            case .leakyRelu: return "LeakyReLU"
            case .elu: return "ELU"
            case .softmax: return "Softmax"
            }
        }
    }

    /// Why this configuration cannot be built (a size below 1, a dropout rate outside [0, 1)),
    /// or nil: `Sequential.load` checks a saved architecture with it before building layers.
    var configurationProblem: String? {
        func positive(_ values: [(String, Int)]) -> String? {
            values.first { $0.1 < 1 }.map { "has \($0.0) \($0.1); it must be at least 1" }
        }
        switch self {
        case .linear(let inputs, let outputs, _): return positive([("inputs", inputs), ("outputs", outputs)])
        case .conv2D(let channels, let filters, let kernel, let stride, let padding):
            if padding < 0 { return "has padding \(padding); it must not be negative" }
            return positive([("inputChannels", channels), ("filters", filters), ("kernelSize", kernel), ("stride", stride)])
        case .maxPool2D(let size, let stride, let padding), .avgPool2D(let size, let stride, let padding):
            if padding < 0 { return "has padding \(padding); it must not be negative" }
            return positive([("size", size), ("stride", stride)])
        case .flatten, .activation: return nil
        case .reshape(let shape):
            if shape.contains(where: { $0 < -1 }) || shape.filter({ $0 == -1 }).count > 1 {
                return "has an impossible shape \(shape)"
            }
            return nil
        case .dropout(let rate):
            return rate >= 0 && rate < 1 ? nil : "has rate \(rate); it must be in [0, 1)"
        case .batchNorm(let features, _, _): return positive([("features", features)])
        case .lstm(let inputs, let hidden, _): return positive([("inputs", inputs), ("hidden", hidden)])
        }
    }

    /// The number of trainable values the layer holds, or nil when it overflows `Int`.
    var parameterCount: Int? {
        func product(_ factors: Int...) -> Int? {
            var result = 1
            for factor in factors {
                let (next, overflow) = result.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                result = next
            }
            return result
        }
        func sum(_ terms: Int?...) -> Int? {
            var result = 0
            for term in terms {
                guard let term else { return nil }
                let (next, overflow) = result.addingReportingOverflow(term)
                if overflow { return nil }
                result = next
            }
            return result
        }
        switch self {
        case .linear(let inputs, let outputs, let bias): return sum(product(inputs, outputs), bias ? outputs : 0)
        case .conv2D(let channels, let filters, let kernel, _, _): return sum(product(channels, kernel, kernel, filters), filters)
        case .batchNorm(let features, _, _): return product(2, features)
        case .lstm(let inputs, let hidden, _): return product(4, hidden, sum(inputs, hidden, 1) ?? Int.max)
        case .maxPool2D, .avgPool2D, .flatten, .reshape, .dropout, .activation: return 0
        }
    }

    /// A new layer of this kind (weights freshly initialised).
    public func makeLayer() -> Layer {
        switch self {
        case .linear(let inputs, let outputs, let bias): return Linear(inputs, outputs, bias: bias)
        case .conv2D(let channels, let filters, let kernel, let stride, let padding):
            return Conv2D(channels, filters, kernelSize: kernel, stride: stride, padding: padding)
        case .maxPool2D(let size, let stride, let padding): return MaxPool2D(size: size, stride: stride, padding: padding)
        case .avgPool2D(let size, let stride, let padding): return AvgPool2D(size: size, stride: stride, padding: padding)
        case .flatten: return Flatten()
        case .reshape(let shape): return Reshape(shape)
        case .dropout(let rate): return Dropout(rate: rate)
        case .batchNorm(let features, let momentum, let epsilon): return BatchNorm(features, momentum: momentum, epsilon: epsilon)
        case .lstm(let inputs, let hidden, let returnSequences): return LSTM(inputs, hidden, returnSequences: returnSequences)
        case .activation(let activation): return ActivationLayer(activation)
        }
    }
}
