import Foundation
import KernelProtocol
#if canImport(Glibc)
import Glibc
#endif

/// The store of `cache: true` cells as the tool sees it: `<output>/.cache/cells/<key>/`, one
/// folder per entry, described by its `manifest.json` (`CacheManifest`). The notebook program
/// writes each entry whole and puts it in place itself (`CacheEntryWriter` in NotebookKernel);
/// here entries are listed, marked used, evicted and cleared, and what stopped programs left is
/// removed, under an exclusive `flock` on `cells/.lock` (programs read entries holding it shared).
/// A manifest's modification time is when the entry was last used; beyond the size limit
/// (`NBRUN_CACHE_LIMIT`, default 2 GiB) the least recently used entries are removed.
public struct CellCache: Sendable {
    /// `<output>/.cache`.
    public var directory: String
    public var cellsDirectory: String { directory + "/cells" }

    public init(directory: String) {
        self.directory = directory
    }

    public static let defaultLimit: Int64 = 2 << 30

    /// `NBRUN_CACHE_LIMIT`: bytes, or a number with K, M, G or T (powers of 1024).
    public static func limit(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int64 {
        guard let text = environment["NBRUN_CACHE_LIMIT"]?.trimmingWhitespace(), !text.isEmpty else { return defaultLimit }
        guard let value = parseSize(text) else {
            throw NotebookError("NBRUN_CACHE_LIMIT must be a size such as 500M or 2G, got '\(text)'")
        }
        return value
    }

    static func parseSize(_ text: String) -> Int64? {
        var number = text.uppercased()
        if number.hasSuffix("IB") { number.removeLast(2) } else if number.hasSuffix("B") { number.removeLast() }
        var multiplier: Double = 1
        if let last = number.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            multiplier = pow(1024, Double(power))
            number.removeLast()
        }
        guard let value = Double(number.trimmingWhitespace()), value >= 0, value.isFinite else { return nil }
        return Int64(value * multiplier)
    }

    /// One stored cell.
    public struct Entry: Sendable, Equatable {
        public var key: String
        /// The notebook's absolute path, as recorded when stored.
        public var notebook: String
        public var cellIndex: Int
        public var label: String?
        public var bytes: Int64
        public var stored: Date
        public var lastUsed: Date
        /// The binding names, in order.
        public var bindings: [String]
        /// False when the manifest could not be read (such an entry is a miss, and evicted first).
        public var readable: Bool

        public var cellName: String { label ?? "cell \(cellIndex + 1)" }
    }

    // MARK: Reading

