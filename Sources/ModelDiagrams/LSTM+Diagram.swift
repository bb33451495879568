extension LSTM {
    /// The cell this layer runs at each time step, with its sizes: the gates, the cell state
    /// along the top and the hidden state out at the right (see `Diagram.lstmCell`).
    public func cellDiagram(title: String? = nil) -> Diagram {
        Diagram.lstmCell(inputCount: inputCount, hiddenCount: hiddenCount,
                         title: title ?? "The LSTM cell at step t (input \(inputCount), hidden \(hiddenCount))")
    }
}

extension Diagram {
    /// The LSTM cell as Olah's "Understanding LSTM Networks" (2015) draws it: the cell state c
    /// runs along the top, changed only by the forget gate's product and the input gate's sum;
    /// below, the previous output h and the input x feed the four gates (sigmoids in yellow,
    /// the tanh candidate too), whose results meet the state in the pink pointwise operations;
    /// the output gate picks what of tanh(c) leaves as h.
    ///
    /// - Parameters:
    ///   - inputCount, hiddenCount: the sizes written beside x, h and c, when given.
    public static func lstmCell(inputCount: Int? = nil, hiddenCount: Int? = nil, title: String = "The LSTM cell") -> Diagram {
        let gateFill = Color(hex: 0xfff2b3), pointwiseFill = Color(hex: 0xf8d3d8)
        let cellFill = Color(hex: 0xf3f6fa), cellStroke = Color(hex: 0x9fb3c8)
        let wire = Color(hex: 0x333333), stateWire = Color(hex: 0x1f4e79)
        let hidden = hiddenCount.map { " (\($0))" } ?? "", input = inputCount.map { " (\($0))" } ?? ""
        // Rows: the cell state, the products, the gates, the bus of [h, x].
        let stateY = 40.0, productY = 125.0, gateY = 210.0, busY = 290.0
        let forgetX = 185.0, inputX = 285.0, candidateX = 385.0, outputX = 500.0, squashX = 590.0
        let joinX = 140.0, inX = 30.0, outX = 765.0
        func gate(_ diagram: Diagram, _ id: String, _ symbol: String, _ name: String, _ x: Double) -> Diagram {
            diagram.node(id, symbol, detail: name, x: x, y: gateY, fill: gateFill, minimumWidth: 72, minimumHeight: 44, fontSize: 14)
        }
        var diagram = Diagram(title: title, width: 800)
            .region("", x: 100, y: 6, width: 590, height: 314, fill: cellFill, stroke: cellStroke)
            .node("cIn", "cₜ₋₁", detail: "cell state" + hidden, x: inX, y: stateY, shape: .text, fontSize: 14, italic: true)
            .node("hIn", "hₜ₋₁", detail: "output" + hidden, x: inX, y: busY, shape: .text, fontSize: 14, italic: true)
            .node("xIn", "xₜ", detail: "input" + input, x: joinX, y: busY + 68, shape: .text, fontSize: 14, italic: true)
            .node("cOut", "cₜ", detail: "cell state" + hidden, x: outX, y: stateY, shape: .text, fontSize: 14, italic: true)
            .node("hOut", "hₜ", detail: "output" + hidden, x: outX, y: gateY, shape: .text, fontSize: 14, italic: true)
            // Pointwise operations.
            .node("forgetTimes", "×", x: forgetX, y: stateY, shape: .circle, fill: pointwiseFill, fontSize: 15)
            .node("plus", "+", x: candidateX, y: stateY, shape: .circle, fill: pointwiseFill, fontSize: 15)
            .node("inputTimes", "×", x: candidateX, y: productY, shape: .circle, fill: pointwiseFill, fontSize: 15)
            .node("squash", "tanh", x: squashX, y: productY, shape: .ellipse, fill: pointwiseFill)
            .node("outputTimes", "×", x: squashX, y: gateY, shape: .circle, fill: pointwiseFill, fontSize: 15)
            // Where the wires split.
            .node("stateSplit", "", x: squashX, y: stateY, shape: .junction, stroke: stateWire)
            .node("join", "", x: joinX, y: busY, shape: .junction, stroke: wire)
            .node("toForget", "", x: forgetX, y: busY, shape: .junction, stroke: wire)
            .node("toInput", "", x: inputX, y: busY, shape: .junction, stroke: wire)
            .node("toCandidate", "", x: candidateX, y: busY, shape: .junction, stroke: wire)
        // The gates, each σ or tanh of [hₜ₋₁, xₜ] W + b.
        diagram = gate(diagram, "forget", "σ", "forget", forgetX)
        diagram = gate(diagram, "input", "σ", "input", inputX)
        diagram = gate(diagram, "candidate", "tanh", "candidate", candidateX)
        diagram = gate(diagram, "output", "σ", "output", outputX)
        // The cell state along the top.
        diagram = diagram
            .edge("cIn", "forgetTimes", color: stateWire, width: 2.2)
            .edge("forgetTimes", "plus", color: stateWire, width: 2.2)
            .edge("plus", "stateSplit", color: stateWire, width: 2.2, arrow: false)
            .edge("stateSplit", "cOut", color: stateWire, width: 2.2)
            .edge("stateSplit", "squash", color: stateWire, width: 1.3)
        // [hₜ₋₁, xₜ] along the bus to each gate.
        diagram = diagram
            .edge("hIn", "join", color: wire, arrow: false)
            .edge("xIn", "join", color: wire, arrow: false)
            .edge("join", "toForget", color: wire, arrow: false)
            .edge("toForget", "toInput", color: wire, arrow: false)
            .edge("toInput", "toCandidate", color: wire, arrow: false)
            .edge("toCandidate", "output", via: [(outputX, busY)], color: wire)
            .edge("toForget", "forget", color: wire)
            .edge("toInput", "input", color: wire)
            .edge("toCandidate", "candidate", color: wire)
        // The gates' results meet the state.
        diagram = diagram
            .edge("forget", "forgetTimes", label: "fₜ", color: wire)
            .edge("input", "inputTimes", label: "iₜ", via: [(inputX, productY)], color: wire, labelSegment: 0)
            .edge("candidate", "inputTimes", label: "gₜ", color: wire)
            .edge("inputTimes", "plus", label: "iₜ ⊙ gₜ", color: wire)
            .edge("output", "outputTimes", label: "oₜ", color: wire)
            .edge("squash", "outputTimes", label: "tanh cₜ", color: wire)
            .edge("outputTimes", "hOut", color: wire)
        return diagram
            .text("cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ        hₜ = oₜ ⊙ tanh(cₜ)        (⊙: elementwise product)",
                  x: 395, y: busY + 110, size: 13)
    }
}
