import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Stores what a cached cell did, whole, as one entry: the only writer of an entry is the program
/// whose cell ran. It writes every payload and the manifest into a folder no other process
/// uses, then renames the folder into place under the cache's lock, while it runs: another run
/// cleaning up after stopped programs never meets a half-made entry of a live one, and a killed
/// program leaves only a folder named after its own process, removed by the next run.
enum CacheEntryWriter {
    /// Before a cached cell runs: what every value bound so far holds, to find what the cell
    /// changes that a restore would not put back; nil when the cell will not be stored anyway.
    static func prepare(_ index: Int) -> ChangeProbe? {
        guard let run = CellTracker.shared.current, run.index == index, run.taint == nil, NotebookCache.root != nil,
              NotebookCache.mode != .off else { return nil }
        CellTracker.shared.suspended = true
        defer { CellTracker.shared.suspended = false }
        return ChangeProbe.take()
    }

    /// Writes the entry of a cell that ended well. When something cannot be stored, says why
    /// (the cell then runs every time); when the cache cannot be written, warns.
    static func store(_ index: Int, names: [String], values: [Any], before: ChangeProbe?) {
        guard let run = CellTracker.shared.current, run.index == index, run.taint == nil, let root = NotebookCache.root,
              NotebookCache.mode != .off, let before else { return }
        CellTracker.shared.suspended = true
        defer { CellTracker.shared.suspended = false }
        let key = NotebookCache.entryKey(run)
        let staging = "\(root)/.staging/\(key).\(UInt64.random(in: 0...UInt64.max)).\(getpid())"
        do {
            let outputs = try cellOutputs(index)
            let after = ChangeProbe.take()
            let hidden = "(code ran inside the cell without being written in it: an observer, a stored closure, a method the "
                + "engine calls back), so the cache cannot tell what it depends on"
            if let name = after.changedValues(since: before).first(where: { !run.changes.contains($0) && !run.facts.binds.contains($0) }) {
                throw NotebookCache.NotCacheable("running it changed '\(name)', which its code does not name \(hidden)")
            }

            var payloads: [(name: String, data: Data)] = []
            // The objects the cell reached, before and after, and those its values hold.
            let graph = ObjectGraph(seed: run.preGraph)
            for name in run.globalNames {
                if let global = NotebookGlobals.shared[name] { graph.add(global.get(), name: name) }
            }
            func slot(_ name: String, _ value: Any, prefix: String, position: Int) throws -> CacheManifest.Slot {
                var slot = CacheManifest.Slot(name: name, type: typeName(of: value))
                switch ValueKind.of(value) {
                case .value:
                    guard CachedValue.isStorable(type(of: value)) else {
                        let own = !ObjectGraph.isEngineType(type(of: value))
                        throw NotebookCache.NotCacheable("'\(name)' is a \(slot.type), which the cache cannot store ("
                            + (own ? "make it Codable, or adopt NotebookCacheable" : "make it in a cell that is not cached") + ")")
                    }
                    let file = "\(prefix)\(position).\(CachedValue.fileExtension(value))"
                    payloads.append((file, try CachedValue.encode(value)))
                    slot.file = file
                case .objects:
                    let root = graph.add(value, name: "\(prefix):\(name)")
                    guard StateCapture.value(of: root, objects: graph.nodes.map(\.object)) != nil else {
                        throw NotebookCache.NotCacheable("'\(name)' is a \(slot.type), which holds objects in a way the cache cannot "
                            + "rebuild (keep models in their own let or var, or in an array)")
                    }
                    slot.root = root
                case .opaque(let reason):
                    throw NotebookCache.NotCacheable("'\(name)' cannot be stored: \(reason)")
                }
                return slot
            }
            var bindings: [CacheManifest.Slot] = [], restores: [CacheManifest.Slot] = []
            for (position, (name, value)) in zip(names, values).enumerated() {
                bindings.append(try slot(name, value, prefix: "b", position: position))
            }
            for (position, name) in run.changes.sorted().enumerated() {
                guard let global = NotebookGlobals.shared[name], !run.facts.binds.contains(name) else { continue }
                let value = global.get()
                if global.set == nil {
                    // A `let`: only the objects it holds can have changed, and the graph keeps them.
                    if ValueKind.of(value) == .value { continue }
                }
                restores.append(try slot(name, value, prefix: "r", position: position))
            }
            if let problem = graph.problem { throw NotebookCache.NotCacheable(problem) }
            if let object = after.changedObjects(since: before).first(where: { graph.index(of: $0) == nil }) {
                throw NotebookCache.NotCacheable("running it changed a \(typeName(of: object)) that none of the values it names reaches "
                    + hidden)
            }
            try checkRestorable(graph, pre: run.preGraph)
            var graphFile: String?
            if !graph.nodes.isEmpty {
                let (stored, tensors) = try StateCapture.capture(graph, preCount: run.preGraph.nodes.count)
                payloads.append(("graph.json", try KernelCoding.encoder(sorted: true).encode(stored)))
                if !tensors.isEmpty { payloads.append(("graph.safetensors", Data(SafeTensors.encode(tensors)))) }
                graphFile = "graph.json"
            }
            let engine = EngineState.current
            if let problem = engine.problem { throw NotebookCache.NotCacheable(problem) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            payloads.append(("engine.json", try encoder.encode(engine)))

            // Files the engine wrote for the cell (a saved model): kept, written again on a restore.
            var writes: [CacheManifest.FileWrite] = []
            for path in run.writes {
                guard let data = FileManager.default.contents(atPath: FileDigests.workspace.resolve(path)) else { continue }
                let file = "w\(writes.count)"
                payloads.append((file, data))
                writes.append(CacheManifest.FileWrite(path: path, file: file))
            }

            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            var files: [CacheManifest.EntryFile] = []
            for payload in payloads {
                try payload.data.write(to: URL(fileURLWithPath: "\(staging)/\(payload.name)"))
                files.append(CacheManifest.EntryFile(name: payload.name, size: payload.data.count, hash: FileDigests.hash(of: payload.data)))
            }
            let manifest = CacheManifest(key: key, notebook: NotebookSession.plan.notebook, cell: index, label: run.facts.label,
                                         stored: Date(), bindings: bindings, restores: restores, files: files,
                                         inputs: run.inputs, writes: writes, graph: graphFile, engine: "engine.json", outputs: outputs)
            if let problem = manifest.problem { throw NotebookCache.Corrupt(description: problem) }
            try KernelCoding.encoder(sorted: true).encode(manifest).write(to: URL(fileURLWithPath: "\(staging)/manifest.json"))
            FaultInjection.reach("cache.commit", parent: true)
            try commit(staging, as: "\(root)/\(key)", root: root)
            NotebookSession.emit(.stored(cell: index, key: key))
        } catch let reason as NotebookCache.NotCacheable {
            try? FileManager.default.removeItem(atPath: staging)
            NotebookCache.note(index, reason.description)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            NotebookCache.warn(index, "could not store it in the cache (\(error))")
        }
    }

    /// Renames the finished folder into place (replacing an entry of the same key another run
    /// stored meanwhile), under the cache's lock.
    private static func commit(_ staging: String, as target: String, root: String) throws {
        try NotebookCache.withLock(exclusive: true) {
            if FileManager.default.fileExists(atPath: target) {
                let trash = "\(root)/.trash-\((target as NSString).lastPathComponent)-\(UInt64.random(in: 0...UInt64.max)).\(getpid())"
                guard rename(target, trash) == 0 else {
                    throw NotebookCache.Corrupt(description: "cannot replace \(target): \(String(cString: strerror(errno)))")
                }
                try? FileManager.default.removeItem(atPath: trash)
            }
            guard rename(staging, target) == 0 else {
                throw NotebookCache.Corrupt(description: "cannot store \(target): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// What the cell printed and showed, from its output files and the items it displayed.
    private static func cellOutputs(_ index: Int) throws -> [CellOutput] {
        fflush(stdout)
        fflush(stderr)
        guard let directory = NotebookSession.outputDirectory else { return [] }
        var streams: [[UInt8]] = []
        for stream in ["stdout", "stderr"] {
            let path = "\(directory)/cell-\(index).\(stream)"
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if size > CellOutputLimit.bytes {
                throw NotebookCache.NotCacheable("its \(stream) (\(size) bytes) is longer than nbrun keeps (\(CellOutputLimit.bytes >> 20) MiB)")
            }
            streams.append([UInt8](FileManager.default.contents(atPath: path) ?? Data()))
        }
        // Not the prose's inline values: every run computes them, a restored one from the restored state.
        let displays = NotebookSession.cellDisplays.filter { if case .inline = $0.item { return false } else { return true } }
            .map { (item: $0.item, stdoutPosition: $0.stdoutOffset, stderrPosition: $0.stderrOffset) }
        return CellOutput.interleaving(stdout: streams[0], stderr: streams[1], displays: displays)
    }

    /// What a restore cannot put back: a notebook module made in the cell (the cache cannot call
    /// its initialiser), a layer made in the cell that holds more than its configuration gives
    /// back, a changed property of an object that is not restorable state, a layer whose
    /// parameters were replaced, an object the cache cannot rebuild.
    static func checkRestorable(_ graph: ObjectGraph, pre: ObjectGraph) throws {
        for (index, node) in graph.nodes.enumerated() {
            if index >= pre.nodes.count {
                switch node.kind {
                case .module:
                    throw NotebookCache.NotCacheable("the cell makes a \(typeName(of: node.object)), which the cache cannot make again: "
                        + "adopt SavableLayer (a Codable configuration and init(configuration:)) so it can, or make it in an earlier "
                        + "cell that is not cached (the cache puts back the parameters of a module made before the cell)")
                case .layer:
                    try checkRebuilds(node)
                case .custom where _typeByName(String(reflecting: type(of: node.object))) == nil:
                    throw NotebookCache.NotCacheable("the cell makes a \(typeName(of: node.object)), which the cache cannot find by name to rebuild")
                default: break
                }
                continue
            }
            let before = pre.nodes[index]
            guard node.kind == .layer || node.kind == .module || node.kind == .variable else { continue }
            if node.kind != .variable,
               node.edges.filter({ !$0.label.hasPrefix("slot.") }) != before.edges.filter({ !$0.label.hasPrefix("slot.") }) {
                throw NotebookCache.NotCacheable("the cell replaces a parameter or part of a \(typeName(of: node.object)), which the "
                    + "cache cannot put back (change parameters' values instead, or do it in a cell that is not cached)")
            }
            if node.fixedDigest != before.fixedDigest {
                throw NotebookCache.NotCacheable("the cell changes a stored property of a \(typeName(of: node.object)) that is not a "
                    + "parameter, a buffer or isTraining, which the cache cannot put back (declare it in namedBuffers, or change it "
                    + "in a cell that is not cached)")
            }
        }
    }

    /// A layer the cell made is rebuilt from its configuration on a restore, then given its
    /// parameters, buffers and training mode: it must then hold all it held.
    private static func checkRebuilds(_ node: ObjectGraph.Node) throws {
        let layer = node.object as! Layer
        guard let archive = try LayerArchive.encode(layer) else { return }
        let random = RandomGenerator.global
        defer { RandomGenerator.global = random }
        var rebuilt: Module
        do {
            rebuilt = try StateCapture.makeLayer(archive, type: String(reflecting: type(of: layer)))
        } catch {
            throw NotebookCache.NotCacheable("the cell makes a \(typeName(of: layer)), which cannot be built again from its "
                + "configuration (\(error))")
        }
        rebuilt.isTraining = layer.isTraining
        let check = ObjectGraph()
        guard let made = check.node(for: rebuilt), check.nodes[made].fixedDigest == node.fixedDigest else {
            throw NotebookCache.NotCacheable("the cell makes a \(typeName(of: layer)) and gives it state its configuration does not "
                + "hold (a stored property other than its parameters, buffers and isTraining), which a restore, building it from "
                + "its configuration, would lose: put it in the configuration, or set it in a cell that is not cached")
        }
    }
}
