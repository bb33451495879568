import Foundation
import Testing
@testable import TensorCore

@Suite struct SoftmaxTests {
    @Test func softmaxMatchesDefinitionAndSumsToOne() {
        let x = sample([4, 7], seed: 41) * 3
        let s = softmax(x)
        for row in 0..<4 {
            let values = (0..<7).map { Double(x[row, $0]) }
            let total = values.map { Foundation.exp($0) }.reduce(0, +)
            for j in 0..<7 { #expect(Swift.abs(Double(s[row, j]) - Foundation.exp(values[j]) / total) < 1e-6) }
        }
        expectClose(s.sum(alongAxes: [1]), Tensor.ones([4]))
        expectClose(softmax(x, axis: 0).sum(alongAxes: [0]), Tensor.ones([7]))
        expectClose(logSoftmax(x), log(s), tolerance: 1e-5)
        expectClose(logSoftmax(x, axis: 0), log(softmax(x, axis: 0)), tolerance: 1e-5)
    }

    @Test func stableForLargeInputs() {
        let x = Tensor([[1000, 1000, 999], [-1000, -1000, -1001]])
        let s = softmax(x)
        #expect(s.scalars.allSatisfy { $0.isFinite })
        let e = Float(Foundation.exp(-1.0))
        expectClose(s, Tensor([[1 / (2 + e), 1 / (2 + e), e / (2 + e)], [1 / (2 + e), 1 / (2 + e), e / (2 + e)]]))
        let logS = logSoftmax(x)
        #expect(logS.scalars.allSatisfy { $0.isFinite })
        expectClose(logSumExp(x, axis: 1), Tensor([1000 + Float(Foundation.log(2 + Double(e))), -1000 + Float(Foundation.log(2 + Double(e)))]))
        #expect(logSumExp(x, axis: 1, keepDims: true).shape == [2, 1])
    }

    @Test func middleAxisSoftmax() {
        let x = sample([2, 3, 4], seed: 42)
        let s = softmax(x, axis: 1)
        expectClose(s.sum(alongAxes: [1]), Tensor.ones([2, 4]))
        let manual = exp(x) / exp(x).sum(alongAxes: [1], keepDims: true)
        expectClose(s, manual)
    }
}
