extension Diagram {
    /// A fully connected network drawn unit by unit, as textbooks draw a small one: a column of
    /// circles per layer, every unit joined to every unit of the next layer. A layer of more
    /// than seven units shows its first three and last two with "⋮" between.
    ///
    ///     Diagram.network(layerSizes: [2, 4, 1], activations: [nil, "tanh", "σ"])
    ///
    /// - Parameters:
    ///   - activations: the activation of each layer, written under it (nil for none).
    ///   - dropped: units drawn as dropped out (dashed, without connections), by layer index:
    ///     the picture of dropout.
    public static func network(layerSizes: [Int], activations: [String?] = [], dropped: [Int: Set<Int>] = [:],
                               title: String = "") -> Diagram {
        engineCheck(!layerSizes.isEmpty && layerSizes.allSatisfy { $0 > 0 },
                    "Diagram.network: layer sizes must be positive, got \(layerSizes)")
        let spacing = 40.0, columnGap = 170.0, radius = 15.0
        let inputFill = Color(hex: 0xebebeb), hiddenFill = Color(hex: 0xcfe2f3), outputFill = Color(hex: 0xd5ecd4)
        var diagram = Diagram(title: title)
        /// The units drawn in each layer (nil: the "⋮" between the first three and the last two).
        let shown: [[Int?]] = layerSizes.map { size in
            size <= 7 ? Array(0..<size) : [0, 1, 2, nil, size - 2, size - 1]
        }
        let tallest = shown.map(\.count).max()!
        var bottom = 0.0
        for (layer, units) in shown.enumerated() {
            let x = Double(layer) * columnGap
            let top = -spacing * Double(units.count - 1) / 2
            bottom = max(bottom, spacing * Double(tallest - 1) / 2)
            let last = layer == layerSizes.count - 1
            for (row, unit) in units.enumerated() {
                let y = top + Double(row) * spacing
                guard let unit else {
                    diagram = diagram.node("\(layer).more", "⋮", x: x, y: y, shape: .text, fontSize: 16)
                    continue
                }
                let isDropped = dropped[layer]?.contains(unit) ?? false
                let fill = isDropped ? Color.white : layer == 0 ? inputFill : last ? outputFill : hiddenFill
                diagram = diagram.node("\(layer).\(unit)", "", x: x, y: y, shape: .circle, fill: fill,
                                       stroke: isDropped ? Color(hex: 0xa0a0a0) : nil, minimumWidth: 2 * radius,
                                       dashed: isDropped)
            }
        }
        for layer in 0..<(layerSizes.count - 1) {
            for case let a? in shown[layer] where !(dropped[layer]?.contains(a) ?? false) {
                for case let b? in shown[layer + 1] where !(dropped[layer + 1]?.contains(b) ?? false) {
                    diagram = diagram.edge("\(layer).\(a)", "\(layer + 1).\(b)", color: Color(hex: 0x8c8c8c), width: 0.8,
                                           arrow: false)
                }
            }
        }
        for (layer, size) in layerSizes.enumerated() {
            let role = layer == 0 ? "input" : layer == layerSizes.count - 1 ? "output" : "hidden"
            let activation = layer < activations.count ? activations[layer] : nil
            let detail = "\(size) unit\(size == 1 ? "" : "s")" + (activation.map { ", \($0)" } ?? "")
            diagram = diagram.text(role, x: Double(layer) * columnGap, y: bottom + radius + 26, size: 13)
                .text(detail, x: Double(layer) * columnGap, y: bottom + radius + 44, size: 12, color: Color(hex: 0x555555))
        }
        return diagram
    }
}
