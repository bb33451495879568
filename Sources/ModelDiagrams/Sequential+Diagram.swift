@_exported import Plotting
@_exported import NeuralNetwork

extension Sequential {
    /// The model as a block diagram, as a textbook draws a network: each layer a box with what
    /// it does and its parameter count, read from the top; the activation, batch norm and
    /// dropout that follow a layer are stacked under it (they keep the shape); each arrow carries
    /// the shape of one sample there (batch omitted), from each layer's `outputShape(forInput:)`.
    /// Long models continue in a second (third...) column.
    ///
    ///     let model = Sequential([Linear(784, 128), ReLU(), Linear(128, 10)], inputShape: [784])
    ///     model.diagram()
    ///
    /// - Parameter inputShape: one sample's shape; the model's own when nil (without either, the
    ///   arrows carry no shapes).
    public func diagram(inputShape: [Int]? = nil, title: String? = nil) -> Diagram {
        LayerDiagram(model: self, inputShape: inputShape ?? self.inputShape).diagram(title: title)
    }
}

/// Builds `Sequential.diagram()`: groups the layers, measures nothing (the diagram sizes its
/// boxes), places the groups in columns.
struct LayerDiagram {
    let model: Sequential
    let inputShape: [Int]?

    /// A layer's row in a block: its name, what it does, and its colour.
    struct Row {
        var label: String
        var detail: String?
        var fill: Color
        var dashed = false
    }

    /// A layer that changes the shape (or starts the model), and those after it that do not.
    struct Block {
        var rows: [Row]
        /// The shape of one sample after the block, when known.
        var shape: [Int]?
    }

    static let denseFill = Color(hex: 0xcfe2f3)
    static let convolutionFill = Color(hex: 0xfde0c5)
    static let poolingFill = Color(hex: 0xd5ecd4)
    static let recurrentFill = Color(hex: 0xe4d7f0)
    static let reshapeFill = Color(hex: 0xebebeb)
    static let activationFill = Color(hex: 0xfff2b3)
    static let normalizationFill = Color(hex: 0xf6d5e5)
    static let dropoutFill = Color(hex: 0xf7f7f7)

    static func parameters(_ layer: Layer) -> String {
        let count = layer.parameterCount
        return "\(ModelSummary.grouped(count)) parameter\(count == 1 ? "" : "s")"
    }

    /// The row of a layer, and whether it keeps the shape (joins the block above).
    static func row(_ layer: Layer) -> (row: Row, follows: Bool) {
        switch layer {
        case let linear as Linear:
            return (Row(label: "Linear", detail: "\(linear.inputCount) → \(linear.outputCount)\n\(parameters(layer))",
                        fill: denseFill), false)
        case let convolution as Conv2D:
            let w = convolution.window
            var what = "\(convolution.filters) filters \(w.kernelHeight)×\(w.kernelWidth)"
            if w.strideHeight != 1 || w.strideWidth != 1 { what += ", stride \(w.strideHeight)" }
            if w.paddingHeight != 0 || w.paddingWidth != 0 { what += ", padding \(w.paddingHeight)" }
            return (Row(label: "Conv2D", detail: what + "\n" + parameters(layer), fill: convolutionFill), false)
        case let pooling as Pooling2D:
            let w = pooling.window
            var what = "\(w.kernelHeight)×\(w.kernelWidth)"
            if w.strideHeight != w.kernelHeight { what += ", stride \(w.strideHeight)" }
            return (Row(label: layer.typeName, detail: what, fill: poolingFill), false)
        case let lstm as LSTM:
            return (Row(label: "LSTM", detail: "\(lstm.inputCount) → \(lstm.hiddenCount)\(lstm.returnSequences ? ", every step" : "")\n\(parameters(layer))",
                        fill: recurrentFill), false)
        case is Flatten:
            return (Row(label: "Flatten", detail: nil, fill: reshapeFill), false)
        case let reshape as Reshape:
            return (Row(label: "Reshape", detail: reshape.shape.map(String.init).joined(separator: "×"), fill: reshapeFill), false)
        case let activation as ActivationLayer:
            return (Row(label: activation.description.replacingOccurrences(of: "()", with: ""), detail: nil, fill: activationFill), true)
        case is BatchNorm:
            return (Row(label: "BatchNorm", detail: nil, fill: normalizationFill), true)
        case let dropout as Dropout:
            return (Row(label: "Dropout \(formatted(dropout.rate))", detail: nil, fill: dropoutFill, dashed: true), true)
        case let nested as Sequential:
            return (Row(label: "Sequential", detail: "\(nested.layers.count) layers\n\(parameters(layer))", fill: reshapeFill), false)
        default:
            let count = layer.parameterCount
            return (Row(label: layer.typeName, detail: count > 0 ? parameters(layer) : nil, fill: reshapeFill), false)
        }
    }

