import Foundation
import KernelProtocol
import Yams

/// A JSON value, to write a `Codable` value (a figure's data) as YAML whose strings are quoted
/// and whose numbers are short, and to read it back: `Codable` value <-> JSON <-> YAML node.
indirect enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    init<Value: Encodable>(encoding value: Value) throws {
        self = try KernelCoding.decoder().decode(JSONValue.self, from: KernelCoding.encoder().encode(value))
    }

    func decoded<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try KernelCoding.decoder().decode(type, from: KernelCoding.encoder().encode(self))
    }

    /// Objects with their keys sorted, lists of numbers on one line (wrapped by the emitter),
    /// strings double-quoted, numbers with at most 7 significant digits (a `Float`'s).
    var node: Node {
        switch self {
        case .null: return .scalar(Node.Scalar("null", .implicit, .plain))
        case .bool(let bool): return .scalar(Node.Scalar(bool ? "true" : "false", .implicit, .plain))
        case .number(let number): return .scalar(Node.Scalar(Self.format(number), .implicit, .plain))
        case .string(let text): return .scalar(Node.Scalar(text, .implicit, .doubleQuoted))
        case .array(let array):
            let flat = array.allSatisfy { if case .array = $0 { return false }; if case .object = $0 { return false }; return true }
            return .sequence(Node.Sequence(array.map(\.node), .implicit, flat ? .flow : .block))
        case .object(let object):
            return .mapping(Node.Mapping(object.keys.sorted().map { (.scalar(Node.Scalar($0, .implicit, .plain)), object[$0]!.node) }))
        }
    }

    /// A node written by `node`: plain scalars are numbers, booleans or null, quoted ones strings.
    init(_ node: Node) throws {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { self = .string(scalar.string); return }
            switch scalar.string {
            case "null", "~", "": self = .null
            case "true": self = .bool(true)
            case "false": self = .bool(false)
            case "nan": self = .number(.nan)
            case "inf": self = .number(.infinity)
            case "-inf": self = .number(-.infinity)
            default:
                guard let number = Double(scalar.string) else {
                    throw NotebookError("'\(scalar.string)' is neither a number nor quoted text")
                }
                self = .number(number)
            }
        case .sequence(let sequence): self = .array(try sequence.map(JSONValue.init))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = try JSONValue(value) }
            self = .object(object)
        case .alias:
            throw NotebookError("aliases are not golden outputs")
        }
    }

    /// `%.7g`, whole numbers below 10^7 without a fraction, and `nan`, `inf`, `-inf`. What it
    /// writes reads back as a number it writes the same way (a larger whole number written in
    /// full would not be, once rounded to 7 digits), so recording again changes nothing.
    static func format(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        if number == number.rounded(), abs(number) < 1e7 { return String(Int64(number)) }
        return String(format: "%.7g", number)
    }
}
