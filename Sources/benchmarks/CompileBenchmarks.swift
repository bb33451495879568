import Foundation

/// `swift run -c release benchmarks compile`: how compile time grows with the number of cells.
/// Notebooks of 10, 100, 400 and 1000 trivial cells (a binding, a print, a displayed value) are
/// compiled by nbrun (`--no-cache`, so each run compiles), and the same cells' code, concatenated
/// after `import NotebookKernel`, by plain swiftc with the very arguments nbrun gave it. Goals:
/// 1000 cells within 1.5x of plain swiftc, 400 cells within 5x of 100.
///
/// swiftc is run through a wrapper (`SWIFTC`) that times it with /usr/bin/time and keeps its
/// arguments: wall time (what a user waits) and CPU time (user + system, steadier on a shared
/// machine), medians of `NBRUN_BENCH_REPETITIONS` runs (default 3). `NBRUN_BENCH_CELLS` sets the
/// sizes (default "10,100,400,1000").
func runCompileBenchmarks() throws {
    let environment = ProcessInfo.processInfo.environment
    let nbrun = environment["NBRUN_BINARY"] ?? FileManager.default.currentDirectoryPath + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: nbrun) else {
        throw RunnerBenchmarkError("no nbrun at \(nbrun): run `swift build --product nbrun` (or set NBRUN_BINARY)")
    }
    let repetitions = max(1, Int(environment["NBRUN_BENCH_REPETITIONS"] ?? "") ?? 3)
    let sizes = (environment["NBRUN_BENCH_CELLS"] ?? "10,100,400,1000").split(separator: ",").compactMap { Int($0) }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-compile-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let wrapper = try SwiftcTimer(directory: directory)
    print(machineLine())

    var nbrunTimes: [Int: SwiftcTimer.Times] = [:], plainTimes: [Int: SwiftcTimer.Times] = [:]
    for count in sizes {
        let notebook = directory + "/cells-\(count).md"
        try trivialCells(count).map { "```swift\n\($0)\n```\n" }.joined(separator: "\n").write(toFile: notebook, atomically: true, encoding: .utf8)
        var runs: [SwiftcTimer.Times] = []
        var arguments: [String] = []
        for _ in 0..<repetitions {
            wrapper.reset()
            _ = try runNBRun(nbrun, [notebook, "-o", directory + "/out", "--no-cache"],
                             environment: environment.merging(["SWIFTC": wrapper.path]) { $1 })
            guard let compile = wrapper.compiles().last else { throw RunnerBenchmarkError("nbrun did not run swiftc") }
            runs.append(compile.times)
            arguments = compile.arguments
        }
        nbrunTimes[count] = SwiftcTimer.Times.median(runs)

        // The same cells, concatenated, with the same arguments but the source and the output.
        let plain = directory + "/plain-\(count).swift"
        try (["import NotebookKernel"] + trivialCells(count)).joined(separator: "\n").write(toFile: plain, atomically: true, encoding: .utf8)
        guard let source = arguments.firstIndex(where: { $0.hasSuffix(".swift") }), let output = arguments.firstIndex(of: "-o") else {
            throw RunnerBenchmarkError("unexpected swiftc arguments: \(arguments)")
        }
        var plainArguments = arguments
        plainArguments[source] = plain
        plainArguments[output + 1] = directory + "/plain-\(count)"
        var plainRuns: [SwiftcTimer.Times] = []
        for _ in 0..<repetitions {
            plainRuns.append(try wrapper.compile(plainArguments))
        }
        plainTimes[count] = SwiftcTimer.Times.median(plainRuns)
        let ours = nbrunTimes[count]!, theirs = plainTimes[count]!
        print(String(format: "%5d cells: nbrun's compile %7.2f s wall %7.2f s CPU; plain swiftc %7.2f s wall %7.2f s CPU; ratio %.2f wall %.2f CPU",
                     count, ours.wall, ours.cpu, theirs.wall, theirs.cpu, ours.wall / theirs.wall, ours.cpu / theirs.cpu))
    }
    if let thousand = nbrunTimes[1000], let plain = plainTimes[1000] {
        report("1000 cells: nbrun's compile / plain swiftc, wall (goal <= 1.5)", thousand.wall / plain.wall, "x", decimals: 2)
        report("1000 cells: nbrun's compile / plain swiftc, CPU (goal <= 1.5)", thousand.cpu / plain.cpu, "x", decimals: 2)
    }
    if let four = nbrunTimes[400], let one = nbrunTimes[100] {
        report("nbrun's compile, 400 cells / 100 cells, wall (goal <= 5)", four.wall / one.wall, "x", decimals: 2)
        report("nbrun's compile, 400 cells / 100 cells, CPU (goal <= 5)", four.cpu / one.cpu, "x", decimals: 2)
    }
    if let four = plainTimes[400], let one = plainTimes[100] {
        report("plain swiftc, 400 cells / 100 cells, CPU (swiftc's own growth, for comparison)", four.cpu / one.cpu, "x", decimals: 2)
    }
}

/// `count` trivial cells: each binds a value, prints it and shows a value computed from it.
func trivialCells(_ count: Int) -> [String] {
    (0..<count).map { "let value\($0) = \($0)\nprint(\"cell\", value\($0))\nvalue\($0) * 2" }
}

/// A `swiftc` stand-in that runs the real one under /usr/bin/time and records each call's
/// arguments and times in a log.
struct SwiftcTimer {
    let path: String
    let log: String

    struct Times {
        var wall: Double
        var cpu: Double

        static func median(_ runs: [Times]) -> Times {
            func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            return Times(wall: middle(runs.map(\.wall)), cpu: middle(runs.map(\.cpu)))
        }
    }

    init(directory: String) throws {
        path = directory + "/swiftc-timer"
        log = directory + "/swiftc-timer.log"
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
            throw RunnerBenchmarkError("/usr/bin/time is needed (Debian package time)")
        }
        // One record per call: a line of arguments (NUL-separated), then /usr/bin/time's line.
        try """
        #!/bin/sh
        printf 'ARGS' >> '\(log)'; for a in "$@"; do printf '\\0%s' "$a" >> '\(log)'; done; printf '\\n' >> '\(log)'
        exec /usr/bin/time -a -o '\(log)' -f 'TIME %e %U %S' swiftc "$@"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    func reset() { try? FileManager.default.removeItem(atPath: log) }

    /// The calls that compiled (not `swiftc --version`), in order.
    func compiles() -> [(arguments: [String], times: Times)] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        var calls: [(arguments: [String], times: Times)] = []
        var arguments: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("ARGS") {
                arguments = line.dropFirst(4).split(separator: "\0", omittingEmptySubsequences: false).dropFirst().map(String.init)
            } else if line.hasPrefix("TIME "), arguments.contains("-o") {
                let parts = line.split(separator: " ").compactMap { Double($0) }
                if parts.count == 3 { calls.append((arguments, Times(wall: parts[0], cpu: parts[1] + parts[2]))) }
            }
        }
        return calls
    }

    /// Runs swiftc with `arguments` through the timer.
    func compile(_ arguments: [String]) throws -> Times {
        reset()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let times = compiles().last?.times else {
            throw RunnerBenchmarkError("swiftc \(arguments.joined(separator: " ")) failed")
        }
        return times
    }
}
