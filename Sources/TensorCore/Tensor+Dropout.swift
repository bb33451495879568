// Inverted dropout's forward in one pass: the mask's draws and the product, side by side on
// large tensors.

/// Values per block of a large dropout's draws: each block draws from a generator of its own,
/// so blocks run side by side, and a tensor of at most this many values draws exactly as
/// `Tensor.randomBernoulli` does.
package let dropoutBlockValues = 1 << 16

extension Tensor {
    /// Inverted dropout of `x`: each value kept with probability `keep` and multiplied by `scale`,
    /// else 0; returns the output and the mask (`scale` or 0) it multiplied by, for the backward
    /// pass. The output is `x * mask`, value by value, exactly.
    ///
    /// The draws. At most `dropoutBlockValues` values: one uniform per value from `generator`,
    /// in order, the stream of `randomBernoulli(shape:probability:value:using:)`. More: one draw
    /// from `generator` seeds the blocks, block b of `dropoutBlockValues` values draws from
    /// `RandomGenerator(seed: seed &+ b)`, two uniforms per 64-bit draw (its bits 40-63, then
    /// 16-39). The blocks are fixed by the tensor's size alone, so the values do not depend on how
    /// many threads drew them, and the blocks run in parts side by side (drawing is arithmetic,
    /// not memory traffic: measured on the Keras-example CNN's 1.2M-value dropout, 2.4 ms on one
    /// core as a draw pass and a product pass).
    package static func dropout(_ x: Tensor, keep: Float, scale: Float, using generator: inout RandomGenerator) -> (output: Tensor, mask: Tensor) {
        let count = x.count
        if count <= dropoutBlockValues {
            let mask = randomBernoulli(shape: x.shape, probability: keep, value: scale, using: &generator)
            return (x * mask, mask)
        }
        let seed = generator.next()
        let blocks = (count + dropoutBlockValues - 1) / dropoutBlockValues
        var mask = [Float](repeating: 0, count: 0)
        let output = x.scalars.withUnsafeBufferPointer { source in
            Tensor(shape: x.shape) { out in
                mask = [Float](unsafeUninitializedCapacity: count) { maskBuffer, initialized in
                    let (source, out, maskValues) = (source.baseAddress!, out.baseAddress!, maskBuffer.baseAddress!)
                    Parallelism.runParts(batchParts(blocks), work: count, minimumWork: 0) { _, blockRange in
                        for block in blockRange {
                            var local = RandomGenerator(seed: seed &+ UInt64(block))
                            let start = block * dropoutBlockValues, end = Swift.min(count, start + dropoutBlockValues)
                            var i = start
                            @inline(__always) func put(_ bits: UInt64, _ at: Int) {
                                let m: Float = Float(bits & 0xFF_FFFF) * 0x1p-24 < keep ? scale : 0
                                maskValues[at] = m
                                out[at] = source[at] * m
                            }
                            while i + 2 <= end {
                                let draw = local.next()
                                put(draw >> 40, i)
                                put(draw >> 16, i + 1)
                                i += 2
                            }
                            if i < end { put(local.next() >> 40, i) }
                        }
                    }
                    initialized = count
                }
            }
        }
        return (output, Tensor(unchecked: mask, shape: x.shape))
    }
}
