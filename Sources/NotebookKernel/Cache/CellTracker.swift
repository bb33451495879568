import Foundation

/// Follows what each cell reads, changes and depends on while the program runs: the cell
/// cache's key, and what a restore must put back.
///
/// THE RULE: a cached cell is restored only when everything its run could depend on is as it
/// was when its entry was stored, and a restore puts back everything its run changed; what the
/// cache cannot compare or put back makes the cell run, with a note naming the cause.
///
/// What a cell reads. The planner (in the tool) gives each cell the names it may read and
/// change: written in it, or in the notebook's functions, types, closures and observers it uses,
/// followed transitively; a `var` holding a closure counts the code of every cell that assigns
/// it. Code can also run inside a cell without being named there: a `subscript`, a
/// `description`, a layer's forward that the engine calls. So when a cell starts, the kernel
/// finds the notebook's own types among the values and objects it reaches, and counts each
/// type's code (what it reads and changes, from the plan) as the cell's, until nothing new is
/// found. A type it cannot find the code of (declared inside a function) makes the cell run.
///
/// The key of a cached cell hashes: the toolchain, kernel, BLAS kernels and notebook (its path
/// relative to the run's folders, and how those lie: `WorkspacePaths`); the
/// cell's code and the options that change what it shows, and where the cell is when its code
/// asks (`#line`, `#filePath`); the code of every notebook declaration it reads; for every
/// earlier value it reads, the value's *content* (`ContentDigest`: numbers, strings, tensors,
/// datasets, structs, arrays and dictionaries of them, hashed whatever order they iterate in),
/// not the code that made it, so a value drawn from the clock, the system's random numbers or
/// a dictionary's order keys the cell by what it is; the state of every object reachable from
/// those values and how they are connected (`ObjectGraph`: parameters, buffers, training mode,
/// optimizer state, and every other stored property of a layer or module); the engine's
/// state (`EngineState`: random generator, gradient recording, registered layer types, threads,
/// figure defaults); the `cache-extra` value. The files the cell reads are inputs too, hashed
/// as they were when the cell first touched them (before its own writes; "absent" for a file
/// that was not there): a restore checks each against the file now.
///
/// A value the kernel cannot hash (a closure, an object of a class it cannot capture) makes
/// every cell reading it run. So does a cell reading the outside world itself (`FileManager`,
/// `ProcessInfo`, POSIX `open`/`read`...) unless `cache-extra` names what it reads, or changing
/// it other than through the engine (the planner's blocker).
///
/// What a restore puts back: every value the cell bound, every earlier `var` it changed, the
/// state of every object it reached (old and new, with their connections), the engine's state,
/// and the files it wrote through the engine. Before storing, the kernel compares every value
/// the notebook has bound before and after the cell ran: one that changed though the cell's
/// code does not name it (code the planner could not see) makes the cell run every time.
///
/// A value the kernel cannot hash keeps a *version* instead: a hash of the code of the cell
/// that made it and the versions of what that cell read, so it is still followed by name; a
/// cell reading it by version runs every time if a notebook type's code (which may run from a
/// cell that does not name it) changes it.
final class CellTracker {
    nonisolated(unsafe) static let shared = CellTracker()

    struct Version {
        var digest: String
        /// Why a cell reading this value by version cannot be cached, if it cannot.
        var taint: String?
        /// The source of run-to-run differences it was computed from, if any.
        var nondeterministic: String?
    }

    /// One cell while it runs.
    final class Run {
        let index: Int
        let facts: ProgramPlan.Cell
        /// What the cell may read and change: the plan's names and what the types it reaches add.
        var reads: Set<String>
        var changes: Set<String>
        /// The key material (empty for a cell that is not cached).
        var digest = ""
        /// Why the cell cannot be cached, as its note says.
        var taint: String?
        /// The cause behind `taint`, handed on to the values the cell binds and changes.
        var taintCause: String?
        /// The first source of run-to-run differences the cell depends on.
        var nondeterministic: String?
        /// The objects reachable from the cell's values when it began, numbered.
        var preGraph = ObjectGraph()
        /// Files the cell read, hashed when it first touched them, in order.
        private(set) var fileInputs: [CacheManifest.FileInput] = []
        /// Files the engine wrote for the cell, in order (as `WorkspacePaths` writes them).
        private(set) var writes: [String] = []
        private var touched: Set<String> = []
        /// Set when the cell was restored: the file inputs stored with its entry.
        var restoredInputs: [CacheManifest.FileInput]?

        init(index: Int, facts: ProgramPlan.Cell) {
            self.index = index
            self.facts = facts
            self.reads = Set(facts.reads)
            self.changes = Set(facts.changes)
        }

