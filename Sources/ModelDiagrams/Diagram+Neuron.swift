import Foundation

extension Diagram {
    /// One artificial neuron: inputs x₁ … xₙ, each arrow weighted by wᵢ, summed with the bias b
    /// into z, passed through the activation f into the output a. With numbers, each one is
    /// written beside its symbol and z and a are computed (in `Float`, as the engine does).
    ///
    ///     Diagram.neuron(inputs: [0.5, -1.2, 2.0], weights: [0.8, 0.1, -0.4], bias: 0.2)
    ///
    /// - Parameters:
    ///   - inputs, weights: values, or nil to draw `inputCount` inputs with symbols only.
    ///   - activation: the activation f (its symbol is drawn; σ for the sigmoid).
    public static func neuron(inputs: [Float]? = nil, weights: [Float]? = nil, bias: Float? = nil,
                              activation: Activation = .sigmoid, inputCount: Int = 3, title: String = "A neuron") -> Diagram {
        let count = inputs?.count ?? weights?.count ?? max(inputCount, 1)
        if let inputs, let weights {
            engineCheck(inputs.count == weights.count, "Diagram.neuron: \(inputs.count) inputs but \(weights.count) weights; give one weight per input")
        }
        var diagram = Diagram(title: title)
        func number(_ value: Float) -> String { String(format: "%.4g", Double(value)) }
        let digits = Array("₀₁₂₃₄₅₆₇₈₉")
        func subscripted(_ i: Int) -> String { String(String(i).compactMap { $0.wholeNumberValue.map { digits[$0] } }) }
        let spacing = 62.0, sumX = 250.0, activationX = 390.0, outputX = 530.0
        let top = -spacing * Double(count - 1) / 2
        let symbol: String
        switch activation {
        case .sigmoid: symbol = "σ"
        case .tanh: symbol = "tanh"
        case .relu: symbol = "ReLU"
        case .leakyRelu: symbol = "leaky ReLU"
        case .elu: symbol = "ELU"
        case .softmax: symbol = "softmax"
        }
        var z: Float? = nil
        if let inputs, let weights {
            z = zip(inputs, weights).map { $0 * $1 }.reduce(0, +) + (bias ?? 0)
        }
        let a = z.map { activation(Tensor([$0])).scalars[0] }
        let neuronFill = Color(hex: 0xcfe2f3), inputFill = Color(hex: 0xebebeb)
        diagram = diagram
            .region("the neuron", around: ["sum", "activation"], padding: 16, fill: Color(hex: 0xf3f6fa), stroke: Color(hex: 0x9fb3c8))
            .node("sum", "Σ", x: sumX, y: 0, shape: .circle, fill: neuronFill, minimumWidth: 50, fontSize: 20)
            .node("activation", symbol, x: activationX, y: 0, fill: neuronFill, minimumWidth: 56, minimumHeight: 40, fontSize: 15)
            .node("output", "a = \(symbol)(z)", detail: a.map { number($0) }, x: outputX, y: 0, shape: .text, fontSize: 16, italic: true)
            .node("bias", "b", detail: bias.map(number), x: sumX, y: spacing * Double(count - 1) / 2 + 70, shape: .text,
                  fontSize: 15, italic: true)
            .edge("bias", "sum", label: "+ b")
            .edge("sum", "activation", label: "z" + (z.map { " = " + number($0) } ?? ""))
            .edge("activation", "output")
        for i in 0..<count {
            let id = "x\(i)"
            diagram = diagram
                .node(id, "x" + subscripted(i + 1), detail: inputs.map { number($0[i]) }, x: 0, y: top + Double(i) * spacing,
                      shape: .circle, fill: inputFill, minimumWidth: 42, fontSize: 14, italic: true)
                .edge(id, "sum", label: "w" + subscripted(i + 1) + (weights.map { " = " + number($0[i]) } ?? ""))
        }
        return diagram.text("z = w₁x₁ + … + wₙxₙ + b = w · x + b,    a = \(symbol)(z)", x: 265,
                            y: spacing * Double(count - 1) / 2 + 120, size: 13)
    }
}
