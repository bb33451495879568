import Foundation

/// A cell cache entry, `<cache>/cells/<key>/manifest.json`: the one description of what an entry
/// holds, written whole by the one process that writes the entry (the notebook program whose
/// cell ran), and read by the program that restores it and by `nbrun cache`.
///
/// An entry is a folder of payload files (each binding and changed value, the objects the cell
/// reached, the engine's state) and this manifest, which lists every one of them with its size
/// and content hash, the files the cell read (with their content before it ran) and wrote, and
/// what the cell printed and showed. The program writes the folder under a name no other process
/// uses and renames it into place while it runs, so a committed entry is always whole; the
/// manifest's presence marks it committed.
public struct CacheManifest: Codable, Sendable, Equatable {
    public static let formatVersion = 3

    public var version: Int
    public var key: String
    /// The notebook's absolute path and the cell, for `nbrun cache list` and `clear`.
    public var notebook: String
    public var cell: Int
    public var label: String?
    public var stored: Date
    /// What the cell binds, in order.
    public var bindings: [Slot]
    /// Earlier values whose state the entry puts back: the ones the cell changed.
    public var restores: [Slot]
    /// Every payload file of the entry with its size and content hash, checked before it is read.
    public var files: [EntryFile]
    /// Files outside the entry the cell read, with their content hashes before it ran ("absent"
    /// for a file that was not there): a changed file makes the entry a miss.
    public var inputs: [FileInput]
    /// Files the cell wrote through the engine (`model.save(to:)`), kept in the entry and
    /// written again when it is restored.
    public var writes: [FileWrite]
    /// The payload holding the objects the cell reached (`graph.json`, its tensors in
    /// `graph.safetensors`), nil when it reached none.
    public var graph: String?
    /// The payload holding the engine's state after the cell (random generator, gradient
    /// recording, registered layer types, threads, figure defaults).
    public var engine: String
    /// What the cell printed and showed, replayed in the report when it is restored.
    public var outputs: [CellOutput]

    public init(key: String, notebook: String = "", cell: Int, label: String? = nil, stored: Date = Date(),
                bindings: [Slot] = [], restores: [Slot] = [], files: [EntryFile] = [], inputs: [FileInput] = [],
                writes: [FileWrite] = [], graph: String? = nil, engine: String = "engine.json", outputs: [CellOutput] = []) {
        self.version = Self.formatVersion
        self.key = key
        self.notebook = notebook
        self.cell = cell
        self.label = label
        self.stored = stored
        self.bindings = bindings
        self.restores = restores
        self.files = files
        self.inputs = inputs
        self.writes = writes
        self.graph = graph
        self.engine = engine
        self.outputs = outputs
    }

    /// How one binding or changed value is kept: as a payload file, or as objects of the graph.
    public struct Slot: Codable, Sendable, Equatable {
        public var name: String
        /// The value's type, for messages.
        public var type: String
        /// A value: its payload file.
        public var file: String?
        /// Objects: how the value reaches the graph's objects.
        public var root: ObjectRoot?

        public init(name: String, type: String, file: String? = nil, root: ObjectRoot? = nil) {
            self.name = name
            self.type = type
            self.file = file
            self.root = root
        }
    }

    /// How a value reaches the objects of an entry's graph (numbered from 0).
    public indirect enum ObjectRoot: Codable, Sendable, Equatable {
        case object(Int)
        case array([ObjectRoot])
        case optional(ObjectRoot?)
        case dictionary(keys: [String], values: [ObjectRoot])
        /// A value holding objects in a way the cache cannot rebuild (a struct, a tuple): only
        /// the objects found inside, in order.
        case mixed([ObjectRoot])
        /// No object inside.
        case value
    }

    public struct EntryFile: Codable, Sendable, Equatable {
        /// A plain file name inside the entry folder.
        public var name: String
        public var size: Int
        public var hash: String
        public init(name: String, size: Int, hash: String) {
            self.name = name
            self.size = size
            self.hash = hash
        }
    }

    public struct FileInput: Codable, Sendable, Equatable {
        /// Absolute, or inside one of the run's folders (`WorkspacePaths.portable`).
        public var path: String
        public var hash: String
        public init(path: String, hash: String) {
            self.path = path
            self.hash = hash
        }
    }

    public struct FileWrite: Codable, Sendable, Equatable {
        /// Where the cell wrote it: absolute, or inside one of the run's folders (`WorkspacePaths.portable`).
        public var path: String
        /// Its copy in the entry.
        public var file: String
        public init(path: String, file: String) {
            self.path = path
            self.file = file
        }
    }

    /// The binding names, in order.
    public var bindingNames: [String] { bindings.map(\.name) }

    /// Why a manifest cannot describe an entry (a damaged or foreign file).
    public var problem: String? {
        if version != Self.formatVersion { return "manifest.json has format \(version), expected \(Self.formatVersion)" }
        if let bad = files.first(where: { $0.name.isEmpty || $0.name.contains("/") || $0.name.hasPrefix(".") }) {
            return "manifest.json names a file outside the entry: '\(bad.name)'"
        }
        let names = Set(files.map(\.name))
        let referenced = writes.map(\.file) + (bindings + restores).compactMap(\.file) + [engine] + (graph.map { [$0] } ?? [])
        if let bad = referenced.first(where: { !names.contains($0) }) {
            return "manifest.json refers to a file '\(bad)' it does not list"
        }
        if let slot = (bindings + restores).first(where: { ($0.file == nil) == ($0.root == nil) }) {
            return "manifest.json keeps '\(slot.name)' neither as one file nor as objects"
        }
        if (bindings + restores).contains(where: { $0.root != nil }), graph == nil {
            return "manifest.json keeps objects but no graph"
        }
        return nil
    }
}

/// The longest output of one stream of one cell that nbrun keeps whole (beyond it, the report
/// shows its beginning and end): a cell whose output is longer is not cached, since a restore
/// would show the cut output as all of it.
public enum CellOutputLimit {
    public static let bytes = 64 << 20
}

extension CellOutput {
    /// A cell's outputs in the order they happened: its printed text, cut at the byte offsets at
    /// which each display item was shown (`positions` are offsets in `stdout` and `stderr`).
    public static func interleaving(stdout: [UInt8], stderr: [UInt8],
                                    displays: [(item: DisplayItem, stdoutPosition: Int, stderrPosition: Int)]) -> [CellOutput] {
        var outputs: [CellOutput] = []
        var outOffset = 0, errOffset = 0
        func appendText(upTo newOut: Int, _ newErr: Int) {
            let outEnd = min(max(newOut, outOffset), stdout.count)
            let errEnd = min(max(newErr, errOffset), stderr.count)
            if outEnd > outOffset { outputs.append(.stdout(String(decoding: stdout[outOffset..<outEnd], as: UTF8.self))) }
            if errEnd > errOffset { outputs.append(.stderr(String(decoding: stderr[errOffset..<errEnd], as: UTF8.self))) }
            outOffset = max(outOffset, outEnd)
            errOffset = max(errOffset, errEnd)
        }
        for display in displays {
            appendText(upTo: display.stdoutPosition, display.stderrPosition)
            outputs.append(.display(display.item))
        }
        appendText(upTo: stdout.count, stderr.count)
        return outputs
    }
}
