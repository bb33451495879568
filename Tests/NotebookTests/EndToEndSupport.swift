import Crypto
import Foundation
import Testing
@testable import Notebook

/// Helpers for tests that compile and run notebooks against the release kernel.
///
/// They need `swift build -c release --product NotebookKernel` first (or `NBRUN_BUILD_DIR`
/// pointing at a kernel built elsewhere); without it they fail with that instruction.
enum EndToEnd {
    /// A fresh folder for one test's notebooks and reports.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes each file of `files` (path inside `folder` -> text), making the folders it names.
    static func write(_ files: [String: String], under folder: String) throws {
        for (name, text) in files {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// The kernel, or an error saying how to build it.
    static func kernel() throws -> KernelLocation {
        do {
            return try KernelLocation.locate()
        } catch let error as NotebookError {
            Issue.record("end-to-end tests need the release kernel: \(error.description)")
            throw error
        }
    }

    /// Writes `markdown` to `<dir>/<name>.md` and runs it.
    static func run(_ markdown: String, name: String = "nb", in directory: String? = nil,
                    configure: (inout RunOptions) -> Void = { _ in }) throws -> (NotebookRun, html: String) {
        let directory = try directory ?? temporaryDirectory()
        let path = "\(directory)/\(name).md"
        try markdown.write(toFile: path, atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.outputDirectory = directory + "/output"
        options.kernel = try kernel()
        configure(&options)
        let run = try runNotebook(path: path, options: options)
        let html = try run.reportPath.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        return (run, html)
    }

    /// The path of the one file beside a report named `BASE-HASH.EXT` in `folder` (`HTMLReport`
    /// names each file after its content).
    static func fileBeside(in folder: String, _ base: String, extension fileExtension: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasPrefix(base + "-") && $0.hasSuffix("." + fileExtension) && $0.count == base.count + 10 + fileExtension.count }
        return folder + "/" + (try #require(names.count == 1 ? names.first : nil, "\(base)-*.\(fileExtension) in \(names)"))
    }

    /// The name `HTMLReport` gives the file of `data`: `BASE-` and eight hex digits of its SHA-256.
    static func contentName(_ base: String, _ data: Data, extension fileExtension: String) -> String {
        "\(base)-\(SHA256.hash(data: data).hex.prefix(8)).\(fileExtension)"
    }

    /// The `nbrun` executable built beside the test bundle.
    static func nbrunExecutable() -> String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("nbrun").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// Starts `nbrun arguments` in `directory` without waiting (to signal it mid-run), writing one
    /// stream (`.standardOutput` or `.standardError`, by `logsStandardError`) to `log`, the other
    /// to /dev/null.
    static func startNBRun(_ arguments: [String], in directory: String, log: String, logsStandardError: Bool) throws -> Process {
        let executable = try #require(nbrunExecutable())
        _ = try kernel()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = logsStandardError ? FileHandle.nullDevice : logHandle
        process.standardError = logsStandardError ? logHandle : FileHandle.nullDevice
        try process.run()
        return process
    }

    /// What a run of the `nbrun` executable printed, and its exit status.
    struct CommandResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the `nbrun` executable built beside the tests with `arguments`, in `directory`
    /// (the current one when nil). stderr is read on another thread so that neither pipe can
    /// fill up and stall the child while the other is read.
    static func nbrun(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws -> CommandResult {
        let executable = try #require(nbrunExecutable(), "nbrun is not built beside the tests")
        _ = try kernel()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = ReadInBackground(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on another thread.
final class ReadInBackground: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }
    func wait() -> Data { done.wait(); return data }
}
