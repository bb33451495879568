import Foundation

/// What the tool tells a notebook program when it starts (a JSON file named by
/// `EnvironmentKey.plan`): the parameters' values and, for the cell cache, the static facts
/// of each cell that its keys are built from. The program's binary depends only on the
/// generated source; parameters and keys live here, so `-p` needs no new build.
public struct ProgramPlan: Codable, Sendable, Equatable {
    /// The notebook as the user named it.
    public var notebook: String
    /// The toolchain and kernel the cache keys depend on.
    public var salt: String
    public var parameters: [Parameter]
    /// For each name a cell declares (function, type, member, closure bound by name): a hash
    /// of the code of every cell declaring it. Reading such a name reads that code.
    public var declarations: [String: String]
    /// One per evaluated cell, by `index`.
    public var cells: [Cell]

    public init(notebook: String, salt: String, parameters: [Parameter], declarations: [String: String], cells: [Cell]) {
        self.notebook = notebook
        self.salt = salt
        self.parameters = parameters
        self.declarations = declarations
        self.cells = cells
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
        /// SHA-256 of what the cell's result depends on in its own text: its code, the options
        /// that change what it computes or shows, its `cache-extra` expression.
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

        public init(index: Int, name: String, codeHash: String, reads: [String] = [], changes: [String] = [],
                    binds: [String] = [], cached: Bool = false, cacheBlocker: String? = nil, untrackedInput: String? = nil) {
            self.index = index
            self.name = name
            self.codeHash = codeHash
            self.reads = reads
            self.changes = changes
            self.binds = binds
            self.cached = cached
            self.cacheBlocker = cacheBlocker
            self.untrackedInput = untrackedInput
        }
    }
}
