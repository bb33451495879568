import Testing
@testable import TensorCore

/// `x[i]` and `x[a..<b]` along the first axis, as NumPy and PyTorch spell them.
@Suite struct SubscriptTests {
    let x = Tensor.arange(24).reshaped(to: [4, 3, 2])

    @Test func anIndexIsARowOfOneRankLess() {
        #expect(x[0] == Tensor.arange(6).reshaped(to: [3, 2]))
        #expect(x[3] == x[-1])
        #expect(x[1][2] == Tensor([10, 11]))
        #expect(x[1][2][0] == Tensor(scalar: 10))
        // One index per axis is still a value, and so is `v[i]` where a Float is expected.
        let value: Float = x[1, 2, 0]
        #expect(value == 10)
        let vector = Tensor([5, 6, 7])
        let first: Float = vector[0]
        #expect(first == 5 && vector[-1] == Tensor(scalar: 7))
        #expect(vector[index: [2]] == 7)
    }

    @Test func aRangeIsASliceAlongTheFirstAxis() {
        #expect(x[1..<3] == x.slice(alongAxis: 0, range: 1..<3))
        #expect(x[1...2] == x[1..<3])
        #expect(x[2...] == x[2..<4])
        #expect(x[..<2] == x[0..<2])
        #expect(x[...1] == x[0..<2])
        #expect(x[(-2)...] == x[2..<4])
        #expect(x[..<(-1)] == x[0..<3])
        #expect(x[(-3)...(-2)] == x[1..<3])
        #expect(x[2..<2].shape == [0, 3, 2])
    }

    @Test func rowsAndSlicesCanBeSet() {
        var y = x
        y[1] = Tensor.zeros([3, 2])
        #expect(y[1] == Tensor.zeros([3, 2]) && y[0] == x[0] && y[2] == x[2])
        y[2...] = Tensor.ones([2, 3, 2])
        #expect(y.scalars.suffix(12).allSatisfy { $0 == 1 })
        #expect(x[1] == Tensor.arange(6).reshaped(to: [3, 2]) + 6)   // the original is untouched
        var v = Tensor([1, 2, 3])
        v[1] = 9   // a value, through the Float subscript
        #expect(v == Tensor([1, 9, 3]))
    }

    @Test func outOfRangeRowsStopNamingTheShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 2])[4]
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor[4]: index 4 out of range for axis 0 of shape [4, 2]"), "\(message)")
        let slice = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([4, 2])[2..<5]
        }
        let sliceMessage = String(decoding: slice?.standardErrorContent ?? [], as: UTF8.self)
        #expect(sliceMessage.contains("rows 2..<5 out of range for axis 0 of shape [4, 2]"), "\(sliceMessage)")
    }
}
