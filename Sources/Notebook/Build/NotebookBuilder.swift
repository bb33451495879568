import Crypto
import Foundation

/// The build stage: `GeneratedProgram` -> an executable, reused when nothing changed.
///
/// The binary's cache key is the SHA-256 of the generated source, the compiler version,
/// the compile flags and the kernel library's identity: content, never modification times
/// (DESIGN.md: mtimes miss edits made within the same second). One binary per notebook
/// is kept under `<cache>/bin`.
public struct NotebookBuilder: Sendable {
    public var kernel: KernelLocation
    public var toolchain: Toolchain
    /// Where binaries and generated sources are kept (`<output>/.cache`).
    public var cacheDirectory: String
    /// `false`: always compile (the result is still stored).
    public var reuseBinaries: Bool
    /// A server to fetch a binary from before compiling, and to upload a compiled one to.
    public var sharedCache: SharedCache?

    public init(kernel: KernelLocation, toolchain: Toolchain, cacheDirectory: String, reuseBinaries: Bool = true) {
        self.kernel = kernel
        self.toolchain = toolchain
        self.cacheDirectory = cacheDirectory
        self.reuseBinaries = reuseBinaries
    }

    /// The build stage's output: the binary, and the program it was built from (whose plan the run reads).
    public struct Result: Sendable {
        public var program: GeneratedProgram
        public var binaryPath: String
        /// Held (shared) while the binary may be run: a concurrent build of another version of
        /// the notebook does not delete a binary another run is about to start.
        public var lock: BinaryLock
        public var cacheHit: Bool
        /// Seconds spent compiling (0 on a cache hit).
        public var compileSeconds: Double
        public var key: String
        /// Warnings swiftc printed, mapped to the notebook.
        public var warnings: [Diagnostic]
        /// The binary came from the shared cache (a `cacheHit` too).
        public var shared = false
    }

    /// The compiler arguments, without the input and output paths.
    ///
    /// `-g` makes the driver emit a module for the debugger, by default in a second frontend
    /// job that type-checks the program again before the compile job, then wraps it into
    /// the binary (about 0.3 s of a 0.8 s build, measured): with `-no-emit-module-separately`
    /// the compile job writes the module itself and the driver skips the wrapping. The DWARF
    /// (line tables, which crash attribution reads from backtraces, and types) is byte for
    /// byte the same; the binary only loses the `.swift_ast` copy of the module that LLDB's
    /// expression evaluator would read.
    public func compilerArguments() -> [String] {
        var arguments = ["-Onone", "-g", "-no-emit-module-separately", "-diagnostic-style", "llvm", "-swift-version", "5",
                         "-module-name", "NotebookProgram", "-I", kernel.modulesDirectory]
        for directory in kernel.systemModuleDirectories { arguments += ["-I", directory] }
        for flag in Toolchain.cFlags() { arguments += ["-Xcc", flag] }
        arguments += toolchain.linkerArguments
        arguments += ["-L", kernel.buildDirectory, "-lNotebookKernel", "-Xlinker", "-rpath", "-Xlinker", kernelSearchPath]
        return arguments
    }

    /// Where the program finds the kernel library, relative to the program itself (`$ORIGIN`):
    /// a binary built in one checkout runs in another laid out alike (a shared cache's).
    var kernelSearchPath: String {
        func real(_ path: String) -> [Substring] {
            URL(fileURLWithPath: KernelLocation.absolute(path)).standardizedFileURL.resolvingSymlinksInPath().path.split(separator: "/")
        }
        let from = real(cacheDirectory + "/bin"), to = real(kernel.buildDirectory)
        let common = zip(from, to).prefix { $0 == $1 }.count
        let steps = Array(repeating: "..", count: from.count - common) + to.dropFirst(common).map(String.init)
        return (["$ORIGIN"] + steps).joined(separator: "/")
    }

    /// The compiler arguments as the binary's key holds them: paths in the repository written
    /// from its root, so that the same notebook has the same key in another checkout.
    func portableArguments(_ arguments: [String]) -> [String] {
        let root = kernel.root.count > 1 && kernel.root.hasSuffix("/") ? String(kernel.root.dropLast()) : kernel.root
        return arguments.map { argument in
            argument == root || argument.hasPrefix(root + "/") ? "$NBRUN_ROOT" + argument.dropFirst(root.count) : argument
        }
    }

    /// The kernel library's identity (`KernelIdentity`: the sources it was built from, the same
    /// for the same commit built in another folder), remembered in `<cache>/kernel-identity`
    /// beside the library's stat data (see `FileDigest`): a rebuilt kernel is read again.
    public func kernelHash() throws -> String {
        try FileDigest.sha256(ofFileAt: kernel.libraryPath, memoPath: cacheDirectory + "/kernel-identity",
                              digest: KernelIdentity.sha256(ofLibraryAt:))
    }

