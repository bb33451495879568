// A notebook's front-matter parameters are typed Swift constants: `learningRate: 0.1` becomes
// `let learningRate: Double = 0.1` and `epochs: 5` becomes `let epochs: Int = 5`. These
// overloads let such numbers (any `ConvertibleToFloat`: Double, Int) meet tensors without
// `Float(...)` at every use: `w -= g * learningRate`, `x / count`, `1 - p`. Each converts the
// number to Float once and runs the Float operation, so the results are those of
// `Float(number)`. They are disfavoured: a literal (`x * 0.5`, `x .> 0`) is still a Float.

/// A number that meets tensors as the Float nearest to it: Double and Int.
public protocol ConvertibleToFloat {
    var floatValue: Float { get }
}

extension Double: ConvertibleToFloat {
    public var floatValue: Float { Float(self) }
}

extension Int: ConvertibleToFloat {
    public var floatValue: Float { Float(self) }
}

extension Tensor {
    @_disfavoredOverload public static func + <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs + rhs.floatValue }
    @_disfavoredOverload public static func - <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs - rhs.floatValue }
    @_disfavoredOverload public static func * <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs * rhs.floatValue }
    @_disfavoredOverload public static func / <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs / rhs.floatValue }
    @_disfavoredOverload public static func + <N: ConvertibleToFloat>(lhs: N, rhs: Tensor) -> Tensor { lhs.floatValue + rhs }
    @_disfavoredOverload public static func - <N: ConvertibleToFloat>(lhs: N, rhs: Tensor) -> Tensor { lhs.floatValue - rhs }
    @_disfavoredOverload public static func * <N: ConvertibleToFloat>(lhs: N, rhs: Tensor) -> Tensor { lhs.floatValue * rhs }
    @_disfavoredOverload public static func / <N: ConvertibleToFloat>(lhs: N, rhs: Tensor) -> Tensor { lhs.floatValue / rhs }

    @_disfavoredOverload public static func += <N: ConvertibleToFloat>(lhs: inout Tensor, rhs: N) { lhs += rhs.floatValue }
    @_disfavoredOverload public static func -= <N: ConvertibleToFloat>(lhs: inout Tensor, rhs: N) { lhs -= rhs.floatValue }
    @_disfavoredOverload public static func *= <N: ConvertibleToFloat>(lhs: inout Tensor, rhs: N) { lhs *= rhs.floatValue }
    @_disfavoredOverload public static func /= <N: ConvertibleToFloat>(lhs: inout Tensor, rhs: N) { lhs /= rhs.floatValue }

    @_disfavoredOverload public static func .> <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs .> rhs.floatValue }
    @_disfavoredOverload public static func .< <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs .< rhs.floatValue }
    @_disfavoredOverload public static func .>= <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs .>= rhs.floatValue }
    @_disfavoredOverload public static func .<= <N: ConvertibleToFloat>(lhs: Tensor, rhs: N) -> Tensor { lhs .<= rhs.floatValue }

    /// `shape` filled with `value` (a Double or an Int, such as a front-matter parameter).
    @_disfavoredOverload public static func full<N: ConvertibleToFloat>(_ shape: [Int], _ value: N) -> Tensor { full(shape, value.floatValue) }
}

/// `x` raised to the power `p` (a Double or an Int, such as a front-matter parameter).
@_disfavoredOverload public func pow<N: ConvertibleToFloat>(_ x: Tensor, _ p: N) -> Tensor { pow(x, p.floatValue) }
