import Foundation

/// Runs a `cache: true` cell, or restores what it bound last time (knitr's `cache=TRUE`).
///
/// The generated program wraps a cached cell's code in a closure returning its bindings:
///
///     let _nbCached3 = try NotebookCache.cell(3, key: "9f2c...", names: ["model", "history"]) {
///         <the cell's code>
///         return (model, history)
///     }
///     let model = _nbCached3.0
///
/// The key (computed by nbrun) hashes the cell, every evaluated cell before it, the
/// parameters, the kernel and the toolchain, so any upstream edit makes a miss. An entry
/// is a folder `<NBRUN_CACHE_DIR>/cells/<key>` with one file per binding, the global
/// random generator's state after the cell (so later cells draw the same numbers as in an
/// uncached run), a `complete` marker written last, and the cell's outputs (stored by the
/// runner). A missing, partial or unreadable entry is a miss, never a crash.
public enum NotebookCache {
    private static var directory: String? {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["NBRUN_CACHE_DIR"], !root.isEmpty else { return nil }
        return root + "/cells"
    }

    private static var reads: Bool { ProcessInfo.processInfo.environment["NBRUN_CELL_CACHE"] != "off" }

    /// A cell that binds several values.
    public static func cell<each T: NotebookCacheable>(_ index: Int, key: String, names: [String],
                                                       _ body: () throws -> (repeat each T)) rethrows -> (repeat each T) {
        if let entry = entry(key), reads, isComplete(entry) {
            do {
                var position = 0
                func load<U: NotebookCacheable>(_ type: U.Type) throws -> U {
                    defer { position += 1 }
                    return try U.load(fromCacheFile: "\(entry)/\(names[position]).value")
                }
                let values = (repeat try load((each T).self))
                try restoreRandomState(entry)
                NotebookSession.cached(index)
                return values
            } catch {
                // Unreadable entry: a miss.
            }
        }
        let values = try body()
        if let entry = entry(key) {
            do {
                try prepare(entry)
                var position = 0
                func save<U: NotebookCacheable>(_ value: U) throws {
                    try value.save(toCacheFile: "\(entry)/\(names[position]).value")
                    position += 1
                }
                repeat try save(each values)
                try finish(entry)
            } catch {
                FileHandle.standardError.write(Data("nbrun: could not cache cell \(index + 1): \(error)\n".utf8))
            }
        }
        return values
    }

    /// A cell that binds one value (a one-element pack cannot be inferred from a closure).
    public static func cell<T: NotebookCacheable>(_ index: Int, key: String, name: String,
                                                  _ body: () throws -> T) rethrows -> T {
        if let entry = entry(key), reads, isComplete(entry),
           let value = try? T.load(fromCacheFile: "\(entry)/\(name).value"), (try? restoreRandomState(entry)) != nil {
            NotebookSession.cached(index)
            return value
        }
        let value = try body()
        if let entry = entry(key) {
            do {
                try prepare(entry)
                try value.save(toCacheFile: "\(entry)/\(name).value")
                try finish(entry)
            } catch {
                FileHandle.standardError.write(Data("nbrun: could not cache cell \(index + 1): \(error)\n".utf8))
            }
        }
        return value
    }

    /// A cell that binds nothing (it prints or plots): only its outputs are replayed.
    public static func cell(_ index: Int, key: String, _ body: () throws -> Void) rethrows {
        if let entry = entry(key), reads, isComplete(entry), (try? restoreRandomState(entry)) != nil {
            NotebookSession.cached(index)
            return
        }
        try body()
        if let entry = entry(key) {
            do {
                try prepare(entry)
                try finish(entry)
            } catch {
                FileHandle.standardError.write(Data("nbrun: could not cache cell \(index + 1): \(error)\n".utf8))
            }
        }
    }

    private static func entry(_ key: String) -> String? {
        directory.map { "\($0)/\(key)" }
    }

    /// Bindings and the random state are complete, and the runner stored the outputs.
    private static func isComplete(_ entry: String) -> Bool {
        FileManager.default.fileExists(atPath: entry + "/complete")
            && FileManager.default.fileExists(atPath: entry + "/outputs.json")
    }

    private static func prepare(_ entry: String) throws {
        try? FileManager.default.removeItem(atPath: entry)
        try FileManager.default.createDirectory(atPath: entry, withIntermediateDirectories: true)
    }

    private static func finish(_ entry: String) throws {
        try RandomGenerator.global.save(toCacheFile: entry + "/random.state")
        try Data().write(to: URL(fileURLWithPath: entry + "/complete"), options: .atomic)
    }

    private static func restoreRandomState(_ entry: String) throws {
        RandomGenerator.global = try RandomGenerator.load(fromCacheFile: entry + "/random.state")
    }
}
