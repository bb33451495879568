import Foundation

/// `swift run -c release benchmarks large` (also part of `runner`): a 3 MB notebook of prose with
/// 50,000 math spans, run by the `nbrun` users run (`NBRUN_BINARY`, else `.build/debug/nbrun`):
/// the parse and the report stages (from `NBRUN_TRACE=1`), the goal being <= 2 s for both
/// together, and the whole run with its binary reused. A run over `NBRUN_BENCH_TIMEOUT` seconds
/// (default 600) is stopped (SIGTERM, then SIGKILL) and reported as such. Then how soon Ctrl-C
/// stops nbrun (goal <= 0.5 s): at three points of the parse of a 30 MB notebook (after its
/// 100th, 500th and 1000th check, as the trace says), and while swift-syntax parses a cell that
/// takes it minutes.
func runLargeNotebookBenchmarks() throws {
    let environment = ProcessInfo.processInfo.environment
    let nbrun = environment["NBRUN_BINARY"] ?? FileManager.default.currentDirectoryPath + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: nbrun) else {
        throw RunnerBenchmarkError("no nbrun at \(nbrun): run `swift build --product nbrun` (or set NBRUN_BINARY)")
    }
    let timeout = Double(environment["NBRUN_BENCH_TIMEOUT"] ?? "") ?? 600
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-large-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (text, spans) = largeNotebook(bytes: 3_000_000)
    let path = directory + "/large.md"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    print("large notebook: \(text.utf8.count) bytes, \(spans) math spans")

    var parse: [Double] = [], render: [Double] = [], whole: [Double] = []
    for repetition in 0..<4 {
        let start = DispatchTime.now().uptimeNanoseconds
        guard let stages = try runNBRun(nbrun, [path, "-o", directory + "/out"], timeout: timeout) else {
            print("large notebook: nbrun did not finish within \(Int(timeout)) s (stopped)")
            return
        }
        guard repetition > 0 else { continue }  // the first run compiles
        whole.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        if let seconds = stages["parse"] { parse.append(seconds) }
        if let seconds = stages["report"] { render.append(seconds) }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    report("large notebook (3 MB, 50k math spans): parse", median(parse), "s")
    report("large notebook (3 MB, 50k math spans): report", median(render), "s")
    report("large notebook (3 MB, 50k math spans): parse + report (goal <= 2 s)", median(parse) + median(render), "s")
    report("large notebook (3 MB, 50k math spans): whole run, binary reused", median(whole), "s")

    let huge = directory + "/huge.md"
    try largeNotebook(bytes: 30_000_000).text.write(toFile: huge, atomically: true, encoding: .utf8)
    for checks in [100, 500, 1000] {
        guard let seconds = try secondsToStop(nbrun, [huge, "-o", directory + "/out"], after: "trace: parse checked \(checks) times") else {
            print("Ctrl-C after the parse's \(checks)th check: the parse ended first")
            continue
        }
        report("Ctrl-C after the parse's \(checks)th check (30 MB notebook): stopped in (goal <= 0.5 s)", seconds, "s")
    }
    let brackets = directory + "/brackets.md"
    try ("```swift\nlet x: Int = " + String(repeating: "[", count: 24) + "\n```\n").write(toFile: brackets, atomically: true, encoding: .utf8)
    if let seconds = try secondsToStop(nbrun, [brackets, "-o", directory + "/out"], after: "trace: plan begins") {
        report("Ctrl-C while swift-syntax parses a cell: stopped in (goal <= 0.5 s)", seconds, "s")
    }
}

/// Runs nbrun with `NBRUN_TRACE=1`, sends SIGINT when it prints `line`, and returns the seconds
/// until it exited (nil if it exited before printing the line).
func secondsToStop(_ nbrun: String, _ arguments: [String], after line: String) throws -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nbrun)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(["NBRUN_TRACE": "1"]) { $1 }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    var seen = ""
    var sent: UInt64?
    let handle = errors.fileHandleForReading
    while sent == nil {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        seen += String(decoding: chunk, as: UTF8.self)
        if seen.contains(line + "\n") {
            sent = DispatchTime.now().uptimeNanoseconds
            kill(process.processIdentifier, SIGINT)
        }
    }
    _ = handle.readDataToEndOfFile()
    process.waitUntilExit()
    guard let sent else { return nil }
    return Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e9
}

/// About `bytes` of Markdown: paragraphs with two math spans each (inline and display),
/// emphasis, code, a link and a dollar that opens nothing; a heading every 50 paragraphs; one cell.
func largeNotebook(bytes: Int) -> (text: String, spans: Int) {
    var text = "---\ntitle: A large notebook\n---\n\n# Large\n\n```swift\nprint(\"one cell\")\n```\n\n"
    text.reserveCapacity(bytes + 256)
    var spans = 0
    var index = 0
    while text.utf8.count < bytes {
        if index % 50 == 0 { text += "## Section \(index / 50)\n\n" }
        text += "Term \(index): $x_{\(index)} * w$ with *emphasis*, `code`, [a link](https://example.com/\(index)), $$\\sum_i w_i$$ and $5.\n\n"
        spans += 2
        index += 1
    }
    return (text, spans)
}

