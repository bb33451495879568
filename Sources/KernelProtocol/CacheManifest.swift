import Foundation

/// `manifest.json` of a cell cache entry, `<cache>/cells/<key>/`.
///
/// The kernel writes everything but the outputs into the staging folder; the tool adds the
/// cell's outputs and where and when it was stored, and renames the folder into place. Its
/// presence marks a committed entry.
public struct CacheManifest: Codable, Sendable, Equatable {
    public static let formatVersion = 2

    public var version: Int
    public var key: String
    /// The notebook's absolute path and the cell, for `nbrun cache list`.
    public var notebook: String
    public var cell: Int
    public var label: String?
    public var stored: Date
    /// The names the cell binds, in order.
    public var bindings: [String]
    /// Earlier globals whose state the entry puts back: values the cell changed and objects it reached.
    public var restores: [String]
    /// Every file of the entry with its size and content hash, checked before it is read.
    public var files: [EntryFile]
    /// Files outside the entry the cell read, with their content hashes when it ran: a changed
    /// file makes the entry a miss.
    public var inputs: [FileInput]
    /// Files the cell wrote through the engine (`model.save(to:)`), kept in the entry and
    /// written again when it is restored.
    public var writes: [FileWrite]
    /// What the cell printed and showed, replayed in the report when it is restored.
    public var outputs: [CellOutput]

    public init(key: String, notebook: String = "", cell: Int, label: String? = nil, stored: Date = Date(),
                bindings: [String] = [], restores: [String] = [], files: [EntryFile] = [], inputs: [FileInput] = [],
                writes: [FileWrite] = [], outputs: [CellOutput] = []) {
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
        self.outputs = outputs
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
        public var path: String
        public var hash: String
        public init(path: String, hash: String) {
            self.path = path
            self.hash = hash
        }
    }

    public struct FileWrite: Codable, Sendable, Equatable {
        /// Where the cell wrote it (absolute).
        public var path: String
        /// Its copy in the entry.
        public var file: String
        public init(path: String, file: String) {
            self.path = path
            self.file = file
        }
    }

    /// Why a manifest cannot describe an entry (a damaged or foreign file).
    public var problem: String? {
        if version != Self.formatVersion { return "manifest.json has format \(version), expected \(Self.formatVersion)" }
        if let bad = files.first(where: { $0.name.isEmpty || $0.name.contains("/") || $0.name.hasPrefix(".") }) {
            return "manifest.json names a file outside the entry: '\(bad.name)'"
        }
        let names = Set(files.map(\.name))
        if let bad = writes.first(where: { !names.contains($0.file) }) {
            return "manifest.json keeps a written file '\(bad.file)' it does not list"
        }
        return nil
    }
}
