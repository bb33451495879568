import Testing
@testable import TensorCore

/// The kernel set the engine runs its products on, chosen when it loads (CBLASKernels).
@Suite struct BLASLibraryTests {
    /// In this test process, as in every program linking the engine: unless OPENBLAS_CORETYPE
    /// says otherwise, products run on kernels that use what the CPU has (AVX-512 or AVX2), not
    /// on the generic set OpenBLAS falls back to on CPUs newer than itself.
    @Test func productsRunOnTheBestKernelSetThisCPUAllows() {
        let blas = BLASLibrary.current
        #expect(blas.version.hasPrefix("OpenBLAS "))
        #expect(!blas.kernels.isEmpty)
        if blas.choice == .environment || !blas.switchable { return }
        #expect(BLASLibrary.level(ofKernels: blas.kernels) >= min(blas.cpuLevel, 3), "\(blas)")
        if blas.choice == .upgraded {
            #expect(BLASLibrary.level(ofKernels: blas.detectedKernels) < BLASLibrary.level(ofKernels: blas.kernels))
            #expect(blas.description.contains("OpenBLAS picked \(blas.detectedKernels)"))
        }
    }

    @Test func kernelSetsAreRankedByTheirWidestVectors() {
        #expect(BLASLibrary.level(ofKernels: "SkylakeX") == 3)
        #expect(BLASLibrary.level(ofKernels: "COOPERLAKE") == 3)
        #expect(BLASLibrary.level(ofKernels: "Haswell") == 2)
        #expect(BLASLibrary.level(ofKernels: "Zen") == 2)
        #expect(BLASLibrary.level(ofKernels: "Sandybridge") == 1)
        #expect(BLASLibrary.level(ofKernels: "Prescott") == 0)
        #expect(BLASLibrary.level(ofKernels: "") == 0)
    }

    /// Sizes around the kernels' register blocks and cache blocks (SkylakeX sgemm works on 16x4
    /// and 32x... tiles, with panels of a few hundred): every transpose, against the Double oracle.
    @Test(arguments: [(33, 17, 5), (1, 1000, 31), (257, 129, 65), (15, 2, 513), (100, 1, 100)])
    func oddSizesAgreeWithTheOracleUnderTheChosenKernels(_ size: (Int, Int, Int)) {
        let (m, k, n) = size
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = sample(transposeA ? [k, m] : [m, k], seed: 51)
                let b = sample(transposeB ? [n, k] : [k, n], seed: 52)
                expectClose(matmul(a, b, transposeA: transposeA, transposeB: transposeB),
                            naiveMatmul(a, b, transposeA: transposeA, transposeB: transposeB),
                            tolerance: 1e-5 * Float(k).squareRoot())
            }
        }
    }
}