    /// Every committed entry, most recently used first.
    public func entries() -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cellsDirectory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { entry(key: $0) }.sorted { $0.lastUsed > $1.lastUsed }
    }

    func entry(key: String) -> Entry? {
        let path = "\(cellsDirectory)/\(key)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let bytes = Self.folderSize(path)
        let manifestPath = path + "/manifest.json"
        let attributes = try? FileManager.default.attributesOfItem(atPath: manifestPath)
        let modified = attributes?[.modificationDate] as? Date ?? .distantPast
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? KernelCoding.decoder().decode(CacheManifest.self, from: data), manifest.problem == nil else {
            return Entry(key: key, notebook: "?", cellIndex: -1, label: nil, bytes: bytes, stored: modified,
                         lastUsed: .distantPast, bindings: [], readable: false)
        }
        return Entry(key: key, notebook: manifest.notebook, cellIndex: manifest.cell, label: manifest.label, bytes: bytes,
                     stored: manifest.stored, lastUsed: modified, bindings: manifest.bindingNames, readable: true)
    }

    static func folderSize(_ path: String) -> Int64 {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return files.reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: "\(path)/\(file)")[.size] as? Int64) ?? 0)
        }
    }

    // MARK: Using and evicting

    /// Marks an entry used now (its manifest's modification time).
    func touch(key: String) {
        _ = utimes("\(cellsDirectory)/\(key)/manifest.json", nil)
    }

    /// Removes least recently used entries until the total is at most `limit` bytes;
    /// unreadable entries and leftovers of stopped runs go first. Returns what was removed.
    @discardableResult
    func evict(limit: Int64) throws -> [Entry] {
        try withExclusiveLock {
            let fileManager = FileManager.default
            let names = (try? fileManager.contentsOfDirectory(atPath: cellsDirectory)) ?? []
            for name in names where name.hasPrefix(".trash-") { try? fileManager.removeItem(atPath: "\(cellsDirectory)/\(name)") }
            Self.removeLeftovers(in: cellsDirectory + "/.staging")
            var entries = self.entries().sorted { ($0.readable ? 1 : 0, $0.lastUsed) < ($1.readable ? 1 : 0, $1.lastUsed) }
            var total = entries.reduce(0) { $0 + $1.bytes }
            var removed: [Entry] = []
            while total > limit, !entries.isEmpty {
                let oldest = entries.removeFirst()
                try? fileManager.removeItem(atPath: "\(cellsDirectory)/\(oldest.key)")
                total -= oldest.bytes
                removed.append(oldest)
            }
            return removed
        }
    }

    /// Removes every entry, or those of one notebook (by absolute path). Returns what was removed.
    @discardableResult
    public func clear(notebook: String? = nil) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: cellsDirectory) else { return [] }
        let wanted = notebook.map(Self.absolutePath)
        return try withExclusiveLock {
            var removed: [Entry] = []
            for entry in entries() where wanted == nil || entry.notebook == wanted {
                try FileManager.default.removeItem(atPath: "\(cellsDirectory)/\(entry.key)")
                removed.append(entry)
            }
            if wanted == nil { try? FileManager.default.removeItem(atPath: cellsDirectory + "/.staging") }
            return removed
        }
    }

    /// Removes what stopped runs left behind: staging folders and run folders whose names end in
    /// `.<pid>` or `-<pid>` of a process that is gone. (A live run's are kept: two runs
    /// may share a cache.) Returns how many were removed.
    @discardableResult
    static func removeLeftovers(in directory: String) -> Int {
        let fileManager = FileManager.default
        var removed = 0
        for name in (try? fileManager.contentsOfDirectory(atPath: directory)) ?? [] {
            guard let separator = name.lastIndex(where: { $0 == "." || $0 == "-" }),
                  let pid = Int32(name[name.index(after: separator)...]), pid > 0 else { continue }
            if pid == getpid() || isAlive(pid) { continue }
            if (try? fileManager.removeItem(atPath: "\(directory)/\(name)")) != nil { removed += 1 }
        }
        return removed
    }

    /// Whether process `pid` exists and is not a zombie (a killed program whose parent died too
    /// may stay a zombie where nothing reaps orphans).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Clears what killed runs left in the cache, under the lock: partial entries in staging,
    /// half-replaced entries, run folders. Called when a run starts.
    public func cleanUpAfterStoppedRuns() {
        try? withExclusiveLock {
            let fileManager = FileManager.default
            for name in (try? fileManager.contentsOfDirectory(atPath: cellsDirectory)) ?? [] where name.hasPrefix(".trash-") {
                try? fileManager.removeItem(atPath: "\(cellsDirectory)/\(name)")
            }
            Self.removeLeftovers(in: cellsDirectory + "/.staging")
        }
        Self.removeLeftovers(in: directory + "/run")
        Self.removeLeftovers(in: directory + "/build")
    }

    /// Runs `body` holding `cells/.lock` exclusively.
    func withExclusiveLock<R>(_ body: () throws -> R) throws -> R {
        try FileManager.default.createDirectory(atPath: cellsDirectory, withIntermediateDirectories: true)
        let descriptor = open(cellsDirectory + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw NotebookError("cannot open the cell cache's lock \(cellsDirectory)/.lock: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            if errno != EINTR { throw NotebookError("cannot lock the cell cache: \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    public static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
