import Testing
@testable import TensorCore

/// Direct convolution oracle: y[n, f, i, j] = sum over c, ky, kx of x[n, c, i*s - p + ky, j*s - p + kx] * w[f, c, ky, kx].
func convolutionOracle(_ x: Tensor, _ w: Tensor, _ window: Window2D) -> Tensor {
    let (oh, ow) = window.outputSize(height: x.shape[2], width: x.shape[3])
    var y = Tensor.zeros([x.shape[0], w.shape[0], oh, ow])
    for index in allIndices(y.shape) {
        let (n, f, i, j) = (index[0], index[1], index[2], index[3])
        var total: Float = 0
        for c in 0..<x.shape[1] {
            for ky in 0..<window.kernelHeight {
                for kx in 0..<window.kernelWidth {
                    let r = i * window.strideHeight - window.paddingHeight + ky
                    let s = j * window.strideWidth - window.paddingWidth + kx
                    if r >= 0 && r < x.shape[2] && s >= 0 && s < x.shape[3] { total += x[n, c, r, s] * w[f, c, ky, kx] }
                }
            }
        }
        y[index: index] = total
    }
    return y
}

@Suite struct ConvolutionTests {
    static let windows = [
        Window2D(size: 3), Window2D(size: 3, stride: 2, padding: 1),
        Window2D(kernel: (2, 3), stride: (1, 2), padding: (0, 1)), Window2D(size: 1),
    ]

    @Test(arguments: windows)
    func im2colMatmulIsConvolution(_ window: Window2D) {
        let x = sample([2, 3, 7, 6], seed: 51), w = sample([4, 3, window.kernelHeight, window.kernelWidth], seed: 52)
        let (oh, ow) = window.outputSize(height: 7, width: 6)
        let cols = im2col(x, window: window)
        #expect(cols.shape == [2 * oh * ow, 3 * window.kernelHeight * window.kernelWidth])
        let y = matmul(cols, w.reshaped(to: [4, -1]), transposeB: true)
            .reshaped(to: [2, oh, ow, 4]).transposed(permutation: [0, 3, 1, 2])
        expectClose(y, convolutionOracle(x, w, window), tolerance: 1e-5)
    }

    @Test(arguments: windows)
    func col2imIsTheAdjointOfIm2col(_ window: Window2D) {
        // <im2col(x), c> == <x, col2im(c)> for all x, c: the defining property of the adjoint.
        let x = sample([2, 3, 7, 6], seed: 53)
        let cols = im2col(x, window: window)
        let c = sample(cols.shape, seed: 54)
        let left = (cols * c).sum().scalar
        let right = (x * col2im(c, imageShape: x.shape, window: window)).sum().scalar
        #expect(Swift.abs(left - right) < 1e-4 * Swift.max(1, Swift.abs(left)))
    }

    static let unfoldWindows = windows + [Window2D(size: 5, padding: 2), Window2D(kernel: (3, 4), stride: (2, 3), padding: (2, 3))]

    @Test(arguments: unfoldWindows)
    func unfoldIsIm2colChannelsFirst(_ window: Window2D) {
        // unfold(x)[n, r, p] == im2col(x)[n*P + p, r]: the same patches, one layout transposed.
        let x = sample([2, 3, 7, 6], seed: 55)
        let (oh, ow) = window.outputSize(height: 7, width: 6)
        let rows = 3 * window.kernelHeight * window.kernelWidth
        let expected = im2col(x, window: window).reshaped(to: [2, oh * ow, rows]).transposed()
        #expect(unfold(x, window: window) == expected)
    }

    @Test(arguments: unfoldWindows)
    func foldIsTheAdjointOfUnfold(_ window: Window2D) {
        let x = sample([2, 3, 7, 6], seed: 56)
        let cols = unfold(x, window: window)
        let c = sample(cols.shape, seed: 57)
        let left = (cols * c).sum().scalar
        let right = (x * fold(c, imageShape: x.shape, window: window)).sum().scalar
        #expect(Swift.abs(left - right) < 1e-4 * Swift.max(1, Swift.abs(left)))
        // And against col2im, the adjoint of the row layout.
        let (oh, ow) = window.outputSize(height: 7, width: 6)
        let rowLayout = c.transposed().reshaped(to: [2 * oh * ow, c.shape[1]])
        expectClose(fold(c, imageShape: x.shape, window: window), col2im(rowLayout, imageShape: x.shape, window: window),
                    tolerance: 1e-5)
    }

    @Test func maxPoolPicksWindowMaxima() {
        let x = Tensor(Array(0..<16).map { Float(($0 * 7) % 16) }, shape: [1, 1, 4, 4])
        let (y, indices) = maxPool2DWithIndices(x, window: Window2D(size: 2, stride: 2))
        #expect(y.shape == [1, 1, 2, 2])
        for (o, (i, j)) in [(0, 0), (0, 1), (1, 0), (1, 1)].enumerated() {
            let window = [x[0, 0, 2 * i, 2 * j], x[0, 0, 2 * i, 2 * j + 1], x[0, 0, 2 * i + 1, 2 * j], x[0, 0, 2 * i + 1, 2 * j + 1]]
            #expect(y.scalars[o] == window.max()!)
            #expect(x.scalars[Int(indices[o])] == y.scalars[o])
        }
        let gradient = maxPool2DBackward(Tensor.ones([1, 1, 2, 2]), indices: indices, inputShape: x.shape)
        #expect(gradient.sum().scalar == 4)
        #expect(zip(gradient.scalars, x.scalars).allSatisfy { $0.0 == 0 || y.scalars.contains($0.1) })
    }

    /// The backward runs plane by plane in parts: over many planes (several parts) and
    /// overlapping windows (where one input takes several outputs' gradients), the same result as
    /// adding each output's gradient at its maximum one after another.
    @Test(arguments: [Window2D(size: 2, stride: 2), Window2D(size: 3, stride: 2, padding: 1), Window2D(size: 3)])
    func maxPoolBackwardAddsEachGradientAtItsMaximum(_ window: Window2D) {
        let x = sample([8, 16, 13, 12], seed: 56)
        let (y, indices) = maxPool2DWithIndices(x, window: window)
        let g = sample(y.shape, seed: 57)
        var expected = [Float](repeating: 0, count: x.count)
        for (i, index) in indices.enumerated() { expected[Int(index)] += g.scalars[i] }
        #expect(maxPool2DBackward(g, indices: indices, inputShape: x.shape).scalars == expected)
    }

    @Test func avgPoolIsConvolutionWithUniformKernelAndItsBackwardIsTheAdjoint() {
        let window = Window2D(size: 3, stride: 2, padding: 1)
        let x = sample([2, 3, 7, 6], seed: 55)
        let y = avgPool2D(x, window: window)
        // Each channel alone, with kernel 1/9.
        for c in 0..<3 {
            let channel = x.slice(alongAxis: 1, range: c..<(c + 1))
            expectClose(y.slice(alongAxis: 1, range: c..<(c + 1)),
                        convolutionOracle(channel, Tensor.full([1, 1, 3, 3], 1.0 / 9), window), tolerance: 1e-5)
        }
        let g = sample(y.shape, seed: 56)
        let left = (y * g).sum().scalar, right = (x * avgPool2DBackward(g, inputShape: x.shape, window: window)).sum().scalar
        #expect(Swift.abs(left - right) < 1e-4)
    }
}