        /// The earlier values the cell may read or change that the program has bound, by name.
        var globalNames: [String] {
            reads.union(changes).filter { NotebookGlobals.shared[$0] != nil }.sorted()
        }

        func taint(_ reason: String, cause: String? = nil) {
            if taint == nil {
                taint = reason
                taintCause = cause ?? reason
            }
        }

        /// A file the engine read, looked for, or wrote for the cell. The first touch decides:
        /// a file read (or found absent) before the cell wrote it is an input, hashed now.
        func record(_ kind: FileAccess.Kind, _ path: String) {
            let absolute = FileDigests.absolute(path)
            let path = FileDigests.workspace.portable(absolute)
            if kind == .write {
                touched.insert(path)
                if !writes.contains(path) { writes.append(path) }
                return
            }
            guard touched.insert(path).inserted else { return }
            fileInputs.append(CacheManifest.FileInput(path: path, hash: FileDigests.hash(ofFileAt: absolute)))
        }

        /// The files read and looked for, with their content hashes before the cell changed them.
        var inputs: [CacheManifest.FileInput] { restoredInputs ?? fileInputs }
    }

    private var versions: [String: Version] = [:]
    private var facts: [Int: ProgramPlan.Cell] = [:]
    private var declarations: [String: String] = [:]
    private var typeEffects: [String: ProgramPlan.Effect] = [:]
    private var salt = ""
    /// Values with `willSet`/`didSet` observers: a restore sets them first.
    private(set) var observed: Set<String> = []
    /// Off when no cell is cached (nothing is followed) or the cache is off.
    private(set) var enabled = false
    private(set) var current: Run?
    /// Set while the kernel reads and writes its own cache files.
    var suspended = false

