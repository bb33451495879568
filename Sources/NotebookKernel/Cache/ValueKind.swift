import Foundation

/// A type with value semantics all the way down: copying it copies everything a cell can
/// change, and no other name can change a copy. The cell cache follows such values by name (a
/// value only changes through code that names it) instead of hashing their contents.
///
/// The engine's value types conform here; a notebook's own structs need not: the kernel looks
/// inside them (`Mirror`) for class instances and closures.
public protocol NotebookValue {}

extension Int: NotebookValue {}
extension Int8: NotebookValue {}
extension Int16: NotebookValue {}
extension Int32: NotebookValue {}
extension Int64: NotebookValue {}
extension UInt: NotebookValue {}
extension UInt8: NotebookValue {}
extension UInt16: NotebookValue {}
extension UInt32: NotebookValue {}
extension UInt64: NotebookValue {}
extension Float: NotebookValue {}
extension Double: NotebookValue {}
extension Bool: NotebookValue {}
extension String: NotebookValue {}
extension Substring: NotebookValue {}
extension Character: NotebookValue {}
extension Date: NotebookValue {}
extension Data: NotebookValue {}
extension URL: NotebookValue {}
extension UUID: NotebookValue {}
extension Range: NotebookValue where Bound: NotebookValue {}
extension ClosedRange: NotebookValue where Bound: NotebookValue {}
extension Array: NotebookValue where Element: NotebookValue {}
extension ArraySlice: NotebookValue where Element: NotebookValue {}
extension Set: NotebookValue where Element: NotebookValue {}
extension Dictionary: NotebookValue where Key: NotebookValue, Value: NotebookValue {}
extension Optional: NotebookValue where Wrapped: NotebookValue {}

extension Tensor: NotebookValue {}
extension RandomGenerator: NotebookValue {}
extension Window2D: NotebookValue {}
extension History: NotebookValue {}
extension EpochRecord: NotebookValue {}
extension Loss: NotebookValue {}
extension LossReduction: NotebookValue {}
extension Activation: NotebookValue {}
extension Initializer: NotebookValue {}
extension Monitor: NotebookValue {}
extension ConfusionMatrix: NotebookValue {}
extension ModelSummary: NotebookValue {}
extension Sequential.Evaluation: NotebookValue {}
extension OptimizerConfiguration: NotebookValue {}
extension Metric: NotebookValue {}
extension LearningRateSchedule: NotebookValue {}
// ByteRows inside is never changed after loading: a dataset is a value.
extension LabeledDataset: NotebookValue {}
extension Perceptron: NotebookValue {}
extension Perceptron.Epoch: NotebookValue {}
extension TensorSamples: NotebookValue {}
extension Normalization: NotebookValue {}
extension DatasetSplit: NotebookValue {}
extension PixelNormalization: NotebookValue {}
extension Figure: NotebookValue {}
extension FigureGrid: NotebookValue {}
extension Color: NotebookValue {}
extension Colormap: NotebookValue {}
extension DisplayItem: NotebookValue {}

/// How the cell cache can follow a value.
enum ValueKind: Equatable {
    /// Value semantics: followed by name.
    case value
    /// Holds class instances the cache can capture (models, layers, optimizers, variables):
    /// followed by their contents, whatever name reaches them.
    case objects
    /// Holds something the cache cannot see into (a closure, a class it cannot capture): why.
    case opaque(String)

    /// At most this many parts are looked at in one value; beyond, it is opaque.
    static let partLimit = 200_000

    static func of(_ value: Any) -> ValueKind {
        var budget = partLimit
        return classify(value, budget: &budget)
    }

    private static func classify(_ value: Any, budget: inout Int) -> ValueKind {
        budget -= 1
        if budget < 0 { return .opaque("it holds too many parts to inspect") }
        if value is NotebookValue { return .value }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .class:
            let object = value as AnyObject
            if let reason = ObjectGraph.uncapturableReason(object) { return .opaque(reason) }
            return .objects
        case .optional, .collection, .set, .dictionary, .tuple, .struct, .enum:
            var kind = ValueKind.value
            for child in mirror.children {
                switch classify(child.value, budget: &budget) {
                case .value: break
                case .objects: kind = .objects
                case .opaque(let reason): return .opaque(reason)
                }
            }
            return kind
        default:
            if isFunction(value) { return .opaque("it is a closure, whose captured state the cache cannot see") }
            let name = typeName(of: value)
            if name.contains("Pointer") { return .opaque("it is a pointer (\(name))") }
            return .value
        }
    }

    /// Whether `value` holds a class instance anywhere inside.
    static func holdsObjects(_ value: Any) -> Bool {
        var budget = partLimit
        func walk(_ value: Any) -> Bool {
            budget -= 1
            if budget < 0 || value is NotebookValue { return false }
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .class { return true }
            return mirror.children.contains { walk($0.value) }
        }
        return walk(value)
    }

    static func isFunction(_ value: Any) -> Bool {
        String(describing: type(of: value)).contains("->")
    }
}

/// A type's name as a notebook writes it (without the generated program's module).
func typeName(of value: Any) -> String {
    typeName(type(of: value))
}

func typeName(_ type: Any.Type) -> String {
    String(reflecting: type).replacingOccurrences(of: "NotebookProgram.", with: "")
}
