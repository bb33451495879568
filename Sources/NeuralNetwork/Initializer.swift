import Foundation

/// How a layer's weights start. fanIn/fanOut are the number of inputs and outputs of one unit
/// (for a convolution: channels × kernel area).
///
/// - glorotUniform: U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio, 2010), for tanh
///   and sigmoid layers.
/// - glorotNormal: N(0, 2 / (fanIn + fanOut)).
/// - heUniform: U(-a, a), a = sqrt(6 / fanIn); heNormal: N(0, 2 / fanIn) (He et al., 2015), for
///   ReLU layers: they keep the activations' variance from layer to layer.
/// - zeros, and a constant.
public enum Initializer: Codable, Equatable {
    case glorotUniform
    case glorotNormal
    case heUniform
    case heNormal
    case zeros
    case constant(Float)

    /// A tensor of `shape` drawn from `generator` (default: the global generator).
    public func tensor(shape: [Int], fanIn: Int, fanOut: Int, using generator: inout RandomGenerator) -> Tensor {
        switch self {
        case .glorotUniform:
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            return Tensor.randomUniform(shape: shape, lowerBound: -limit, upperBound: limit, using: &generator)
        case .glorotNormal:
            return Tensor.randomNormal(shape: shape, standardDeviation: (2 / Float(fanIn + fanOut)).squareRoot(), using: &generator)
        case .heUniform:
            let limit = (6 / Float(fanIn)).squareRoot()
            return Tensor.randomUniform(shape: shape, lowerBound: -limit, upperBound: limit, using: &generator)
        case .heNormal:
            return Tensor.randomNormal(shape: shape, standardDeviation: (2 / Float(fanIn)).squareRoot(), using: &generator)
        case .zeros:
            return Tensor.zeros(shape)
        case .constant(let value):
            return Tensor.full(shape, value)
        }
    }

    /// A tensor drawn from `RandomGenerator.global`.
    public func tensor(shape: [Int], fanIn: Int, fanOut: Int) -> Tensor {
        tensor(shape: shape, fanIn: fanIn, fanOut: fanOut, using: &RandomGenerator.global)
    }
}
