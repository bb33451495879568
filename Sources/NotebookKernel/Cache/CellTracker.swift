import Foundation

/// An earlier cell's value that a cell reads or changes, as the generated program hands it to
/// the kernel: its name, how to read it, and for a `var` how to set it (so a restored cell can
/// put back what it did to it).
public struct NotebookGlobal {
    public let name: String
    let get: () -> Any
    /// Sets it to a value of its own type (false for another type); nil for a `let`.
    let set: ((Any) -> Bool)?
    /// Reads a value of its type from what `CachedValue.encode` wrote.
    let decode: ((Data) throws -> Any)?

    public init<T>(_ name: String, _ get: @escaping () -> T) {
        self.name = name
        self.get = get
        self.set = nil
        self.decode = nil
    }

    public init<T>(_ name: String, _ get: @escaping () -> T, set: @escaping (T) -> Void) {
        self.name = name
        self.get = get
        self.set = { value in
            guard let typed = value as? T else { return false }
            set(typed)
            return true
        }
        self.decode = { data in try CachedValue.load(T.self, from: data) }
    }
}

/// Follows what each cell's values depend on while the program runs: the cell cache's key.
///
/// THE RULE (what a cached cell's key covers, and why it is never stale):
///
/// Every value a cell can see is reached through a name: an earlier cell's `let`/`var`, a
/// parameter, a function, type or closure declared in the notebook, or the engine's own
/// state (the global random generator, figure defaults). The planner (in the tool) gives
/// each cell the names it may read and may change, directly or through the notebook's
/// functions, types and closures it uses, transitively. At run time each name's value is
/// one of three kinds (`ValueKind`):
///
/// - a *value* (value semantics all the way down: numbers, strings, tensors, datasets,
///   arrays of them, structs of them). Only code that names it can change it, so it is
///   followed by name: each cell that binds or may change it gives it a new *version*, a
///   hash of that cell's code and of the versions and contents of everything that cell read.
/// - *objects* (models, layers, optimizers, variables, a notebook's own `Module`s, or
///   values holding them). Aliases can change these without naming them (`let first =
///   model.layers[0]`, then `first.weight.value = ...`), so they are followed by *content*:
///   a digest of every object reachable from the names, their state and how they are
///   connected (`ObjectGraph`), taken when a cell starts.
/// - *opaque* (a closure, a class the kernel cannot capture). Neither works: a cell that
///   reads one, or reads a value computed from one, is not cached, and the report says why.
///
/// A cell's execution digest hashes the toolchain and kernel, its own code and result
/// options, the versions of the names it reads, the code of the notebook declarations it
/// uses, the digest of the objects it reaches, the global random generator's state and the
/// engine's settings (figure defaults, threading), and its `cache-extra` value. A cached cell's key is that digest. When it ran, the entry stores
/// what it bound, every `var` it may have changed, and the state of every object it reached
/// (old and new, with their connections), the random generator and engine settings after
/// it, and the files the engine read (with content hashes: a changed file is a miss) and
/// wrote (copied, written again on a restore). A restore puts all of it back into the
/// program's own objects, so later cells see exactly what a full run would have left.
///
/// What the key does not cover, so the cell is not cached, with a note: reading the outside
/// world through APIs the engine does not see (`FileManager`, `ProcessInfo`, `Data(contentsOf:)`,
/// in the cell or in a cell whose values it reads), unless `cache-extra` names what is read;
/// writing files other than through the engine; objects it cannot capture; a notebook type's
/// static stored properties.
final class CellTracker {
    nonisolated(unsafe) static let shared = CellTracker()

    struct Version {
        var digest: String
        /// Why a cell reading this value cannot be cached, if it cannot.
        var taint: String?
    }

    /// One cell while it runs.
    final class Run {
        let index: Int
        let facts: ProgramPlan.Cell
        let globals: [NotebookGlobal]
        /// The execution digest (empty when nothing depends on it).
        var digest = ""
        /// Why the cell cannot be cached, as its note says.
        var taint: String?
        /// The cause behind `taint`, handed on to the values the cell binds and changes (a note
        /// names the cause, not the whole chain of cells that passed it on).
        var taintCause: String?
        /// The objects reachable from the cell's globals when it began, numbered.
        var preGraph = ObjectGraph()
        /// Files the engine read, wrote or found absent while the cell ran.
        var accesses: [(kind: FileAccess.Kind, path: String)] = []
        /// Set when the cell was restored: the file inputs stored with its entry.
        var restoredInputs: [CacheManifest.FileInput]?

        init(index: Int, facts: ProgramPlan.Cell, globals: [NotebookGlobal]) {
            self.index = index
            self.facts = facts
            self.globals = globals
        }

        func global(_ name: String) -> NotebookGlobal? {
            globals.first { $0.name == name }
        }

