import Foundation

/// Finds a cached cell's entry, checks it whole, and prepares its restore without changing
/// anything in the program until every part has been read: a damaged entry is a miss, never a
/// half-restored program.
enum CacheEntryReader {
    /// A restore read and checked; `apply` changes the program.
    struct Restored {
        /// The bindings' values, in order (already of their types: checked while reading).
        var values: [Any]
        var apply: () -> Void
    }

    static func lookup(_ index: Int, names: [String], types: [NotebookCache.Binding]) -> Restored? {
        guard let run = CellTracker.shared.current, run.index == index, let root = NotebookCache.root else { return nil }
        if let reason = run.taint {
            NotebookCache.note(index, reason)
            return nil
        }
        guard NotebookCache.mode == .on else { return nil }
        let key = NotebookCache.entryKey(run)
        let path = "\(root)/\(key)"
        guard FileManager.default.fileExists(atPath: path + "/manifest.json") else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let entry = try NotebookCache.withLock(exclusive: false) { try read(path, key: key, names: names, types: types, run: run) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return Restored(values: entry.values) {
                entry.apply()
                NotebookSession.emit(.restored(cell: index, key: key, outputs: entry.outputs, stored: entry.stored, seconds: seconds))
            }
        } catch let miss as NotebookCache.InputsChanged {
            NotebookCache.warn(index, "\(miss.description); running the cell")
        } catch is Evicted {
            // Another run trimmed the cache meanwhile: a plain miss.
        } catch {
            NotebookCache.warn(index, "its cache entry \(key.prefix(12)) is unreadable (\(error)); running the cell")
        }
        return nil
    }

    /// The entry was removed between finding it and taking the lock to read it.
    private struct Evicted: Error {}

    private struct Entry {
        var values: [Any]
        var outputs: [CellOutput]
        var stored: Date
        var apply: () -> Void
    }

    private static func read(_ path: String, key: String, names: [String], types: [NotebookCache.Binding],
                             run: CellTracker.Run) throws -> Entry {
        typealias Corrupt = NotebookCache.Corrupt
        CellTracker.shared.suspended = true
        defer { CellTracker.shared.suspended = false }
        guard FileManager.default.fileExists(atPath: path + "/manifest.json") else { throw Evicted() }
        let manifest: CacheManifest
        do {
            manifest = try KernelCoding.decoder().decode(CacheManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
        } catch {
            throw Corrupt(description: "manifest.json cannot be read: \(error)")
        }
        if let problem = manifest.problem { throw Corrupt(description: problem) }
        guard manifest.key == key, manifest.bindingNames == names else {
            throw Corrupt(description: "manifest.json describes another cell (key or bindings differ)")
        }
        // Every file whole and unchanged: a same-size overwrite is caught by the hash.
        var files: [String: Data] = [:]
        for file in manifest.files {
            guard let data = FileManager.default.contents(atPath: "\(path)/\(file.name)") else {
                throw Corrupt(description: "\(file.name) is missing")
            }
            guard data.count == file.size, FileDigests.hash(of: data) == file.hash else {
                throw Corrupt(description: "\(file.name) has changed since it was stored (\(data.count) bytes, content hash differs)")
            }
            files[file.name] = data
        }
        for input in manifest.inputs {
            let path = FileDigests.workspace.resolve(input.path)
            let now = FileDigests.hash(ofFileAt: path)
            if now != input.hash {
                let what = now == FileDigests.absent ? "is gone" : input.hash == FileDigests.absent ? "now exists" : "has changed"
                throw NotebookCache.InputsChanged(description: "\(path), which the cell read, \(what) since its cache entry was stored")
            }
        }
        func data(_ name: String) throws -> Data {
            guard let data = files[name] else { throw Corrupt(description: "\(name) is not listed in manifest.json") }
            return data
        }
        var objects: [AnyObject] = []
        var applyGraph: () -> Void = {}
        if let graphFile = manifest.graph {
            let graph = try KernelCoding.decoder().decode(StoredGraph.self, from: data(graphFile))
            let tensorsFile = graphFile.replacingOccurrences(of: ".json", with: ".safetensors")
            var tensors: [String: Tensor] = [:]
            if let bytes = files[tensorsFile] {
                guard let decoded = try? SafeTensors.decode(bytes, file: tensorsFile) else {
                    throw Corrupt(description: "\(tensorsFile) cannot be decoded")
                }
                tensors = decoded.tensors
            }
            let prepared = try StateCapture.prepare(graph, tensors: tensors, pre: run.preGraph)
            objects = prepared.objects
            applyGraph = prepared.apply
        }
        func value(_ slot: CacheManifest.Slot, decode: (Data) throws -> Any) throws -> Any {
            if let file = slot.file { return try decode(data(file)) }
            guard let root = slot.root, let value = StateCapture.value(of: root, objects: objects) else {
                throw Corrupt(description: "'\(slot.name)' is stored neither as a file nor as objects")
            }
            return value
        }
        var values: [Any] = []
        for (slot, binding) in zip(manifest.bindings, types) {
            let value = try value(slot, decode: binding.decode)
            guard binding.accepts(value) else {
                throw Corrupt(description: "'\(slot.name)' is stored as a \(slot.type), not of the type the cell declares")
            }
            values.append(value)
        }
        // Values with observers first: an observer may change other values, which are set after it.
        var setters: [(observed: Bool, set: () -> Void)] = []
        for slot in manifest.restores {
            guard let global = NotebookGlobals.shared[slot.name] else {
                throw Corrupt(description: "'\(slot.name)' is not a value this program has bound")
            }
            if slot.file == nil, slot.root != nil, global.set == nil { continue }  // a `let` of objects: the graph puts it back
            guard let set = global.set, let decode = global.decode else { throw Corrupt(description: "'\(slot.name)' cannot be set") }
            // Read now (to fail before anything changes), set later.
            let restored = try value(slot, decode: decode)
            setters.append((CellTracker.shared.observed.contains(slot.name), { _ = set(restored) }))
        }
        let engine = try JSONDecoder().decode(EngineState.self, from: data(manifest.engine))
        if let problem = engine.problem { throw Corrupt(description: problem) }
        var writes: [(String, Data)] = []
        for write in manifest.writes { writes.append((FileDigests.workspace.resolve(write.path), try data(write.file))) }
        return Entry(values: values, outputs: manifest.outputs, stored: manifest.stored) {
            for setter in setters where setter.observed { setter.set() }
            for setter in setters where !setter.observed { setter.set() }
            applyGraph()
            engine.apply()
            CellTracker.shared.suspended = true
            for (path, bytes) in writes where FileManager.default.contents(atPath: path) != bytes {
                try? writeAtomically(bytes, to: path)
            }
            CellTracker.shared.suspended = false
            run.restoredInputs = manifest.inputs
        }
    }
}
