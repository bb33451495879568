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

    @Test func summingBatchIsTheSumOfTheBatchedProduct() {
        let a = sample([3, 4, 5], seed: 39), b = sample([3, 5, 2], seed: 40)
        for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
            let x = tA ? a.transposed() : a, y = tB ? b.transposed() : b
            let expected = naiveMatmul(x, y, transposeA: tA, transposeB: tB).sum(alongAxes: [0])
            expectClose(matmulSummingBatch(x, y, transposeA: tA, transposeB: tB), expected, tolerance: 1e-5)
        }
        // A shared operand: the batch is summed all the same.
        let shared = sample([5, 2], seed: 41)
        expectClose(matmulSummingBatch(a, shared), naiveMatmul(a, shared).sum(alongAxes: [0]), tolerance: 1e-5)
    }

    @Test func manySmallProductsSplitOverCoresMatchNaive() {
        // 64 entries of 8x8x8 cross the parallel threshold on an idle machine; the result must not depend on it.
        let a = sample([64, 8, 8], seed: 42), b = sample([8, 8], seed: 43)
        expectClose(matmul(b, a, transposeA: true), naiveMatmul(b, a, transposeA: true), tolerance: 1e-5)
    }

    @Test func productsDoNotDependOnWhetherTheirPartsRunSideBySide() {
        // Large enough to be cut into parts; each part is one single-threaded sgemm.
        let a = sample([200, 300], seed: 81), b = sample([300, 150], seed: 82)
        let saved = (Parallelism.blasMinimumWork, Parallelism.adaptsToLoad)
        defer { (Parallelism.blasMinimumWork, Parallelism.adaptsToLoad) = saved }
        (Parallelism.blasMinimumWork, Parallelism.adaptsToLoad) = (Int.max, true)
        let oneAfterAnother = [matmul(a, b), matmul(a, b.transposed(), transposeB: true), matmul(a.transposed(), b, transposeA: true)]
        (Parallelism.blasMinimumWork, Parallelism.adaptsToLoad) = (0, false)
        let sideBySide = [matmul(a, b), matmul(a, b.transposed(), transposeB: true), matmul(a.transposed(), b, transposeA: true)]
        #expect(oneAfterAnother == sideBySide)
        expectClose(sideBySide[0], naiveMatmul(a, b), tolerance: 1e-4)
        expectClose(sideBySide[2], naiveMatmul(a, b), tolerance: 1e-4)
    }
}
