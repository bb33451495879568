import Foundation

/// A model's layers as a table: type, output shape, parameter count (Keras' `summary()`),
/// then the totals: trainable parameters, and non-trainable ones (frozen weights and buffers such
/// as batch norm's running statistics, which Keras counts there too).
public struct ModelSummary: CustomStringConvertible {
    public struct Row {
        public var layer: String
        /// The output shape with the batch axis shown as "batch", e.g. "(batch, 128)".
        public var outputShape: String
        /// Every value the layer holds: its parameters, trainable and frozen, and its buffers.
        public var parameters: Int
        /// The values of its parameters that train.
        public var trainableParameters: Int

        public init(layer: String, outputShape: String, parameters: Int, trainableParameters: Int) {
            self.layer = layer
            self.outputShape = outputShape
            self.parameters = parameters
            self.trainableParameters = trainableParameters
        }

        /// The row of `module`, counting what it holds.
        init(layer: String, outputShape: String, module: Module) {
            self.init(layer: layer, outputShape: outputShape, parameters: module.parameterCount + module.bufferCount,
                      trainableParameters: module.trainableParameterCount)
        }
    }
    public var rows: [Row]
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    public var trainableParameters: Int { rows.reduce(0) { $0 + $1.trainableParameters } }
    /// Frozen parameters and buffers.
    public var nonTrainableParameters: Int { totalParameters - trainableParameters }

    public var description: String {
        let header = Row(layer: "Layer", outputShape: "Output shape", parameters: 0, trainableParameters: 0)
        let layerWidth = max(12, (rows + [header]).map(\.layer.count).max()! + 2)
        let shapeWidth = max(14, (rows + [header]).map(\.outputShape.count).max()! + 2)
        let countWidth = max(10, String(totalParameters).count + 4)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let rule = String(repeating: "─", count: layerWidth + shapeWidth + countWidth)
        var lines = [pad("Layer", layerWidth) + pad("Output shape", shapeWidth) + right("Params", countWidth), rule]
        for row in rows {
            lines.append(pad(row.layer, layerWidth) + pad(row.outputShape, shapeWidth) + right(Self.grouped(row.parameters), countWidth))
        }
        lines.append(rule)
        lines.append("Total parameters: \(Self.grouped(totalParameters))")
        lines.append("Trainable parameters: \(Self.grouped(trainableParameters))")
        lines.append("Non-trainable parameters: \(Self.grouped(nonTrainableParameters))")
        return lines.joined(separator: "\n")
    }
}

extension ModelSummary {
    /// 235146 -> "235,146".
    public static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = value < 0 ? "-" : ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}

extension Sequential {
    /// The layers, their output shapes for `inputShape` (or the model's) and parameter counts
    /// (Keras' `summary()`), each shape from the layer's own `outputShape(forInput:)`. Without a
    /// known input shape, output shapes show "?"; a layer that cannot take what the one before
    /// it gives shows "? (takes ...)", and the layers after it "?".
    public func summary(inputShape: [Int]? = nil) -> ModelSummary {
        var shape = inputShape ?? self.inputShape
        var rows: [ModelSummary.Row] = []
        for (index, layer) in layers.enumerated() {
            var text = "?"
            if let input = shape {
                do {
                    shape = try layer.outputShape(forInput: input)
                } catch let error as LayerShapeError {
                    shape = nil
                    text = "? (takes \(error.expected))"
                } catch {
                    shape = nil
                    text = "? (\(error))"
                }
            }
            if let shape { text = ModelSummary.shapeText(shape) }
            rows.append(.init(layer: "\(index) \(layer.typeName)", outputShape: text, module: layer))
        }
        return ModelSummary(rows: rows)
    }
}

extension Module {
    /// A model of your own as a table (PyTorch's module listing): one row per module it holds in
    /// its stored properties (`namedSubmodules`: arrays and dictionaries of them included), in
    /// declaration order, with its type and what it holds; parameters of its own (a `Variable`
    /// property) in a last row. With an `inputShape` (one sample, batch omitted), the model runs
    /// once on a zero sample to show its output shape in a last row. A `Sequential` gives its
    /// layer-by-layer summary.
    public func summary(inputShape: [Int]? = nil) -> ModelSummary {
        if let sequential = self as? Sequential { return sequential.summary(inputShape: inputShape) }
        var rows = namedSubmodules.map { name, module in
            ModelSummary.Row(layer: "\(name) \(Self.typeName(of: module))", outputShape: "", module: module)
        }
        let own = parameterCount + bufferCount - rows.reduce(0) { $0 + $1.parameters }
        let ownTrainable = trainableParameterCount - rows.reduce(0) { $0 + $1.trainableParameters }
        if own > 0 || rows.isEmpty {
            rows.append(.init(layer: "(own parameters)", outputShape: "", parameters: max(own, 0), trainableParameters: max(ownTrainable, 0)))
        }
        if let inputShape {
            let output = inEvaluationMode { withoutGradients { self(Tensor.zeros([1] + inputShape)) } }
            rows.append(.init(layer: "output", outputShape: ModelSummary.shapeText(Array(output.shape.dropFirst())), parameters: 0,
                              trainableParameters: 0))
        }
        return ModelSummary(rows: rows)
    }

    private static func typeName(of module: Module) -> String {
        (module as? Layer)?.typeName ?? String(describing: type(of: module))
    }
}

extension ModelSummary {
    /// "(batch, 128)" for a sample shape [128].
    static func shapeText(_ shape: [Int]) -> String {
        "(" + (["batch"] + shape.map(String.init)).joined(separator: ", ") + ")"
    }
}
