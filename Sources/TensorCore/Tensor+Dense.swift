// The dense layer's forward in one pass over its output: y = x W, then + b and max(0, ·) while
// each row is in cache, instead of a matmul, a broadcast add and a ReLU each writing a new tensor.

/// x W + b for x (batch, inputs), W (inputs, outputs) and b (outputs): (batch, outputs); with
/// `rectified`, max(0, ·) of it (as `relu` computes it: x > 0 ? x : 0). The same values as
/// `relu(matmul(x, weight) + bias)`: each output is the same product plus the same bias.
package func dense(_ x: Tensor, weight: Tensor, bias: Tensor?, rectified: Bool) -> Tensor {
    if x.rank != 2 || weight.rank != 2 { shapeMismatch("dense", x.shape, weight.shape, "need (batch, inputs) and (inputs, outputs)") }
    var y = matmul(x, weight)      // (batch, outputs); checks that the shapes chain
    let outputs = weight.shape[1]
    if let bias, bias.shape != [outputs] {
        shapeMismatch("dense", bias.shape, [outputs], "differ (bias vs the weight's outputs)")
    }
    if bias == nil && !rectified { return y }
    let rows = x.shape[0]
    let zeros = bias == nil ? [Float](repeating: 0, count: outputs) : []
    (bias?.scalars ?? zeros).withUnsafeBufferPointer { b in
        y.scalars.withUnsafeMutableBufferPointer { out in
            let (offset, values) = (b.baseAddress!, out.baseAddress!)
            for row in 0..<rows {
                let line = values + row * outputs
                if rectified {
                    for j in 0..<outputs { let v = line[j] + offset[j]; line[j] = v > 0 ? v : 0 }
                } else {
                    for j in 0..<outputs { line[j] += offset[j] }
                }
            }
        }
    }
    return y
}
