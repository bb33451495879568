import Foundation
import KernelProtocol

/// The local caches (notebook binaries, `cache: true` cells) backed by a shared server
/// (`--cache-url`, `NBRUN_CACHE_URL`), so that a second machine or a second clone restores what
/// the first computed instead of compiling and training again.
///
/// The tool talks to the server, before and after the notebook program runs; the program
/// itself only ever reads and writes the local cache, as without a server. That keeps every
/// check where it is: the program computes each cached cell's key from what the cell reads at
/// run time (which the tool cannot know beforehand) and restores an entry only when that exact
/// key names it, its manifest says so, and every file in it has its recorded hash, whoever put
/// it there. So the tool may fetch more than is used, never anything that is used wrongly:
///
/// - Before the run, for each cached cell, the entries stored for it under the same toolchain,
///   kernel, notebook and cell code (an index on the server, `/ac/<index key>`, of the latest
///   few entries' files) are fetched, checked against their SHA-256s, and put in the local cache
///   whole, as the program puts its own.
/// - After the run, each entry the program stored is uploaded: every file first, each in one
///   `PUT` under its SHA-256, then the index naming them.
/// - A binary is fetched before compiling, by the same content key as the local binary cache
///   (source, compiler and its flags, kernel), and uploaded after a compile.
///
/// Everything the server says is checked; anything it cannot do is a warning, and the run goes
/// on with the local cache.
public final class SharedCache: @unchecked Sendable {
    public let server: CacheServer
    /// The latest entries of a cell an index keeps (a parameter sweep stores one per value).
    static let entriesPerCell = 4

    public init(server: CacheServer) {
        self.server = server
    }

    public var warnings: [String] { server.warnings }

    // MARK: Binaries

    static func binaryActionKey(_ key: String) -> String {
        CacheAnalysis.sha256(["nbrun shared binary 1", key])
    }

