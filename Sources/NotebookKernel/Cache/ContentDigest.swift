import Foundation

/// The content of a value, hashed: what a cached cell's key holds for each earlier value it reads
/// (the value itself, not the code that made it), and what the differential check compares.
///
/// Equal digests mean equal content, whatever order a `Dictionary` or `Set` iterates in (their
/// elements are hashed one by one, then sorted) and however the value was computed. Objects
/// inside the value are not walked here: `object` names each one (its number in an
/// `ObjectGraph`), and the graph's own digest covers their state. The walk also notes the
/// notebook's own types it meets (a value whose `subscript` or `description` the cell may run),
/// and fails for what it cannot see into: a closure, a pointer, an object `object` refuses.
struct ContentDigest {
    var hasher = ContentHasher()
    /// Why the value cannot be hashed, if it cannot.
    private(set) var problem: String?
    /// The notebook's own types met, by name (`Outer.Inner` gives both names).
    private(set) var notebookTypes: Set<String> = []
    private var budget: Int
    private let object: (AnyObject) -> String?

    init(budget: Int = ValueKind.partLimit, object: @escaping (AnyObject) -> String?) {
        self.budget = budget
        self.object = object
    }

    /// The digest of `value` alone, or why there is none.
    static func of(_ value: Any, object: @escaping (AnyObject) -> String?) -> (digest: String?, problem: String?, notebookTypes: Set<String>) {
        var walker = ContentDigest(object: object)
        walker.add(value)
        return (walker.problem == nil ? walker.hasher.finalize() : nil, walker.problem, walker.notebookTypes)
    }

