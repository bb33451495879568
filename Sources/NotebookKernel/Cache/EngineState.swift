import Foundation

/// The engine's state that is no object's and no name's: what a cell may change for all the
/// cells after it. Part of every cached cell's key (a cell computes otherwise with gradients off
/// or another random state), stored with its entry and put back when it is restored.
struct EngineState: Codable, Equatable {
    var random: RandomGenerator
    /// `GradientMode.isEnabled` on the notebook's thread.
    var recordsGradients: Bool
    /// Layer types `Sequential.load` finds by saved name, with their Swift names.
    var layerTypes: [String: String]
    var figureWidth: Int
    var figureHeight: Int
    var figureScale: Int
    var workers: Int
    var minimumElements: Int
    var adaptsToLoad: Bool
    var minimumBatchWork: Int
    var blasMinimumWork: Int
    var blasThreads: Int

    static var current: EngineState {
        EngineState(random: RandomGenerator.global, recordsGradients: GradientMode.isEnabled,
                    layerTypes: LayerTypeRegistry.typeNames,
                    figureWidth: Figure.defaultWidth, figureHeight: Figure.defaultHeight, figureScale: Figure.defaultScale,
                    workers: Parallelism.workers, minimumElements: Parallelism.minimumElements,
                    adaptsToLoad: Parallelism.adaptsToLoad, minimumBatchWork: Parallelism.minimumBatchWork,
                    blasMinimumWork: Parallelism.blasMinimumWork, blasThreads: Parallelism.blasThreads)
    }

    /// The parts as the differential check names them.
    var parts: [(name: String, digest: String)] {
        [("(random generator)", Self.digest(random)), ("(gradient recording)", "\(recordsGradients)"),
         ("(registered layer types)", Self.digest(layerTypes)),
         ("(figure defaults)", "\(figureWidth)x\(figureHeight)@\(figureScale)"),
         ("(threads)", "\(workers) \(minimumElements) \(adaptsToLoad) \(minimumBatchWork) \(blasMinimumWork) \(blasThreads)")]
    }

    /// A digest of all of it, for keys.
    var digest: String {
        ContentHasher.digest(Self.json(self))
    }

    /// Why it cannot be put back as it is, if it cannot: a registered layer type the program
    /// cannot find by name.
    var problem: String? {
        let current = LayerTypeRegistry.typeNames
        for (name, type) in layerTypes.sorted(by: { $0.key < $1.key }) where current[name] != type {
            if !(_typeByName(type) is any SavableLayer.Type) {
                return "it registers the layer type \(typeName(ofName: type)) under \"\(name)\", which the cache cannot find by "
                    + "name to register it again (declare the type at the top level of the notebook)"
            }
        }
        return nil
    }

    /// Puts it back (after `problem` said it can).
    func apply() {
        RandomGenerator.global = random
        GradientMode.isEnabled = recordsGradients
        let current = LayerTypeRegistry.typeNames
        for name in current.keys where layerTypes[name] == nil { LayerTypeRegistry.remove(name) }
        for (name, type) in layerTypes where current[name] != type {
            if let found = _typeByName(type) as? any SavableLayer.Type, found.savedTypeName == name {
                LayerTypeRegistry.register(found)
            }
        }
        Figure.defaultWidth = figureWidth
        Figure.defaultHeight = figureHeight
        Figure.defaultScale = figureScale
        Parallelism.workers = workers
        Parallelism.minimumElements = minimumElements
        Parallelism.adaptsToLoad = adaptsToLoad
        Parallelism.minimumBatchWork = minimumBatchWork
        Parallelism.blasMinimumWork = blasMinimumWork
        Parallelism.setBLASThreads(blasThreads)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    static func digest<T: Encodable>(_ value: T) -> String {
        ContentHasher.digest(json(value))
    }
}

/// A type's name as a notebook writes it, from its full name.
func typeName(ofName name: String) -> String {
    name.replacingOccurrences(of: NotebookTypes.module + ".", with: "")
}
