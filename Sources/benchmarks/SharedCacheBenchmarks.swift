import Foundation

/// `swift run -c release benchmarks shared-cache`: two clean clones of this repository's HEAD in
/// different folders, sharing one cache server, each running `nbrun test notebooks/` as a CI
/// machine would. The first trains and stores; the second should restore every training cell the
/// first stored, so each notebook takes seconds (goal for the four longest, the training
/// notebooks: <= 5 s each). It prints each clone's kernel identity (`nbrun doctor`: the clones
/// share only when they are the same), whether their kernels' code came out the same, each
/// notebook's seconds in both clones and the cells the second restored of its `cache: true` cells
/// (the badges of its report), and whether the goal holds.
///
/// The server is `NBRUN_CACHE_URL` when set, else an nginx (WebDAV's PUT) this benchmark starts
/// on 127.0.0.1 with a temporary configuration and stops. Each clone builds its own kernel
/// (release); the clones run the `nbrun` tool built here (`NBRUN_BINARY`), each as its own root
/// (`NBRUN_ROOT`), reading the MNIST files of this checkout's `data/` through a link.
func runSharedCacheBenchmarks() throws {
    let root = FileManager.default.currentDirectoryPath
    let environment = ProcessInfo.processInfo.environment
    let nbrun = try nbrunExecutable(root: root, environment: environment)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-shared-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(currentLoad()) (busy machines inflate these)")

    var server: Process?
    let url: String
    if let given = environment["NBRUN_CACHE_URL"], !given.isEmpty {
        url = given
    } else {
        let started = try startNginx(in: directory + "/server")
        server = started.process
        url = started.url
    }
    defer { if let server, server.isRunning { server.terminate(); server.waitUntilExit() } }
    print("cache server: \(url)")

    let recorded = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/notebooks/nbrun-durations.json"))))
        as? [String: Double] ?? [:]
    let training = Set(recorded.sorted { $0.value > $1.value }.prefix(4).map { "notebooks/" + $0.key })

    var times: [[String: Double]] = []
    var identities: [String] = []
    var restored: [String: (restored: Int, cached: Int)] = [:]
    for name in ["first", "second"] {
        let clone = directory + "/" + name
        try command("/usr/bin/env", ["git", "clone", "--quiet", "--no-hardlinks", root, clone], in: root)
        try FileManager.default.createSymbolicLink(atPath: clone + "/data", withDestinationPath: root + "/data")
        var start = DispatchTime.now().uptimeNanoseconds
        try command("/usr/bin/env", ["swift", "build", "-c", "release", "--product", "NotebookKernel"], in: clone)
        report("\(name) clone: kernel built (release)", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, "s", decimals: 1)
        let doctor = try command(nbrun, ["doctor"], in: clone, environment: ["NBRUN_ROOT": clone])
        let identity = doctor.split(separator: "\n").first { $0.hasPrefix("kernel identity: ") }.map(String.init) ?? "kernel identity: (none printed)"
        print("\(name) clone: \(identity)")
        identities.append(identity)
        // The code swiftc made, to see whether the clones' kernels differ where keys no longer look.
        try command("/usr/bin/env", ["objcopy", "--dump-section", ".text=\(directory)/\(name).text",
                                     clone + "/.build/release/libNotebookKernel.so", "\(directory)/\(name).so"], in: directory)
        start = DispatchTime.now().uptimeNanoseconds
        let output = try command(nbrun, ["test", "--cache-url", url, "notebooks/"], in: clone,
                                 environment: ["NBRUN_ROOT": clone, "NBRUN_CACHE_URL": ""])
        report("\(name) clone: nbrun test notebooks/", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, "s", decimals: 1)
        var seconds: [String: Double] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("PASS ") || line.hasPrefix("FAIL ") {
            let parts = line.split(separator: " ")
            guard parts.count >= 3, let value = Double(parts[2].dropFirst()) else { continue }
            seconds[String(parts[1])] = value
            if line.hasPrefix("FAIL ") { print("\(name) clone: \(line)") }
        }
        for warning in output.split(separator: "\n") where warning.contains("warning:") { print("\(name) clone: \(warning)") }
        times.append(seconds)
        if name == "second" {
            for notebook in seconds.keys {
                restored[notebook] = (restoredCells(report: clone + "/output/" + notebookName(notebook) + ".html"),
                                      cachedCells(notebook: clone + "/" + notebook))
            }
        }
    }
    print("kernel identities \(identities.count == 2 && identities[0] == identities[1] ? "the same" : "differ") in the two clones")
    let code = ["first", "second"].map { FileManager.default.contents(atPath: "\(directory)/\($0).text") }
    print("the kernels' code (.text) is \(code[0] != nil && code[0] == code[1] ? "the same" : "not the same") in the two clones")
    var slowest = 0.0
    var allRestored = true
    for notebook in times[1].keys.sorted() {
        let first = times[0][notebook] ?? .nan, second = times[1][notebook] ?? .nan
        let (restoredCount, cachedCount) = restored[notebook] ?? (0, 0)
        print(String(format: "%@: %.1f s in the first clone, %.1f s in the second, %d of %d cached cells restored%@", notebook, first, second,
                     restoredCount, cachedCount, training.contains(notebook) ? " (training notebook, goal <= 5 s)" : ""))
        if training.contains(notebook) {
            slowest = max(slowest, second)
            allRestored = allRestored && cachedCount > 0 && restoredCount == cachedCount
        }
    }
    report("slowest training notebook in the second clone (goal <= 5 s)", slowest, "s", decimals: 1)
    print("goal: the second clone restored every cached cell of the \(training.count) training notebooks and ran each in <= 5 s: "
          + (allRestored && training.count == 4 && slowest <= 5 ? "holds" : "does not hold"))
}

