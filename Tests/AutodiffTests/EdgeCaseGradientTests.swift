import Testing
@testable import Autodiff

@Suite struct EdgeCaseGradientTests {
    @Test func logSumExpAlongAnEmptyAxisIsMinusInfinity() {
        let x = Variable(Tensor.zeros([2, 0]), requiresGrad: true)
        let y = logSumExp(x, axis: 1)
        #expect(y.value == Tensor([-Float.infinity, -.infinity]))
    }
}
