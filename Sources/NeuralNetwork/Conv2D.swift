import Foundation

/// A 2-D convolution over NCHW batches, as unfold (im2col, channels first) + one matrix
/// product for the whole batch (the fused `conv2D` primitive):
///
///     cols = unfold(x)            (C·KH·KW, N·OH·OW)
///     y    = Wᵀ cols + b          (F, N·OH·OW), W is (C·KH·KW, F)
///     out  = y as (N, F, OH, OW)
///
/// with OH = (H + 2·padding - KH) / stride + 1 (likewise OW). The product comes out in NCHW
/// order, so no transpose is needed. Weights start He-uniform with fan-in C·KH·KW.
public final class Conv2D: Layer {
    public let inputChannels: Int
    public let filters: Int
    public let window: Window2D
    /// (C·KH·KW, filters): column f holds filter f, its values in (channel, row, column) order.
    public let weight: Variable
    public let bias: Variable
    public var isTraining = true

    public init(_ inputChannels: Int, _ filters: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                initializer: Initializer = .heUniform, generator: inout RandomGenerator) {
        self.inputChannels = inputChannels
        self.filters = filters
        window = Window2D(size: kernelSize, stride: stride, padding: padding)
        let fanIn = inputChannels * kernelSize * kernelSize
        weight = Variable(initializer.tensor(shape: [fanIn, filters], fanIn: fanIn, fanOut: filters * kernelSize * kernelSize,
                                             using: &generator), requiresGrad: true)
        bias = Variable(Tensor.zeros([filters]), requiresGrad: true)
    }

    public convenience init(_ inputChannels: Int, _ filters: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            initializer: Initializer = .heUniform) {
        self.init(inputChannels, filters, kernelSize: kernelSize, stride: stride, padding: padding,
                  initializer: initializer, generator: &RandomGenerator.global)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        if x.rank != 4 || x.shape[1] != inputChannels {
            shapeMismatch("Conv2D(\(inputChannels), \(filters))", x.shape, [-1, inputChannels, -1, -1],
                          "do not match (input vs expected (batch, \(inputChannels), height, width))")
        }
        let (oh, ow) = window.outputSize(height: x.shape[2], width: x.shape[3])
        if oh < 1 || ow < 1 {
            shapeMismatch("Conv2D(\(inputChannels), \(filters), kernelSize: \(window.kernelHeight))", x.shape, [-1, inputChannels, -1, -1],
                          "do not match (the image is smaller than the kernel)")
        }
        return conv2D(x, weight: weight, bias: bias, window: window)       // (N, F, OH, OW)
    }

    /// The filters as images: (filters, C, KH, KW).
    public var filterImages: Tensor {
        weight.value.transposed().reshaped(to: [filters, inputChannels, window.kernelHeight, window.kernelWidth])
    }

    public var namedParameters: [(String, Variable)] { [("weight", weight), ("bias", bias)] }
    public var spec: LayerSpec {
        .conv2D(inputChannels: inputChannels, filters: filters, kernelSize: window.kernelHeight,
                stride: window.strideHeight, padding: window.paddingHeight)
    }
    public func outputShape(forInput input: [Int]) -> [Int] {
        let (oh, ow) = window.outputSize(height: input[1], width: input[2])
        return [filters, oh, ow]
    }
}
