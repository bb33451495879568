import Dispatch
internal import COpenBLAS

// Matrix products. This is the one file that calls BLAS (cblas_sgemm); everything
// else in the engine is plain Swift loops.

/// Matrix product `op(a) x op(b)`, where `op` transposes the last two axes when its flag is set
/// (without copying: the flag goes to `cblas_sgemm`).
///
/// - Rank 2: `(m, k) x (k, n) -> (m, n)`.
/// - Batched: `(..., m, k) x (..., k, n) -> (..., m, n)` with equal batch axes, or one side
///   of rank 2 shared by every batch entry, e.g. `(B, m, k) x (k, n) -> (B, m, n)`.
///
///     let y = matmul(x, w, transposeB: true)   // x is (batch, in), w is (out, in): y is (batch, out)
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let geometry = MatmulGeometry(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
    let (m, n, k) = (geometry.m, geometry.n, geometry.k)
    // sgemm with beta = 0 overwrites every output value, so the result starts uninitialized.
    if m == 0 || n == 0 || k == 0 { return Tensor(repeating: 0, shape: geometry.outShape) }
    var result = Tensor(shape: geometry.outShape) { _ in }
    useOneBLASThread()
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            result.scalars.withUnsafeMutableBufferPointer { pc in
                // Row-major: lda is the row length of a as stored ((m, k) or, transposed, (k, m)).
                let lda = transposeA ? m : k, ldb = transposeB ? k : n
                if geometry.batch == 1 {
                    sgemmInParts(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: pa.baseAddress!, lda: lda,
                                 b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: n)
                } else if geometry.strideB == 0 && !transposeA {
                    // (B, m, k) x (k, n): one product with B*m rows.
                    sgemmInParts(transposeA: false, transposeB: transposeB, m: geometry.batch * m, n: n, k: k, a: pa.baseAddress!,
                                 lda: lda, b: pb.baseAddress!, ldb: ldb, c: pc.baseAddress!, ldc: n)
                } else {
                    // Many small products: split the batch over the cores (`parallelRanges`), each
                    // product on one BLAS thread.
                    let (pA, pB, pC) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    parallelRanges(geometry.batch, cost: m * n * k) { entries in
                        for i in entries {
                            sgemmBlock(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: pA + i * geometry.strideA,
                                       lda: lda, b: pB + i * geometry.strideB, ldb: ldb, c: pC + i * m * n, ldc: n)
                        }
                    }
                }
            }
        }
    }
    return result
}

/// The sum over the batch of `op(a_i) x op(b_i)` for equally batched `a` (..., m, k) and
/// `b` (..., k, n): (m, n). The gradient of a rank-2 operand shared by a batched product (a
/// convolution's weight), accumulated in place by sgemm (beta = 1) rather than through a
/// (batch, m, n) temporary and a sum.
package func matmulSummingBatch(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let geometry = MatmulGeometry(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
    let (m, n, k) = (geometry.m, geometry.n, geometry.k)
    if geometry.strideA == 0 || geometry.strideB == 0 || m == 0 || n == 0 || k == 0 || geometry.batch == 0 {
        let product = matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        return product.rank == 2 ? product : product.sum(alongAxes: Array(0..<(product.rank - 2)))
    }
    var result = Tensor(shape: [m, n]) { _ in }
    useOneBLASThread()
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            result.scalars.withUnsafeMutableBufferPointer { pc in
                let lda = transposeA ? m : k, ldb = transposeB ? k : n
                for i in 0..<geometry.batch {
                    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1, pa.baseAddress! + i * geometry.strideA, Int32(lda),
                                pb.baseAddress! + i * geometry.strideB, Int32(ldb), i == 0 ? 0 : 1, pc.baseAddress, Int32(n))
                }
            }
        }
    }
    return result
}

/// C (m, n) = op(A) op(B) on row-major blocks of larger matrices (leading dimensions `lda`,
/// `ldb`, `ldc`), overwriting C, or adding to it when `accumulate`, on one BLAS thread
/// (`useOneBLASThread`).
///
/// `betaZero`: overwrite through OpenBLAS's own beta = 0 path instead of zeroing C first. For the
/// products its small-matrix kernels take (Winograd's, inner dimension 16-64), that path writes C
/// without reading it, where zeroing first writes it twice and reads it once.
func sgemmBlock(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
                betaZero: Bool = false) {
    if m == 0 || n == 0 { return }
    if betaZero && !accumulate && k > 0 {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
        return
    }
    if accumulate {
        if k > 0 {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
        }
        return
    }
    // Zeroed here, then accumulated (beta = 1): with beta = 0 OpenBLAS zeroes C itself in
    // sgemm_beta, a slower loop (perf: 5.7% of an MLP epoch's samples). Measured single-threaded
    // in C on the MLP's products, median of 41: 1-8% faster, the weight gradients most
    // (784x256x128: 812 -> 763 us, 635 -> 596 us). Accumulating adds the same products to
    // exact zeros, so the bits are the same. With k = 0 the zeros are the product.
    if ldc == n {
        c.update(repeating: 0, count: m * n)
    } else {
        for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) }
    }
    if k == 0 { return }
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
}

