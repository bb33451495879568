import Foundation

/// `swift run -c release benchmarks runner`: a 10-cell notebook of small cells to HTML,
/// cold (compiled every time, `--no-cache`) and warm (binary reused), next to the compile
/// step alone (from `NBRUN_TRACE=1`'s stage times). Goals from the runner issue: cold
/// <= 1.0 s, warm <= 0.3 s.
///
/// Times the `nbrun` executable as a subprocess, as a user runs it: `NBRUN_BINARY`, else
/// `<repo>/.build/debug/nbrun` (what bin/nbrun builds). This suite does not import
/// Notebook, so the benchmarks need not build swift-syntax in release.
func runRunnerBenchmarks() throws {
    let root = FileManager.default.currentDirectoryPath
    let environment = ProcessInfo.processInfo.environment
    let nbrun = environment["NBRUN_BINARY"] ?? root + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: nbrun) else {
        throw RunnerBenchmarkError("no nbrun at \(nbrun): run `swift build --product nbrun` (or set NBRUN_BINARY)")
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let notebook = directory + "/ten.md"
    try tenCellNotebook.write(toFile: notebook, atomically: true, encoding: .utf8)

    var compileTimes: [Double] = []
    let cold = try medianSeconds(repetitions: 5) {
        let trace = try runNBRun(nbrun, [notebook, "-o", directory + "/out", "--no-cache"], environment: environment)
        if let compile = trace["build"] { compileTimes.append(compile) }
    }
    let warm = try medianSeconds(repetitions: 7) {
        _ = try runNBRun(nbrun, [notebook, "-o", directory + "/out"], environment: environment)
    }
    compileTimes.sort()
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadAverage()) (busy machines inflate these)")
    report("runner cold, 10 cells to HTML (compile + run + report)", cold, "s")
    report("runner warm, 10 cells to HTML (binary reused)", warm, "s")
    if !compileTimes.isEmpty {
        report("runner compile step alone (swiftc -Onone, 10 cells)", compileTimes[compileTimes.count / 2], "s")
    }
}

struct RunnerBenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs nbrun with `NBRUN_TRACE=1`; returns its stage times (`trace: build 0.512 s`).
private func runNBRun(_ nbrun: String, _ arguments: [String], environment: [String: String]) throws -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nbrun)
    process.arguments = arguments
    process.environment = environment.merging(["NBRUN_TRACE": "1"]) { $1 }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw RunnerBenchmarkError("nbrun \(arguments.joined(separator: " ")) failed:\n\(text)")
    }
    var stages: [String: Double] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("trace: ") {
        let parts = line.dropFirst(7).split(separator: " ")
        if parts.count >= 2, let seconds = Double(parts[parts.count - 2]) {
            stages[parts.dropLast(2).joined(separator: " ")] = seconds
        }
    }
    return stages
}

private func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

/// Ten small cells: declarations used later, printing, tensors, a displayed value.
private let tenCellNotebook = (1...10).map { index in
    """
    ## Step \(index)

    Cell \(index) builds on the one before.

    ```swift
    let values\(index) = (0..<\(index * 10)).map { Float($0) * 0.5 }
    let tensor\(index) = Tensor(values\(index))
    print("cell \(index):", values\(index).count, tensor\(index).shape)
    values\(index).reduce(0, +)
    ```
    """
}.joined(separator: "\n\n") + "\n"
