import Foundation

/// `swift run -c release benchmarks notebooks`: each notebook of `notebooks/` (or those named in
/// `NBRUN_BENCH_NOTEBOOKS`, comma-separated) run in full once (`--refresh`: its cached cells
/// train and are stored), then unchanged three times: the median of those re-runs (goal <= 2.5 s
/// each), whether every cached cell was restored, and whether every cell printed and showed the
/// same bits as in the full run. A last re-run traces every value's content after each cell and
/// compares it with the full run's (the differential check of `nbrun test --rerun`).
func runNotebookCacheBenchmarks() throws {
    let root = FileManager.default.currentDirectoryPath
    let environment = ProcessInfo.processInfo.environment
    let nbrun = try nbrunExecutable(root: root, environment: environment)
    let all = try FileManager.default.contentsOfDirectory(atPath: root + "/notebooks").filter { $0.hasSuffix(".md") }.sorted()
    let names = environment["NBRUN_BENCH_NOTEBOOKS"].map { $0.split(separator: ",").map(String.init) } ?? all
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-notebooks-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(currentLoad()) (busy machines inflate these)")
    var slowest = 0.0
    for name in names {
        let notebook = root + "/notebooks/" + name, output = directory + "/" + name
        let summary = directory + "/summary.json"
        var start = DispatchTime.now().uptimeNanoseconds
        _ = try runNBRun(nbrun, [notebook, "-o", output, "--refresh", "--state-trace", "--summary", summary], environment: environment)
        let full = try SummaryCells(path: summary)
        report("\(name): full run (cached cells run and stored)", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, "s", decimals: 1)
        var restored: [SummaryCells] = []
        let again = try medianSeconds(repetitions: 3) {
            _ = try runNBRun(nbrun, [notebook, "-o", output, "--summary", summary], environment: environment)
            restored.append(try SummaryCells(path: summary))
        }
        slowest = max(slowest, again)
        report("\(name): second run unchanged (goal <= 2.5 s)", again, "s")
        let cached = try String(contentsOfFile: notebook, encoding: .utf8).split(separator: "\n").filter { $0 == "//| cache: true" }.count
        let allRestored = restored.allSatisfy { run in run.cells.filter(\.cached).count == cached }
        let sameOutputs = restored.allSatisfy { run in run.cells.map(\.outputDigest) == full.cells.map(\.outputDigest) }
        print("\(name): \(cached) cached cell\(cached == 1 ? "" : "s") restored every time: \(allRestored ? "yes" : "NO"); "
              + "outputs bit-identical to the full run's: \(sameOutputs ? "yes" : "NO")")
        start = DispatchTime.now().uptimeNanoseconds
        _ = try runNBRun(nbrun, [notebook, "-o", output, "--state-trace", "--summary", summary], environment: environment)
        let traced = try SummaryCells(path: summary)
        let difference = zip(full.cells, traced.cells).enumerated().first { _, pair in pair.0.state != pair.1.state }
        print("\(name): every value the same after every cell as in the full run: "
              + (difference.map { "NO (after cell \($0.offset + 1))" } ?? "yes"))
    }
    report("slowest unchanged second run", slowest, "s")
}

/// `swift run -c release benchmarks cache-stress`: `NBRUN_STRESS_ROUNDS` rounds (default 40) of
/// four `nbrun` runs at once of one notebook, each with its own `-p`: every run passes, prints
/// no warning, and every entry is stored (none lost to another run's cleaning).
func runCacheStressBenchmarks() throws {
    let root = FileManager.default.currentDirectoryPath
    let environment = ProcessInfo.processInfo.environment
    let nbrun = try nbrunExecutable(root: root, environment: environment)
    let rounds = Int(environment["NBRUN_STRESS_ROUNDS"] ?? "") ?? 40
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-stress-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
    ---
    params:
      n: 1
    ---

    ```swift
    //| cache: true
    let weights = Tensor.ones([256, 256]) * Float(n)
    let total = weights.sum().scalar
    ```

    ```swift
    //| cache: true
    let scaled = weights * 2
    print(total, scaled.shape)
    ```
    """.write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
    var failures: [String] = [], warnings: [String] = []
    let start = DispatchTime.now().uptimeNanoseconds
    for round in 0..<rounds {
        let runs = try (0..<4).map { job -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: nbrun)
            process.arguments = ["nb.md", "-p", "n=\(round * 4 + job)", "--output-name", "nb-\(job)", "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.environment = environment
            let errors = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errors
            try process.run()
            return (process, errors)
        }
        for (job, (process, errors)) in runs.enumerated() {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if process.terminationStatus != 0 { failures.append("round \(round), run \(job): status \(process.terminationStatus)\n\(text)") }
            for line in text.split(separator: "\n") where line.contains("warning") { warnings.append("round \(round), run \(job): \(line)") }
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let cells = directory + "/output/.cache/cells"
    let entries = try FileManager.default.contentsOfDirectory(atPath: cells).filter { name in
        !name.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(cells)/\(name)/manifest.json")
    }
    let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: cells + "/.staging")) ?? []
    print("cache stress: \(rounds) rounds of 4 concurrent runs with different -p in \(String(format: "%.0f", seconds)) s")
    print("cache stress: runs failed: \(failures.count)")
    print("cache stress: warnings: \(warnings.count)")
    print("cache stress: entries stored: \(entries.count) of \(rounds * 4 * 2) expected")
    print("cache stress: staging folders left: \(leftovers.count)")
    for line in (failures + warnings).prefix(10) { print("  " + line) }
    if !failures.isEmpty || !warnings.isEmpty || entries.count != rounds * 4 * 2 {
        throw RunnerBenchmarkError("the cache lost entries or warned")
    }
}

/// What the benchmarks read of a `--summary` file.
private struct SummaryCells {
    struct Cell {
        var cached: Bool
        var outputDigest: String?
        var state: String?
    }
    var cells: [Cell]

    init(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        let cells = object?["cells"] as? [[String: Any]] ?? []
        self.cells = cells.map { cell in
            let state = (cell["state"] as? [[String: Any]]).map { values in
                values.filter { $0["nondeterministic"] == nil }.map { "\($0["name"] ?? "")=\($0["digest"] ?? "-")" }.joined(separator: ",")
            }
            return Cell(cached: cell["cached"] as? Bool ?? false, outputDigest: cell["outputDigest"] as? String, state: state)
        }
    }
}

func nbrunExecutable(root: String, environment: [String: String]) throws -> String {
    let nbrun = environment["NBRUN_BINARY"] ?? root + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: nbrun) else {
        throw RunnerBenchmarkError("no nbrun at \(nbrun): run `swift build --product nbrun` (or set NBRUN_BINARY)")
    }
    return nbrun
}

func currentLoad() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}