    /// The binary cache key: SHA-256 of the generated source, the compiler (its version, and
    /// where it is: the program finds the Swift runtime there), the compile flags (paths in the
    /// repository written from its root) and the kernel library's identity.
    func binaryKey(_ program: GeneratedProgram, kernelHash: String, arguments: [String]? = nil) -> String {
        var hasher = SHA256()
        let compiler = Toolchain.resolve(toolchain.swiftc, path: ProcessInfo.processInfo.environment["PATH"] ?? "") ?? toolchain.swiftc
        let flags = portableArguments(arguments ?? compilerArguments()).joined(separator: "\u{1}")
        for part in [program.source, toolchain.version, compiler, flags, kernelHash] {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return hasher.finalize().hex
    }

    /// Builds `program`, or finds the binary built from the same inputs.
    ///
    /// - Parameter kernelHash: `kernelHash()`, when the caller has it already.
    /// - Throws: `NotebookError` with swiftc's errors mapped to `.md` lines; `EnvironmentError`
    ///   when the build fails for a reason outside the notebook (a full disk, a path the file
    ///   system refuses, swiftc failing without pointing at a line of the notebook).
    public func build(_ program: GeneratedProgram, kernelHash: String? = nil) throws -> Result {
        let notebook = program.plan.notebook
        let arguments = compilerArguments()
        let key = binaryKey(program, kernelHash: try kernelHash ?? self.kernelHash(), arguments: arguments)
        let name = Self.safeName(notebook.path)
        let binDirectory = cacheDirectory + "/bin"
        let binaryPath = "\(binDirectory)/\(name).\(key.prefix(16))"  // names have no dots
        let fileManager = FileManager.default
        func cannot(_ action: String, _ error: Error) -> EnvironmentError {
            EnvironmentError("cannot build \(notebook.path): cannot \(action): \(EnvironmentError.reason(error))")
        }
        do {
            try fileManager.createDirectory(atPath: binDirectory, withIntermediateDirectories: true)
        } catch {
            throw cannot("create \(binDirectory)", error)
        }
        if reuseBinaries, fileManager.isExecutableFile(atPath: binaryPath), let lock = BinaryLock(binaryPath) {
            return Result(program: program, binaryPath: binaryPath, lock: lock, cacheHit: true, compileSeconds: 0, key: key,
                          warnings: Self.readWarnings(binaryPath + ".warnings"))
        }
        if reuseBinaries, let sharedCache,
           sharedCache.fetchBinary(key: key, to: binaryPath, workDirectory: "\(cacheDirectory)/build/\(name)-\(getpid())"),
           let lock = BinaryLock(binaryPath) {
            Self.removeOlderBinaries(of: name, keeping: key, in: binDirectory)
            return Result(program: program, binaryPath: binaryPath, lock: lock, cacheHit: true, compileSeconds: 0, key: key,
                          warnings: Self.readWarnings(binaryPath + ".warnings"), shared: true)
        }

        // Per process, so that two runs of one notebook (`nbrun test -j`) do not share files.
        let work = "\(cacheDirectory)/build/\(name)-\(getpid())"
        let sourcePath = "\(work)/\(name).swift"
        do {
            try fileManager.createDirectory(atPath: work, withIntermediateDirectories: true)
            try program.source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        } catch {
            try? fileManager.removeItem(atPath: work)
            throw cannot("write \(sourcePath)", error)
        }
        defer { try? fileManager.removeItem(atPath: work) }
        // A copy to read when something looks wrong (`<cache>/build/NAME.swift`).
        let keptPath = "\(cacheDirectory)/build/\(name).swift"
        try? program.source.write(toFile: keptPath, atomically: true, encoding: .utf8)
        let temporaryBinary = "\(work)/program"
        // swift-driver crashes when TMPDIR is not ASCII ("Not enough bits to represent the passed
        // value" in TSCBasic's temporary directory): a folder or notebook named `résumé` gets one in /tmp.
        var temporaryDirectory = work
        if !work.utf8.allSatisfy({ $0 < 0x80 }) {
            var template = Array("/tmp/nbrun-build-XXXXXX".utf8CString)
            if let made = mkdtemp(&template) { temporaryDirectory = String(cString: made) }
        }
        defer { if temporaryDirectory != work { try? fileManager.removeItem(atPath: temporaryDirectory) } }
        let start = Date()
        // SIGINT when nbrun dies: swiftc then ends the swift-frontend and linker it started.
        let result: (termination: Subprocess.Termination, stdout: String, stderr: String)
        do {
            result = try Subprocess.capture(toolchain.swiftc, arguments + [sourcePath, "-o", temporaryBinary],
                                            environment: ProcessInfo.processInfo.environment.merging(["TMPDIR": temporaryDirectory]) { $1 },
                                            deathSignal: SIGINT)
        } catch {
            throw EnvironmentError("cannot build \(notebook.path): \(EnvironmentError.reason(error))")
        }
        let seconds = Date().timeIntervalSince(start)
        let output = result.stdout + result.stderr
        let diagnostics = CompilerDiagnostics.parse(output, program: program,
                                                    notebook: notebook, generatedPath: sourcePath, keptPath: keptPath)
        guard result.termination == .exited(0) else {
            var seen: Set<String> = []
            let errors = diagnostics.filter { $0.severity != .warning && seen.insert($0.description).inserted }
            if let failure = Self.environmentFailure(output, errors: errors, notebook: notebook, folder: cacheDirectory) {
                throw EnvironmentError("cannot build \(notebook.path): \(failure)")
            }
            var error = NotebookError(errors)
            error.stage = .compile
            throw error
        }
        if rename(temporaryBinary, binaryPath) != 0 {  // atomic: a concurrent run sees all or nothing
            throw EnvironmentError.fromErrno("build \(notebook.path): cannot store the program at \(binaryPath)")
        }
        guard let lock = BinaryLock(binaryPath) else {
            throw EnvironmentError.fromErrno("build \(notebook.path): cannot open the program at \(binaryPath)")
        }
        Self.removeOlderBinaries(of: name, keeping: key, in: binDirectory)
        // Warnings in the notebook, kept beside the binary so a reused binary still has them.
        // swiftc's emit-module and compile jobs each print them: keep one of each.
        var seen: Set<String> = []
        let warnings = diagnostics.map(Self.explainingErrorCells).filter {
            $0.severity == .warning && $0.file == notebook.path && seen.insert($0.headline).inserted
                && !Self.isArtifactOfCaching($0, program: program) && !Self.isArtifactOfErrorCell($0, notebook: notebook)
        }
        Self.writeWarnings(warnings, to: binaryPath + ".warnings")
        sharedCache?.storeBinary(key: key, binaryPath: binaryPath)
        return Result(program: program, binaryPath: binaryPath, lock: lock, cacheHit: false, compileSeconds: seconds, key: key, warnings: warnings)
    }

    /// Keeps one binary per notebook: drops the ones built from older sources, unless a run holds one.
    static func removeOlderBinaries(of name: String, keeping key: String, in binDirectory: String) {
        let fileManager = FileManager.default
        for old in (try? fileManager.contentsOfDirectory(atPath: binDirectory)) ?? []
        where old.hasPrefix(name + ".") && !old.hasPrefix(name + ".\(key.prefix(16))") {
            let path = binDirectory + "/" + old
            if old.hasSuffix(".warnings") {
                if !fileManager.fileExists(atPath: String(path.dropLast(9))) { try? fileManager.removeItem(atPath: path) }
            } else {
                BinaryLock.removeIfUnused(path)
            }
        }
    }

    /// Why swiftc failed when the reason is the machine's, not the notebook's: an error naming a
    /// system failure (a full disk, a file name too long...) anywhere but at a notebook line, or
    /// no error at a line of the notebook at all. Nil for compile errors in the notebook.
    static func environmentFailure(_ output: String, errors: [Diagnostic], notebook: Notebook, folder: String) -> String? {
        let systemErrors = [ENOSPC, EDQUOT, ENAMETOOLONG, EACCES, EROFS, EIO, EMFILE, ENFILE, ENOMEM].map { String(cString: strerror($0)) }
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let system = lines.first { line in
            line.contains("error: ") && !line.hasPrefix(notebook.path + ":") && systemErrors.contains { line.contains($0) }
        }
        let inNotebook = errors.contains { $0.severity == .error && $0.file == notebook.path && $0.line != nil }
        if system == nil, inNotebook { return nil }
        var reason = system ?? "swiftc failed without an error in the notebook:\n" + output.trimmingWhitespace()
        // A linker writing into a full disk can die of SIGBUS without saying why: the free space does.
        var info = statvfs()
        let spaceReason = String(cString: strerror(ENOSPC))
        if statvfs(folder, &info) == 0, !reason.contains(spaceReason) {
            let free = Int64(info.f_bavail) * Int64(info.f_frsize)
            if free < 16 << 20 { reason += "\n\(spaceReason): only \(free >> 10) KiB free on the disk holding '\(folder)'" }
        }
        return reason
    }

    /// In a cached cell a `var` the cell never changes is returned from a closure: swiftc
    /// says it was never mutated, though later cells may mutate it.
    static func isArtifactOfCaching(_ warning: Diagnostic, program: GeneratedProgram) -> Bool {
        guard warning.message.hasSuffix("was never mutated; consider changing to 'let' constant"),
              let line = warning.line else { return false }
        let cachedCells = program.plan.cachedCells
        return program.regions.contains { region in
            cachedCells.contains(region.cellIndex)
                && (region.markdownLine..<(region.markdownLine + region.lineCount)).contains(line)
        }
    }

    /// An `error: true` cell is wrapped in `do { } catch { }`: its `let`s and `var`s are locals
    /// there, and swiftc says a local is never used or never mutated, which a top-level
    /// value of any other cell is not told.
    static func isArtifactOfErrorCell(_ warning: Diagnostic, notebook: Notebook) -> Bool {
        let message = warning.message
        guard let line = warning.line, message.hasPrefix("initialization of ") || message.hasPrefix("variable '"),
              message.contains("was never used") || message.contains("was never mutated")
                || message.contains("was written to, but never read") else { return false }
        return notebook.cells.contains { $0.options.error && $0.sourceLine(atMarkdownLine: line) != nil }
    }

    /// swiftc's warning about the `catch` nbrun wraps an `error: true` cell in, said in the notebook's terms.
    static func explainingErrorCells(_ diagnostic: Diagnostic) -> Diagnostic {
        guard diagnostic.severity == .warning,
              diagnostic.message.hasPrefix("'catch' block is unreachable because no errors are thrown in 'do' block") else {
            return diagnostic
        }
        var explained = diagnostic
        explained.message = "the cell has 'error: true', but nothing in it throws"
        return explained
    }

    static func writeWarnings(_ warnings: [Diagnostic], to path: String) {
        let objects: [[String: Any]] = warnings.map {
            ["file": $0.file ?? "", "line": $0.line ?? 0, "column": $0.column ?? 0, "message": $0.message,
             "excerpt": $0.excerpt ?? ""]
        }
        if let data = try? JSONSerialization.data(withJSONObject: objects) {
            try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    /// Warnings stored by `writeWarnings`; none if the file is missing or unreadable.
    static func readWarnings(_ path: String) -> [Diagnostic] {
        guard let data = FileManager.default.contents(atPath: path),
              let objects = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return objects.map {
            Diagnostic(file: $0["file"] as? String, line: $0["line"] as? Int, column: $0["column"] as? Int,
                       severity: .warning, message: $0["message"] as? String ?? "",
                       excerpt: ($0["excerpt"] as? String).flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// Bytes a name may take: file systems take 255 bytes per file name, and the name gets a
    /// key, a process id or a suffix such as `.warnings` around it.
    static let maxNameBytes = 96

    /// A file name for a notebook path: `notebooks/x.md` -> `notebooks_x`. A name longer than
    /// `maxNameBytes` in UTF-8 (a Japanese character takes three) keeps its end, in whole
    /// characters, and a hash of the whole name, so two long paths that end alike stay apart.
    static func safeName(_ path: String) -> String {
        let base = path.hasSuffix(".md") ? String(path.dropLast(3)) : path
        let name = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        guard !name.isEmpty else { return "notebook" }
        guard name.utf8.count > maxNameBytes else { return name }
        let hash = String(SHA256.hash(data: Data(name.utf8)).hex.prefix(8))
        var kept = Substring(name)
        while kept.utf8.count > maxNameBytes - hash.count - 1 { kept = kept.dropFirst() }
        return kept + "-" + hash
    }
}

/// A shared `flock` on a built binary, held while a run may start it; a build prunes an old
/// binary only when it can lock it exclusively (nobody is about to run it).
public final class BinaryLock: @unchecked Sendable {
    private let descriptor: Int32

    /// Opens and locks `path` shared; nil when it cannot be opened (it was removed).
    init?(_ path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        while flock(descriptor, LOCK_SH) != 0 && errno == EINTR {}
        // A pruner may have removed it while this waited for the lock.
        var opened = stat(), current = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &current) == 0,
              opened.st_ino == current.st_ino, opened.st_dev == current.st_dev else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Removes `path` (and its warnings) unless a run holds it; the removal happens under the
    /// exclusive lock, so a run cannot take it in between.
    static func removeIfUnused(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return }
        unlink(path)
        unlink(path + ".warnings")
    }
}
