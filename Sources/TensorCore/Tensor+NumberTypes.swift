// A notebook's front-matter parameters are typed Swift constants: `learningRate: 0.1` becomes
// `let learningRate: Double = 0.1` and `epochs: 5` becomes `let epochs: Int = 5`. These
// overloads let such numbers (and any Double or Int) meet tensors without `Float(...)` at every
// use: `w -= g * learningRate`, `x / count`, `1 - p`. Each converts the number to Float once
// and runs the Float operation, so the results are those of `Float(number)`. They are
// disfavoured overloads: a literal (`x * 0.5`, `x .> 0`) is still a Float, as before.

extension Tensor {
    @_disfavoredOverload public static func + (lhs: Tensor, rhs: Double) -> Tensor { lhs + Float(rhs) }
    @_disfavoredOverload public static func - (lhs: Tensor, rhs: Double) -> Tensor { lhs - Float(rhs) }
    @_disfavoredOverload public static func * (lhs: Tensor, rhs: Double) -> Tensor { lhs * Float(rhs) }
    @_disfavoredOverload public static func / (lhs: Tensor, rhs: Double) -> Tensor { lhs / Float(rhs) }
    @_disfavoredOverload public static func + (lhs: Double, rhs: Tensor) -> Tensor { Float(lhs) + rhs }
    @_disfavoredOverload public static func - (lhs: Double, rhs: Tensor) -> Tensor { Float(lhs) - rhs }
    @_disfavoredOverload public static func * (lhs: Double, rhs: Tensor) -> Tensor { Float(lhs) * rhs }
    @_disfavoredOverload public static func / (lhs: Double, rhs: Tensor) -> Tensor { Float(lhs) / rhs }

    @_disfavoredOverload public static func + (lhs: Tensor, rhs: Int) -> Tensor { lhs + Float(rhs) }
    @_disfavoredOverload public static func - (lhs: Tensor, rhs: Int) -> Tensor { lhs - Float(rhs) }
    @_disfavoredOverload public static func * (lhs: Tensor, rhs: Int) -> Tensor { lhs * Float(rhs) }
    @_disfavoredOverload public static func / (lhs: Tensor, rhs: Int) -> Tensor { lhs / Float(rhs) }
    @_disfavoredOverload public static func + (lhs: Int, rhs: Tensor) -> Tensor { Float(lhs) + rhs }
    @_disfavoredOverload public static func - (lhs: Int, rhs: Tensor) -> Tensor { Float(lhs) - rhs }
    @_disfavoredOverload public static func * (lhs: Int, rhs: Tensor) -> Tensor { Float(lhs) * rhs }
    @_disfavoredOverload public static func / (lhs: Int, rhs: Tensor) -> Tensor { Float(lhs) / rhs }

    @_disfavoredOverload public static func += (lhs: inout Tensor, rhs: Double) { lhs += Float(rhs) }
    @_disfavoredOverload public static func -= (lhs: inout Tensor, rhs: Double) { lhs -= Float(rhs) }
    @_disfavoredOverload public static func *= (lhs: inout Tensor, rhs: Double) { lhs *= Float(rhs) }
    @_disfavoredOverload public static func /= (lhs: inout Tensor, rhs: Double) { lhs /= Float(rhs) }
    @_disfavoredOverload public static func += (lhs: inout Tensor, rhs: Int) { lhs += Float(rhs) }
    @_disfavoredOverload public static func -= (lhs: inout Tensor, rhs: Int) { lhs -= Float(rhs) }
    @_disfavoredOverload public static func *= (lhs: inout Tensor, rhs: Int) { lhs *= Float(rhs) }
    @_disfavoredOverload public static func /= (lhs: inout Tensor, rhs: Int) { lhs /= Float(rhs) }

    @_disfavoredOverload public static func .> (lhs: Tensor, rhs: Double) -> Tensor { lhs .> Float(rhs) }
    @_disfavoredOverload public static func .< (lhs: Tensor, rhs: Double) -> Tensor { lhs .< Float(rhs) }
    @_disfavoredOverload public static func .>= (lhs: Tensor, rhs: Double) -> Tensor { lhs .>= Float(rhs) }
    @_disfavoredOverload public static func .<= (lhs: Tensor, rhs: Double) -> Tensor { lhs .<= Float(rhs) }
    @_disfavoredOverload public static func .> (lhs: Tensor, rhs: Int) -> Tensor { lhs .> Float(rhs) }
    @_disfavoredOverload public static func .< (lhs: Tensor, rhs: Int) -> Tensor { lhs .< Float(rhs) }
    @_disfavoredOverload public static func .>= (lhs: Tensor, rhs: Int) -> Tensor { lhs .>= Float(rhs) }
    @_disfavoredOverload public static func .<= (lhs: Tensor, rhs: Int) -> Tensor { lhs .<= Float(rhs) }

    /// `shape` filled with `value` (a Double, such as a front-matter parameter).
    @_disfavoredOverload public static func full(_ shape: [Int], _ value: Double) -> Tensor { full(shape, Float(value)) }
    /// `shape` filled with `value` (an Int).
    @_disfavoredOverload public static func full(_ shape: [Int], _ value: Int) -> Tensor { full(shape, Float(value)) }
}

/// `x` raised to the power `p` (a Double, such as a front-matter parameter).
@_disfavoredOverload public func pow(_ x: Tensor, _ p: Double) -> Tensor { pow(x, Float(p)) }
/// `x` raised to the power `p` (an Int).
@_disfavoredOverload public func pow(_ x: Tensor, _ p: Int) -> Tensor { pow(x, Float(p)) }
