import Testing
@testable import Autodiff

@Suite struct EdgeCaseGradientTests {
    @Test func gradientCheckReportsANaNDerivativeAfterTheFirstValue() {
        // where(c, log(x), x) at x = 0 (not selected): log's backward gives 0 / 0 = NaN, while
        // the finite difference is 1. The NaN must not be passed over.
        let condition = Tensor([1, 1, 0])
        let error = gradientCheck({ v in Variable.where(condition, log(v[0]), v[0]) }, inputs: [Tensor([1, 2, 0])])
        #expect(error.isNaN)
        // A correct gradient still checks.
        #expect(gradientCheck({ v in Variable.where(condition, log(v[0]), v[0]) }, inputs: [Tensor([1, 2, 3])]) < 1e-3)
    }

    @Test func logSumExpAlongAnEmptyAxisIsMinusInfinity() {
        let x = Variable(Tensor.zeros([2, 0]), requiresGrad: true)
        let y = logSumExp(x, axis: 1)
        #expect(y.value == Tensor([-Float.infinity, -.infinity]))
    }

    @Test func logSumExpOfInfiniteLinesIsInfinite() {
        let inf = Float.infinity
        let y = logSumExp(Variable(Tensor([[inf, 1], [-inf, -inf]])), axis: -1)
        #expect(y.value == Tensor([inf, -inf]))
    }
}

@Suite struct EdgeCaseErrorTests {
    @Test func meanAlongAnAxisOutOfRangeNamesIt() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Variable(Tensor.zeros([2, 3])).mean(alongAxes: [2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("sum: axis 2 out of range for rank 2"), "\(message)")
    }

    @Test func stackAlongAnAxisOutOfRangeNamesIt() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Variable.stack([Variable(Tensor.zeros([2, 3])), Variable(Tensor.zeros([2, 3]))], alongAxis: 4)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Variable.stack: axis 4 out of range for stacking shape [2, 3]"), "\(message)")
    }
}