    mutating func add(_ value: Any) {
        guard problem == nil else { return }
        budget -= 1
        guard budget >= 0 else {
            problem = "it holds too many parts to inspect"
            return
        }
        if addLeaf(value) { return }
        let valueType = type(of: value)
        NotebookTypes.collect(from: valueType, into: &notebookTypes)
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .class:
            guard let token = object(value as AnyObject) else {
                problem = ObjectGraph.uncapturableReason(value as AnyObject) ?? "it holds an object the cache cannot capture"
                return
            }
            hasher.combine("object")
            hasher.combine(token)
        case .optional:
            if let wrapped = mirror.children.first?.value {
                hasher.combine("some")
                add(wrapped)
            } else {
                hasher.combine("none")
            }
        case .collection:
            hasher.combine("collection")
            hasher.combine(Int(mirror.children.count))
            for child in mirror.children { add(child.value) }
        case .set, .dictionary:
            // Iteration order changes from process to process: hash each element, then sort.
            var elements: [String] = []
            for child in mirror.children {
                var element = ContentDigest(budget: budget, object: object)
                element.add(child.value)
                budget = element.budget
                notebookTypes.formUnion(element.notebookTypes)
                if let problem = element.problem {
                    self.problem = problem
                    return
                }
                elements.append(element.hasher.finalize())
            }
            hasher.combine(mirror.displayStyle == .set ? "set" : "dictionary")
            hasher.combine(elements.count)
            for element in elements.sorted() { hasher.combine(element) }
        case .struct, .tuple, .enum:
            if value is CustomReflectable {
                // A custom mirror need not show everything a value holds: its encoding does.
                addEncoded(value, what: "shows a custom reflection")
                return
            }
            hasher.combine(String(reflecting: valueType))
            if mirror.displayStyle == .enum, mirror.children.isEmpty {
                hasher.combine(Self.enumCase(value))
                return
            }
            hasher.combine(Int(mirror.children.count))
            for child in mirror.children {
                hasher.combine(child.label ?? "_")
                add(child.value)
            }
        default:
            if ValueKind.isFunction(value) {
                problem = "it holds a closure, whose captured state the cache cannot see"
            } else if String(reflecting: valueType).contains("Pointer") {
                problem = "it holds a pointer (\(typeName(valueType)))"
            } else if value is Any.Type {
                hasher.combine("type")
                hasher.combine(String(reflecting: value))
            } else {
                addEncoded(value, what: "is a \(typeName(valueType)), which shows nothing of its content")
            }
        }
    }

    /// The value's own bytes for the types whose content is all in them.
    private mutating func addLeaf(_ value: Any) -> Bool {
        func scalars<T>(_ tag: String, _ values: [T]) {
            hasher.combine(tag)
            hasher.combine(values.count)
            values.withUnsafeBytes { hasher.combine($0) }
        }
        switch value {
        case let tensor as Tensor:
            hasher.combine("tensor")
            ValueHasher.combine(tensor, into: &hasher)
        case let text as String: hasher.combine("s"); hasher.combine(text)
        case let text as Substring: hasher.combine("s"); hasher.combine(String(text))
        case let character as Character: hasher.combine("c"); hasher.combine(String(character))
        case let number as Int: hasher.combine("i"); hasher.combine(number)
        case let number as Double: hasher.combine("d"); hasher.combine(number.bitPattern)
        case let number as Float: hasher.combine("f"); hasher.combine(UInt64(number.bitPattern))
        case let flag as Bool: hasher.combine(flag ? "true" : "false")
        case let number as Int8: hasher.combine("i8"); hasher.combine(Int(number))
        case let number as Int16: hasher.combine("i16"); hasher.combine(Int(number))
        case let number as Int32: hasher.combine("i32"); hasher.combine(Int(number))
        case let number as Int64: hasher.combine("i64"); hasher.combine(Int(number))
        case let number as UInt: hasher.combine("u"); hasher.combine(UInt64(number))
        case let number as UInt8: hasher.combine("u8"); hasher.combine(UInt64(number))
        case let number as UInt16: hasher.combine("u16"); hasher.combine(UInt64(number))
        case let number as UInt32: hasher.combine("u32"); hasher.combine(UInt64(number))
        case let number as UInt64: hasher.combine("u64"); hasher.combine(number)
        case let values as [Float]: scalars("[f]", values)
        case let values as [Double]: scalars("[d]", values)
        case let values as [Int]: scalars("[i]", values)
        case let values as [UInt8]: scalars("[u8]", values)
        case let values as [Int32]: scalars("[i32]", values)
        case let date as Date: hasher.combine("date"); hasher.combine(date.timeIntervalSinceReferenceDate.bitPattern)
        case let data as Data: hasher.combine("data"); hasher.combine(data.count); data.withUnsafeBytes { hasher.combine($0) }
        case let url as URL: hasher.combine("url"); hasher.combine(url.absoluteString)
        case let uuid as UUID: hasher.combine("uuid"); hasher.combine(uuid.uuidString)
        case let record as EpochRecord:
            // An epoch's `seconds` is a wall-clock measurement, not something the epoch computed.
            hasher.combine("epoch")
            hasher.combine(record.epoch)
            hasher.combine(UInt64(record.loss.bitPattern))
            addMetrics(record.metrics)
            if let loss = record.validationLoss { hasher.combine(UInt64(loss.bitPattern)) } else { hasher.combine("none") }
            addMetrics(record.validationMetrics)
            hasher.combine(UInt64(record.learningRate.bitPattern))
        case let dataset as LabeledDataset:
            hasher.combine("dataset")
            dataset.withContentBytes { hasher.combine($0) }
        default:
            return false
        }
        return true
    }

    private mutating func addMetrics(_ metrics: [String: Float]) {
        hasher.combine(metrics.count)
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            hasher.combine(name)
            hasher.combine(UInt64(value.bitPattern))
        }
    }

    /// A value whose reflection does not show its content: its `Encodable` form, else a problem.
    private mutating func addEncoded(_ value: Any, what: String) {
        guard let encodable = value as? any Encodable else {
            problem = "it holds a value that \(what)"
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode([encodable].map(AnyEncodable.init)) else {
            problem = "it holds a value that \(what), and cannot be encoded"
            return
        }
        hasher.combine(String(reflecting: type(of: value)))
        data.withUnsafeBytes { hasher.combine($0) }
    }

    /// The bytes of a case of an enum without payloads (its tag), which its description may hide.
    private static func enumCase(_ value: Any) -> String {
        func bytes<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { $0.map { String($0, radix: 16) }.joined(separator: ".") }
        }
        return _openExistential(value, do: bytes)
    }
}

private struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}

/// The notebook's own type names inside a type's full name ("NotebookProgram.Outer.Inner",
/// "Swift.Array<NotebookProgram.Step>").
enum NotebookTypes {
    static let module = "NotebookProgram"

    static func collect(from type: Any.Type, into names: inout Set<String>) {
        let text = String(reflecting: type)
        guard text.contains(module + ".") else { return }
        collect(fromName: text, into: &names)
    }

    static func collect(fromName text: String, into names: inout Set<String>) {
        var rest = Substring(text)
        while let range = rest.range(of: module + ".") {
            var after = rest[range.upperBound...]
            // Dot-separated names after the module are the type and the types it is nested in; a
            // local type's context shows as "(unknown context at $…)" or "(local …)".
            while true {
                if after.first == "(" {
                    names.insert("(local)")
                    guard let close = after.firstIndex(of: ")") else { break }
                    after = after[after.index(after: close)...]
                    if after.first == "." { after = after.dropFirst(); continue }
                    break
                }
                let name = after.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !name.isEmpty else { break }
                names.insert(String(name))
                after = after[name.endIndex...]
                guard after.first == "." else { break }
                after = after.dropFirst()
            }
            rest = after
        }
    }
}
