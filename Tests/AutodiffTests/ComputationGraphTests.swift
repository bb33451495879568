import Testing
@testable import Autodiff

@Suite struct ComputationGraphTests {
    @Test func operandsComeBeforeTheOperationsThatUseThem() {
        let x = Variable(Tensor([[1, 2]]), requiresGrad: false)
        let w = Variable(Tensor([[1], [2]]), requiresGrad: true)
        let b = Variable(Tensor([0.5]), requiresGrad: true)
        let loss = relu(matmul(x, w) + b).sum()
        let nodes = loss.graph.nodes
        #expect(nodes.map { $0.operation ?? "leaf" } == ["leaf", "leaf", "matmul", "leaf", "add", "relu", "sum"])
        #expect(nodes[0].variable === x && nodes[1].variable === w && nodes[3].variable === b)
        #expect(nodes.last!.variable === loss)
        #expect(nodes[2].inputs == [0, 1] && nodes[4].inputs == [2, 3] && nodes[6].inputs == [5])
        #expect(nodes[2].shape == [1, 1] && nodes[6].shape == [])
        #expect(nodes.map(\.requiresGrad) == [false, true, true, true, true, true, true])
    }

    @Test func aValueUsedTwiceIsOneNode() {
        // y = x * x + x: a diamond.
        let x = Variable(Tensor([0.5, -2]), requiresGrad: true)
        let y = x * x + x
        let nodes = y.graph.nodes
        #expect(nodes.count == 3)
        #expect(nodes[1].operation == "multiply" && nodes[1].inputs == [0, 0])
        #expect(nodes[2].operation == "add" && nodes[2].inputs == [1, 0])
    }

    @Test func aLeafIsItsWholeGraph() {
        let w = Variable(Tensor([1, 2]), requiresGrad: true)
        #expect(w.graph.nodes.count == 1 && w.graph.nodes[0].isLeaf && w.graph.nodes[0].inputs.isEmpty)
    }

    @Test func takingTheGraphLeavesBackwardAsItWas() {
        let w = Variable(Tensor([1, -2, 3]), requiresGrad: true)
        let loss = (w * w * 3).sum()
        _ = loss.graph
        loss.backward()
        #expect(w.grad == Tensor([6, -12, 18]))
    }

    @Test func aLongChainDoesNotOverflowTheStack() {
        var x = Variable(Tensor([1]), requiresGrad: true)
        for _ in 0..<50_000 { x = x * 1 }
        let nodes = x.graph.nodes
        #expect(nodes.count == 50_001)
        #expect(nodes[1].inputs == [0] && nodes.last!.inputs == [49_999])
    }
}