/// `notebooks/mlp-mnist.md` -> `mlp-mnist`, the report's name.
private func notebookName(_ path: String) -> String {
    ((path as NSString).lastPathComponent as NSString).deletingPathExtension
}

/// The cells a report shows as restored from the cache (`HTMLReport`'s badge).
private func restoredCells(report path: String) -> Int {
    let html = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return html.components(separatedBy: "<span class=\"badge cached\"").count - 1
}

/// The cells of a notebook marked `//| cache: true`.
private func cachedCells(notebook path: String) -> Int {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces) == "//| cache: true" }.count
}

/// nginx serving `/cas/` and `/ac/` from `folder/store` on a free port of 127.0.0.1.
private func startNginx(in folder: String) throws -> (process: Process, url: String) {
    guard let executable = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first(where: FileManager.default.isExecutableFile) else {
        throw RunnerBenchmarkError("no nginx: set NBRUN_CACHE_URL, or install it (scripts/setup test-deps)")
    }
    for sub in ["store", "body", "logs"] {
        try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
    }
    // The port nginx binds is chosen by it trying: a few candidates above 20000.
    for attempt in 0..<20 {
        let port = 20000 + Int(getpid() % 20000) + attempt * 7
        let user = getuid() == 0 ? "user \(String(cString: getpwuid(getuid()).pointee.pw_name)) \(String(cString: getgrgid(getgid()).pointee.gr_name));\n" : ""
        try """
        \(user)daemon off;
        pid \(folder)/nginx.pid;
        error_log \(folder)/logs/error.log warn;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path \(folder)/body;
            client_max_body_size 0;
            server {
                listen 127.0.0.1:\(port);
                root \(folder)/store;
                location / { dav_methods PUT; create_full_put_path on; dav_access user:rw; }
            }
        }

        """.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Up when a PUT is answered; gone when the port was taken.
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline {
            if (try? command("/usr/bin/env", ["curl", "-sf", "-X", "PUT", "--data", "up", "http://127.0.0.1:\(port)/probe"], in: folder)) != nil {
                return (process, "http://127.0.0.1:\(port)/")
            }
            usleep(50_000)
        }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
    throw RunnerBenchmarkError("nginx did not start: \((try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? "")")
}

/// Runs `executable arguments` in `directory`; its standard output, or an error with both streams.
@discardableResult
private func command(_ executable: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-bench-command-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: output, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: output) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
        throw RunnerBenchmarkError("\(([executable] + arguments).joined(separator: " ")) exited with \(process.terminationStatus):\n\(text)")
    }
    return text
}
