// The spellings PyTorch users reach for first on a tensor that records gradients, each an error
// naming the engine's own (see TensorCore's Tensor+OtherSpellings.swift).

extension Variable {
    @available(*, unavailable, message: "write x.detached()")
    public func detach() -> Variable { fatalError() }
    @available(*, unavailable, message: "set x.requiresGrad = false (true to train it again)")
    public func requires_grad_(_ requiresGrad: Bool = true) -> Variable { fatalError() }
    @available(*, unavailable, message: "write Variable(x, requiresGrad: false)")
    public convenience init(_ value: Tensor, requires_grad: Bool) { fatalError() }
    @available(*, unavailable, message: "write x.scalar (the value of a one-value variable, a Float)")
    public func item() -> Float { fatalError() }
    @available(*, unavailable, message: "write x.value.scalars (the values, [Float]), or x.value (the Tensor)")
    public func numpy() -> [Float] { fatalError() }
    @available(*, unavailable, message: "write x.reshaped(to: [-1, 4]) (the shape as an array)")
    public func view(_ shape: Int...) -> Variable { fatalError() }
}
