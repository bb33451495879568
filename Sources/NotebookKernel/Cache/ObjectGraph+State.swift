import Foundation

/// The state of an `ObjectGraph` as stored in a cache entry: `graph.json` (this) and
/// `graph.safetensors` (its tensors, named `n<node>.value`, `n<node>.grad`,
/// `n<node>.buffer.<name>`, `n<node>.slot.<edge>.<slot>`).
struct StoredGraph: Codable, Equatable {
    struct Node: Codable, Equatable {
        var kind: ObjectGraph.Kind
        /// The exact type (`String(reflecting:)`).
        var type: String
        var edges: [ObjectGraph.Edge]
        var requiresGrad: Bool?
        var hasGrad: Bool?
        var isTraining: Bool?
        /// For `.layer`: its saved form (`LayerArchive`), `{"TYPE": CONFIGURATION}` JSON.
        var archive: Data?
        var inputShape: [Int]?
        var loss: Loss?
        var metrics: [Metric]?
        var configuration: OptimizerConfiguration?
        var learningRate: Float?
        var step: Int?
        /// Per `slot.<k>` edge, in order: the parameter's update count.
        var updates: [Int]?
        var buffers: [String]?
        var custom: Data?
        /// `ObjectGraph.Node.fixedDigest`: a layer rebuilt from its configuration must have it.
        var fixed: String?
    }

    var nodes: [Node]
    /// Nodes `0..<preCount` existed before the cell: a restore finds them in the program
    /// (numbered the same way) and puts their state back in place; the others are built.
    var preCount: Int
    var rootNames: [String]
    var roots: [ObjectGraph.Root]
}

/// Why a graph cannot be stored or put back.
struct GraphError: Error, CustomStringConvertible {
    var description: String
}

enum StateCapture {
    // MARK: Digest

    /// Feeds a node's own state (not its edges) to `hasher`.
    static func combineState(of node: ObjectGraph.Node, in graph: ObjectGraph, into hasher: inout ContentHasher) {
        switch node.kind {
        case .variable:
            let variable = node.object as! Variable
            hasher.combine(variable.requiresGrad ? 1 : 0)
            ValueHasher.combine(variable.value, into: &hasher)
            if let grad = variable.grad {
                hasher.combine(1)
                ValueHasher.combine(grad, into: &hasher)
            } else {
                hasher.combine(0)
            }
        case .sequential:
            let model = node.object as! Sequential
            hasher.combine(model.isTraining ? 1 : 0)
            hasher.combine(model.inputShape.map { "\($0)" } ?? "-")
            hasher.combine(EngineState.json(model.loss))
            hasher.combine(EngineState.json(model.metrics))
        case .layer, .module:
            let module = node.object as! Module
            hasher.combine(module.isTraining ? 1 : 0)
            if node.kind == .layer, let layer = module as? Layer, let archive = try? LayerArchive.encode(layer) {
                archive.withUnsafeBytes { hasher.combine($0) }
            }
            for (name, buffer) in module.namedBuffers {
                hasher.combine(name)
                ValueHasher.combine(buffer, into: &hasher)
            }
        case .optimizer:
            let optimizer = node.object as! ParameterOptimizer
            hasher.combine(EngineState.json(optimizer.configuration))
            hasher.combine(UInt64(optimizer.learningRate.bitPattern))
            hasher.combine(optimizer.step)
            let slots = slotsByParameter(optimizer)
            for edge in node.edges {
                guard let slot = slots[ObjectIdentifier(graph.nodes[edge.node].object)] else { continue }
                hasher.combine(slot.updates)
                for tensor in slot.slots { ValueHasher.combine(tensor, into: &hasher) }
            }
        case .custom:
            let object = node.object as! NotebookCacheableObject
            if let state = try? object.cacheState() {
                state.withUnsafeBytes { hasher.combine($0) }
            } else {
                hasher.combine("unreadable state \(UUID())")
            }
        }
    }

    /// The optimizer's slots by parameter identity.
    static func slotsByParameter(_ optimizer: ParameterOptimizer) -> [ObjectIdentifier: ParameterSlots] {
        Dictionary(optimizer.parameterSlots.map { (ObjectIdentifier($0.parameter), $0) }, uniquingKeysWith: { first, _ in first })
    }


