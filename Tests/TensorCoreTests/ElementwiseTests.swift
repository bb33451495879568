import Foundation
import Testing
@testable import TensorCore

/// Broadcast oracle: f over the broadcast shape by explicit index arithmetic.
func broadcastOracle(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let shape = broadcastShape(a.shape, b.shape)
    var result = Tensor.zeros(shape)
    for index in allIndices(shape) {
        func pick(_ t: Tensor) -> Float {
            let offset = shape.count - t.rank
            return t[index: (0..<t.rank).map { t.shape[$0] == 1 ? 0 : index[$0 + offset] }]
        }
        result[index: index] = f(pick(a), pick(b))
    }
    return result
}

@Suite struct ElementwiseTests {
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([128, 10], [10]), ([4, 1], [1, 5]), ([2, 3, 4], [3, 1]),
        ([2, 3, 4, 5], [1, 3, 1, 1]), ([3], []), ([], [2, 2]), ([2, 1, 4], [5, 1]), ([1, 1], [3, 1, 2]),
    ]

    @Test(arguments: shapePairs)
    func broadcastingMatchesOracle(_ shapes: ([Int], [Int])) {
        let a = sample(shapes.0, seed: 1), b = sample(shapes.1, seed: 2) + 2
        expectClose(a + b, broadcastOracle(a, b, +))
        expectClose(a - b, broadcastOracle(a, b, -))
        expectClose(b - a, broadcastOracle(b, a, -))
        expectClose(a * b, broadcastOracle(a, b, *))
        expectClose(a / b, broadcastOracle(a, b, /))
        expectClose(max(a, b - 2), broadcastOracle(a, b - 2) { Swift.max($0, $1) })
        expectClose(min(a, b - 2), broadcastOracle(a, b - 2) { Swift.min($0, $1) })
        expectClose(a .> (b - 2), broadcastOracle(a, b - 2) { $0 > $1 ? 1 : 0 })
    }

    @Test func broadcastingLargeTensorsInParallelMatchesOracle() {
        // Split across the cores (off by default): the chunked loops must agree with the serial ones.
        let saved = (Parallelism.minimumElements, Parallelism.adaptsToLoad)
        (Parallelism.minimumElements, Parallelism.adaptsToLoad) = (1 << 12, false)
        defer { (Parallelism.minimumElements, Parallelism.adaptsToLoad) = saved }
        let a = sample([300, 257], seed: 3), row = sample([257], seed: 4), column = sample([300, 1], seed: 5)
        expectClose(a + row, broadcastOracle(a, row, +))
        expectClose(a * column, broadcastOracle(a, column, *))
        let big = sample([1 << 18], seed: 6)
        let doubled = big * 2
        for i in stride(from: 0, to: big.count, by: 997) { #expect(doubled.scalars[i] == big.scalars[i] * 2) }
    }

    @Test func incompatibleShapesAreNamedInTheMessage() {
        #expect(broadcastShape([2, 3], [3]) == [2, 3])
        #expect(broadcastShape([5, 1, 4], [3, 1]) == [5, 3, 4])
    }

    @Test func scalarOperators() {
        let x = Tensor([1, 2, 4])
        #expect((x + 1).scalars == [2, 3, 5])
        #expect((1 - x).scalars == [0, -1, -3])
        #expect((x * 3).scalars == [3, 6, 12])
        #expect((8 / x).scalars == [8, 4, 2])
        #expect((-x).scalars == [-1, -2, -4])
        var y = x
        y += Tensor([1, 1, 1])
        y *= 2
        #expect(y.scalars == [4, 6, 10])
    }

    @Test func unaryFunctionsMatchFoundation() {
        let x = sample([50], seed: 9) * 3
        let positive = abs(x) + 0.1
        expectClose(exp(x), Tensor(x.scalars.map { Foundation.exp($0) }))
        expectClose(log(positive), Tensor(positive.scalars.map { Foundation.log($0) }))
        expectClose(sqrt(positive), Tensor(positive.scalars.map { $0.squareRoot() }))
        expectClose(tanh(x), Tensor(x.scalars.map { Foundation.tanh($0) }))
        expectClose(sigmoid(x), Tensor(x.scalars.map { 1 / (1 + Foundation.exp(-$0)) }))
        expectClose(relu(x), Tensor(x.scalars.map { Swift.max(0, $0) }))
        expectClose(leakyRelu(x, alpha: 0.1), Tensor(x.scalars.map { $0 > 0 ? $0 : 0.1 * $0 }))
        expectClose(elu(x), Tensor(x.scalars.map { $0 > 0 ? $0 : Foundation.exp($0) - 1 }))
        expectClose(abs(x), Tensor(x.scalars.map { Swift.abs($0) }))
        expectClose(pow(positive, 1.5), Tensor(positive.scalars.map { Foundation.pow($0, 1.5) }))
        expectClose(x.clamped(min: -1, max: 1), Tensor(x.scalars.map { Swift.min(Swift.max($0, -1), 1) }))
    }

    @Test func sigmoidIsStableForLargeInputs() {
        let s = sigmoid(Tensor([-1000, -50, 0, 50, 1000]))
        #expect(s.scalars.allSatisfy { $0.isFinite })
        #expect(s.scalars[0] == 0 && s.scalars[2] == 0.5 && s.scalars[4] == 1)
    }

    @Test func whereSelectsWithBroadcasting() {
        let condition = Tensor([[1, 0, 1]])
        let result = Tensor.where(condition, Tensor([[1, 2, 3], [4, 5, 6]]), Tensor(scalar: -1))
        #expect(result == Tensor([[1, -1, 3], [4, -1, 6]]))
    }
}
