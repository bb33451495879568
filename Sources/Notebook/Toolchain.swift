import Foundation

/// The Swift compiler nbrun calls, and its version (part of the binary cache key).
public struct Toolchain: Sendable, Equatable {
    /// `swiftc`, or `SWIFTC` from the environment.
    public var swiftc: String
    /// First line of `swiftc --version`, e.g. `Swift version 6.3.1 (swift-6.3.1-RELEASE)`.
    public var version: String

    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Toolchain {
        let swiftc = environment["SWIFTC"].flatMap { $0.isEmpty ? nil : $0 } ?? "swiftc"
        let result: (termination: Subprocess.Termination, stdout: String, stderr: String)
        do {
            result = try Subprocess.capture(swiftc, ["--version"])
        } catch {
            throw NotebookError("cannot run \(swiftc): is the Swift toolchain on PATH?")
        }
        let text = result.stdout + result.stderr
        guard result.termination == .exited(0),
              let line = text.split(separator: "\n").first(where: { $0.contains("Swift version") }) else {
            throw NotebookError("`\(swiftc) --version` failed: \(text.trimmingWhitespace())")
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
