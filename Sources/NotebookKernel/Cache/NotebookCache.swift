import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a `cache: true` cell, or restores what it did last time (knitr's `cache=TRUE`, made
/// exact: see `CellTracker` for what the key covers).
///
/// The generated program wraps a cached cell's code (its functions and types stay outside)
/// in a closure returning its bindings:
///
///     NotebookSession.beginCell(3, line: 40, globals: [NotebookGlobal("model") { model }, ...])
///     let _nbCached3 = try NotebookCache.cell(3, names: ["history", "losses"]) {
///         <the cell's code>
///         return (history, losses)
///     }
///     let history = _nbCached3.0
///
/// An entry is a folder `<NBRUN_CACHE_DIR>/cells/<key>`: `manifest.json` (a `CacheManifest`:
/// every file with its size and content hash, the files the cell read with theirs, its
/// outputs), `state.json` (how each binding and changed `var` is stored), `graph.json` and
/// `graph.safetensors` (the objects the cell reached, before and after), one file per value,
/// `random.state`. The kernel writes a new entry into `cells/.staging/<key>.<pid>` and tells
/// the runner, which adds the outputs once the cell has ended well and renames the folder into
/// place (atomic), under the cache's lock. Reading holds the lock shared. A missing entry is
/// a miss; a damaged one (a file whose bytes changed, even at the same size), or one whose
/// input files changed, is a miss with a warning; a value the cache cannot store makes the
/// cell run normally, with a note saying why.
public enum NotebookCache {
    static var mode: CellCacheMode {
        CellCacheMode(rawValue: ProcessInfo.processInfo.environment[EnvironmentKey.cellCache] ?? "on") ?? .on
    }

    static var root: String? {
        guard let root = ProcessInfo.processInfo.environment[EnvironmentKey.cacheDirectory], !root.isEmpty else { return nil }
        return root + "/cells"
    }

    // MARK: The generated program's entry points

    /// A cell that binds several values.
    public static func cell<each T>(_ index: Int, names: [String], _ body: () throws -> (repeat each T)) rethrows -> (repeat each T) {
        var types: [Binding] = []
        repeat types.append(Binding((each T).self))
        if let restored = lookup(index, names: names, types: types) {
            var position = 0
            func take<U>(_ type: U.Type) -> U {
                defer { position += 1 }
                return restored.values[position] as! U  // checked while reading
            }
            let typed = (repeat take((each T).self))
            restored.apply()
            return typed
        }
        let values = try body()
        var boxed: [Any] = []
        repeat boxed.append(each values)
        store(index, names: names, values: boxed)
        return values
    }

    /// A cell that binds one value (a one-element pack cannot be inferred from a closure).
    public static func cell<T>(_ index: Int, name: String, _ body: () throws -> T) rethrows -> T {
        if let restored = lookup(index, names: [name], types: [Binding(T.self)]) {
            let value = restored.values[0] as! T  // checked while reading
            restored.apply()
            return value
        }
        let value = try body()
        store(index, names: [name], values: [value])
        return value
    }

    /// A cell that binds nothing (it prints, plots, or changes earlier values).
    public static func cell(_ index: Int, _ body: () throws -> Void) rethrows {
        if let restored = lookup(index, names: [], types: []) {
            restored.apply()
            return
        }
        try body()
        store(index, names: [], values: [])
    }

    /// How to read one binding of the cell's type, and to check a value is of it.
    struct Binding {
        var decode: (Data) throws -> Any
        var accepts: (Any) -> Bool

        init<U>(_ type: U.Type) {
            decode = { try CachedValue.load(U.self, from: $0) }
            accepts = { $0 is U }
        }
    }

    // MARK: Looking up and restoring

    /// A restore read and checked; `apply` changes the program.
    struct Restored {
        /// The bindings' values, in order (already of their types: checked while reading).
        var values: [Any]
        var apply: () -> Void
    }

    /// How a binding or a changed `var` is kept in an entry (`state.json`).
    struct Slot: Codable {
        var name: String
        /// The value's type, for messages.
        var type: String
        /// A value: its file.
        var file: String?
        /// Objects: how they hang off the entry's graph.
        var root: ObjectGraph.Root?
    }

    /// `state.json`: what a restore sets besides the objects.
    struct EntryState: Codable {
        var bindings: [Slot]
        var restores: [Slot]
        var settings: EngineSettings
        var hasGraph: Bool
    }

    private static func lookup(_ index: Int, names: [String], types: [Binding]) -> Restored? {
        guard let run = CellTracker.shared.current, run.index == index, let root else { return nil }
        if let reason = run.taint {
            note(index, reason)
            return nil
        }
        guard mode == .on else { return nil }
        let key = entryKey(run)
        let path = "\(root)/\(key)"
        guard FileManager.default.fileExists(atPath: path + "/manifest.json") else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let restored = try withSharedLock { try read(path, key: key, names: names, types: types, run: run) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            return Restored(values: restored.values) {
                restored.apply()
                NotebookSession.emit(.restored(cell: index, key: key, outputs: restored.outputs, stored: restored.stored, seconds: seconds))
            }
        } catch let miss as InputsChanged {
            warn(index, "\(miss.description); running the cell")
        } catch {
            warn(index, "its cache entry \(key.prefix(12)) is unreadable (\(error)); running the cell")
        }
        return nil
    }

    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    /// A file the cell read has changed since the entry was stored.
    struct InputsChanged: Error, CustomStringConvertible {
        var description: String
    }

    private struct ReadEntry {
        var values: [Any]
        var outputs: [CellOutput]
        var stored: Date
        var apply: () -> Void
    }

    /// Reads, checks and prepares an entry without changing anything in the program.
    private static func read(_ path: String, key: String, names: [String], types: [Binding], run: CellTracker.Run) throws -> ReadEntry {
        CellTracker.shared.suspended = true
        defer { CellTracker.shared.suspended = false }
        let manifest: CacheManifest
        do {
            manifest = try KernelCoding.decoder().decode(CacheManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
        } catch {
            throw Corrupt(description: "manifest.json cannot be read: \(error)")
        }
        if let problem = manifest.problem { throw Corrupt(description: problem) }
        guard manifest.key == key, manifest.bindings == names else {
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
            let now = FileDigests.hash(ofFileAt: input.path)
            if now != input.hash {
                let what = now == FileDigests.absent ? "is gone" : input.hash == FileDigests.absent ? "now exists" : "has changed"
                throw InputsChanged(description: "\(input.path), which the cell read, \(what) since its cache entry was stored")
            }
        }
        func data(_ name: String) throws -> Data {
            guard let data = files[name] else { throw Corrupt(description: "\(name) is not listed in manifest.json") }
            return data
        }
        let state = try KernelCoding.decoder().decode(EntryState.self, from: data("state.json"))
        guard state.bindings.map(\.name) == names else { throw Corrupt(description: "state.json names other bindings") }
        var objects: [AnyObject] = []
        var applyGraph: () -> Void = {}
        if state.hasGraph {
            let graph = try KernelCoding.decoder().decode(StoredGraph.self, from: data("graph.json"))
            let tensors = files["graph.safetensors"].map { try? SafeTensors.decode($0, file: "graph.safetensors") } ?? nil
            guard let tensors = tensors?.tensors ?? (files["graph.safetensors"] == nil ? [:] : nil) else {
                throw Corrupt(description: "graph.safetensors cannot be decoded")
            }
            let prepared = try StateCapture.prepare(graph, tensors: tensors, pre: run.preGraph)
            objects = prepared.objects
            applyGraph = prepared.apply
        }
        func value(_ slot: Slot, decode: (Data) throws -> Any) throws -> Any {
            if let file = slot.file { return try decode(data(file)) }
            guard let root = slot.root, let value = StateCapture.value(of: root, objects: objects) else {
                throw Corrupt(description: "'\(slot.name)' is stored neither as a file nor as objects")
            }
            return value
        }
        var values: [Any] = []
        for (slot, binding) in zip(state.bindings, types) {
            let value = try value(slot, decode: binding.decode)
            guard binding.accepts(value) else {
                throw Corrupt(description: "'\(slot.name)' is stored as a \(slot.type), not of the type the cell declares")
            }
            values.append(value)
        }
        var setters: [() -> Void] = []
        for slot in state.restores {
            guard let global = run.global(slot.name) else { throw Corrupt(description: "'\(slot.name)' is not a value this cell can set") }
            guard let set = global.set, let decode = global.decode else { throw Corrupt(description: "'\(slot.name)' cannot be set") }
            // Read now (to fail before anything changes), set later.
            let restored = try value(slot, decode: decode)
            setters.append { _ = set(restored) }
        }
        let random = try RandomGenerator.decodeCacheState(data("random.state"))
        var writes: [(String, Data)] = []
        for write in manifest.writes { writes.append((write.path, try data(write.file))) }
        let settings = state.settings
        return ReadEntry(values: values, outputs: manifest.outputs, stored: manifest.stored) {
            applyGraph()
            for set in setters { set() }
            RandomGenerator.global = random
            settings.apply()
            CellTracker.shared.suspended = true
            for (path, bytes) in writes where FileManager.default.contents(atPath: path) != bytes {
                try? writeAtomically(bytes, to: path)
            }
            CellTracker.shared.suspended = false
            run.restoredInputs = manifest.inputs
        }
    }

    // MARK: Storing

    /// Writes what the cell did into a staging folder and tells the runner, which commits the
    /// entry with the cell's outputs when the cell has ended well. When something cannot be
    /// stored, says why (the cell then runs every time).
    private static func store(_ index: Int, names: [String], values: [Any]) {
        guard let run = CellTracker.shared.current, run.index == index, run.taint == nil, let root, mode != .off else { return }
        CellTracker.shared.suspended = true
        defer { CellTracker.shared.suspended = false }
        let key = entryKey(run)
        let staging = "\(root)/.staging/\(key).\(getpid())"
        do {
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            var files: [String] = []
            func write(_ data: Data, _ name: String) throws {
                try data.write(to: URL(fileURLWithPath: "\(staging)/\(name)"))
                files.append(name)
            }

            // The objects the cell reached, before and after, and those its values hold.
            let graph = ObjectGraph(seed: run.preGraph)
            for (name, _) in run.preGraph.roots {
                if let global = run.global(name) { graph.add(global.get(), name: name) }
            }
            var bindings: [Slot] = [], restores: [Slot] = []
            func slot(_ name: String, _ value: Any, prefix: String, position: Int) throws -> Slot {
                var slot = Slot(name: name, type: typeName(of: value))
                switch ValueKind.of(value) {
                case .value:
                    guard CachedValue.isStorable(type(of: value)) else {
                        let own = !ObjectGraph.isEngineType(type(of: value))
                        throw NotCacheable("'\(name)' is a \(slot.type), which the cache cannot store ("
                            + (own ? "make it Codable, or adopt NotebookCacheable" : "make it in a cell that is not cached") + ")")
                    }
                    let file = "\(prefix)\(position).\(CachedValue.fileExtension(value))"
                    try write(try CachedValue.encode(value), file)
                    slot.file = file
                case .objects:
                    graph.add(value, name: "\(prefix):\(name)")
                    let root = graph.roots.last!.root
                    guard StateCapture.value(of: root, objects: graph.nodes.map(\.object)) != nil else {
                        throw NotCacheable("'\(name)' is a \(slot.type), which holds objects in a way the cache cannot rebuild "
                            + "(keep models in their own let or var, or in an array)")
                    }
                    slot.root = root
                case .opaque(let reason):
                    throw NotCacheable("'\(name)' cannot be stored: \(reason)")
                }
                return slot
            }
            for (position, (name, value)) in zip(names, values).enumerated() {
                bindings.append(try slot(name, value, prefix: "b", position: position))
            }
            for (position, name) in run.facts.changes.enumerated() {
                guard let global = run.global(name), global.set != nil else { continue }
                restores.append(try slot(name, global.get(), prefix: "r", position: position))
            }
            if let problem = graph.problem { throw NotCacheable(problem) }
            try checkRestorable(graph, pre: run.preGraph)
            let hasGraph = !graph.nodes.isEmpty
            if hasGraph {
                let (stored, tensors) = try StateCapture.capture(graph, preCount: run.preGraph.nodes.count)
                try write(try KernelCoding.encoder(sorted: true).encode(stored), "graph.json")
                if !tensors.isEmpty { try write(Data(SafeTensors.encode(tensors)), "graph.safetensors") }
            }
            let state = EntryState(bindings: bindings, restores: restores, settings: EngineSettings.current, hasGraph: hasGraph)
            try write(try KernelCoding.encoder(sorted: true).encode(state), "state.json")
            try write(try RandomGenerator.global.encodeCacheState(), "random.state")

            // Files the engine wrote for the cell (a saved model): kept, written again on a restore.
            var writes: [CacheManifest.FileWrite] = []
            var written = Set<String>()
            for access in run.accesses where access.kind == .write {
                let path = FileDigests.absolute(access.path)
                guard written.insert(path).inserted, let data = FileManager.default.contents(atPath: path) else { continue }
                let file = "w\(writes.count)"
                try write(data, file)
                writes.append(CacheManifest.FileWrite(path: path, file: file))
            }
            var entryFiles: [CacheManifest.EntryFile] = []
            for name in files {
                guard let data = FileManager.default.contents(atPath: "\(staging)/\(name)") else {
                    throw Corrupt(description: "\(name) vanished while it was stored")
                }
                entryFiles.append(CacheManifest.EntryFile(name: name, size: data.count, hash: FileDigests.hash(of: data)))
            }
            let manifest = CacheManifest(key: key, cell: index, bindings: names, restores: restores.map(\.name), files: entryFiles,
                                         inputs: run.inputs(), writes: writes)
            try KernelCoding.encoder(sorted: true).encode(manifest).write(to: URL(fileURLWithPath: "\(staging)/staged-manifest.json"))
            NotebookSession.emit(.staged(cell: index, key: key, folder: staging))
        } catch let reason as NotCacheable {
            try? FileManager.default.removeItem(atPath: staging)
            note(index, reason.description)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            warn(index, "could not store it in the cache (\(error))")
        }
    }

    /// A cell the cache cannot keep: why.
    struct NotCacheable: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// What a restore cannot put back: a notebook module made in the cell (the cache cannot call
    /// its initialiser), a changed plain property of one made before, a layer whose parameters
    /// were replaced, an object the cache cannot rebuild.
    private static func checkRestorable(_ graph: ObjectGraph, pre: ObjectGraph) throws {
        for (index, node) in graph.nodes.enumerated() {
            if index >= pre.nodes.count {
                switch node.kind {
                case .module:
                    throw NotCacheable("the cell makes a \(typeName(of: node.object)), which the cache cannot make again: adopt "
                        + "SavableLayer (a Codable configuration and init(configuration:)) so it can, or make it in an earlier cell "
                        + "that is not cached (the cache puts back the parameters of a module made before the cell)")
                case .custom where _typeByName(String(reflecting: type(of: node.object))) == nil:
                    throw NotCacheable("the cell makes a \(typeName(of: node.object)), which the cache cannot find by name to rebuild")
                default: break
                }
                continue
            }
            let before = pre.nodes[index]
            guard node.kind == .layer || node.kind == .module else { continue }
            if node.edges.filter({ !$0.label.hasPrefix("slot.") }) != before.edges.filter({ !$0.label.hasPrefix("slot.") }) {
                throw NotCacheable("the cell replaces a parameter or part of a \(typeName(of: node.object)), which the cache "
                    + "cannot put back (change parameters' values instead, or do it in a cell that is not cached)")
            }
            if node.fixedDigest != before.fixedDigest {
                throw NotCacheable("the cell changes a stored property of a \(typeName(of: node.object)) that is not a parameter, "
                    + "a buffer or isTraining, which the cache cannot put back (declare it in namedBuffers, or change it in a cell "
                    + "that is not cached)")
            }
        }
    }

    // MARK: Helpers

    static func entryKey(_ run: CellTracker.Run) -> String {
        ContentHasher.digest("nbrun cell entry 1 \(run.digest)")
    }

    private static func note(_ index: Int, _ message: String) {
        NotebookSession.emit(.cacheNote(cell: index, message: message))
    }

    private static func warn(_ index: Int, _ message: String) {
        NotebookSession.emit(.cacheWarning(cell: index, message: "cell \(index + 1): \(message)"))
    }

    /// Runs `body` holding the cache's lock shared (commits and evictions take it exclusive).
    private static func withSharedLock<R>(_ body: () throws -> R) rethrows -> R {
        guard let root else { return try body() }
        var descriptor = open(root + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { descriptor = open(root + "/.lock", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_SH) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// 32 hex digits over the global generator's state.
    static func randomStateDigest() -> String {
        (try? RandomGenerator.global.encodeCacheState()).map(FileDigests.hash(of:)) ?? "unknown"
    }
}

/// The engine's global settings a cell may change (figure defaults, threading): stored with
/// each entry and put back when it is restored.
struct EngineSettings: Codable, Equatable {
    var figureWidth: Int
    var figureHeight: Int
    var figureScale: Int
    var workers: Int
    var minimumElements: Int
    var adaptsToLoad: Bool
    var minimumBatchWork: Int
    var blasMinimumWork: Int

    static var current: EngineSettings {
        EngineSettings(figureWidth: Figure.defaultWidth, figureHeight: Figure.defaultHeight, figureScale: Figure.defaultScale,
                       workers: Parallelism.workers, minimumElements: Parallelism.minimumElements,
                       adaptsToLoad: Parallelism.adaptsToLoad, minimumBatchWork: Parallelism.minimumBatchWork,
                       blasMinimumWork: Parallelism.blasMinimumWork)
    }

    func apply() {
        Figure.defaultWidth = figureWidth
        Figure.defaultHeight = figureHeight
        Figure.defaultScale = figureScale
        Parallelism.workers = workers
        Parallelism.minimumElements = minimumElements
        Parallelism.adaptsToLoad = adaptsToLoad
        Parallelism.minimumBatchWork = minimumBatchWork
        Parallelism.blasMinimumWork = blasMinimumWork
    }
}

extension RandomGenerator {
    func encodeCacheState() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(self)
    }

    static func decodeCacheState(_ data: Data) throws -> RandomGenerator {
        try JSONDecoder().decode(RandomGenerator.self, from: data)
    }
}
