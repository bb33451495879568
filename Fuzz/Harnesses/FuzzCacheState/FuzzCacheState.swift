// libFuzzer harness: the cell cache's differential check on generated notebooks. The input's
// bytes make a small notebook mixing the ways a cache goes stale, and an edit of it
// (`CacheFuzzNotebook`). The harness runs the first version (storing its cached cells), then,
// from the same files, the edited version twice: restoring what it can, and in full
// (`--refresh`). Every cell must print the same and every value the notebook bound must have the
// same content after every cell in both (`StateComparison`, as `nbrun test --rerun` checks). A
// difference, or a run that fails in one and not the other, is a finding: the notebooks and the
// runs' summaries are kept in `output/fuzz/cache-state/finding-<hash>/`, and the input is saved.
//
// It runs `nbrun` (`NBRUN_EXECUTABLE`, else `.build/debug/nbrun` under the current folder, with
// the release kernel beside it): a few seconds per input, so a run of minutes tries tens of them.
import Foundation
@testable import Notebook

private let executable: String = {
    let root = FileManager.default.currentDirectoryPath
    let path = ProcessInfo.processInfo.environment["NBRUN_EXECUTABLE"] ?? root + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: path) else {
        fatalError("cache-state: no nbrun at \(path) (build it, or set NBRUN_EXECUTABLE)")
    }
    return path
}()

private let scratch: String = {
    let folder = NSTemporaryDirectory() + "nbrun-fuzz-cache-state-\(getpid())"
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "nbrun-fuzz-cache-state-\(getpid())") }
    return folder
}()

/// Runs `nbrun` with `arguments` in `directory`; its summary, or nil when it did not write one.
private func nbrun(_ arguments: [String], in directory: String) -> NotebookSummary? {
    let summary = directory + "/summary.json"
    try? FileManager.default.removeItem(atPath: summary)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments + ["--quiet", "--no-embed", "--summary", summary]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var environment = ProcessInfo.processInfo.environment
    environment["NBRUN_ROOT"] = environment["NBRUN_ROOT"] ?? FileManager.default.currentDirectoryPath
    // The fuzzer's AddressSanitizer settings are for this process, not nbrun's.
    environment["ASAN_OPTIONS"] = nil
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { fatalError("cache-state: cannot start \(executable): \(error)") }
    process.waitUntilExit()
    return try? NotebookSummary.read(from: summary)
}

private func copyFolder(_ source: String, to target: String) {
    try? FileManager.default.removeItem(atPath: target)
    try? FileManager.default.copyItem(atPath: source, toPath: target)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCacheState(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let generated = CacheFuzzNotebook(bytes)
    let directory = scratch + "/run"
    try? FileManager.default.removeItem(atPath: directory)
    let files = directory + "/files"
    try? FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
    for (name, text) in generated.files { try? text.write(toFile: "\(files)/\(name)", atomically: true, encoding: .utf8) }
    func write(_ markdown: String) {
        try? markdown.replacingOccurrences(of: "FILES", with: files).write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
    }

    write(generated.first)
    guard let first = nbrun(["nb.md", "-p", "k=\(generated.firstParameter)"], in: directory), first.passed else {
        // A generated notebook that does not run: nothing to compare (the log says why, to fix the generator).
        let why = (try? NotebookSummary.read(from: directory + "/summary.json")).flatMap(\.firstFailure) ?? "no summary"
        FileHandle.standardError.write(Data("cache-state: the first version does not run (\(generated.description)): \(why)\n".utf8))
        return 0
    }
    FileHandle.standardError.write(Data("cache-state: compared \(generated.description)\n".utf8))
    // The files as the first run left them, edited: where both runs of the second version start.
    for (name, text) in generated.edits {
        if let text { try? text.write(toFile: "\(files)/\(name)", atomically: true, encoding: .utf8) } else {
            try? FileManager.default.removeItem(atPath: "\(files)/\(name)")
        }
    }
    copyFolder(files, to: directory + "/files-before")
    write(generated.second)
    let arguments = ["nb.md", "-p", "k=\(generated.secondParameter)", "--state-trace"]
    let restoring = nbrun(arguments, in: directory)
    copyFolder(directory + "/files-before", to: files)
    let full = nbrun(arguments + ["--refresh"], in: directory)

    var finding: String?
    switch (restoring, full) {
    case (nil, _), (_, nil):
        finding = "a run of the second version wrote no summary"
    case (let restoring?, let full?):
        if restoring.passed != full.passed {
            finding = "the restoring run \(restoring.passed ? "passed" : "failed: \(restoring.firstFailure ?? "")"), the full run "
                + (full.passed ? "passed" : "failed: \(full.firstFailure ?? "")")
        } else if full.passed {
            let compared = full.comparing(rerun: restoring)
            if !compared.passed { finding = compared.error }
        }
    }
    guard let finding else { return 0 }
    let name = String(bytes.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }, radix: 16)
    let record = "output/fuzz/cache-state/finding-\(name)"
    try? FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: true)
    try? generated.first.write(toFile: record + "/first.md", atomically: true, encoding: .utf8)
    try? generated.second.write(toFile: record + "/second.md", atomically: true, encoding: .utf8)
    try? "\(generated.description)\n\(finding)\n".write(toFile: record + "/finding.txt", atomically: true, encoding: .utf8)
    fatalError("cache-state: a restored run differs from a full one (\(generated.description)): \(finding)")
}
