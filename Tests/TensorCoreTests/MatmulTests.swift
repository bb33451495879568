import Testing
@testable import TensorCore

@Suite struct MatmulTests {
    static let sizes: [(Int, Int, Int)] = [(1, 1, 1), (3, 5, 7), (17, 1, 9), (64, 33, 65), (128, 784, 31), (2, 300, 2)]

    @Test(arguments: sizes)
    func blasAgreesWithNaiveForEveryTransposeFlag(_ size: (Int, Int, Int)) {
        let (m, k, n) = size
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = sample(transposeA ? [k, m] : [m, k], seed: 31)
                let b = sample(transposeB ? [n, k] : [k, n], seed: 32)
                let fast = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                let slow = naiveMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
                #expect(fast.shape == [m, n])
                expectClose(fast, slow, tolerance: 1e-5 * Float(k).squareRoot())
            }
        }
    }

    @Test func transposeFlagsEqualExplicitTransposes() {
        let a = sample([6, 4], seed: 33), b = sample([5, 4], seed: 34)
        expectClose(matmul(a, b, transposeB: true), matmul(a, b.transposed()))
        expectClose(matmul(a, a, transposeA: true), matmul(a.transposed(), a))
    }

    @Test func naiveMatmulOnAKnownProduct() {
        let a = Tensor([[1, 2], [3, 4]]), b = Tensor([[5, 6], [7, 8]])
        #expect(naiveMatmul(a, b) == Tensor([[19, 22], [43, 50]]))
        #expect(matmul(a, b) == Tensor([[19, 22], [43, 50]]))
    }

    @Test func batchedProductsMatchPerBatchProducts() {
        let a = sample([3, 4, 5], seed: 35), b = sample([3, 5, 2], seed: 36), shared = sample([5, 2], seed: 37)
        for (x, y, flagsA) in [(a, b, false), (a, shared, false), (a.transposed(), b, true)] {
            let product = matmul(x, y, transposeA: flagsA)
            #expect(product.shape == [3, 4, 2])
            expectClose(product, naiveMatmul(x, y, transposeA: flagsA), tolerance: 1e-5)
            for i in 0..<3 {
                let ai = a.slice(alongAxis: 0, range: i..<(i + 1)).reshaped(to: [4, 5])
                let bi = y.rank == 2 ? y : y.slice(alongAxis: 0, range: i..<(i + 1)).reshaped(to: [5, 2])
                expectClose(product.slice(alongAxis: 0, range: i..<(i + 1)).reshaped(to: [4, 2]), matmul(ai, bi), tolerance: 1e-5)
            }
        }
        let left = sample([4, 5], seed: 38)
        expectClose(matmul(left, b), naiveMatmul(left, b), tolerance: 1e-5)
    }
}
