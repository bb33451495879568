import Foundation

/// A long short-term memory layer (Hochreiter & Schmidhuber, 1997) over (batch, time, features)
/// sequences. At each step t, from input x_t and the previous state (h, c):
///
///     [i, f, g, o] = x_t Wx + h Wh + b          four (batch, hidden) blocks
///     i = σ(i)  input gate      f = σ(f)  forget gate
///     g = tanh(g) candidate     o = σ(o)  output gate
///     c = f ⊙ c + i ⊙ g         h = o ⊙ tanh(c)
///
/// Returns every h as (batch, time, hidden) when `returnSequences`, else the last h as
/// (batch, hidden). The forget gate's bias starts at 1 (Jozefowicz et al., 2015) so the cell
/// remembers by default. x Wx is computed for all steps in one matrix product.
public final class LSTM: Layer {
    public let inputCount: Int
    public let hiddenCount: Int
    public let returnSequences: Bool
    /// (inputs, 4·hidden), blocks in gate order i, f, g, o.
    public let inputWeight: Variable
    /// (hidden, 4·hidden).
    public let hiddenWeight: Variable
    /// (4·hidden).
    public let bias: Variable

    public init(_ inputCount: Int, _ hiddenCount: Int, returnSequences: Bool = false, generator: inout RandomGenerator) {
        // 4·hidden must not overflow: it sizes the weights and bounds the forget gate's range below.
        engineCheck(inputCount >= 0 && hiddenCount >= 0 && hiddenCount <= Int.max / 4,
                    "LSTM(\(inputCount), \(hiddenCount)): sizes must not be negative (nor 4 x hidden overflow)")
        self.inputCount = inputCount
        self.hiddenCount = hiddenCount
        self.returnSequences = returnSequences
        inputWeight = Variable(Initializer.glorotUniform.tensor(shape: [inputCount, 4 * hiddenCount], fanIn: inputCount,
                                                                fanOut: 4 * hiddenCount, using: &generator), requiresGrad: true)
        hiddenWeight = Variable(Initializer.glorotUniform.tensor(shape: [hiddenCount, 4 * hiddenCount], fanIn: hiddenCount,
                                                                 fanOut: 4 * hiddenCount, using: &generator), requiresGrad: true)
        var b = Tensor.zeros([4 * hiddenCount])
        for j in hiddenCount..<(2 * hiddenCount) { b.scalars[j] = 1 }
        bias = Variable(b, requiresGrad: true)
    }

    public convenience init(_ inputCount: Int, _ hiddenCount: Int, returnSequences: Bool = false) {
        self.init(inputCount, hiddenCount, returnSequences: returnSequences, generator: &RandomGenerator.global)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        checkInput(x)
        let batch = x.shape[0], steps = x.shape[1], h4 = 4 * hiddenCount
        // x Wx + b for all steps at once: (batch·time, 4H) -> (batch, time, 4H).
        let projected = (matmul(x.reshaped(to: [batch * steps, inputCount]), inputWeight) + bias)
            .reshaped(to: [batch, steps, h4])
        var h = Variable(Tensor.zeros([batch, hiddenCount]), requiresGrad: false)
        var c = Variable(Tensor.zeros([batch, hiddenCount]), requiresGrad: false)
        var outputs: [Variable] = []
        for t in 0..<steps {
            let gates = projected.slice(alongAxis: 1, range: t..<(t + 1)).reshaped(to: [batch, h4]) + matmul(h, hiddenWeight)
            let i = sigmoid(gates.slice(alongAxis: 1, range: 0..<hiddenCount))
            let f = sigmoid(gates.slice(alongAxis: 1, range: hiddenCount..<(2 * hiddenCount)))
            let g = tanh(gates.slice(alongAxis: 1, range: (2 * hiddenCount)..<(3 * hiddenCount)))
            let o = sigmoid(gates.slice(alongAxis: 1, range: (3 * hiddenCount)..<h4))
            c = f * c + i * g
            h = o * tanh(c)
            if returnSequences { outputs.append(h) }
        }
        guard returnSequences else { return h }
        // An empty sequence has no states to stack (stack needs at least one).
        return outputs.isEmpty ? Variable(Tensor.zeros([batch, 0, hiddenCount]), requiresGrad: false) : Variable.stack(outputs, alongAxis: 1)
    }

    public func outputShape(forInput input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == inputCount else { throw LayerShapeError(input: input, expected: "(time, \(inputCount))") }
        return returnSequences ? [input[0], hiddenCount] : [hiddenCount]
    }

    public var description: String { "LSTM(\(inputCount), \(hiddenCount)\(returnSequences ? ", returnSequences: true" : ""))" }
}

extension LSTM: SavableLayer {
    /// Saved as `{"lstm": {"inputs": 28, "hidden": 64, "returnSequences": false}}`.
    public struct Configuration: Codable, Equatable, CountsParameters {
        public var inputs: Int
        public var hidden: Int
        public var returnSequences: Bool
        var parameterCount: Int? { checkedProduct(4, hidden, checkedSum(inputs, hidden, 1) ?? Int.max) }
    }
    public static var savedTypeName: String { "lstm" }
    public var configuration: Configuration { Configuration(inputs: inputCount, hidden: hiddenCount, returnSequences: returnSequences) }
    public convenience init(configuration: Configuration) {
        self.init(configuration.inputs, configuration.hidden, returnSequences: configuration.returnSequences)
    }
    public static func problem(with configuration: Configuration) -> String? {
        positiveSizes([("inputs", configuration.inputs), ("hidden", configuration.hidden)])
    }
}
