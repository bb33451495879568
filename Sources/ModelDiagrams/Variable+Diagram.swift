import Foundation

extension Variable {
    /// The operations recorded behind this variable as a computation graph, the picture of
    /// backpropagation: values (inputs and parameters) in boxes with their shapes, operations in
    /// ovals, each arrow carrying the shape of the value it passes on, top to bottom. The
    /// backward pass walks the same arrows bottom to top.
    ///
    ///     let loss = softmaxCrossEntropy(logits: matmul(x, w) + b, labels: labels)
    ///     loss.diagram(names: ["x": x, "W": w, "b": b, "L": loss])
    ///
    /// - Parameter names: what to call the variables you know (others are "input" or
    ///   "parameter", or unnamed in between); an intermediate result's name goes on its arrow.
    public func diagram(names: [String: Variable] = [:], title: String = "") -> Diagram {
        ComputationGraphDiagram(graph: graph, names: names).diagram(title: title)
    }
}

/// Builds `Variable.diagram(names:)`.
struct ComputationGraphDiagram {
    let graph: ComputationGraph
    let names: [String: Variable]

    static let parameterFill = Color(hex: 0xfde0c5)
    static let inputFill = Color(hex: 0xebebeb)
    static let operationFill = Color(hex: 0xcfe2f3)
    static let resultFill = Color(hex: 0xd5ecd4)

    /// How an operation is shown: a symbol for arithmetic, words for the rest.
    static func symbol(_ operation: String) -> String {
        switch operation {
        case "add": return "+"
        case "subtract": return "−"
        case "multiply": return "×"
        case "divide": return "÷"
        case "negate": return "−x"
        case "addScalar": return "+ c"
        case "multiplyScalar": return "× c"
        case "power": return "xⁿ"
        case "softmaxCrossEntropy": return "softmax\ncross-entropy"
        case "logSoftmax": return "log softmax"
        case "leakyRelu": return "leaky ReLU"
        case "relu": return "ReLU"
        case "sigmoid": return "σ"
        default: return operation
        }
    }

    static func shapeText(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }

    func name(of variable: Variable) -> String? {
        // Sorted, so that a variable given two names always shows the same one.
        names.keys.sorted().first { names[$0]! === variable }
    }

    func diagram(title: String) -> Diagram {
        var diagram = Diagram(title: title).layout(.topToBottom)
        let nodes = graph.nodes
        for (i, node) in nodes.enumerated() {
            let shape = Self.shapeText(node.shape)
            if node.isLeaf {
                let given = name(of: node.variable)
                let label = given ?? (node.requiresGrad ? "parameter" : "input")
                diagram = diagram.node("\(i)", label, detail: shape, fill: node.requiresGrad ? Self.parameterFill : Self.inputFill,
                                       italic: given != nil)
            } else {
                diagram = diagram.node("\(i)", Self.symbol(node.operation!), shape: .ellipse, fill: Self.operationFill)
            }
        }
        // The result of the last operation, as a value of its own.
        let root = nodes.count - 1
        if !nodes[root].isLeaf {
            let label = name(of: nodes[root].variable) ?? "result"
            diagram = diagram.node("result", label, detail: Self.shapeText(nodes[root].shape), fill: Self.resultFill,
                                   italic: name(of: nodes[root].variable) != nil)
                .edge("\(root)", "result")
        }
        for (i, node) in nodes.enumerated() {
            for input in node.inputs {
                let source = nodes[input]
                var label: String? = nil
                if !source.isLeaf {
                    let shape = Self.shapeText(source.shape)
                    label = name(of: source.variable).map { "\($0): \(shape)" } ?? shape
                }
                diagram = diagram.edge("\(input)", "\(i)", label: label)
            }
        }
        return diagram
    }
}
