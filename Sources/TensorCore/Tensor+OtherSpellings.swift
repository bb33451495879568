// The spellings NumPy and PyTorch users reach for first, each an error that names the engine's
// own: `x.view(-1, 4)` does not compile, and the compiler says "write x.reshaped(to: [-1, 4])".
// Unavailable declarations are hints, not API: they cannot be called.

extension Tensor {
    @available(*, unavailable, message: "write x.reshaped(to: [-1, 4]) (the shape as an array)")
    public func view(_ shape: Int...) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.reshaped(to: [-1, 4]) (the shape as an array)")
    public func reshape(_ shape: Int...) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.sum(alongAxes: [1]) (or sum() for all values)")
    public func sum(dim: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.sum(alongAxes: [1]) (or sum() for all values)")
    public func sum(axis: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.mean(alongAxes: [0]) (or mean() for all values)")
    public func mean(dim: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.mean(alongAxes: [0]) (or mean() for all values)")
    public func mean(axis: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.argmaxIndices(alongAxis: 1) ([Int]) or x.argmax(alongAxis: 1) (a Tensor)")
    public func argmax(dim: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.argmaxIndices(alongAxis: 1) ([Int]) or x.argmax(alongAxis: 1) (a Tensor)")
    public func argmax(axis: Int) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write x.scalar (the value of a one-value tensor, a Float)")
    public func item() -> Float { fatalError() }
    @available(*, unavailable, message: "write x.scalars (the values in row-major order, [Float])")
    public func numpy() -> [Float] { fatalError() }
    @available(*, unavailable, message: "write x.transposed() (the last two axes swapped)")
    public var T: Tensor { fatalError() }
    @available(*, unavailable, message: "write matmul(x, y)")
    public func matmul(_ other: Tensor) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write Tensor.zeros([3, 4]) (the shape as an array)")
    public static func zeros(_ shape: Int...) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write Tensor.ones([3, 4]) (the shape as an array)")
    public static func ones(_ shape: Int...) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write Tensor.randomNormal(shape: [3, 4])")
    public static func randn(_ shape: Int...) -> Tensor { fatalError() }
    @available(*, unavailable, message: "write Tensor.randomUniform(shape: [3, 4])")
    public static func rand(_ shape: Int...) -> Tensor { fatalError() }
}
