import Foundation

/// Where the prebuilt kernel is, and the compiler flags a notebook program needs to use it.
///
/// The repository root comes from `NBRUN_ROOT`, else from walking up from nbrun's own
/// executable to the folder holding `Package.swift`. The kernel's build folder is
/// `NBRUN_BUILD_DIR` if set, else `<root>/.build/release`.
public struct KernelLocation: Sendable, Equatable {
    public var root: String
    /// The folder holding `libNotebookKernel.so` (SwiftPM's `-c release` output).
    public var buildDirectory: String

    public init(root: String, buildDirectory: String) {
        self.root = root
        self.buildDirectory = buildDirectory
    }

    public var libraryPath: String { buildDirectory + "/libNotebookKernel.so" }

    /// Swift 6 puts `.swiftmodule` files in `Modules`; older toolchains beside the library.
    public var modulesDirectory: String {
        let modules = buildDirectory + "/Modules"
        return FileManager.default.fileExists(atPath: modules + "/NotebookKernel.swiftmodule") ? modules : buildDirectory
    }

    /// The folders of the C modules the kernel imports: system libraries
    /// (`Sources/*/module.modulemap`) and C targets (`Sources/*/include/module.modulemap`).
    public var systemModuleDirectories: [String] {
        let sources = root + "/Sources"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sources)) ?? []
        return names.sorted().flatMap { [sources + "/" + $0, sources + "/" + $0 + "/include"] }
            .filter { FileManager.default.fileExists(atPath: $0 + "/module.modulemap") }
    }

    /// Finds the kernel from the environment and nbrun's own location.
    ///
    /// - Throws: `NotebookError` naming the command to build the kernel when it is missing.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KernelLocation {
        guard let root = environment["NBRUN_ROOT"].flatMap({ $0.isEmpty ? nil : $0 }) ?? findRoot() else {
            throw NotebookError("cannot find the nbrun repository (the folder with Package.swift)",
                                hint: "set NBRUN_ROOT to the repository root")
        }
        let build = environment["NBRUN_BUILD_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? root + "/.build/release"
        let location = KernelLocation(root: root, buildDirectory: absolute(build))
        guard FileManager.default.fileExists(atPath: location.libraryPath),
              FileManager.default.fileExists(atPath: location.modulesDirectory + "/NotebookKernel.swiftmodule") else {
            throw NotebookError("the notebook kernel is not built (no \(location.libraryPath) with its NotebookKernel.swiftmodule)",
                                hint: "run `swift build -c release --product NotebookKernel` in \(root), or bin/nbrun, which builds it")
        }
        return location
    }

    /// Walks up from the running executable's real path to a folder with `Package.swift`.
    static func findRoot() -> String? {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(executable)
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/x")
        for start in candidates {
            var directory = URL(fileURLWithPath: start).resolvingSymlinksInPath().deletingLastPathComponent()
            while directory.path != "/" {
                let package = directory.appendingPathComponent("Package.swift").path
                if FileManager.default.fileExists(atPath: package),
                   let text = try? String(contentsOfFile: package, encoding: .utf8), text.contains("NotebookKernel") {
                    return directory.path
                }
                directory.deleteLastPathComponent()
            }
        }
        return nil
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
