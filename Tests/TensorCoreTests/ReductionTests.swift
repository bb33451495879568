import Testing
@testable import TensorCore

/// Reduction oracle: folds every value into the output position it reduces to (Double sum).
func sumOracle(_ x: Tensor, axes: [Int], keepDims: Bool) -> Tensor {
    let reduced = Set(axes.map { $0 < 0 ? $0 + x.rank : $0 })
    let kept = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    var totals = [Double](repeating: 0, count: kept.reduce(1, *))
    let keptStrides = rowMajorStrides(kept)
    for index in allIndices(x.shape) {
        var o = 0
        for axis in 0..<x.rank where !reduced.contains(axis) { o += index[axis] * keptStrides[axis] }
        totals[o] += Double(x[index: index])
    }
    let shape = keepDims ? kept : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map { $0.element }
    return Tensor(totals.map { Float($0) }, shape: shape)
}

@Suite struct ReductionTests {
    static let cases: [([Int], [Int])] = [
        ([5], [0]), ([3, 4], [0]), ([3, 4], [1]), ([3, 4], [0, 1]), ([2, 3, 4], [1]),
        ([2, 3, 4], [0, 2]), ([2, 3, 4, 5], [0, 2, 3]), ([2, 3, 4], [-1]), ([4, 1, 3], [1]),
    ]

    @Test(arguments: cases)
    func sumAndMeanMatchOracle(_ c: ([Int], [Int])) {
        let x = sample(c.0, seed: 11)
        for keepDims in [false, true] {
            let expected = sumOracle(x, axes: c.1, keepDims: keepDims)
            expectClose(x.sum(alongAxes: c.1, keepDims: keepDims), expected)
            let n = Float(x.count / expected.count)
            expectClose(x.mean(alongAxes: c.1, keepDims: keepDims), expected / n)
        }
    }

    @Test(arguments: cases)
    func maxAndMinMatchOracle(_ c: ([Int], [Int])) {
        let x = sample(c.0, seed: 12)
        let reduced = Set(c.1.map { $0 < 0 ? $0 + x.rank : $0 })
        let kept = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        var maxima = Tensor.full(kept, -.infinity), minima = Tensor.full(kept, .infinity)
        for index in allIndices(x.shape) {
            let o = index.enumerated().map { reduced.contains($0.offset) ? 0 : $0.element }
            maxima[index: o] = Swift.max(maxima[index: o], x[index: index])
            minima[index: o] = Swift.min(minima[index: o], x[index: index])
        }
        #expect(x.max(alongAxes: c.1, keepDims: true) == maxima)
        #expect(x.min(alongAxes: c.1, keepDims: true) == minima)
    }

    @Test func largeReductionsUseDoubleAccumulationAndParallelChunks() {
        let n = 1 << 21
        let serialSum = (Tensor.ones([n]) * 0.1).sum().scalar
        let saved = (Parallelism.minimumElements, Parallelism.adaptsToLoad)
        (Parallelism.minimumElements, Parallelism.adaptsToLoad) = (1 << 12, false)
        defer { (Parallelism.minimumElements, Parallelism.adaptsToLoad) = saved }
        let x = Tensor.ones([n]) * 0.1
        // Float accumulation would drift far from n * 0.1 (about 1e-3 relative); Double does not.
        #expect(Swift.abs(x.sum().scalar - Float(Double(n) * Double(Float(0.1)))) < 1e-6 * Float(n))
        // Split or not, the partial sums are grouped the same way: the same bits.
        #expect(x.sum().scalar.bitPattern == serialSum.bitPattern)
        let rows = sample([512, 513], seed: 13)
        expectClose(rows.sum(alongAxes: [1]), sumOracle(rows, axes: [1], keepDims: false), tolerance: 1e-5)
        expectClose(rows.sum(alongAxes: [0]), sumOracle(rows, axes: [0], keepDims: false), tolerance: 1e-4)
    }

    @Test(arguments: [1, 7, 8, 9, 37, 513, 1030])
    func contiguousRunsOfEveryLengthMatchOracle(_ n: Int) {
        // The SIMD loops handle 8 values at a time and blocks of 512: check the remainders.
        let x = sample([3, n], seed: UInt64(n))
        expectClose(x.sum(alongAxes: [1]), sumOracle(x, axes: [1], keepDims: false))
        for row in 0..<3 {
            let values = (0..<n).map { x[row, $0] }
            #expect(x.max(alongAxes: [1]).scalars[row] == values.max()!)
            #expect(x.min(alongAxes: [1]).scalars[row] == values.min()!)
        }
        var tail = x
        tail[2, n - 1] = 5
        #expect(tail.max(alongAxes: [1]).scalars[2] == 5)
    }

    @Test func argmaxAndVariance() {
        let x = Tensor([[1, 5, 2], [7, 0, 7]])
        #expect(x.argmax(alongAxis: 1).scalars == [1, 0])
        #expect(x.argmax(alongAxis: 0).scalars == [1, 0, 1])
        #expect(x.argmin(alongAxis: 1).scalars == [0, 1])
        #expect(x.argmaxIndices(alongAxis: 1) == [1, 0])
        expectClose(Tensor([1, 2, 3, 4]).variance(), Tensor(scalar: 1.25))
        expectClose(x.variance(alongAxes: [1]), Tensor([26.0 / 9, 98.0 / 9]))
    }

    @Test func unbroadcastingSumsBroadcastAxes() {
        let g = sample([4, 3, 5], seed: 14)
        expectClose(g.unbroadcasted(to: [5]), sumOracle(g, axes: [0, 1], keepDims: false))
        expectClose(g.unbroadcasted(to: [3, 1]), sumOracle(g, axes: [0, 2], keepDims: true).reshaped(to: [3, 1]))
        expectClose(g.unbroadcasted(to: []), g.sum())
        #expect(Tensor([1, 2]).broadcasted(to: [2, 2]) == Tensor([[1, 2], [1, 2]]))
    }
}
