import Foundation

/// A notebook parameter: a `params` entry of the front matter, typed by its YAML value,
/// which the generated program declares as a `let` before the first cell.
///
/// Overridden from the command line with `-p name=value` (papermill's parameters, checked
/// before anything compiles).
public struct Parameter: Codable, Sendable, Equatable {
    public enum Value: Codable, Sendable, Equatable {
        case int(Int)
        case double(Double)
        case bool(Bool)
        case string(String)

        /// The Swift type the generated `let` is declared with.
        public var swiftType: String {
            switch self {
            case .int: return "Int"
            case .double: return "Double"
            case .bool: return "Bool"
            case .string: return "String"
            }
        }

        /// A Swift literal for the value.
        public var swiftLiteral: String {
            switch self {
            case .int(let value): return String(value)
            case .double(let value): return value.isFinite ? "\(value)" : (value.isNaN ? "Double.nan" : (value > 0 ? "Double.infinity" : "-Double.infinity"))
            case .bool(let value): return value ? "true" : "false"
            case .string(let value): return Self.swiftStringLiteral(value)
            }
        }

        /// The value as JSON, for the program plan (non-finite numbers as the strings "nan", "+inf", "-inf").
        public var json: String {
            switch self {
            case .int(let value): return String(value)
            case .double(let value):
                if value.isNaN { return "\"nan\"" }
                if value.isInfinite { return value > 0 ? "\"+inf\"" : "\"-inf\"" }
                return "\(value)"
            case .bool(let value): return value ? "true" : "false"
            case .string(let value):
                let data = (try? JSONEncoder().encode([value])) ?? Data("[\"\"]".utf8)
                return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
            }
        }

        /// The value as text, for the report header.
        public var text: String {
            switch self {
            case .int(let value): return String(value)
            case .double(let value): return "\(value)"
            case .bool(let value): return value ? "true" : "false"
            case .string(let value): return value
            }
        }

        /// A value of the same type as `self`, read from command-line text.
        ///
        /// An `Int` parameter takes only whole numbers; a `Double` one takes any number;
        /// a `Bool` one takes `true` or `false`; a `String` one takes anything.
        public func sameType(from text: String) -> Value? {
            switch self {
            case .int: return Self.integer(text).map(Value.int)
            case .double: return (Double(text) ?? Self.integer(text).map(Double.init)).flatMap { $0.isFinite ? Value.double($0) : nil }
            case .bool:
                switch text {
                case "true": return .bool(true)
                case "false": return .bool(false)
                default: return nil
                }
            case .string: return .string(text)
            }
        }

        /// A whole number as Swift and YAML write one: `60000`, `60_000`, `-3`, `+5`, `0x10`, `0o17`, `0b101`.
        static func integer(_ text: String) -> Int? {
            var body = Substring(text)
            var negative = false
            if let sign = body.first, sign == "-" || sign == "+" {
                negative = sign == "-"
                body = body.dropFirst()
            }
            var radix = 10
            for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
                radix = base
                body = body.dropFirst(2)
            }
            guard let first = body.first, first != "_", body.allSatisfy({ $0 == "_" || $0.isHexDigit }) else { return nil }
            guard let magnitude = Int(body.filter { $0 != "_" }, radix: radix) else { return nil }
            return negative ? -magnitude : magnitude
        }

        static func swiftStringLiteral(_ text: String) -> String {
            var literal = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\\": literal += "\\\\"
                case "\"": literal += "\\\""
                case "\n": literal += "\\n"
                case "\r": literal += "\\r"
                case "\t": literal += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    literal += "\\u{\(String(scalar.value, radix: 16))}"
                default: literal.unicodeScalars.append(scalar)
                }
            }
            return literal + "\""
        }
    }

    public var name: String
    public var value: Value
    /// The `.md` line of the parameter in the front matter.
    public var line: Int

    public init(name: String, value: Value, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }

    /// `parameters` with `overrides` (`name -> text` from `-p name=value`) applied.
    ///
    /// - Throws: `NotebookError` for a name the notebook does not declare or a value that
    ///   is not of the parameter's type.
    public static func applying(_ overrides: [(name: String, value: String)], to parameters: [Parameter], path: String) throws -> [Parameter] {
        var result = parameters
        var problems: [Diagnostic] = []
        for (name, text) in overrides {
            guard let index = result.firstIndex(where: { $0.name == name }) else {
                let known = parameters.map(\.name)
                problems.append(Diagnostic(file: path, line: nil, column: nil, severity: .error,
                                           message: "unknown parameter '\(name)' in -p \(name)=\(text)",
                                           hint: known.isEmpty ? "the notebook declares no params in its front matter"
                                                               : "the notebook's params are: \(known.joined(separator: ", "))"))
                continue
            }
            guard let value = result[index].value.sameType(from: text) else {
                problems.append(Diagnostic(file: path, line: result[index].line, column: nil, severity: .error,
                                           message: "parameter '\(name)' is \(result[index].value.swiftType), cannot use '\(text)' from -p \(name)=\(text)"))
                continue
            }
            result[index].value = value
        }
        if !problems.isEmpty { throw NotebookError(problems) }
        return result
    }
}