/// Keeps OpenBLAS on one thread (set once); products use the cores through `sgemmInParts` instead.
///
/// Why: OpenBLAS splits any product above about 64^3 over its whole pool, and its threads
/// wait for each other by spinning in `sched_yield`. When other processes hold the cores
/// (DESIGN.md: an MLP epoch went from about 1 s to 12 s), a split product waits for a time
/// slice on every step. And its results depend on how many threads it used (measured: a
/// seeded LeNet epoch ended at 97.47% test accuracy on an idle machine, 97.48% on a busy one),
/// so a seeded run would depend on the load. Our own split is fixed for a given shape.
@inline(__always)
func useOneBLASThread() { _ = oneBLASThread }

private let oneBLASThread: Void = openblas_set_num_threads(1)

/// C (m, n) = op(A) op(B) on row-major matrices, as fixed blocks of C's rows or of its columns,
/// one single-threaded sgemm each: side by side when the product is large enough
/// (`Parallelism.blasMinimumWork`) and the machine not busy, else one after another. The
/// blocks depend only on m, n and `Parallelism.blasThreads`, so the bits do not depend on the load.
///
/// Each block packs the operand it shares with the others again, so the cut goes where that
/// operand is the smaller: across columns (repeating op(A), m x k) when m < n, else across rows
/// (repeating op(B), k x n). Measured in C, two threads, SkylakeX kernels, GFLOP/s by rows /
/// by columns: 128x784x256 207 / 240, 784x128x256 244 / 196, 64x288x2304 163 / 222.
func sgemmInParts(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m < n {
        let columns = Parallelism.evenParts(n, parts: Swift.max(1, Swift.min(Parallelism.blasThreadLimit, n / 16)))
        runBatchParts(columns, work: m * n * k, minimumWork: Parallelism.blasMinimumWork) { _, r in
            // Columns r of op(B): B stored (k, n) starts at column r; stored (n, k), at row r.
            let bStart = transposeB ? b + r.lowerBound * ldb : b + r.lowerBound
            sgemmBlock(transposeA: transposeA, transposeB: transposeB, m: m, n: r.count, k: k, a: a, lda: lda,
                       b: bStart, ldb: ldb, c: c + r.lowerBound, ldc: ldc)
        }
        return
    }
    let rows = Parallelism.evenParts(m, parts: Swift.max(1, Swift.min(Parallelism.blasThreadLimit, m / 16)))
    runBatchParts(rows, work: m * n * k, minimumWork: Parallelism.blasMinimumWork) { _, r in
        // Rows r of op(A): row-major A (m, k) starts at row r; A stored (k, m) at column r.
        let aStart = transposeA ? a + r.lowerBound : a + r.lowerBound * lda
        sgemmBlock(transposeA: transposeA, transposeB: transposeB, m: r.count, n: n, k: k, a: aStart, lda: lda,
                   b: b, ldb: ldb, c: c + r.lowerBound * ldc, ldc: ldc)
    }
}

/// The same product as `matmul`, by three plain loops (accumulating in Double): slow and
/// obviously right, kept as the test oracle for the BLAS path.
package func naiveMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let g = MatmulGeometry(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
    var result = Tensor(repeating: 0, shape: g.outShape)
    for batch in 0..<g.batch {
        for i in 0..<g.m {
            for j in 0..<g.n {
                var total = 0.0
                for p in 0..<g.k {
                    // a is (m, k) as stored, or (k, m) when transposed; likewise b.
                    let av = a.scalars[batch * g.strideA + (transposeA ? p * g.m + i : i * g.k + p)]
                    let bv = b.scalars[batch * g.strideB + (transposeB ? j * g.k + p : p * g.n + j)]
                    total += Double(av) * Double(bv)
                }
                result.scalars[(batch * g.m + i) * g.n + j] = Float(total)
            }
        }
    }
    return result
}

/// Sizes of a (possibly batched) product, checked; stops naming both shapes when they do not chain.
struct MatmulGeometry {
    var m = 0, n = 0, k = 0
    /// Number of batch entries, and each operand's step between them (0 when shared).
    var batch = 1, strideA = 0, strideB = 0
    var outShape: [Int] = []

    init(_ shapeA: [Int], _ shapeB: [Int], transposeA: Bool, transposeB: Bool) {
        let description = "matmul(transposeA: \(transposeA), transposeB: \(transposeB))"
        if shapeA.count < 2 || shapeB.count < 2 {
            shapeMismatch(description, shapeA, shapeB, "need rank >= 2 each")
        }
        let ra = shapeA.count, rb = shapeB.count
        m = transposeA ? shapeA[ra - 1] : shapeA[ra - 2]
        k = transposeA ? shapeA[ra - 2] : shapeA[ra - 1]
        let kb = transposeB ? shapeB[rb - 1] : shapeB[rb - 2]
        n = transposeB ? shapeB[rb - 2] : shapeB[rb - 1]
        if k != kb { shapeMismatch(description, shapeA, shapeB, "do not chain (inner sizes \(k) and \(kb))") }
        let batchA = Array(shapeA.dropLast(2)), batchB = Array(shapeB.dropLast(2))
        let batchShape: [Int]
        if batchA == batchB {
            batchShape = batchA
            batch = batchA.reduce(1, *)
            strideA = m * k; strideB = k * n
        } else if batchB.isEmpty {
            batchShape = batchA
            batch = batchA.reduce(1, *)
            strideA = m * k; strideB = 0
        } else if batchA.isEmpty {
            batchShape = batchB
            batch = batchB.reduce(1, *)
            strideA = 0; strideB = k * n
        } else {
            shapeMismatch(description, shapeA, shapeB, "have different batch axes")
        }
        if batch == 1 && batchShape.isEmpty { strideA = 0; strideB = 0 }
        outShape = batchShape + [m, n]
    }
}