    static func formatted(_ value: Float) -> String {
        value == value.rounded() ? String(Int(value)) : "\(value)"
    }

    static func shapeText(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }

    /// The blocks in order, with the shape after each (nil from the first layer that cannot
    /// take what it is given).
    func blocks() -> [Block] {
        var blocks: [Block] = []
        var shape = inputShape
        for layer in model.layers {
            let (row, follows) = Self.row(layer)
            if let input = shape { shape = try? layer.outputShape(forInput: input) }
            if follows, !blocks.isEmpty {
                blocks[blocks.count - 1].rows.append(row)
                blocks[blocks.count - 1].shape = shape
            } else {
                blocks.append(Block(rows: [row], shape: shape))
            }
        }
        return blocks
    }

    func diagram(title: String?) -> Diagram {
        let blocks = blocks()
        let total = model.parameterCount
        var diagram = Diagram(title: title ?? "\(model.layers.count) layers, \(ModelSummary.grouped(total)) parameters")
        // Boxes of one width, so the column reads as a stack.
        let widths = blocks.flatMap(\.rows).map { row -> Double in
            let details = row.detail?.components(separatedBy: "\n") ?? []
            return ([Diagram.textWidth(row.label, bold: true)] + details.map { Diagram.textWidth($0, size: 13 * 0.85) }).max()!
        }
        let boxWidth = max(150, (widths.max() ?? 0) + 24)
        let mainHeight = 52.0, followerHeight = 24.0, gap = 40.0
        // Nodes in reading order: the input, the blocks, the output; in columns of about seven,
        // as many columns as the figure's width holds.
        let items = blocks.count + 2
        let shapes = ([inputShape] + blocks.map(\.shape)).map { $0.map(Self.shapeText) }
        let widestLabel = shapes.compactMap { $0 }.map { Diagram.textWidth($0, size: 11.5) }.max() ?? 0
        let columnGap = max(60, widestLabel + 40)
        let room = max(1, Int((Double(diagram.width) - 24 + columnGap) / (boxWidth + columnGap)))
        let columns = min(max(1, Int((Double(items) / 7).rounded(.up))), room)
        let perColumn = Int((Double(items) / Double(columns)).rounded(.up))

        func height(_ item: Int) -> Double {
            guard item > 0 && item <= blocks.count else { return 22 }
            let rows = blocks[item - 1].rows
            return (rows[0].detail == nil ? 32 : mainHeight) + Double(rows.count - 1) * followerHeight
        }
        var tops = [Double](repeating: 0, count: items), xs = [Double](repeating: 0, count: items)
        for item in 0..<items {
            let column = item / perColumn
            let first = item % perColumn == 0
            tops[item] = first ? 0 : tops[item - 1] + height(item - 1) + gap
            xs[item] = Double(column) * (boxWidth + columnGap)
        }
        // The nodes: input and output as text, each block a stack of touching boxes.
        var ends: [(top: String, bottom: String)] = []
        for item in 0..<items {
            if item == 0 || item == items - 1 {
                let id = item == 0 ? "input" : "output"
                diagram = diagram.node(id, id, x: xs[item], y: tops[item] + 11, shape: .text, italic: true)
                ends.append((id, id))
                continue
            }
            let block = blocks[item - 1]
            var y = tops[item]
            var ids: [String] = []
            for (k, row) in block.rows.enumerated() {
                let h = k == 0 ? (row.detail == nil ? 32 : mainHeight) : followerHeight
                let id = "\(item).\(k)"
                diagram = diagram.node(id, row.label, detail: row.detail, x: xs[item], y: y + h / 2,
                                       shape: block.rows.count == 1 ? .box : .square, fill: row.fill, minimumWidth: boxWidth, minimumHeight: h,
                                       fontSize: k == 0 ? 13 : 12, bold: k == 0, dashed: row.dashed)
                ids.append(id)
                y += h
            }
            ends.append((ids[0], ids[ids.count - 1]))
        }
        for item in 0..<(items - 1) {
            let label = shapes[item]
            let from = ends[item].bottom, to = ends[item + 1].top
            if item / perColumn == (item + 1) / perColumn {
                diagram = diagram.edge(from, to, label: label)
            } else {
                // Down, across to the next column's top, and into its first box; the shape
                // beside the first stretch, under the box it leaves.
                let turn = xs[item] + boxWidth / 2 + columnGap / 2
                let y0 = tops[item] + height(item), top = -gap / 2
                diagram = diagram.edge(from, to, label: label,
                                       via: [(xs[item], y0 + gap / 2), (turn, y0 + gap / 2), (turn, top), (xs[item + 1], top)],
                                       labelSegment: 0)
            }
        }
        return diagram
    }
}
