import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a `cache: true` cell, or restores what it did last time (knitr's `cache=TRUE`, made
/// exact: see `CellTracker` for the rule).
///
/// The generated program puts a cached cell's statements (its functions and types stay
/// outside) in a closure of their own, so that swiftc checks the cell's code alone, and hands
/// it to the cache, which runs it or restores its bindings:
///
///     NotebookSession.beginCell(3, line: 40)
///     let _nbBody3 = { () throws in
///         <the cell's code>
///         return (history, losses)
///     }
///     let _nbCached3 = try NotebookCache.cell(3, names: ["history", "losses"], _nbBody3)
///     let history = _nbCached3.0
///
/// An entry is a folder `<NBRUN_CACHE_DIR>/cells/<key>` described by its `CacheManifest`; the
/// program whose cell ran writes all of it (`CacheEntryWriter`), the program that restores it
/// reads it (`CacheEntryReader`). Both hold `cells/.lock` (exclusive to put an entry in place,
/// shared to read one), as does the tool when it evicts. A missing entry is a miss; a damaged
/// one, or one whose input files changed, is a miss with a warning; a cell the cache cannot
/// keep runs normally, with a note saying why.
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
        if let restored = CacheEntryReader.lookup(index, names: names, types: types) {
            var position = 0
            func take<U>(_ type: U.Type) -> U {
                defer { position += 1 }
                return restored.values[position] as! U  // checked while reading
            }
            let typed = (repeat take((each T).self))
            restored.apply()
            return typed
        }
        let before = CacheEntryWriter.prepare(index)
        let values = try body()
        var boxed: [Any] = []
        repeat boxed.append(each values)
        CacheEntryWriter.store(index, names: names, values: boxed, before: before)
        return values
    }

    /// A cell that binds one value (a one-element pack cannot be inferred from a closure).
    public static func cell<T>(_ index: Int, name: String, _ body: () throws -> T) rethrows -> T {
        if let restored = CacheEntryReader.lookup(index, names: [name], types: [Binding(T.self)]) {
            let value = restored.values[0] as! T  // checked while reading
            restored.apply()
            return value
        }
        let before = CacheEntryWriter.prepare(index)
        let value = try body()
        CacheEntryWriter.store(index, names: [name], values: [value], before: before)
        return value
    }

    /// A cell that binds nothing (it prints, plots, or changes earlier values).
    public static func cell(_ index: Int, _ body: () throws -> Void) rethrows {
        if let restored = CacheEntryReader.lookup(index, names: [], types: []) {
            restored.apply()
            return
        }
        let before = CacheEntryWriter.prepare(index)
        try body()
        CacheEntryWriter.store(index, names: [], values: [], before: before)
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

    // MARK: Shared by reading and writing

    static func entryKey(_ run: CellTracker.Run) -> String {
        ContentHasher.digest("nbrun cell entry 3 \(run.digest)")
    }

    /// A damaged entry.
    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    /// A file the cell read has changed since the entry was stored.
    struct InputsChanged: Error, CustomStringConvertible {
        var description: String
    }

    /// A cell the cache cannot keep: why.
    struct NotCacheable: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func note(_ index: Int, _ message: String) {
        NotebookSession.emit(.cacheNote(cell: index, message: message))
    }

    static func warn(_ index: Int, _ message: String) {
        NotebookSession.emit(.cacheWarning(cell: index, message: "cell \(index + 1): \(message)"))
    }

    /// Runs `body` holding the cache's lock: shared to read entries, exclusive to put one in place.
    static func withLock<R>(exclusive: Bool, _ body: () throws -> R) rethrows -> R {
        guard let root else { return try body() }
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var descriptor = open(root + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0, !exclusive { descriptor = open(root + "/.lock", O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
