import Foundation

/// A model's layers as a table: type, output shape, parameter count (Keras' `summary()`).
public struct ModelSummary: CustomStringConvertible {
    public struct Row {
        public var layer: String
        /// The output shape with the batch axis shown as "batch", e.g. "(batch, 128)".
        public var outputShape: String
        public var parameters: Int
    }
    public var rows: [Row]
    public var totalParameters: Int { rows.reduce(0) { $0 + $1.parameters } }

    public var description: String {
        let header = Row(layer: "Layer", outputShape: "Output shape", parameters: 0)
        let layerWidth = max(12, (rows + [header]).map(\.layer.count).max()! + 2)
        let shapeWidth = max(14, (rows + [header]).map(\.outputShape.count).max()! + 2)
        let countWidth = max(10, String(totalParameters).count + 4)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        let rule = String(repeating: "─", count: layerWidth + shapeWidth + countWidth)
        var lines = [pad("Layer", layerWidth) + pad("Output shape", shapeWidth) + right("Params", countWidth), rule]
        for row in rows {
            lines.append(pad(row.layer, layerWidth) + pad(row.outputShape, shapeWidth) + right(grouped(row.parameters), countWidth))
        }
        lines.append(rule)
        lines.append("Total parameters: \(grouped(totalParameters))")
        return lines.joined(separator: "\n")
    }
}

/// 235146 -> "235,146".
func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (i, digit) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return out
}

extension Sequential {
    /// The layers, their output shapes for `inputShape` (or the model's) and parameter counts.
    /// Without a known input shape, output shapes show "?"; a layer that cannot take what the
    /// one before it gives shows "? (takes ...)", and the layers after it "?".
    public func summary(inputShape: [Int]? = nil) -> ModelSummary {
        var shape = inputShape ?? self.inputShape
        var rows: [ModelSummary.Row] = []
        for (index, layer) in layers.enumerated() {
            var text = "?"
            if let input = shape {
                switch sampleShapeStep(layer, input) {
                case .output(let output): shape = output
                case .unknown: shape = layer.outputShape(forInput: input)
                case .rejects(let expected):
                    shape = nil
                    text = "? (takes \(expected))"
                }
            }
            if let shape { text = "(" + (["batch"] + shape.map(String.init)).joined(separator: ", ") + ")" }
            rows.append(.init(layer: "\(index) \(layer.typeName)", outputShape: text, parameters: layer.parameterCount))
        }
        return ModelSummary(rows: rows)
    }
}
