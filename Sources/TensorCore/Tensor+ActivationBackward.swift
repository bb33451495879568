// Fused backward kernels of the activations (llm.c's naming: relu / reluBackward): one pass
// and one result instead of a mask, a product and their temporaries. The autodiff tape calls
// these; the composed formulas stay in the comments as their definition.

/// Gradient of `relu` at `input`: upstream * (input > 0), so 0 at exactly 0 (as PyTorch).
/// `upstream` and `input` have the same shape.
package func reluBackward(_ upstream: Tensor, input: Tensor) -> Tensor {
    if upstream.shape != input.shape { shapeMismatch("reluBackward", upstream.shape, input.shape) }
    return zipBroadcast(upstream, input, "reluBackward") { g, x in x > 0 ? g : 0 }
}

/// Gradient of `sigmoid` from its `output` y: upstream * y * (1 - y).
package func sigmoidBackward(_ upstream: Tensor, output: Tensor) -> Tensor {
    if upstream.shape != output.shape { shapeMismatch("sigmoidBackward", upstream.shape, output.shape) }
    return zipBroadcast(upstream, output, "sigmoidBackward") { g, y in g * y * (1 - y) }
}

/// Gradient of `tanh` from its `output` y: upstream * (1 - y^2).
package func tanhBackward(_ upstream: Tensor, output: Tensor) -> Tensor {
    if upstream.shape != output.shape { shapeMismatch("tanhBackward", upstream.shape, output.shape) }
    return zipBroadcast(upstream, output, "tanhBackward") { g, y in g * (1 - y * y) }
}
