import Foundation
import Testing
import ModelDiagrams
@testable import Plotting

/// The diagrams the notebooks show, compared pixel for pixel with Golden/: a neuron, the
/// layers of the MLP, LeNet-style CNN and LSTM models of the MNIST notebooks, the LSTM cell,
/// and the computation graph of backprop.md's two-layer network.
@Suite struct GoldenDiagrams {
    static func neuron() -> Diagram {
        Diagram.neuron(inputs: [0.5, -1.2, 2.0], weights: [0.8, 0.1, -0.4], bias: 0.2)
    }

    /// mlp-mnist.md's model.
    static func multilayerPerceptron() -> Diagram {
        Sequential([
            Linear(784, 256), BatchNorm(256), ReLU(), Dropout(rate: 0.2),
            Linear(256, 128), BatchNorm(128), ReLU(), Dropout(rate: 0.2),
            Linear(128, 10),
        ], inputShape: [784]).diagram()
    }

    /// cnn-mnist.md's model.
    static func leNet() -> Diagram {
        Sequential([
            Reshape([1, 28, 28]),
            Conv2D(1, 16, kernelSize: 5), BatchNorm(16), ReLU(), MaxPool2D(size: 2),
            Conv2D(16, 32, kernelSize: 5), BatchNorm(32), ReLU(), MaxPool2D(size: 2),
            Flatten(),
            Linear(32 * 4 * 4, 256), ReLU(), Dropout(rate: 0.2),
            Linear(256, 10),
        ], inputShape: [784]).diagram()
    }

    /// lstm.md's model.
    static func recurrent() -> Diagram {
        Sequential([LSTM(28, 64), Linear(64, 10)], inputShape: [28, 28]).diagram()
    }

    static func lstmCell() -> Diagram {
        LSTM(28, 64).cellDiagram()
    }

    /// backprop.md's network on a batch of 32, named as its prose names them.
    static func computationGraph() -> Diagram {
        let x = Variable(Tensor.zeros([32, 784]), requiresGrad: false)
        let w1 = Variable(Tensor.zeros([784, 256]), requiresGrad: true), b1 = Variable(Tensor.zeros([256]), requiresGrad: true)
        let w2 = Variable(Tensor.zeros([256, 10]), requiresGrad: true), b2 = Variable(Tensor.zeros([10]), requiresGrad: true)
        let z1 = matmul(x, w1) + b1
        let a1 = relu(z1)
        let z2 = matmul(a1, w2) + b2
        let loss = softmaxCrossEntropy(logits: z2, labels: [Int](repeating: 0, count: 32))
        return loss.diagram(names: ["X": x, "W₁": w1, "b₁": b1, "W₂": w2, "b₂": b2, "Z₁": z1, "A₁": a1, "Z₂": z2, "L": loss],
                            title: "The computation graph of the loss")
    }

    /// binary-and-regression.md's 2-4-1 network.
    static func network() -> Diagram {
        Diagram.network(layerSizes: [2, 4, 1], activations: [nil, "tanh", "σ"], title: "A 2-4-1 network")
    }

    /// Dropout's picture in regularization-and-initialization.md; a wide layer elided.
    static func dropout() -> Diagram {
        Diagram.network(layerSizes: [784, 6, 6, 10], activations: [nil, "ReLU", "ReLU", nil], dropped: [1: [1, 4], 2: [0, 3, 5]],
                        title: "Dropout: a different thinned network at each step")
    }

    /// Each diagram by the name of its golden image, Golden/diagram-NAME.png.
    static func diagram(_ name: String) -> Diagram {
        switch name {
        case "neuron": return neuron()
        case "network": return network()
        case "dropout": return dropout()
        case "mlp": return multilayerPerceptron()
        case "lenet": return leNet()
        case "lstm-model": return recurrent()
        case "lstm-cell": return lstmCell()
        default: return computationGraph()
        }
    }

    @Test(arguments: ["neuron", "network", "dropout", "mlp", "lenet", "lstm-model", "lstm-cell", "computation-graph"])
    func matchesGolden(_ name: String) throws {
        try Golden.check(try Self.diagram(name).pngData(), "diagram-\(name).png")
    }
}