    // MARK: Capture

    /// The graph's state, to store: node descriptions and their tensors.
    static func capture(_ graph: ObjectGraph, preCount: Int) throws -> (StoredGraph, [String: Tensor]) {
        var tensors: [String: Tensor] = [:]
        var nodes: [StoredGraph.Node] = []
        for (index, node) in graph.nodes.enumerated() {
            var stored = StoredGraph.Node(kind: node.kind, type: String(reflecting: type(of: node.object)), edges: node.edges)
            stored.fixed = node.fixedDigest
            switch node.kind {
            case .variable:
                let variable = node.object as! Variable
                stored.requiresGrad = variable.requiresGrad
                tensors["n\(index).value"] = variable.value
                stored.hasGrad = variable.grad != nil
                if let grad = variable.grad { tensors["n\(index).grad"] = grad }
            case .sequential:
                let model = node.object as! Sequential
                stored.isTraining = model.isTraining
                stored.inputShape = model.inputShape
                stored.loss = model.loss
                stored.metrics = model.metrics
            case .layer, .module:
                let module = node.object as! Module
                stored.isTraining = module.isTraining
                if node.kind == .layer { stored.archive = try LayerArchive.encode(module as! Layer) }
                stored.buffers = module.namedBuffers.map(\.0)
                for (name, buffer) in module.namedBuffers { tensors["n\(index).buffer.\(name)"] = buffer }
            case .optimizer:
                let optimizer = node.object as! ParameterOptimizer
                stored.configuration = optimizer.configuration
                stored.learningRate = optimizer.learningRate
                stored.step = optimizer.step
                let slots = slotsByParameter(optimizer)
                var updates: [Int] = []
                for edge in node.edges {
                    guard let slot = slots[ObjectIdentifier(graph.nodes[edge.node].object)] else {
                        throw GraphError(description: "an optimizer's state changed while it was stored")
                    }
                    updates.append(slot.updates)
                    for (position, tensor) in slot.slots.enumerated() { tensors["n\(index).\(edge.label).\(position)"] = tensor }
                }
                stored.updates = updates
            case .custom:
                stored.custom = try (node.object as! NotebookCacheableObject).cacheState()
            }
            nodes.append(stored)
        }
        return (StoredGraph(nodes: nodes, preCount: preCount, rootNames: graph.roots.map(\.name), roots: graph.roots.map(\.root)),
                tensors)
    }

    // MARK: Restore

    /// A restore checked and built, not yet applied: `apply()` then changes the program's
    /// objects and cannot fail, so a damaged entry never leaves them half restored.
    struct PreparedRestore {
        /// The objects of every node, by number: the program's own for nodes that existed
        /// before the cell, new ones for the others.
        var objects: [AnyObject]
        fileprivate var steps: [() -> Void]

        func apply() {
            for step in steps { step() }
        }
    }

