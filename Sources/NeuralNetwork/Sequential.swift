import Foundation

/// A stack of layers applied in order, trained Keras-style:
///
///     let model = Sequential([Linear(784, 128), ReLU(), Linear(128, 10)], inputShape: [784])
///     model.compile(optimizer: Adam(learningRate: 1e-3), loss: .crossEntropy, metrics: [.accuracy])
///     let history = try model.fit(x: train.images, y: train.labelsTensor, batchSize: 128, epochs: 5,
///                                 validationData: (test.images, test.labelsTensor))
///     print(model.summary())
///     let accuracy = try model.evaluate(x: test.images, y: test.labelsTensor)["accuracy"]
///
/// Parameters are named `INDEX.NAME` ("0.weight", "0.bias", "2.weight", ...), as in PyTorch.
///
/// The class is spread over files by concern: this one holds the layers and the settings of
/// `compile`; `Sequential+Training.swift` (`fit`), `Sequential+Evaluation.swift` (`evaluate`,
/// `predict`), `Sequential+Checks.swift` (the data and shape checks both run),
/// `Sequential+Saving.swift` (`save`, `load`) and `ModelSummary.swift` (`summary`).
public final class Sequential: Module {
    public internal(set) var layers: [Layer]
    /// The shape of one input sample (batch omitted), for `summary()` and saving.
    public var inputShape: [Int]?
    /// The optimizer `fit` steps with (with its state: momentum, moment estimates), set by `compile`.
    public internal(set) var optimizer: Optimizer?
    public internal(set) var loss: Loss = .crossEntropy
    /// What `fit` and `evaluate` measure besides the loss, set by `compile`.
    public internal(set) var metrics: [Metric] = [.accuracy]
    /// Training (dropout on, batch statistics) or evaluation mode, for every layer. Stored, as
    /// `layers` can change (`add`, a restore) and each layer added takes the model's mode.
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    public init(_ layers: [Layer], inputShape: [Int]? = nil) {
        self.layers = layers
        self.inputShape = inputShape
    }

    /// Appends a layer.
    public func add(_ layer: Layer) {
        layer.isTraining = isTraining
        layers.append(layer)
    }

    /// The layers in order. A `Linear` or `Conv2D` followed by a `ReLU` runs as one fused
    /// operation: the same values and gradients, one pass less over the activations each way
    /// (measured on the Keras example's CNN, whose 32->64 layer's output is 19 MB a batch).
    public func callAsFunction(_ x: Variable) -> Variable {
        var output = x
        var index = 0
        while index < layers.count {
            if index + 1 < layers.count, layers[index + 1] is ReLU {
                if let linear = layers[index] as? Linear {
                    output = linear.forward(output, rectified: true)
                    index += 2
                    continue
                }
                if let convolution = layers[index] as? Conv2D {
                    output = convolution.forward(output, rectified: true)
                    index += 2
                    continue
                }
            }
            output = layers[index](output)
            index += 1
        }
        return output
    }

    /// Named `INDEX.NAME` ("0.weight"), as PyTorch names a `Sequential`'s; a layer that appears
    /// twice is listed once, under its first index.
    public var namedParameters: [(String, Variable)] {
        Self.firstOfEach(layers.enumerated().flatMap { index, layer in layer.namedParameters.map { ("\(index).\($0.0)", $0.1) } })
    }

    public var namedBuffers: [(String, Tensor)] {
        layers.enumerated().flatMap { index, layer in layer.namedBuffers.map { ("\(index).\($0.0)", $0.1) } }
    }

    public func setBuffer(_ name: String, _ value: Tensor) {
        guard let dot = name.firstIndex(of: "."), let index = Int(name[..<dot]), layers.indices.contains(index) else { return }
        layers[index].setBuffer(String(name[name.index(after: dot)...]), value)
    }

    /// Chooses how `fit` trains and what it and `evaluate` measure: the optimizer, the loss and
    /// the metrics (Keras' `compile`). Each metric is measured when it means something for the
    /// loss and targets (accuracy: class indices, one-hot or 0-1 targets; the errors: targets
    /// of the output's shape), and named in `History` and `Evaluation` by `Metric.name`.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [Metric] = [.accuracy]) {
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }
}

/// A `Sequential` is a layer too, so models nest (`Sequential([encoder, Linear(32, 10)])`), and
/// it prints as PyTorch prints a model.
extension Sequential: Layer {
    /// The output shape for samples of shape `input`, asking each layer in turn: a layer that
    /// cannot take what the one before it gives throws, the error naming it.
    public func outputShape(forInput input: [Int]) throws -> [Int] {
        var shape = input
        for (index, layer) in layers.enumerated() {
            do {
                shape = try layer.outputShape(forInput: shape)
            } catch let error as LayerShapeError {
                throw LayerShapeError(input: input, expected: "samples its layer \(index) (\(layer.typeName)) can take: that layer \(error)")
            }
        }
        return shape
    }

    public var description: String {
        guard !layers.isEmpty else { return "Sequential()" }
        let lines = layers.enumerated().map { index, layer in
            "  (\(index)): " + layer.description.replacingOccurrences(of: "\n", with: "\n  ")
        }
        return "Sequential(\n" + lines.joined(separator: "\n") + "\n)"
    }
}

/// A nested model's weights are those of its layers that count theirs, so that loading checks them
/// against the file before building any (a nested `Linear(100000, 100000)` in a damaged file was
/// allocated, 40 GB, before the missing weights were noticed).
extension Sequential.Configuration: CountsParameters {
    var parameterCount: Int? {
        var total = 0
        for layer in layers {
            guard let count = layer.parameterCount else { continue }
            guard let sum = checkedSum(total, count) else { return nil }
            total = sum
        }
        return total
    }
}

/// Saved as `{"sequential": {"inputShape": [...], "layers": [...]}}` when nested in another model.
extension Sequential: SavableLayer {
    public struct Configuration: Codable {
        public var inputShape: [Int]?
        var layers: [SavedLayer]
    }
    public static var savedTypeName: String { "sequential" }

    /// The layers' configurations; every layer must adopt `SavableLayer` (`save(to:)` checks
    /// this first and throws naming the one that does not).
    public var configuration: Configuration {
        Configuration(inputShape: inputShape, layers: layers.map { layer in
            guard let saved = SavedLayer(layer) else { engineFailure("Sequential.configuration: \(layer.typeName) does not adopt SavableLayer") }
            return saved
        })
    }

    public convenience init(configuration: Configuration) {
        self.init(configuration.layers.map { $0.makeLayer() }, inputShape: configuration.inputShape)
    }

    public static func problem(with configuration: Configuration) -> String? {
        if let shape = configuration.inputShape, shape.contains(where: { $0 < 1 }) { return "has an impossible input shape \(shape)" }
        for (index, layer) in configuration.layers.enumerated() {
            if let problem = layer.problem { return "has a layer \(index) (\(layer.layerName)) that \(problem)" }
        }
        return nil
    }
}
