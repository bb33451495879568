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
/// part of the digest and is kept on restore.
///
/// What a restore cannot put back is not left out of the digest: every other stored property of
/// a layer, a module or a variable (a layer's plain `var` its configuration leaves out, a tensor
/// that is not one of its buffers, a flag) goes into the node's `fixedDigest`, so a change to it
/// before a cached cell changes the key, and a change to it by a cached cell makes the cell run
/// every time. Anything else reached (a closure, a class the cache cannot capture, a variable
/// with a recorded graph) makes the graph `problem`atic: a cell reading it cannot be cached.
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
        /// For layers, modules and variables: a digest of their stored properties that are not
        /// restorable state (parameters, buffers, `isTraining`; a variable's value, gradient
        /// and `requiresGrad`). A restore leaves them as they are.
        var fixedDigest: String?

        init(object: AnyObject, kind: Kind) {
            self.object = object
            self.kind = kind
        }
    }

    typealias Root = CacheManifest.ObjectRoot

    private(set) var nodes: [Node] = []
    private var indices: [ObjectIdentifier: Int] = [:]
    private(set) var roots: [(name: String, root: Root)] = []
    /// Why a cell reaching this graph cannot be cached, if it cannot.
    private(set) var problem: String?
    /// The notebook's own types among the objects and the values they hold.
    private(set) var notebookTypes: Set<String> = []
    /// The name being walked, for `problem`.
    var currentName = ""

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
    @discardableResult
    func add(_ value: Any, name: String) -> Root {
        currentName = name
        var budget = ValueKind.partLimit
        let root = root(value, budget: &budget)
        roots.append((name, root))
        return root
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

    /// The node of `object`, added (with what it reaches) when new; nil when it cannot be captured.
    @discardableResult
    func node(for object: AnyObject) -> Int? {
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
        NotebookTypes.collect(from: type(of: object), into: &notebookTypes)
        let index = nodes.count
        indices[ObjectIdentifier(object)] = index
        nodes.append(Node(object: object, kind: kind))
        visitChildren(index)
        return index
    }

    /// A type of the engine or the standard libraries, not the notebook's own.
    static func isEngineType(_ type: Any.Type) -> Bool {
        !String(reflecting: type).contains(NotebookTypes.module + ".")
    }

    private func visitChildren(_ index: Int) {
        let node = nodes[index]
        var edges: [Edge] = []
        func link(_ label: String, _ object: AnyObject) {
            if let child = self.node(for: object) { edges.append(Edge(label: label, node: child)) }
        }
        switch node.kind {
        case .custom:
            break
        case .variable:
            node.fixedDigest = variableFixedDigest(node.object as! Variable)
        case .sequential:
            let model = node.object as! Sequential
            for (position, layer) in model.layers.enumerated() { link("layer.\(position)", layer) }
            if let optimizer = model.optimizer { link("optimizer", optimizer) }
        case .layer, .module:
            let module = node.object as! Module
            for (name, parameter) in module.namedParameters { link("param.\(name)", parameter) }
            // A module is put back in place, and so are the objects it holds (edges); a layer is
            // rebuilt from its configuration when a cell made it, so everything else it holds,
            // sub-objects included, is fixed state, hashed in place.
            var fixed = FixedState(graph: self, owner: module, linksObjects: node.kind == .module)
            fixed.addFields(of: module, prefix: "field")
            edges += fixed.edges
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

    /// The stored properties of a variable besides its value, gradient, `requiresGrad` and graph.
    private func variableFixedDigest(_ variable: Variable) -> String {
        var hasher = ContentHasher()
        var mirror: Mirror? = Mirror(reflecting: variable)
        while let current = mirror {
            for child in current.children {
                let label = child.label ?? "_"
                if ["value", "grad", "requiresGrad", "primitive", "inputs", "_value", "_grad", "_requiresGrad"].contains(label) { continue }
                let content = ContentDigest.of(child.value) { _ in nil }
                guard let digest = content.digest else {
                    fail("'\(currentName)' reaches a Variable whose '\(label)' the cache cannot see into (\(content.problem ?? ""))")
                    continue
                }
                hasher.combine(label)
                hasher.combine(digest)
            }
            mirror = current.superclassMirror
        }
        return hasher.finalize()
    }

    /// Walks a layer's or module's stored properties: the module's own parameters (edges
    /// already), its buffers and training mode are restorable; the rest is fixed state.
    private struct FixedState {
        let graph: ObjectGraph
        let owner: Module
        /// For a module kept in place, objects it holds become edges (put back in place too);
        /// for a layer rebuilt from its configuration, their state is hashed as fixed.
        let linksObjects: Bool
        var hasher = ContentHasher()
        var edges: [Edge] = []
        private let parameters: Set<ObjectIdentifier>
        /// Each buffer's storage, with its name: a field holding that storage is the buffer.
        private let buffers: [(name: String, storage: UnsafeRawPointer?)]
        private var visited: Set<ObjectIdentifier> = []

        init(graph: ObjectGraph, owner: Module, linksObjects: Bool) {
            self.graph = graph
            self.owner = owner
            self.linksObjects = linksObjects
            parameters = Set(owner.namedParameters.map { ObjectIdentifier($0.1) })
            buffers = owner.namedBuffers.map { ($0.0, Self.storage(of: $0.1)) }
            hasher.combine(typeName(of: owner))
        }

        static func storage(of tensor: Tensor) -> UnsafeRawPointer? {
            tensor.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
        }

        mutating func finalize() -> String { hasher.finalize() }

        mutating func addFields(of object: AnyObject, prefix: String) {
            visited.insert(ObjectIdentifier(object))
            var fields: [(label: String, value: Any)] = []
            var mirror: Mirror? = Mirror(reflecting: object)
            while let current = mirror {
                for child in current.children { fields.append((child.label ?? "_", child.value)) }
                mirror = current.superclassMirror
            }
            let isOwner = object === owner
            for (label, value) in fields {
                // The owner's own training mode is restored; a sub-object's is fixed state.
                if isOwner, label == "isTraining" || label == "_isTraining" { continue }
                if let tensor = value as? Tensor, isBuffer(tensor, label: label, among: fields) { continue }
                add(value, label: "\(prefix).\(label)")
            }
        }

        /// A tensor field is a buffer when it holds a buffer's storage and is the only field
        /// that does, or the one named like the buffer: a field that merely holds equal values,
        /// or a second field sharing the storage, is not put back by `setBuffer` and is fixed.
        func isBuffer(_ tensor: Tensor, label: String, among fields: [(label: String, value: Any)]) -> Bool {
            let storage = Self.storage(of: tensor)
            guard storage != nil, let buffer = buffers.first(where: { $0.storage == storage }) else { return false }
            let bare = label.hasPrefix("_") ? String(label.dropFirst()) : label
            let bufferName = buffer.name.split(separator: ".").last.map(String.init) ?? buffer.name
            if bare == bufferName { return true }
            let sharing = fields.filter { ($0.value as? Tensor).map(Self.storage(of:)) == storage }
            return sharing.count == 1 && !fields.contains { ($0.label == bufferName || $0.label == "_" + bufferName) }
        }

        mutating func add(_ value: Any, label: String) {
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .class {
                let object = value as AnyObject
                if let variable = object as? Variable, parameters.contains(ObjectIdentifier(variable)) { return }
                if linksObjects {
                    if let child = graph.node(for: object) { edges.append(Edge(label: label, node: child)) }
                    return
                }
                hasher.combine(label)
                if visited.contains(ObjectIdentifier(object)) {
                    hasher.combine("seen")
                    return
                }
                switch object {
                case let variable as Variable:
                    visited.insert(ObjectIdentifier(variable))
                    hasher.combine(variable.requiresGrad ? "variable grad" : "variable")
                    ValueHasher.combine(variable.value, into: &hasher)
                    if let grad = variable.grad { ValueHasher.combine(grad, into: &hasher) }
                    hasher.combine(graph.variableFixedDigest(variable))
                case let cacheable as NotebookCacheableObject:
                    visited.insert(ObjectIdentifier(cacheable))
                    guard let state = try? cacheable.cacheState() else {
                        graph.fail("'\(graph.currentName)' reaches a \(typeName(of: cacheable)) whose cacheState() throws")
                        return
                    }
                    state.withUnsafeBytes { hasher.combine($0) }
                case let module as Module:
                    NotebookTypes.collect(from: type(of: module), into: &graph.notebookTypes)
                    hasher.combine(typeName(of: module))
                    addFields(of: module, prefix: label)
                default:
                    graph.fail("'\(graph.currentName)' reaches an object the cache cannot capture in '\(label)' of a "
                        + "\(typeName(of: owner)): \(ObjectGraph.uncapturableReason(object) ?? typeName(of: object))")
                }
                return
            }
            if value is NotebookValue || mirror.children.isEmpty || !ValueKind.holdsObjects(value) {
                var content = ContentDigest { _ in nil }
                content.add(value)
                graph.notebookTypes.formUnion(content.notebookTypes)
                if let problem = content.problem {
                    graph.fail("'\(graph.currentName)' reaches '\(label.split(separator: ".").dropFirst().joined(separator: "."))' "
                        + "of a \(typeName(of: owner)), which the cache cannot see into: \(problem)")
                    return
                }
                hasher.combine(label)
                hasher.combine(content.hasher.finalize())
                return
            }
            // A value holding objects: its shape here, its parts one by one.
            hasher.combine(label)
            hasher.combine(String(describing: mirror.displayStyle))
            hasher.combine(Int(mirror.children.count))
            for (position, child) in mirror.children.enumerated() {
                add(child.value, label: "\(label).\(child.label ?? String(position))")
            }
        }
    }

    private static func contentKey(_ slot: ParameterSlots) -> String {
        var hasher = ContentHasher()
        ValueHasher.combine(slot.parameter.value, into: &hasher)
        for tensor in slot.slots { ValueHasher.combine(tensor, into: &hasher) }
        return hasher.finalize()
    }

    // MARK: Digests

    /// A node's own state (not its edges): its kind, type, restorable state and fixed state.
    func stateDigest(of index: Int) -> String {
        let node = nodes[index]
        var hasher = ContentHasher()
        hasher.combine(node.kind.rawValue)
        hasher.combine(typeName(of: node.object))
        StateCapture.combineState(of: node, in: self, into: &hasher)
        hasher.combine(node.fixedDigest ?? "-")
        return hasher.finalize()
    }

    /// A digest of every node's state and every edge and root: equal digests, equal objects
    /// connected the same way.
    func digest() -> String {
        var hasher = ContentHasher()
        hasher.combine("nbrun object graph 2")
        hasher.combine(nodes.count)
        for index in nodes.indices {
            hasher.combine(stateDigest(of: index))
            hasher.combine(nodes[index].edges.count)
            for edge in nodes[index].edges {
                hasher.combine(edge.label)
                hasher.combine(edge.node)
            }
        }
        for (name, root) in roots {
            hasher.combine(name)
            hasher.combine(Self.describe(root))
        }
        return hasher.finalize()
    }

    /// A digest of what is reachable from `starts` alone, numbered from them (so it does not
    /// depend on what else the graph holds): each object's state and its references.
    func reachDigest(from starts: [Int]) -> String {
        var local: [Int: Int] = [:]
        var order: [Int] = []
        func number(_ index: Int) -> Int {
            if let known = local[index] { return known }
            local[index] = order.count
            order.append(index)
            return order.count - 1
        }
        var hasher = ContentHasher()
        hasher.combine(starts.count)
        for start in starts { hasher.combine(number(start)) }
        var position = 0
        while position < order.count {
            let index = order[position]
            position += 1
            hasher.combine(stateDigest(of: index))
            hasher.combine(nodes[index].edges.count)
            for edge in nodes[index].edges {
                hasher.combine(edge.label)
                hasher.combine(number(edge.node))
            }
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

/// Hashes tensors by content, for digests.
enum ValueHasher {
    static func combine(_ tensor: Tensor, into hasher: inout ContentHasher) {
        hasher.combine(tensor.shape.count)
        for extent in tensor.shape { hasher.combine(extent) }
        tensor.withUnsafeBufferPointer { hasher.combine(UnsafeRawBufferPointer($0)) }
    }
}
