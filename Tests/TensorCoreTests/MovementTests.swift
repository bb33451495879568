import Testing
@testable import TensorCore

@Suite struct MovementTests {
    @Test func reshapeInfersOneExtent() {
        let x = Tensor.arange(12)
        #expect(x.reshaped(to: [3, -1]).shape == [3, 4])
        #expect(x.reshaped(to: [2, 2, 3]).scalars == x.scalars)
        #expect(x.reshaped(to: [3, 4]).expandingShape(at: 1).shape == [3, 1, 4])
        #expect(x.reshaped(to: [3, 1, 4]).squeezingShape().shape == [3, 4])
    }

    @Test(arguments: [[1, 0], [0, 2, 1], [2, 0, 1], [1, 3, 0, 2]])
    func transposeMatchesOracle(_ permutation: [Int]) {
        let shape = [2, 3, 4, 5].prefix(permutation.count).map { $0 }
        let x = sample(shape, seed: 21)
        let y = x.transposed(permutation: permutation)
        #expect(y.shape == permutation.map { shape[$0] })
        for index in allIndices(y.shape) {
            var source = [Int](repeating: 0, count: shape.count)
            for (i, axis) in permutation.enumerated() { source[axis] = index[i] }
            #expect(y[index: index] == x[index: source])
        }
    }

    @Test func matrixTransposeOfLargeMatrix() {
        let x = sample([300, 257], seed: 22)
        let y = x.transposed()
        #expect(y.shape == [257, 300])
        for (i, j) in [(0, 0), (299, 256), (17, 200), (150, 3)] { #expect(y[j, i] == x[i, j]) }
    }

    @Test func sliceGatherConcatenateStack() {
        let x = Tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        #expect(x.slice(alongAxis: 1, range: 1..<3) == Tensor([[2, 3], [5, 6], [8, 9]]))
        #expect(x.slice(alongAxis: 0, range: 2..<3) == Tensor([[7, 8, 9]]))
        #expect(x.gathering(rows: [2, 0, 2]) == Tensor([[7, 8, 9], [1, 2, 3], [7, 8, 9]]))
        #expect(Tensor.concatenate([x.slice(alongAxis: 1, range: 0..<1), x.slice(alongAxis: 1, range: 1..<3)], alongAxis: 1) == x)
        #expect(Tensor.concatenate([Tensor([[1, 2]]), Tensor([[3, 4], [5, 6]])]) == Tensor([[1, 2], [3, 4], [5, 6]]))
        let stacked = Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], alongAxis: 1)
        #expect(stacked == Tensor([[1, 3], [2, 4]]))
        #expect(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])]) == Tensor([[1, 2], [3, 4]]))
        let scattered = Tensor.scatterAdding(rows: Tensor([[1, 1], [2, 2], [3, 3]]), at: [1, 0, 1], shape: [3, 2])
        #expect(scattered == Tensor([[2, 2], [4, 4], [0, 0]]))
    }

    @Test func paddingSurroundsWithValue() {
        let x = Tensor([[1, 2], [3, 4]])
        let padded = x.padded(before: [1, 0], after: [0, 2], value: -1)
        #expect(padded == Tensor([[-1, -1, -1, -1], [1, 2, -1, -1], [3, 4, -1, -1]]))
        let image = sample([2, 3, 4, 5], seed: 23)
        let around = image.padded(before: [0, 0, 1, 2], after: [0, 0, 1, 2])
        #expect(around.shape == [2, 3, 6, 9])
        #expect(around.slice(alongAxis: 2, range: 1..<5).slice(alongAxis: 3, range: 2..<7) == image)
        // Zero padding adds nothing (the sums group values differently, so compare to rounding).
        #expect(Swift.abs(around.sum().scalar - image.sum().scalar) < 1e-5)
    }
}
