import Foundation

/// What the tool tells a notebook program when it starts (a JSON file named by
/// `EnvironmentKey.plan`): the parameters' values and, for the cell cache, the static facts
/// of each cell that its keys are built from. The program's binary depends only on the
/// generated source; parameters and keys live here, so `-p` needs no new build.
public struct ProgramPlan: Codable, Sendable, Equatable {
    /// The notebook's absolute path (its entries are its own: `nbrun cache clear` finds them).
    public var notebook: String
    /// The toolchain and kernel the cache keys depend on.
    public var salt: String
    public var parameters: [Parameter]
    /// For each name a cell declares (function, type, member, closure bound by name): a hash
    /// of the code of every cell declaring it. Reading such a name reads that code.
    public var declarations: [String: String]
    /// One per evaluated cell, by `index`.
    public var cells: [Cell]
    /// For each type the notebook declares (by its name, and its nested types' names): what its
    /// code reads and changes, wherever it runs from. The kernel finds the types of the values
    /// and objects a cell reaches at run time (a layer the engine calls, a value whose
    /// `subscript` or `description` runs) and counts their code as the cell's.
    public var typeEffects: [String: Effect]
    /// Values declared with `willSet`/`didSet` observers (setting one runs code).
    public var observed: [String]

    public init(notebook: String, salt: String, parameters: [Parameter], declarations: [String: String], cells: [Cell],
                typeEffects: [String: Effect] = [:], observed: [String] = []) {
        self.notebook = notebook
        self.salt = salt
        self.parameters = parameters
        self.declarations = declarations
        self.cells = cells
        self.typeEffects = typeEffects
        self.observed = observed
    }

    /// What running some code reads and changes, followed through everything it uses.
    public struct Effect: Codable, Sendable, Equatable {
        public var reads: [String]
        public var changes: [String]
        /// The first API it uses to read the outside world untracked (`FileManager`, `open`...).
        public var untrackedInput: String?
        /// The first API it uses to change the outside world untracked.
        public var untrackedEffect: String?

        public init(reads: [String] = [], changes: [String] = [], untrackedInput: String? = nil, untrackedEffect: String? = nil) {
            self.reads = reads
            self.changes = changes
            self.untrackedInput = untrackedInput
            self.untrackedEffect = untrackedEffect
        }
    }

    /// A front-matter parameter after `-p` overrides.
    public struct Parameter: Codable, Sendable, Equatable {
        public var name: String
        /// The Swift type of its `let` (`Int`, `Double`, `Bool`, `String`).
        public var type: String
        /// The value as JSON (`5`, `0.1`, `true`, `"a"`).
        public var json: String
        public init(name: String, type: String, json: String) {
            self.name = name
            self.type = type
            self.json = json
        }
    }

    /// The def/use facts of one cell (see the planner in the tool for how they are found).
    public struct Cell: Codable, Sendable, Equatable {
        public var index: Int
        /// `cell N` or the label, for messages.
        public var name: String
        /// The `label` option, kept in the cell's cache entry.
        public var label: String?
        /// SHA-256 of what the cell's result depends on in its own text: its code, the options
        /// that change what it computes or shows, its `cache-extra` expression, and where it is
        /// (the notebook's path as named, the cell's line) when its code asks (`#line`, `#filePath`).
        public var codeHash: String
        /// Every name the cell may read, directly or through the functions, types and closures it
        /// uses (transitively).
        public var reads: [String]
        /// Every name the cell may change without binding it (assigned, passed `inout`, a method
        /// called on it), directly or through what it calls.
        public var changes: [String]
        /// The top-level names the cell binds (`let`/`var`).
        public var binds: [String]
        /// `cache: true` and not blocked: the program restores or stores it.
        public var cached: Bool
        /// Why a `cache: true` cell runs every time, when its text alone decides it.
        public var cacheBlocker: String?
        /// The first API in the cell that reads the outside world untracked (`ProcessInfo`,
        /// `FileManager`...): what it computes may change without its code changing. Nil when the
        /// cell has none, or a `cache-extra` names what it reads.
        public var untrackedInput: String?
        /// The first source of values that differ from run to run the cell uses (the clock, the
        /// system's random numbers, a dictionary's order...), directly or through what it calls.
        /// A restore replays what the stored run drew; the differential check does not expect
        /// what the cell computes to be the same in two full runs.
        public var nondeterministic: String?

        public init(index: Int, name: String, label: String? = nil, codeHash: String, reads: [String] = [], changes: [String] = [],
                    binds: [String] = [], cached: Bool = false, cacheBlocker: String? = nil, untrackedInput: String? = nil,
                    nondeterministic: String? = nil) {
            self.index = index
            self.name = name
            self.label = label
            self.codeHash = codeHash
            self.reads = reads
            self.changes = changes
            self.binds = binds
            self.cached = cached
            self.cacheBlocker = cacheBlocker
            self.untrackedInput = untrackedInput
            self.nondeterministic = nondeterministic
        }
    }
}
