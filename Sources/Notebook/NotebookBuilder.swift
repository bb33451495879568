import Crypto
import Foundation

/// The build stage: `GeneratedProgram` -> an executable, reused when nothing changed.
///
/// The binary's cache key is the SHA-256 of the generated source, the compiler version,
/// the compile flags and the kernel library's bytes: content, never modification times
/// (DESIGN.md: mtimes miss edits made within the same second). One binary per notebook
/// is kept under `<cache>/bin`.
public struct NotebookBuilder: Sendable {
    public var kernel: KernelLocation
    public var toolchain: Toolchain
    /// Where binaries and generated sources are kept (`<output>/.cache`).
    public var cacheDirectory: String
    /// `false`: always compile (the result is still stored).
    public var reuseBinaries: Bool

    public init(kernel: KernelLocation, toolchain: Toolchain, cacheDirectory: String, reuseBinaries: Bool = true) {
        self.kernel = kernel
        self.toolchain = toolchain
        self.cacheDirectory = cacheDirectory
        self.reuseBinaries = reuseBinaries
    }

    public struct Result: Sendable {
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
        arguments += ["-L", kernel.buildDirectory, "-lNotebookKernel",
                      "-Xlinker", "-rpath", "-Xlinker", kernel.buildDirectory]
        return arguments
    }

    /// SHA-256 of the kernel library's bytes, remembered in `<cache>/kernel-hash` beside the
    /// library's stat data (see `FileDigest`): a rebuilt kernel is hashed again.
    public func kernelHash() throws -> String {
        try FileDigest.sha256(ofFileAt: kernel.libraryPath, memoPath: cacheDirectory + "/kernel-hash")
    }

    /// The binary cache key: SHA-256 of the generated source, the compiler version, the
    /// compile flags and the kernel library's hash.
    func binaryKey(_ program: GeneratedProgram, kernelHash: String, arguments: [String]? = nil) -> String {
        var hasher = SHA256()
        for part in [program.source, toolchain.version, (arguments ?? compilerArguments()).joined(separator: "\u{1}"), kernelHash] {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return hasher.finalize().hex
    }

    /// Builds `program` for `notebook`, or finds the binary built from the same inputs.
    ///
    /// - Parameter kernelHash: `kernelHash()`, when the caller has it already.
    /// - Throws: `NotebookError` with swiftc's errors mapped to `.md` lines.
    public func build(_ program: GeneratedProgram, notebook: Notebook, kernelHash: String? = nil) throws -> Result {
        let arguments = compilerArguments()
        let key = binaryKey(program, kernelHash: try kernelHash ?? self.kernelHash(), arguments: arguments)
        let name = Self.safeName(notebook.path)
        let binDirectory = cacheDirectory + "/bin"
        let binaryPath = "\(binDirectory)/\(name).\(key.prefix(16))"  // names have no dots
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: binDirectory, withIntermediateDirectories: true)
        if reuseBinaries, fileManager.isExecutableFile(atPath: binaryPath), let lock = BinaryLock(binaryPath) {
            return Result(binaryPath: binaryPath, lock: lock, cacheHit: true, compileSeconds: 0, key: key,
                          warnings: Self.readWarnings(binaryPath + ".warnings"))
        }

        // Per process, so that two runs of one notebook (`nbrun test -j`) do not share files.
        let work = "\(cacheDirectory)/build/\(name)-\(getpid())"
        try fileManager.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(atPath: work) }
        let sourcePath = "\(work)/\(name).swift"
        try program.source.write(toFile: sourcePath, atomically: true, encoding: .utf8)
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
        let result = try Subprocess.capture(toolchain.swiftc, arguments + [sourcePath, "-o", temporaryBinary],
                                            environment: ProcessInfo.processInfo.environment.merging(["TMPDIR": temporaryDirectory]) { $1 },
                                            deathSignal: SIGINT)
        let seconds = Date().timeIntervalSince(start)
        let diagnostics = CompilerDiagnostics.parse(result.stdout + result.stderr, program: program,
                                                    notebook: notebook, generatedPath: sourcePath, keptPath: keptPath)
        guard result.termination == .exited(0) else {
            var seen: Set<String> = []
            let errors = diagnostics.filter { $0.severity != .warning && seen.insert($0.description).inserted }
            if errors.contains(where: { $0.severity == .error }) { throw NotebookError(errors) }
            throw NotebookError(file: notebook.path, "swiftc failed:\n" + (result.stdout + result.stderr).trimmingWhitespace())
        }
        if rename(temporaryBinary, binaryPath) != 0 {  // atomic: a concurrent run sees all or nothing
            throw NotebookError("cannot store the built notebook at \(binaryPath): \(String(cString: strerror(errno)))")
        }
        guard let lock = BinaryLock(binaryPath) else {
            throw NotebookError("cannot open the built notebook at \(binaryPath): \(String(cString: strerror(errno)))")
        }
        // Keep one binary per notebook: drop the ones built from older sources, unless a run holds one.
        for old in (try? fileManager.contentsOfDirectory(atPath: binDirectory)) ?? []
        where old.hasPrefix(name + ".") && !old.hasPrefix(name + ".\(key.prefix(16))") {
            let path = binDirectory + "/" + old
            if old.hasSuffix(".warnings") {
                if !fileManager.fileExists(atPath: String(path.dropLast(9))) { try? fileManager.removeItem(atPath: path) }
            } else {
                BinaryLock.removeIfUnused(path)
            }
        }
        // Warnings in the notebook, kept beside the binary so a reused binary still has them.
        // swiftc's emit-module and compile jobs each print them: keep one of each.
        var seen: Set<String> = []
        let warnings = diagnostics.map(Self.explainingErrorCells).filter {
            $0.severity == .warning && $0.file == notebook.path && seen.insert($0.headline).inserted
                && !Self.isArtifactOfCaching($0, program: program) && !Self.isArtifactOfErrorCell($0, notebook: notebook)
        }
        Self.writeWarnings(warnings, to: binaryPath + ".warnings")
        return Result(binaryPath: binaryPath, lock: lock, cacheHit: false, compileSeconds: seconds, key: key, warnings: warnings)
    }

    /// In a cached cell a `var` the cell never changes is returned from a closure: swiftc
    /// says it was never mutated, though later cells may mutate it.
    static func isArtifactOfCaching(_ warning: Diagnostic, program: GeneratedProgram) -> Bool {
        guard warning.message.hasSuffix("was never mutated; consider changing to 'let' constant"),
              let line = warning.line else { return false }
        return program.regions.contains { region in
            program.cachedCells.contains(region.cellIndex)
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

    /// A file name for a notebook path: `notebooks/x.md` -> `notebooks_x`.
    static func safeName(_ path: String) -> String {
        let base = path.hasSuffix(".md") ? String(path.dropLast(3)) : path
        let name = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        return name.isEmpty ? "notebook" : String(name.suffix(80))
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