    /// Puts the binary stored under `key` at `binaryPath` (its warnings beside it), through a
    /// file in `workDirectory` renamed into place. Returns whether it did.
    func fetchBinary(key: String, to binaryPath: String, workDirectory: String) -> Bool {
        guard let result = server.actionResult(Self.binaryActionKey(key)),
              let program = result.outputFiles.first(where: { $0.path == "program" }) else { return false }
        guard let bytes = server.content(program.digest) else { return false }
        let warnings = result.outputFiles.first { $0.path == "program.warnings" }.flatMap { server.content($0.digest) }
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
            defer { try? fileManager.removeItem(atPath: workDirectory) }
            let temporary = workDirectory + "/program"
            try bytes.write(to: URL(fileURLWithPath: temporary))
            guard chmod(temporary, 0o755) == 0 else { throw EnvironmentError.fromErrno("make \(temporary) executable") }
            if let warnings {
                try warnings.write(to: URL(fileURLWithPath: workDirectory + "/warnings"))
                guard rename(workDirectory + "/warnings", binaryPath + ".warnings") == 0 else {
                    throw EnvironmentError.fromErrno("put the program's warnings at \(binaryPath).warnings")
                }
            }
            guard rename(temporary, binaryPath) == 0 else { throw EnvironmentError.fromErrno("put the program at \(binaryPath)") }
            return true
        } catch {
            server.warn("cannot keep the binary from the shared cache: \(EnvironmentError.reason(error))")
            return false
        }
    }

    /// Uploads the binary at `binaryPath` (and its warnings) under `key`.
    func storeBinary(key: String, binaryPath: String) {
        guard !server.isUnreachable, let bytes = FileManager.default.contents(atPath: binaryPath) else { return }
        let warnings = FileManager.default.contents(atPath: binaryPath + ".warnings") ?? Data("[]".utf8)
        guard let program = server.store(bytes), let notes = server.store(warnings) else { return }
        server.store(ActionResult(outputFiles: [ActionResult.OutputFile(path: "program", digest: program, isExecutable: true),
                                                ActionResult.OutputFile(path: "program.warnings", digest: notes)]),
                     key: Self.binaryActionKey(key))
    }

    // MARK: Cells

    /// The index of a cached cell's entries: what its key holds before the run (see `CellTracker`
    /// for the rest), where the notebook lies relative to the run's folders rather than where it is.
    static func cellIndexKey(plan: ProgramPlan, cell: ProgramPlan.Cell, workspace: WorkspacePaths) -> String {
        CacheAnalysis.sha256(["nbrun shared cell index 1", plan.salt, workspace.portable(plan.notebook), workspace.signature, cell.codeHash])
    }

    /// Fetches into `cache` the entries the server holds for each cached cell of `plan` that are
    /// not in it yet. Returns how many it put there.
    @discardableResult
    func fetchCells(plan: ProgramPlan, cache: CellCache, workspace: WorkspacePaths = .current()) -> Int {
        var installed = 0
        for cell in plan.cells where cell.cached {
            guard !server.isUnreachable else { break }
            guard let index = server.actionResult(Self.cellIndexKey(plan: plan, cell: cell, workspace: workspace)) else { continue }
            for (key, files) in Self.entries(in: index) {
                if FileManager.default.fileExists(atPath: "\(cache.cellsDirectory)/\(key)/manifest.json") { continue }
                if install(key: key, files: files, notebook: plan.notebook, cache: cache) { installed += 1 }
            }
        }
        return installed
    }

    /// The entries an index names, by key, latest first: only plain names (an index that names
    /// a path outside an entry's folder names no entry).
    static func entries(in index: ActionResult) -> [(key: String, files: [(name: String, digest: ActionResult.Digest)])] {
        var order: [String] = []
        var files: [String: [(name: String, digest: ActionResult.Digest)]] = [:]
        for file in index.outputFiles {
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, isEntryKey(parts[0]), !parts[1].isEmpty, !parts[1].hasPrefix(".") else { continue }
            let key = String(parts[0])
            if files[key] == nil { order.append(key) }
            files[key, default: []].append((String(parts[1]), file.digest))
        }
        return order.map { ($0, files[$0]!) }
    }

    static func isEntryKey(_ text: Substring) -> Bool {
        (16...128).contains(text.count) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// Downloads one entry whole, checks it describes itself (its key, every file it lists, of
    /// its size), and puts it in the local cache as the program would (a staging folder renamed
    /// into place under the lock). The manifest names this checkout's notebook, for
    /// `nbrun cache list` and `clear`; the program checks the rest when it reads the entry.
    private func install(key: String, files: [(name: String, digest: ActionResult.Digest)], notebook: String, cache: CellCache) -> Bool {
        var contents: [String: Data] = [:]
        for file in files {
            guard let data = server.content(file.digest) else { return false }
            contents[file.name] = data
        }
        guard let data = contents["manifest.json"], var manifest = try? KernelCoding.decoder().decode(CacheManifest.self, from: data),
              manifest.problem == nil, manifest.key == key,
              manifest.files.allSatisfy({ contents[$0.name]?.count == $0.size }) else {
            server.warn("the shared cache's entry \(key.prefix(12))… does not describe itself: not used")
            return false
        }
        manifest.notebook = notebook
        let staging = "\(cache.cellsDirectory)/.staging/\(key).\(UInt64.random(in: 0...UInt64.max)).\(getpid())"
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for file in manifest.files { try contents[file.name]!.write(to: URL(fileURLWithPath: "\(staging)/\(file.name)")) }
            try KernelCoding.encoder(sorted: true).encode(manifest).write(to: URL(fileURLWithPath: "\(staging)/manifest.json"))
            return try cache.withExclusiveLock {
                let target = "\(cache.cellsDirectory)/\(key)"
                if fileManager.fileExists(atPath: target) {
                    try? fileManager.removeItem(atPath: staging)
                    return false
                }
                guard rename(staging, target) == 0 else { throw EnvironmentError.fromErrno("put the entry at \(target)") }
                return true
            }
        } catch {
            try? fileManager.removeItem(atPath: staging)
            server.warn("cannot keep the entry \(key.prefix(12))… from the shared cache: \(EnvironmentError.reason(error))")
            return false
        }
    }

    /// Uploads the entries the program stored (`keys`, by cell index), each whole, then names
    /// it first in its cell's index.
    func storeCells(_ keys: [(cell: Int, key: String)], plan: ProgramPlan, cache: CellCache, workspace: WorkspacePaths = .current()) {
        for (index, key) in keys {
            guard !server.isUnreachable, let cell = plan.cells.first(where: { $0.index == index }), cell.cached else { continue }
            guard let contents = read(key: key, cache: cache) else { continue }
            var files: [ActionResult.OutputFile] = []
            for (name, data) in contents.sorted(by: { $0.key < $1.key }) {
                guard let digest = server.store(data) else { break }
                files.append(ActionResult.OutputFile(path: "\(key)/\(name)", digest: digest))
            }
            guard files.count == contents.count else { continue }
            let indexKey = Self.cellIndexKey(plan: plan, cell: cell, workspace: workspace)
            let earlier = server.actionResult(indexKey).map(Self.entries) ?? []
            for (other, otherFiles) in earlier.filter({ $0.key != key }).prefix(Self.entriesPerCell - 1) {
                files += otherFiles.map { ActionResult.OutputFile(path: "\(other)/\($0.name)", digest: $0.digest) }
            }
            server.store(ActionResult(outputFiles: files), key: indexKey)
        }
    }

    /// An entry's manifest and every file it lists, read under the cache's lock (another run may
    /// be replacing it); nil when it is gone or does not describe itself.
    private func read(key: String, cache: CellCache) -> [String: Data]? {
        let folder = "\(cache.cellsDirectory)/\(key)"
        return try? cache.withExclusiveLock { () -> [String: Data]? in
            guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
                  let manifest = try? KernelCoding.decoder().decode(CacheManifest.self, from: data),
                  manifest.problem == nil, manifest.key == key else { return nil }
            var contents = ["manifest.json": data]
            for file in manifest.files {
                guard let bytes = FileManager.default.contents(atPath: "\(folder)/\(file.name)"), bytes.count == file.size else { return nil }
                contents[file.name] = bytes
            }
            return contents
        } ?? nil
    }
}
