import Testing
@testable import TensorCore

/// `Tensor(_:)` from the arrays users have: labels as [Int], values computed in Double, images
/// nested three deep; literals stay Float.
@Suite struct ConvertibleToTensorTests {
    @Test func intsDoublesAndNestedArrays() {
        let labels: [Int] = [3, 1, 4, 1, 5]
        #expect(Tensor(labels) == Tensor([3, 1, 4, 1, 5]))
        let values: [Double] = [0.5, -1.25]
        #expect(Tensor(values) == Tensor([0.5, -1.25]))
        let table: [[Int]] = [[1, 2, 3], [4, 5, 6]]
        #expect(Tensor(table) == Tensor([[1, 2, 3], [4, 5, 6]]))
        let images: [[[Float]]] = [[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]
        let stacked = Tensor(images)
        #expect(stacked.shape == [3, 2, 2] && stacked.scalars == (1...12).map(Float.init))
        let batch: [[[[Double]]]] = [[[[1]], [[2]]]]
        #expect(Tensor(batch).shape == [1, 2, 1, 1])
        #expect(Tensor(2.5).shape == [] && Tensor(7).scalar == 7)
        #expect(Tensor([Int]()).shape == [0] && Tensor([[Double]]()).shape == [0])
    }

    /// A Double becomes the Float nearest to it, as `Float(_:)` rounds; a literal is read as a
    /// Float directly (the concrete initialiser is chosen), so it is the Float nearest the decimal.
    @Test func numbersConvertAsFloatDoes() {
        let third = 1.0 / 3
        #expect(Tensor([third]).scalars == [Float(third)])
        #expect(Tensor([0.1, 0.2]).scalars == [Float(0.1), Float(0.2)])
    }
}
