// Doubles and Ints (a notebook's front-matter parameters) meet variables as they meet tensors
// (see TensorCore's Tensor+NumberTypes.swift): each converts to Float and records the Float
// operation, so gradients are those of `Float(number)`.

extension Variable {
    @_disfavoredOverload public static func + (lhs: Variable, rhs: Double) -> Variable { lhs + Float(rhs) }
    @_disfavoredOverload public static func - (lhs: Variable, rhs: Double) -> Variable { lhs - Float(rhs) }
    @_disfavoredOverload public static func * (lhs: Variable, rhs: Double) -> Variable { lhs * Float(rhs) }
    @_disfavoredOverload public static func / (lhs: Variable, rhs: Double) -> Variable { lhs / Float(rhs) }
    @_disfavoredOverload public static func + (lhs: Double, rhs: Variable) -> Variable { Float(lhs) + rhs }
    @_disfavoredOverload public static func - (lhs: Double, rhs: Variable) -> Variable { Float(lhs) - rhs }
    @_disfavoredOverload public static func * (lhs: Double, rhs: Variable) -> Variable { Float(lhs) * rhs }
    @_disfavoredOverload public static func / (lhs: Double, rhs: Variable) -> Variable { Float(lhs) / rhs }

    @_disfavoredOverload public static func + (lhs: Variable, rhs: Int) -> Variable { lhs + Float(rhs) }
    @_disfavoredOverload public static func - (lhs: Variable, rhs: Int) -> Variable { lhs - Float(rhs) }
    @_disfavoredOverload public static func * (lhs: Variable, rhs: Int) -> Variable { lhs * Float(rhs) }
    @_disfavoredOverload public static func / (lhs: Variable, rhs: Int) -> Variable { lhs / Float(rhs) }
    @_disfavoredOverload public static func + (lhs: Int, rhs: Variable) -> Variable { Float(lhs) + rhs }
    @_disfavoredOverload public static func - (lhs: Int, rhs: Variable) -> Variable { Float(lhs) - rhs }
    @_disfavoredOverload public static func * (lhs: Int, rhs: Variable) -> Variable { Float(lhs) * rhs }
    @_disfavoredOverload public static func / (lhs: Int, rhs: Variable) -> Variable { Float(lhs) / rhs }
}