    /// Checks `stored` against the objects the program has now (`pre`, numbered as when stored)
    /// and builds the objects the cell created.
    static func prepare(_ stored: StoredGraph, tensors: [String: Tensor], pre: ObjectGraph) throws -> PreparedRestore {
        guard pre.nodes.count == stored.preCount, stored.preCount <= stored.nodes.count else {
            throw GraphError(description: "the entry holds \(stored.preCount) earlier objects, the program \(pre.nodes.count)")
        }
        for (index, node) in pre.nodes.enumerated() {
            let entry = stored.nodes[index]
            guard entry.kind == node.kind, entry.type == String(reflecting: type(of: node.object)) else {
                throw GraphError(description: "object \(index) is a \(entry.type) in the entry, a \(String(reflecting: type(of: node.object))) now")
            }
        }
        func tensor(_ name: String) throws -> Tensor {
            guard let tensor = tensors[name] else { throw GraphError(description: "graph.safetensors lacks \(name)") }
            return tensor
        }
        func edge(_ node: StoredGraph.Node, _ index: Int) throws -> Int {
            guard stored.nodes.indices.contains(index) else {
                throw GraphError(description: "a \(node.type)'s reference points at object \(index), which is missing")
            }
            return index
        }

        var objects = [AnyObject?](repeating: nil, count: stored.nodes.count)
        for (index, node) in pre.nodes.enumerated() { objects[index] = node.object }
        // Variables a new layer owns come from that layer, as its initialiser made them.
        var owners: [Int: (module: Int, name: String)] = [:]
        for (index, node) in stored.nodes.enumerated() where node.kind == .layer || node.kind == .module {
            for link in node.edges where link.label.hasPrefix("param.") {
                let target = try edge(node, link.node)
                if target >= stored.preCount, owners[target] == nil { owners[target] = (index, String(link.label.dropFirst(6))) }
            }
        }
        // Build the new objects (all but variables).
        for index in stored.preCount..<stored.nodes.count {
            let node = stored.nodes[index]
            switch node.kind {
            case .variable: continue
            case .sequential: objects[index] = Sequential([], inputShape: node.inputShape)
            case .layer:
                guard let archive = node.archive else { throw GraphError(description: "layer \(index) has no configuration") }
                let layer = try makeLayer(archive, type: node.type)
                // Rebuilt, it must hold what the stored one held besides its restorable state.
                let module: Module = layer
                module.isTraining = node.isTraining ?? module.isTraining
                let check = ObjectGraph()
                if let made = check.node(for: layer), check.nodes[made].fixedDigest != node.fixed {
                    throw GraphError(description: "a \(node.type) rebuilt from its configuration differs from the stored one")
                }
                objects[index] = layer
            case .module:
                throw GraphError(description: "a \(node.type) made in the cell cannot be rebuilt")
            case .optimizer:
                guard let configuration = node.configuration, let rate = node.learningRate else {
                    throw GraphError(description: "optimizer \(index) has no configuration")
                }
                objects[index] = ParameterOptimizer.make(configuration, learningRate: rate)
            case .custom:
                guard let type = _typeByName(node.type) as? NotebookCacheableObject.Type, let state = node.custom else {
                    throw GraphError(description: "\(node.type) cannot be rebuilt (not found, or not a NotebookCacheableObject)")
                }
                objects[index] = try type.init(cacheState: state)
            }
        }
        for index in stored.preCount..<stored.nodes.count where stored.nodes[index].kind == .variable {
            let node = stored.nodes[index]
            if let owner = owners[index] {
                guard let module = objects[owner.module] as? Module,
                      let parameter = module.namedParameters.first(where: { $0.0 == owner.name })?.1 else {
                    throw GraphError(description: "the new \(stored.nodes[owner.module].type) has no parameter '\(owner.name)'")
                }
                objects[index] = parameter
            } else {
                objects[index] = Variable(try tensor("n\(index).value"), requiresGrad: node.requiresGrad ?? false)
            }
        }
        let all = objects.map { $0! }

        // Check every piece of state against its object, and queue the changes.
        // Applied in this order: models' layers and modes, then each layer's mode and buffers, then values, then optimizers
        // (whose state is sized by their parameters' values).
        var sequentialSteps: [() -> Void] = [], moduleSteps: [() -> Void] = [], variableSteps: [() -> Void] = []
        var optimizerSteps: [() -> Void] = []
        for (index, node) in stored.nodes.enumerated() {
            let object = all[index]
            switch node.kind {
            case .variable:
                let variable = object as! Variable
                let value = try tensor("n\(index).value")
                let grad = node.hasGrad == true ? try tensor("n\(index).grad") : nil
                let requiresGrad = node.requiresGrad ?? variable.requiresGrad
                variableSteps.append {
                    variable.value = value
                    variable.grad = grad
                    variable.requiresGrad = requiresGrad
                }
            case .sequential:
                let model = object as! Sequential
                var layers: [Layer] = []
                var optimizer: Optimizer?
                for link in node.edges {
                    let target = all[try edge(node, link.node)]
                    if link.label.hasPrefix("layer.") {
                        guard let layer = target as? Layer else { throw GraphError(description: "a model's layer is a \(type(of: target))") }
                        layers.append(layer)
                    } else if link.label == "optimizer" {
                        guard let target = target as? Optimizer else { throw GraphError(description: "a model's optimizer is a \(type(of: target))") }
                        optimizer = target
                    }
                }
                let inputShape = node.inputShape, loss = node.loss ?? .crossEntropy, training = node.isTraining ?? model.isTraining
                let metrics = node.metrics ?? model.metrics
                sequentialSteps.append {
                    model.restoreSetup(layers: layers, inputShape: inputShape, optimizer: optimizer, loss: loss, metrics: metrics)
                    model.isTraining = training
                }
            case .layer, .module:
                let module = object as! Module
                var buffers: [(String, Tensor)] = []
                for name in node.buffers ?? [] { buffers.append((name, try tensor("n\(index).buffer.\(name)"))) }
                let current = Dictionary(module.namedBuffers, uniquingKeysWith: { first, _ in first })
                for (name, value) in buffers where current[name]?.shape != value.shape {
                    throw GraphError(description: "buffer '\(name)' of a \(node.type) has shape \(value.shape) in the entry, "
                        + "\(current[name].map { "\($0.shape)" } ?? "none") now")
                }
                let training = node.isTraining ?? module.isTraining
                moduleSteps.append {
                    let target = module
                    target.isTraining = training
                    for (name, value) in buffers { module.setBuffer(name, value) }
                }
            case .optimizer:
                let optimizer = object as! ParameterOptimizer
                let updates = node.updates ?? []
                var slots: [ParameterSlots] = []
                for (position, link) in node.edges.enumerated() {
                    guard let parameter = all[try edge(node, link.node)] as? Variable, position < updates.count else {
                        throw GraphError(description: "an optimizer's state names something other than a parameter")
                    }
                    var values: [Tensor] = []
                    while let value = tensors["n\(index).\(link.label).\(values.count)"] {
                        guard value.shape == parameter.shape else {
                            throw GraphError(description: "an optimizer's state has shape \(value.shape) for a parameter of shape \(parameter.shape)")
                        }
                        values.append(value)
                    }
                    slots.append(ParameterSlots(parameter: parameter, updates: updates[position], slots: values))
                }
                let rate = node.learningRate ?? optimizer.learningRate, step = node.step ?? 0
                // The optimizer's own check (slot count, shapes) runs on a scratch optimizer first.
                if let configuration = optimizer.configuration {
                    try ParameterOptimizer.make(configuration, learningRate: rate).restoreState(step: step, parameters: slots)
                }
                optimizerSteps.append {
                    optimizer.learningRate = rate
                    try? optimizer.restoreState(step: step, parameters: slots)
                }
            case .custom:
                guard let state = node.custom else { throw GraphError(description: "a \(node.type) has no state") }
                let object = object as! NotebookCacheableObject
                optimizerSteps.append { try? object.restoreCacheState(state) }
            }
        }
        return PreparedRestore(objects: all, steps: sequentialSteps + moduleSteps + variableSteps + optimizerSteps)
    }

