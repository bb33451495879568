import Foundation
import Testing
import ModelDiagrams
@testable import Plotting

/// A diagram's problems are thrown by pngData() naming the node; the layered layout keeps its
/// promises (edges point down, nodes of a layer do not overlap); the model diagrams read their
/// shapes from the layers.
@Suite struct DiagramTests {
    func message(_ diagram: Diagram) -> String? {
        do { _ = try diagram.pngData(); return nil } catch let error as PlotError { return error.message } catch { return "\(error)" }
    }

    @Test func problemsNameTheNode() {
        #expect(message(Diagram()) == "diagram: nothing to draw (add a node with .node(id, label))")
        #expect(message(Diagram().node("a", "A").edge("a", "b")) == "diagram: edge \"a\" → \"b\" names no node \"b\"")
        #expect(message(Diagram().node("a", "A").node("a", "again")) == "diagram: node \"a\" is added twice")
        #expect(message(Diagram().node("a", "A", x: 1)) == "diagram: node \"a\" has x but not y; give both or neither")
        #expect(message(Diagram().node("a", "A", x: 0, y: 0).node("b", "B"))?.hasPrefix("diagram: node \"b\" has no position while others have") == true)
        #expect(message(Diagram().node("a", "A").region("group", around: ["a", "z"])) == "diagram: region \"group\" names no node \"z\"")
        #expect(message(Diagram().node("a", "A", x: .nan, y: 0)) == "diagram: node \"a\": x must be a finite number, got nan")
    }

    @Test func theSameDiagramGivesTheSameBytes() throws {
        let diagram = Diagram(title: "t").node("a", "A").node("b", "B").edge("a", "b", label: "3×4")
        #expect(try diagram.pngData() == diagram.pngData())
    }

    @Test func layersPointDownAndDoNotOverlap() {
        // a → b → c → d, and a → d spanning three layers; e feeds c.
        let sizes = [(60.0, 30.0), (80, 30), (50, 30), (70, 30), (40, 30)].map { (width: $0.0, height: $0.1) }
        let edges = [(0, 1), (1, 2), (2, 3), (0, 3), (4, 2)]
        let result = LayeredLayout.place(sizes: sizes, edges: edges, direction: .topToBottom, layerGap: 40, nodeGap: 20)
        for (a, b) in edges { #expect(result.centers[b].y > result.centers[a].y) }
        // The long edge passes through one dummy per layer it crosses, the short ones through none.
        #expect(result.routes.map(\.count) == [0, 0, 0, 2, 0])
        // e sits in c's layer's predecessor row, beside b, not above a.
        #expect(result.centers[4].y == result.centers[1].y)
        #expect(abs(result.centers[4].x - result.centers[1].x) >= (80 + 40) / 2 + 20 - 1e-9)
        // A chain of operations stays straight: c right under b.
        #expect(abs(result.centers[2].x - result.centers[1].x) < abs(result.centers[4].x - result.centers[2].x))
    }

    @Test func cyclesAreLaidOutToo() {
        let sizes = [(width: 40.0, height: 20.0), (width: 40.0, height: 20.0)]
        let result = LayeredLayout.place(sizes: sizes, edges: [(0, 1), (1, 0)], direction: .leftToRight, layerGap: 30, nodeGap: 10)
        #expect(result.centers[1].x > result.centers[0].x)
    }

    @Test func separatedPositionsAreTheClosest() {
        // Three nodes wanting one place spread symmetrically around it.
        #expect(LayeredLayout.closestSeparated([0, 0, 0], gaps: [0, 10, 10]) == [-10, 0, 10])
        // Already apart: unchanged.
        #expect(LayeredLayout.closestSeparated([0, 50], gaps: [0, 10]) == [0, 50])
        // A light node gives way to a heavy one: the weighted mean of the pooled block.
        let placed = LayeredLayout.closestSeparated([5, 0], gaps: [0, 10], weights: [1, 0.05])
        #expect(abs(placed[0] - (5 - 0.5) / 1.05) < 1e-12 && abs(placed[1] - placed[0] - 10) < 1e-12)
    }

    @Test func aWideDrawingIsPulledTogetherToFit() {
        let diagram = Diagram(width: 400).node("a", "left", x: 0, y: 0).node("b", "right", x: 3000, y: 0).edge("a", "b")
        let layout = DiagramRenderer(diagram: diagram).layout()
        #expect(layout.scale < 1)
        for (center, size) in zip(layout.centers, layout.sizes) {
            #expect(center.x - size.width / 2 >= 0 && center.x + size.width / 2 <= 400)
        }
        // A small one keeps its size and is centred.
        let small = DiagramRenderer(diagram: Diagram(width: 400).node("a", "A", x: 0, y: 0).node("b", "B", x: 100, y: 0)).layout()
        #expect(small.scale == 1 && abs((small.centers[0].x + small.centers[1].x) / 2 - 200) < 1e-9)
    }

    @Test func theLayerDiagramCarriesEachShape() {
        let diagram = GoldenDiagrams.leNet()
        #expect(diagram.edges.compactMap(\.label) == ["784", "1×28×28", "16×24×24", "16×12×12", "32×8×8", "32×4×4", "512", "256", "10"])
        #expect(diagram.nodes.map(\.label).filter { ["Conv2D", "BatchNorm", "ReLU"].contains($0) }.count == 7)
        #expect(diagram.nodes.contains { $0.label == "Dropout 0.2" && $0.dashed })
        // Without an input shape the arrows carry none.
        let unknown = Sequential([Linear(3, 4), Tanh(), Linear(4, 1)]).diagram()
        #expect(unknown.edges.compactMap(\.label).isEmpty && unknown.nodes.contains { $0.label == "Tanh" })
    }

    @Test func theGraphDiagramNamesValuesAndShapes() {
        let diagram = GoldenDiagrams.computationGraph()
        let labels = diagram.nodes.map(\.label)
        for name in ["X", "W₁", "b₁", "W₂", "b₂", "L", "matmul", "+", "ReLU", "softmax\ncross-entropy"] {
            #expect(labels.contains(name), "\(name)")
        }
        #expect(labels.filter { $0 == "matmul" }.count == 2)
        let edgeLabels = Set(diagram.edges.compactMap(\.label))
        #expect(edgeLabels == ["32×256", "Z₁: 32×256", "A₁: 32×256", "32×10", "Z₂: 32×10"])
    }
}