        /// The files read and looked for, with content hashes ("absent" for a missing file).
        private var cachedInputs: [CacheManifest.FileInput]?
        func inputs() -> [CacheManifest.FileInput] {
            if let restoredInputs { return restoredInputs }
            if let cachedInputs { return cachedInputs }
            var seen = Set<String>()
            var result: [CacheManifest.FileInput] = []
            for access in accesses where access.kind != .write {
                let path = FileDigests.absolute(access.path)
                guard seen.insert(path).inserted else { continue }
                result.append(CacheManifest.FileInput(path: path, hash: FileDigests.hash(ofFileAt: path)))
            }
            cachedInputs = result
            return result
        }
    }

    private var versions: [String: Version] = [:]
    private var facts: [Int: ProgramPlan.Cell] = [:]
    private var declarations: [String: String] = [:]
    private var salt = ""
    /// Off when no cell is cached (nothing is followed) or the cache is off.
    private(set) var enabled = false
    private(set) var current: Run?
    /// Set while the kernel reads and writes its own cache files.
    var suspended = false

    func start(plan: ProgramPlan) {
        facts = Dictionary(plan.cells.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        declarations = plan.declarations
        salt = plan.salt
        enabled = plan.cells.contains(where: \.cached) && NotebookCache.mode != .off && NotebookCache.root != nil
        for parameter in plan.parameters {
            versions[parameter.name] = Version(digest: ContentHasher.digest("param \(parameter.name): \(parameter.type) = \(parameter.json)"))
        }
        guard enabled else { return }
        FileAccess.observer = { [unowned self] kind, path in
            guard !self.suspended, let run = self.current else { return }
            run.accesses.append((kind, path))
        }
    }

    func begin(_ index: Int, globals: [NotebookGlobal], extra: (() -> Any)?) {
        current = nil
        guard enabled, let facts = facts[index] else { return }
        let run = Run(index: index, facts: facts, globals: globals)
        current = run
        guard facts.cached || !facts.binds.isEmpty || !facts.changes.isEmpty else { return }
        var hasher = ContentHasher()
        hasher.combine("nbrun cell execution 1")
        hasher.combine(salt)
        hasher.combine(facts.codeHash)
        func taint(_ reason: String, cause: String? = nil) {
            if run.taint == nil {
                run.taint = reason
                run.taintCause = cause ?? reason
            }
        }
        for name in facts.reads.sorted() {
            if let version = versions[name] {
                hasher.combine(name)
                hasher.combine(version.digest)
                if let cause = version.taint {
                    taint("it reads '\(name)', which an earlier cell made from state the cache cannot follow: \(cause)", cause: cause)
                }
            } else if let declaration = declarations[name] {
                hasher.combine(name)
                hasher.combine(declaration)
            }
        }
        let graph = ObjectGraph()
        for global in globals.sorted(by: { $0.name < $1.name }) {
            graph.add(global.get(), name: global.name)
        }
        if let problem = graph.problem { taint(problem) }
        run.preGraph = graph
        hasher.combine("objects")
        hasher.combine(graph.digest())
        hasher.combine("random")
        hasher.combine(NotebookCache.randomStateDigest())
        hasher.combine("engine settings")
        hasher.combine(StateCapture.json(EngineSettings.current))
        if let extra {
            hasher.combine("extra")
            hasher.combine(String(reflecting: extra()))
        } else if let untracked = facts.untrackedInput {
            taint("\(facts.name) reads the outside world through '\(untracked)', which the cache cannot follow "
                + "(name what it reads with '//| cache-extra: ...' in that cell)")
        }
        run.digest = hasher.finalize()
    }

    func end(_ index: Int) {
        defer { current = nil }
        guard enabled, let run = current, run.index == index, !run.digest.isEmpty else { return }
        var hasher = ContentHasher()
        hasher.combine(run.digest)
        for input in run.inputs() {
            hasher.combine(input.path)
            hasher.combine(input.hash)
        }
        let output = hasher.finalize()
        for name in run.facts.binds {
            versions[name] = Version(digest: ContentHasher.digest("\(output) binds \(name)"), taint: run.taintCause)
        }
        for name in run.facts.changes {
            let earlier = versions[name]?.taint
            versions[name] = Version(digest: ContentHasher.digest("\(output) changes \(name)"), taint: run.taintCause ?? earlier)
        }
    }

    /// The version of a name, for tests and messages.
    func version(of name: String) -> Version? {
        versions[name]
    }
}

/// Content hashes of files (`ContentHasher` over their bytes).
enum FileDigests {
    static let absent = "absent"

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The hash of the file's bytes; "absent" when there is no such file, "unreadable" when it
    /// cannot be read.
    static func hash(ofFileAt path: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return absent }
        guard let data = FileManager.default.contents(atPath: path) else { return "unreadable" }
        return hash(of: data)
    }

    static func hash(of data: Data) -> String {
        var hasher = ContentHasher()
        data.withUnsafeBytes { hasher.combine($0) }
        return hasher.finalize()
    }
}
