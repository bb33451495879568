import Foundation

/// A notebook's own class that the cell cache can capture and put back in place, like the
/// engine's models, layers and optimizers. (A `Module` needs nothing more: its parameters,
/// buffers and training mode are its state.)
///
///     final class Counter: NotebookCacheableObject {
///         var count = 0
///         init() {}
///         init(cacheState: Data) throws { count = try JSONDecoder().decode(Int.self, from: cacheState) }
///         func cacheState() throws -> Data { try JSONEncoder().encode(count) }
///         func restoreCacheState(_ state: Data) throws { count = try JSONDecoder().decode(Int.self, from: state) }
///     }
///
/// It must not hold references to other objects the cache follows (models, variables).
public protocol NotebookCacheableObject: AnyObject {
    /// Everything about the object a cell may change.
    func cacheState() throws -> Data
    /// Puts back what `cacheState()` returned, in this object.
    func restoreCacheState(_ state: Data) throws
    /// A new object from what `cacheState()` returned.
    init(cacheState: Data) throws
}

/// The objects reachable from some names, numbered in the order first reached: what the cell
/// cache hashes to key a cell on the state of the models it reads, and what it stores and puts
/// back in place when the cell is restored.
///
/// Nodes are the class instances the cache understands: leaf `Variable`s, `Sequential` models,
/// layers that adopt `SavableLayer` (the engine's and a notebook's own: rebuilt from their saved
/// configuration when a cell made them), other `Module`s (their named parameters and buffers,
/// training mode, and sub-objects; put back in place only), the engine's optimizers, and
/// `NotebookCacheableObject`s.
/// Edges are the references between them (a model's layers and optimizer, a layer's
/// parameters, an optimizer's per-parameter state), so that sharing (the same layer in two
/// models, a global naming a model's first layer, the optimizer a model was compiled with) is
/// part of the digest and is kept on restore. Anything else reached (a closure, a class the
/// cache cannot capture, a variable with a recorded graph) makes the graph `problem`atic: a
/// cell reading it cannot be cached.
final class ObjectGraph {
    enum Kind: String, Codable {
        case variable, sequential, layer, module, optimizer, custom
    }

    struct Edge: Codable, Equatable {
        var label: String
        var node: Int
    }

    final class Node {
        let object: AnyObject
        let kind: Kind
        var edges: [Edge] = []
        /// For `.module`: a digest of its stored properties other than objects, tensors and
        /// `isTraining`, which a cached cell must leave unchanged (the cache cannot put them back).
        var fixedDigest: String?

        init(object: AnyObject, kind: Kind) {
            self.object = object
            self.kind = kind
        }
    }

    /// How a name's value reaches the graph's nodes.
    indirect enum Root: Codable, Equatable {
        case object(Int)
        case array([Root])
        case optional(Root?)
        case dictionary(keys: [String], values: [Root])
        /// A value holding objects in a way the cache cannot rebuild (a struct, a tuple):
        /// only the objects found inside, in order.
        case mixed([Root])
        /// No object inside.
        case value
    }

    private(set) var nodes: [Node] = []
    private var indices: [ObjectIdentifier: Int] = [:]
    private(set) var roots: [(name: String, root: Root)] = []
    /// Why a cell reaching this graph cannot be cached, if it cannot.
    private(set) var problem: String?
    /// The name being walked, for `problem`.
    private var currentName = ""

    /// A graph starting from nodes known already: they keep their numbers (0..<count) and their
    /// children are walked again, so their state now is captured too.
    init(seed: ObjectGraph? = nil) {
        guard let seed else { return }
        for node in seed.nodes {
            indices[ObjectIdentifier(node.object)] = nodes.count
            nodes.append(Node(object: node.object, kind: node.kind))
        }
        for index in nodes.indices {
            currentName = "an object it reached"
            visitChildren(index)
        }
    }

    /// Adds the objects `value` reaches, as the root `name`.
    func add(_ value: Any, name: String) {
        currentName = name
        var budget = ValueKind.partLimit
        roots.append((name, root(value, budget: &budget)))
    }

    func index(of object: AnyObject) -> Int? {
        indices[ObjectIdentifier(object)]
    }

    // MARK: Walking

    private func fail(_ reason: String) {
        if problem == nil { problem = reason }
    }