    /// A new layer from its saved form, of the exact class it was (`ReLU`, not the
    /// `ActivationLayer` it saves itself as).
    static func makeLayer(_ archive: Data, type: String) throws -> Layer {
        let layer = try LayerArchive.decode(archive)
        guard let activation = (layer as? ActivationLayer)?.activation else { return layer }
        switch (type, activation) {
        case ("NeuralNetwork.ReLU", _): return ReLU()
        case ("NeuralNetwork.Sigmoid", _): return Sigmoid()
        case ("NeuralNetwork.Tanh", _): return Tanh()
        case ("NeuralNetwork.Softmax", _): return Softmax()
        case ("NeuralNetwork.LeakyReLU", .leakyRelu(let alpha)): return LeakyReLU(alpha: alpha)
        case ("NeuralNetwork.ELU", .elu(let alpha)): return ELU(alpha: alpha)
        default: return layer
        }
    }

    /// The value a root stands for, from the restored objects; nil for roots that are values.
    static func value(of root: ObjectGraph.Root, objects: [AnyObject]) -> Any? {
        switch root {
        case .object(let index): return objects.indices.contains(index) ? objects[index] : nil
        case .array(let items): return items.map { value(of: $0, objects: objects) as Any }
        case .optional(let inner): return inner.flatMap { value(of: $0, objects: objects) } as Any
        case .dictionary(let keys, let values):
            var result: [String: Any] = [:]
            for (key, item) in zip(keys, values) { result[key] = value(of: item, objects: objects) as Any }
            return result
        case .mixed, .value: return nil
        }
    }
}