    func start(plan: ProgramPlan) {
        facts = Dictionary(plan.cells.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        declarations = plan.declarations
        typeEffects = plan.typeEffects
        observed = Set(plan.observed)
        // Where the notebook and its files lie relative to the run's folders, not where those
        // folders are: an entry is the same in another checkout (`WorkspacePaths`). The BLAS
        // library and the kernels it chose for this CPU compute the cells' numbers too.
        let workspace = WorkspacePaths.current()
        FileDigests.workspace = workspace
        let blas = BLASLibrary.current
        salt = [plan.salt, workspace.portable(plan.notebook), workspace.signature, "\(blas.version) \(blas.kernels)"].joined(separator: "\n")
        enabled = plan.cells.contains(where: \.cached) && NotebookCache.mode != .off && NotebookCache.root != nil
        for parameter in plan.parameters {
            versions[parameter.name] = Version(digest: ContentHasher.digest("param \(parameter.name): \(parameter.type) = \(parameter.json)"))
        }
        guard enabled || StateTrace.isOn else { return }
        FileAccess.observer = { [unowned self] kind, path in
            guard !self.suspended, let run = self.current else { return }
            run.record(kind, path)
        }
    }

    var isFollowing: Bool { enabled || StateTrace.isOn }

    func begin(_ index: Int, extra: (() -> Any)?) {
        current = nil
        guard isFollowing, let facts = facts[index] else { return }
        let run = Run(index: index, facts: facts)
        current = run
        run.nondeterministic = facts.nondeterministic
        for name in facts.reads.sorted() {
            if run.nondeterministic == nil, let cause = versions[name]?.nondeterministic {
                run.nondeterministic = "'\(name)' (\(cause))"
            }
        }
        guard enabled, facts.cached else { return }
        key(run, extra: extra)
    }

    /// Computes a cached cell's key (see the rule above) into `run.digest`.
    private func key(_ run: Run, extra: (() -> Any)?) {
        let facts = run.facts
        var hasher = ContentHasher()
        hasher.combine("nbrun cell execution 2")
        hasher.combine(salt)
        hasher.combine(facts.codeHash)

        // The values the cell reaches, and the code of the notebook's types among them, until
        // nothing new is found.
        var graph = ObjectGraph()
        var contents: [String: (digest: String?, problem: String?)] = [:]
        var counted: Set<String> = []
        while true {
            graph = ObjectGraph()
            var types: Set<String> = []
            let names = run.globalNames
            for name in names {
                guard let global = NotebookGlobals.shared[name] else { continue }
                graph.add(global.get(), name: name)
            }
            for name in names {
                guard let global = NotebookGlobals.shared[name] else { continue }
                let content = ContentDigest.of(global.get()) { graph.index(of: $0).map { "o\($0)" } }
                contents[name] = (content.digest, content.problem)
                types.formUnion(content.notebookTypes)
            }
            types.formUnion(graph.notebookTypes)
            let fresh = types.subtracting(counted)
            if fresh.isEmpty { break }
            counted.formUnion(fresh)
            var grew = false
            for type in fresh.sorted() {
                guard let effect = typeEffects[type] else {
                    let what = type == "(local)" ? "a type declared inside a function" : "the type \(type)"
                    run.taint("it reaches a value of \(what), whose code the cache cannot follow (declare the type at the top level)")
                    continue
                }
                hasher.combine("type \(type)")
                hasher.combine(declarations[type] ?? "")
                let before = run.reads.count + run.changes.count
                run.reads.formUnion(effect.reads)
                run.changes.formUnion(effect.changes)
                grew = grew || run.reads.count + run.changes.count != before
                if let effect = effect.untrackedEffect {
                    run.taint("it runs code of \(type) (through a value it reaches), which changes the outside world through '\(effect)'")
                } else if let input = effect.untrackedInput, extra == nil {
                    run.taint("it runs code of \(type) (through a value it reaches), which reads the outside world through '\(input)' "
                        + "(name what it reads with '//| cache-extra: ...')")
                }
            }
            if !grew { break }
        }

        for name in run.reads.sorted() {
            if NotebookGlobals.shared[name] != nil {
                hasher.combine(name)
                if let digest = contents[name]?.digest {
                    hasher.combine("content")
                    hasher.combine(digest)
                } else if let version = versions[name] {
                    hasher.combine("version")
                    hasher.combine(version.digest)
                    if let cause = version.taint {
                        run.taint("it reads '\(name)', which an earlier cell made from state the cache cannot follow: \(cause)", cause: cause)
                    } else if let type = typeEffects.first(where: { $0.value.changes.contains(name) })?.key {
                        // A version follows the cells that name the value; code of a type may have
                        // changed it from a cell that does not.
                        run.taint("it reads '\(name)', whose content the cache cannot hash (\(contents[name]?.problem ?? "")) and which "
                            + "code of \(type) changes wherever it runs")
                    }
                } else {
                    run.taint("it reads '\(name)', which the cache cannot hash: \(contents[name]?.problem ?? "unknown content")")
                }
            } else if let declaration = declarations[name] {
                hasher.combine(name)
                hasher.combine(declaration)
            }
        }
        if let problem = graph.problem { run.taint(problem) }
        run.preGraph = graph
        hasher.combine("objects")
        hasher.combine(graph.digest())
        hasher.combine("engine")
        hasher.combine(EngineState.current.digest)
        if let extra {
            hasher.combine("extra")
            let value = extra()
            hasher.combine(ContentDigest.of(value) { _ in nil }.digest ?? String(reflecting: value))
        } else if let untracked = facts.untrackedInput {
            run.taint("\(facts.name) reads the outside world through '\(untracked)', which the cache cannot follow "
                + "(name what it reads with '//| cache-extra: ...' in that cell)")
        }
        run.digest = hasher.finalize()
    }

    func end(_ index: Int) {
        defer { current = nil }
        guard isFollowing, let run = current, run.index == index else { return }
        var hasher = ContentHasher()
        if run.digest.isEmpty {
            // Not cached: a version from its code and the versions of what it read.
            hasher.combine("nbrun cell version 1")
            hasher.combine(run.facts.codeHash)
            for name in run.reads.sorted() {
                if let version = versions[name] {
                    hasher.combine(name)
                    hasher.combine(version.digest)
                    if let cause = version.taint { run.taint(cause, cause: cause) }
                } else if let declaration = declarations[name] {
                    hasher.combine(name)
                    hasher.combine(declaration)
                }
            }
            if let untracked = run.facts.untrackedInput { run.taint("'\(untracked)' in \(run.facts.name)") }
        } else {
            hasher.combine(run.digest)
        }
        for input in run.inputs {
            hasher.combine(input.path)
            hasher.combine(input.hash)
        }
        let output = hasher.finalize()
        for name in run.facts.binds {
            versions[name] = Version(digest: ContentHasher.digest("\(output) binds \(name)"), taint: run.taintCause,
                                     nondeterministic: run.nondeterministic)
        }
        for name in run.changes.subtracting(run.facts.binds) {
            let earlier = versions[name]
            versions[name] = Version(digest: ContentHasher.digest("\(output) changes \(name)"), taint: run.taintCause ?? earlier?.taint,
                                     nondeterministic: run.nondeterministic ?? earlier?.nondeterministic)
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

    /// The folders paths in keys and entries are written relative to, as the program started.
    nonisolated(unsafe) static var workspace = WorkspacePaths.current()

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
