internal import COpenBLAS

/// Matrix product of two rank-2 tensors: (m, k) x (k, n) -> (m, n), through `cblas_sgemm`.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    guard a.rank == 2, b.rank == 2, a.shape[1] == b.shape[0] else {
        fatalError("matmul: shapes \(a.shape) and \(b.shape) do not chain (need (m, k) x (k, n))")
    }
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    var c = [Float](repeating: 0, count: m * n)
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                            1, pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
            }
        }
    }
    return Tensor(c, shape: [m, n])
}
