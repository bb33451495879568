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