    private func root(_ value: Any, budget: inout Int) -> Root {
        budget -= 1
        if budget < 0 {
            fail("'\(currentName)' holds too many parts to inspect")
            return .value
        }
        if value is NotebookValue { return .value }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .class:
            return node(for: value as AnyObject).map(Root.object) ?? .value
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return .optional(nil) }
            let inner = root(wrapped, budget: &budget)
            return inner == .value ? .value : .optional(inner)
        case .collection, .set:
            let children = mirror.children.map { root($0.value, budget: &budget) }
            if children.allSatisfy({ $0 == .value }) { return .value }
            return mirror.displayStyle == .collection ? .array(children) : .mixed(children)
        case .dictionary:
            var keys: [String] = [], values: [Root] = [], textKeys = true
            for pair in mirror.children {
                let parts = Array(Mirror(reflecting: pair.value).children)
                guard parts.count == 2 else { continue }
                if let key = parts[0].value as? String { keys.append(key) } else { textKeys = false }
                values.append(root(parts[1].value, budget: &budget))
            }
            if values.allSatisfy({ $0 == .value }) { return .value }
            // Keys in a stable order: a dictionary's own order changes from run to run.
            if textKeys {
                let order = keys.indices.sorted { keys[$0] < keys[$1] }
                return .dictionary(keys: order.map { keys[$0] }, values: order.map { values[$0] })
            }
            return .mixed(values)
        case .tuple, .struct, .enum:
            let children = mirror.children.map { root($0.value, budget: &budget) }
            return children.allSatisfy({ $0 == .value }) ? .value : .mixed(children)
        default:
            if ValueKind.isFunction(value) {
                fail("'\(currentName)' holds a closure, whose captured state the cache cannot see")
            }
            return .value
        }
    }

    /// Why the cache cannot capture `object`, or nil when it can.
    static func uncapturableReason(_ object: AnyObject) -> String? {
        if let variable = object as? Variable {
            return variable.isLeaf ? nil
                : "it is a Variable computed from others (with its graph for backward()), which the cache cannot keep: keep its value (.value) instead"
        }
        if object is Sequential || object is NotebookCacheableObject || object is Module { return nil }
        if let optimizer = object as? ParameterOptimizer {
            return optimizer.configuration != nil ? nil
                : "it is a \(typeName(of: optimizer)), an optimizer the cache cannot rebuild: adopt NotebookCacheableObject"
        }
        return "it is a \(typeName(of: object)), a class whose state the cache cannot capture: make it a Module "
            + "(its parameters and buffers are its state) or adopt NotebookCacheableObject"
    }

    private func node(for object: AnyObject) -> Int? {
        if let index = indices[ObjectIdentifier(object)] { return index }
        let kind: Kind
        if let reason = Self.uncapturableReason(object) {
            fail("'\(currentName)' reaches an object the cache cannot capture: \(reason)")
            return nil
        } else if object is Variable {
            kind = .variable
        } else if object is Sequential {
            kind = .sequential
        } else if object is NotebookCacheableObject {
            kind = .custom
        } else if object is ParameterOptimizer {
            kind = .optimizer
        } else if let layer = object as? Layer, layer is any SavableLayer {
            kind = .layer
        } else {
            kind = .module
        }
        let index = nodes.count
        indices[ObjectIdentifier(object)] = index
        nodes.append(Node(object: object, kind: kind))
        visitChildren(index)
        return index
    }

    static func isEngineType(_ object: AnyObject) -> Bool {
        String(reflecting: type(of: object)).hasPrefix("NeuralNetwork.")
    }

    /// A type of the engine or the standard libraries, not the notebook's own.
    static func isEngineType(_ type: Any.Type) -> Bool {
        !String(reflecting: type).contains("NotebookProgram.")
    }

    private func visitChildren(_ index: Int) {
        let node = nodes[index]
        var edges: [Edge] = []
        func link(_ label: String, _ object: AnyObject) {
            if let child = self.node(for: object) { edges.append(Edge(label: label, node: child)) }
        }
        switch node.kind {
        case .variable, .custom:
            break
        case .sequential:
            let model = node.object as! Sequential
            for (position, layer) in model.layers.enumerated() { link("layer.\(position)", layer) }
            if let optimizer = model.optimizer { link("optimizer", optimizer) }
        case .layer:
            for (name, parameter) in (node.object as! Module).namedParameters { link("param.\(name)", parameter) }
        case .module:
            let module = node.object as! Module
            for (name, parameter) in module.namedParameters { link("param.\(name)", parameter) }
            var fixed = ContentHasher()
            fixed.combine(typeName(of: module))
            let buffers = module.namedBuffers.map(\.1)
            var mirror: Mirror? = Mirror(reflecting: module)
            while let current = mirror {
                for child in current.children {
                    let label = child.label ?? "_"
                    if label == "isTraining" || label == "_isTraining" { continue }
                    fieldWalk(child.value, label: "field.\(label)", owner: typeName(of: module), edges: &edges, fixed: &fixed, buffers: buffers)
                }
                mirror = current.superclassMirror
            }
            node.fixedDigest = fixed.finalize()
        case .optimizer:
            let optimizer = node.object as! ParameterOptimizer
            // In a stable order: parameters already numbered first, by number; the others by content.
            let slots = optimizer.parameterSlots
            let known = slots.filter { indices[ObjectIdentifier($0.parameter)] != nil }
                .sorted { indices[ObjectIdentifier($0.parameter)]! < indices[ObjectIdentifier($1.parameter)]! }
            let unknown = slots.filter { indices[ObjectIdentifier($0.parameter)] == nil }
                .map { ($0, Self.contentKey($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
            for (position, slot) in (known + unknown).enumerated() { link("slot.\(position)", slot.parameter) }
        }
        node.edges = edges
    }

    /// A user module's stored property: objects become edges, values go into its fixed digest.
    private func fieldWalk(_ value: Any, label: String, owner: String, edges: inout [Edge], fixed: inout ContentHasher,
                           buffers: [Tensor]) {
        if let tensor = value as? Tensor {
            // A buffer's storage is restorable state, not fixed.
            if buffers.contains(where: { $0.shape == tensor.shape && $0.scalars == tensor.scalars }) { return }
            fixed.combine(label)
            ValueHasher.combine(tensor, into: &fixed)
            return
        }
        if value is NotebookValue {
            fixed.combine(label)
            ValueHasher.combine(value, into: &fixed)
            return
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .class:
            if let child = node(for: value as AnyObject) { edges.append(Edge(label: label, node: child)) }
        case .optional, .collection, .set, .dictionary, .tuple, .struct, .enum:
            fixed.combine(label)
            fixed.combine(String(describing: mirror.displayStyle))
            fixed.combine(Int(mirror.children.count))
            for (position, child) in mirror.children.enumerated() {
                fieldWalk(child.value, label: "\(label).\(child.label ?? String(position))", owner: owner, edges: &edges,
                          fixed: &fixed, buffers: buffers)
            }
        default:
            if ValueKind.isFunction(value) {
                fail("'\(currentName)' reaches a closure stored in '\(label.dropFirst(6))' of a \(owner), whose captured "
                    + "state the cache cannot see (store an Activation or another value there instead)")
                return
            }
            fixed.combine(label)
            ValueHasher.combine(value, into: &fixed)
        }
    }

    private static func contentKey(_ slot: ParameterSlots) -> String {
        var hasher = ContentHasher()
        ValueHasher.combine(slot.parameter.value, into: &hasher)
        for tensor in slot.slots { ValueHasher.combine(tensor, into: &hasher) }
        return hasher.finalize()
    }

    // MARK: Digest

    /// A digest of every node's state and every edge and root: equal digests, equal objects
    /// connected the same way.
    func digest() -> String {
        var hasher = ContentHasher()
        hasher.combine("nbrun object graph 1")
        hasher.combine(nodes.count)
        for node in nodes {
            hasher.combine(node.kind.rawValue)
            hasher.combine(typeName(of: node.object))
            StateCapture.combineState(of: node, in: self, into: &hasher)
            hasher.combine(node.edges.count)
            for edge in node.edges {
                hasher.combine(edge.label)
                hasher.combine(edge.node)
            }
            hasher.combine(node.fixedDigest ?? "-")
        }
        for (name, root) in roots {
            hasher.combine(name)
            hasher.combine(Self.describe(root))
        }
        return hasher.finalize()
    }

    static func describe(_ root: Root) -> String {
        switch root {
        case .object(let index): return "o\(index)"
        case .value: return "v"
        case .optional(let inner): return "?(\(inner.map(describe) ?? "nil"))"
        case .array(let items): return "[\(items.map(describe).joined(separator: ","))]"
        case .mixed(let items): return "m(\(items.map(describe).joined(separator: ",")))"
        case .dictionary(let keys, let values):
            return "{\(zip(keys, values).map { "\($0.0.utf8.count):\($0.0)=\(describe($0.1))" }.joined(separator: ","))}"
        }
    }
}

/// Hashes values by content, for digests.
enum ValueHasher {
    static func combine(_ tensor: Tensor, into hasher: inout ContentHasher) {
        hasher.combine(tensor.shape.count)
        for extent in tensor.shape { hasher.combine(extent) }
        tensor.withUnsafeBufferPointer { hasher.combine(UnsafeRawBufferPointer($0)) }
    }

    static func combine(_ value: Any, into hasher: inout ContentHasher) {
        switch value {
        case let tensor as Tensor: combine(tensor, into: &hasher)
        case let floats as [Float]: hasher.combine(floats)
        case let text as String: hasher.combine(text)
        case let number as Int: hasher.combine(number)
        case let number as Double: hasher.combine(number.bitPattern)
        case let number as Float: hasher.combine(UInt64(number.bitPattern))
        case let flag as Bool: hasher.combine(flag ? 1 : 0)
        default:
            let mirror = Mirror(reflecting: value)
            hasher.combine(typeName(of: value))
            if mirror.children.isEmpty {
                hasher.combine(String(reflecting: value))
                return
            }
            hasher.combine(Int(mirror.children.count))
            for child in mirror.children {
                hasher.combine(child.label ?? "_")
                combine(child.value, into: &hasher)
            }
        }
    }
}
