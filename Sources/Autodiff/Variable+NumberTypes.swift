// Doubles and Ints (a notebook's front-matter parameters) meet variables as they meet tensors
// (see TensorCore's Tensor+NumberTypes.swift): each converts to Float and records the Float
// operation, so gradients are those of `Float(number)`.

extension Variable {
    @_disfavoredOverload public static func + <N: ConvertibleToFloat>(lhs: Variable, rhs: N) -> Variable { lhs + rhs.floatValue }
    @_disfavoredOverload public static func - <N: ConvertibleToFloat>(lhs: Variable, rhs: N) -> Variable { lhs - rhs.floatValue }
    @_disfavoredOverload public static func * <N: ConvertibleToFloat>(lhs: Variable, rhs: N) -> Variable { lhs * rhs.floatValue }
    @_disfavoredOverload public static func / <N: ConvertibleToFloat>(lhs: Variable, rhs: N) -> Variable { lhs / rhs.floatValue }
    @_disfavoredOverload public static func + <N: ConvertibleToFloat>(lhs: N, rhs: Variable) -> Variable { lhs.floatValue + rhs }
    @_disfavoredOverload public static func - <N: ConvertibleToFloat>(lhs: N, rhs: Variable) -> Variable { lhs.floatValue - rhs }
    @_disfavoredOverload public static func * <N: ConvertibleToFloat>(lhs: N, rhs: Variable) -> Variable { lhs.floatValue * rhs }
    @_disfavoredOverload public static func / <N: ConvertibleToFloat>(lhs: N, rhs: Variable) -> Variable { lhs.floatValue / rhs }
}
