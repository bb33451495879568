import Foundation

/// The Swift compiler nbrun calls, and its version (part of the binary cache key).
public struct Toolchain: Sendable, Equatable {
    /// `swiftc`, or `SWIFTC` from the environment.
    public var swiftc: String
    /// First line of `swiftc --version`, e.g. `Swift version 6.3.1 (swift-6.3.1-RELEASE)`.
    public var version: String

    /// Finds swiftc and its version.
    ///
    /// `swiftc --version` takes about 0.3 s, as long as the rest of a warm run, so with a
    /// `cacheDirectory` the answer is remembered for the compiler's resolved path, inode
    /// and size: a different or replaced compiler is a different file, and asks again.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment,
                              cacheDirectory: String? = nil) throws -> Toolchain {
        let swiftc = environment["SWIFTC"].flatMap { $0.isEmpty ? nil : $0 } ?? "swiftc"
        let identity = fileIdentity(of: swiftc, path: environment["PATH"] ?? "")
        let cacheFile = cacheDirectory.map { $0 + "/toolchain" }
        if let identity, let cacheFile, let text = try? String(contentsOfFile: cacheFile, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count >= 2, lines[0] == identity, lines[1].contains("Swift version") {
                return Toolchain(swiftc: swiftc, version: String(lines[1]))
            }
        }
        let toolchain = try ask(swiftc)
        if let identity, let cacheFile, let cacheDirectory {
            try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            try? "\(identity)\n\(toolchain.version)\n".write(toFile: cacheFile, atomically: true, encoding: .utf8)
        }
        return toolchain
    }

    /// `-use-ld=lld` when the toolchain ships `ld.lld` beside `swiftc` (Swift 6 on Linux
    /// does): it links a notebook program in about 40 ms less than the default gold
    /// (measured, 0.47 -> 0.44 s for the whole swiftc call). Empty otherwise.
    public var linkerArguments: [String] {
        guard let compiler = Self.resolve(swiftc, path: ProcessInfo.processInfo.environment["PATH"] ?? "") else { return [] }
        let lld = (compiler as NSString).deletingLastPathComponent + "/ld.lld"
        return FileManager.default.isExecutableFile(atPath: lld) ? ["-use-ld=lld"] : []
    }

    /// The real path of the compiler the driver would run, or nil if not found.
    static func resolve(_ swiftc: String, path: String) -> String? {
        let candidates = swiftc.contains("/") ? [swiftc] : path.split(separator: ":").map { "\($0)/\(swiftc)" }
        for candidate in candidates {
            let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            var info = stat()
            if stat(resolved, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return resolved }
        }
        return nil
    }

    /// `realpath inode size` of the compiler the driver would run, or nil if not found.
    static func fileIdentity(of swiftc: String, path: String) -> String? {
        guard let resolved = resolve(swiftc, path: path) else { return nil }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return nil }
        return "\(resolved) \(info.st_ino) \(info.st_size)"
    }

    /// - Throws: `EnvironmentError`: without a working compiler nothing can be built.
    private static func ask(_ swiftc: String) throws -> Toolchain {
        let result: (termination: Subprocess.Termination, stdout: String, stderr: String)
        do {
            result = try Subprocess.capture(swiftc, ["--version"])
        } catch {
            throw EnvironmentError(EnvironmentError.reason(error),
                                   hint: "install the Swift toolchain and put it on PATH, or name the compiler in SWIFTC")
        }
        let text = result.stdout + result.stderr
        guard result.termination == .exited(0),
              let line = text.split(separator: "\n").first(where: { $0.contains("Swift version") }) else {
            throw EnvironmentError("cannot run \(swiftc): `\(swiftc) --version` failed: \(text.trimmingWhitespace())")
        }
        return Toolchain(swiftc: swiftc, version: line.trimmingWhitespace())
    }

    /// The `-Xcc` flags for the C headers the kernel's system modules include.
    static func cFlags(packages: [String] = ["openblas", "gdlib", "zlib"]) -> [String] {
        guard let result = try? Subprocess.capture("pkg-config", ["--cflags"] + packages),
              result.termination == .exited(0) else { return [] }
        return result.stdout.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }
}
