import Foundation

/// The content of every value the notebook has bound, and of the engine's state, at one moment,
/// as sent after each cell for the differential check (`StateTrace`).
///
/// Each value's digest stands alone: its content with the objects it reaches numbered from it
/// (`ObjectGraph.reachDigest`), so it does not depend on what else the notebook holds.
struct StateSnapshot {
    var values: [ValueDigest]

    /// Digests every value bound so far; `nondeterministic` says which ones may differ between
    /// two full runs.
    static func take(nondeterministic: (String) -> String? = { _ in nil }) -> StateSnapshot {
        let graph = ObjectGraph()
        var values: [ValueDigest] = []
        for name in NotebookGlobals.shared.names {
            guard let global = NotebookGlobals.shared[name] else { continue }
            graph.currentName = name
            var referenced: [Int] = [], local: [Int: Int] = [:]
            let content = ContentDigest.of(global.get()) { object in
                guard let index = graph.node(for: object) else { return nil }
                if local[index] == nil {
                    local[index] = referenced.count
                    referenced.append(index)
                }
                return "o\(local[index]!)"
            }
            let digest = content.digest.map { ContentHasher.digest($0 + " " + graph.reachDigest(from: referenced)) }
            values.append(ValueDigest(name: name, digest: digest, nondeterministic: nondeterministic(name)))
        }
        for part in EngineState.current.parts {
            values.append(ValueDigest(name: part.name, digest: part.digest))
        }
        return StateSnapshot(values: values)
    }

}

/// What every value the notebook has bound holds, and the state of every object they reach, by
/// the objects' identities: compared before and after a cached cell runs, to find what it changed
/// that a restore would not put back (a value its code does not name, an object outside what it
/// reaches). Code can run inside a cell without being written in it, where the planner cannot
/// see it: such a change makes the cell run every time.
///
/// A value the kernel cannot see into (a closure) compares equal to itself: what it holds is out
/// of sight, and so are changes to it.
struct ChangeProbe {
    /// Each value's content, its objects named by identity.
    private var values: [String: String?] = [:]
    /// Each object's own state and references, by identity.
    private var objects: [ObjectIdentifier: String] = [:]
    /// Keeps the objects alive, so that their identities are not reused meanwhile.
    private var alive: [AnyObject] = []

    static func take() -> ChangeProbe {
        var probe = ChangeProbe()
        let graph = ObjectGraph()
        for name in NotebookGlobals.shared.names {
            guard let global = NotebookGlobals.shared[name] else { continue }
            let value = global.get()
            graph.add(value, name: name)
            probe.values[name] = ContentDigest.of(value) { object in
                graph.index(of: object).map { "\(ObjectIdentifier(graph.nodes[$0].object).hashValue)" }
            }.digest
        }
        for (index, node) in graph.nodes.enumerated() {
            var hasher = ContentHasher()
            hasher.combine(graph.stateDigest(of: index))
            for edge in node.edges {
                hasher.combine(edge.label)
                hasher.combine(ObjectIdentifier(graph.nodes[edge.node].object).hashValue)
            }
            probe.objects[ObjectIdentifier(node.object)] = hasher.finalize()
            probe.alive.append(node.object)
        }
        return probe
    }

    /// The values whose content (or objects held) differs from `before`.
    func changedValues(since before: ChangeProbe) -> [String] {
        values.keys.filter { name in before.values[name].map { $0 != values[name]! } ?? false }.sorted()
    }

    /// The objects of `before` whose state or references have changed.
    func changedObjects(since before: ChangeProbe) -> [AnyObject] {
        before.alive.filter { object in
            let id = ObjectIdentifier(object)
            return objects[id] != before.objects[id]
        }
    }
}

/// The differential check's side in the program (`EnvironmentKey.stateTrace`): after each cell,
/// the digest of every value bound so far, as a `KernelEvent.state`.
enum StateTrace {
    static let isOn = ProcessInfo.processInfo.environment[EnvironmentKey.stateTrace] == "1"

    static func send(cell index: Int) {
        guard isOn else { return }
        let tracker = CellTracker.shared
        tracker.suspended = true
        defer { tracker.suspended = false }
        let snapshot = StateSnapshot.take { tracker.version(of: $0)?.nondeterministic }
        NotebookSession.emit(.state(cell: index, values: snapshot.values))
    }
}
