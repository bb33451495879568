import Foundation

/// The loss a `Sequential` model trains with. Targets are given to `fit` as a tensor:
/// class indices (batch) for `crossEntropy`, values of the output's shape for the others.
public enum Loss: Codable, Equatable, CustomStringConvertible {
    case meanSquaredError
    /// From logits (the model ends with a Linear layer, no softmax), targets are class indices.
    case crossEntropy
    /// From probabilities (the model ends with a sigmoid).
    case binaryCrossEntropy
    /// From logits (no sigmoid at the end), exact and stable.
    case binaryCrossEntropyWithLogits
    /// From probabilities (the model ends with a softmax) against target distributions.
    case klDivergence

    public var description: String {
        switch self {
        case .meanSquaredError: return "mean squared error"
        case .crossEntropy: return "cross-entropy"
        case .binaryCrossEntropy: return "binary cross-entropy"
        case .binaryCrossEntropyWithLogits: return "binary cross-entropy (logits)"
        case .klDivergence: return "KL divergence"
        }
    }

    /// The loss of `output` against `target`, reduced as asked.
    public func callAsFunction(_ output: Variable, _ target: Tensor, reduction: LossReduction = .mean) -> Variable {
        switch self {
        case .meanSquaredError: return Autodiff.meanSquaredError(predicted: output, expected: target, reduction: reduction)
        case .crossEntropy: return Autodiff.crossEntropy(logits: output, labels: classIndices(target), reduction: reduction)
        case .binaryCrossEntropy: return Autodiff.binaryCrossEntropy(predicted: output, expected: target, reduction: reduction)
        case .binaryCrossEntropyWithLogits: return Autodiff.binaryCrossEntropy(logits: output, expected: target, reduction: reduction)
        case .klDivergence: return Autodiff.klDivergence(predicted: output, expected: target, reduction: reduction)
        }
    }

    /// Whether targets are class indices (so accuracy compares them with the argmax).
    var takesClassIndices: Bool { self == .crossEntropy }
}

/// Class indices stored in a float tensor of shape (batch) or (batch, 1). Stops on a value that
/// is not a whole number in Int's range (NaN, 1.5, 1e30): `Int(_:)` of it is undefined in the
/// release engine, and 1.5 would silently count as class 1.
func classIndices(_ target: Tensor) -> [Int] {
    target.scalars.enumerated().map { index, value in
        engineCheck(value == value.rounded() && Swift.abs(value) < 0x1p62,
                    "crossEntropy: target \(value) (sample \(index)) is not a class index; pass whole numbers 0, 1, 2, ...")
        return Int(value)
    }
}
