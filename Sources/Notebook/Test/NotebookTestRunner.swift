import Foundation

/// `nbrun test`: every notebook a test, its cells the steps (as nbval and nbmake do for
/// Jupyter). Each notebook runs in its own `nbrun` child process, up to `jobs` at once, so a
/// crash, a hang or a runaway allocation in one cannot disturb another; the child writes a
/// `NotebookSummary` that this side collects into the console lines and JUnit XML.
public struct NotebookTestRunner: Sendable {
    public struct Options: Sendable {
        /// Notebooks at once.
        public var jobs = 1
        /// Reports go to DIR/NAME.html (DIR/FOLDER/NAME.html when two notebooks share a name).
        public var outputDirectory = "output"
        /// Seconds per notebook, passed to each run (which names the cell it stopped in).
        public var timeout: Double?
        /// Applied to every notebook that declares the parameter.
        public var parameters: [(name: String, value: String)] = []
        public var noCache = false
        /// The differential check: run each notebook in full (`--refresh`), then again restoring its
        /// cached cells, both tracing the content of every value after each cell; fail it if any
        /// cell's output or any value differs (`NotebookSummary.comparing(rerun:)`).
        public var rerun = false
        /// The shared cache server each notebook's run uses (`--cache-url`).
        public var cacheURL: URL?
        /// Compare each notebook with its golden outputs, or record them (`--update-golden`).
        public var golden: GoldenOutputs.Mode = .compare
        public init() {}
    }

    /// The `nbrun` executable that runs each notebook.
    public var executable: String
    public var options: Options

    public init(executable: String, options: Options) {
        self.executable = executable
        self.options = options
    }

    /// The notebooks under `paths`: files as given, folders searched recursively for `.md` files
    /// holding at least one Swift cell (a README without cells is not a test), sorted.
    ///
    /// The search can only err towards running: a file that cannot be read or parsed is a
    /// notebook (its run fails with the reason), and so is one with a ```swift fence the parser
    /// did not take as a cell. Only a file that parses, without a cell or a fence, is left out.
    /// - Throws: `NotebookError` for a path that does not exist or a folder without notebooks.
    public static func discover(_ paths: [String]) throws -> [String] {
        var found: [String] = []
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) || isSymbolicLink(path) else {
                throw NotebookError(file: path, "no such file or folder", hint: "give notebooks (.md) or folders holding them")
            }
            if !isDirectory.boolValue {
                found.append(path)
                continue
            }
            var inFolder: [String] = []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            if let walker = fileManager.enumerator(atPath: path) {
                while let relative = walker.nextObject() as? String {
                    let name = (relative as NSString).lastPathComponent
                    if name.hasPrefix(".") || name == "output" { walker.skipDescendants(); continue }
                    guard relative.hasSuffix(".md") else { continue }
                    let file = base + "/" + relative
                    if isNotebook(file) { inFolder.append(file) }
                }
            }
            if inFolder.isEmpty {
                throw NotebookError(file: path, "no notebooks found (no .md file with a ```swift cell)")
            }
            found += inFolder.sorted()
        }
        var seen = Set<String>()
        return found.filter { seen.insert($0).inserted }
    }

    /// Whether a `.md` file found in a folder is a test: anything but a readable, parsable file
    /// without a Swift cell or fence (a folder named `x.md` is not a file, and not a test).
    static func isNotebook(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return false }
        guard let data = FileManager.default.contents(atPath: path) else { return true }
        do {
            _ = try NotebookParser.parse(fileAt: path)
            return true
        } catch let error as NotebookError where error.diagnostics.first?.message == NotebookParser.noCellsMessage {
            return hasSwiftFence(data)
        } catch {
            return true
        }
    }

    /// A line opening a fenced block of Swift (up to three spaces, three backticks or tildes, `swift`).
    static func hasSwiftFence(_ data: Data) -> Bool {
        String(decoding: data, as: UTF8.self).split(separator: "\n").contains { line in
            let indented = line.prefix { $0 == " " }.count
            guard indented <= 3 else { return false }
            let rest = line.dropFirst(indented)
            guard rest.hasPrefix("```") || rest.hasPrefix("~~~") else { return false }
            let info = rest.drop { $0 == "`" || $0 == "~" }.drop { $0 == " " || $0 == "{" }.lowercased()
            return info.hasPrefix("swift")
        }
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }

    /// Checks each `-p` name is declared by at least one notebook, and returns each notebook's
    /// own subset. Notebooks that cannot be parsed get none (their run reports the problem).
    public func parameters(for notebooks: [String]) throws -> [String: [(name: String, value: String)]] {
        var declared: [String: Set<String>] = [:]
        for path in notebooks {
            declared[path] = Set((try? NotebookParser.parse(fileAt: path))?.parameters.map(\.name) ?? [])
        }
        let all = declared.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        for parameter in options.parameters where !all.contains(parameter.name) {
            throw NotebookError("-p \(parameter.name): no notebook declares a parameter named '\(parameter.name)'",
                                hint: "parameters come from the notebooks' front matter (params:)")
        }
        return declared.mapValues { names in options.parameters.filter { names.contains($0.name) } }
    }

    /// Runs `notebooks`, calling `finished` (serialised) as each completes; returns the
    /// summaries in the order of `notebooks`.
    public func run(_ notebooks: [String], finished: @escaping @Sendable (NotebookSummary) -> Void) throws -> [NotebookSummary] {
        let parameters = try parameters(for: notebooks)
        let outputs = Self.outputDirectories(for: notebooks, root: options.outputDirectory)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let results = ResultBox(count: notebooks.count)
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: max(1, options.jobs))
        let report = NSLock()
        // Each child runs in its own process group, out of reach of the terminal's Ctrl-C:
        // pass it on, so that each stops its program and writes its report, and start no more.
        InterruptWatch.reset()
        let interruption = InterruptWatch.install()
        defer { interruption.remove() }
        let children = Children()
        Thread.detachNewThread {
            while !children.finished {
                if interruption.fired { children.interrupt() }
                usleep(50_000)
            }
        }
        defer { children.finished = true }
        for (index, path) in notebooks.enumerated() {
            slots.wait()
            if interruption.fired {
                let summary = NotebookSummary(path: path, exitCode: ExitStatus.interrupted, seconds: 0, cells: [], error: "\(path): not run (interrupted)")
                results.set(index, summary)
                report.lock()
                finished(summary)
                report.unlock()
                slots.signal()
                continue
            }
            group.enter()
            var arguments = childArguments(path: path, output: outputs[index], parameters: parameters[path] ?? [],
                                           summary: "\(scratch)/\(index).json")
            if options.rerun { arguments.append("--state-trace") }
            let log = "\(scratch)/\(index).log"
            Thread.detachNewThread { [executable, options, arguments] in
                let first = options.rerun && !options.noCache ? arguments + ["--refresh"] : arguments
                var summary = Self.runChild(executable, first, path: path, summaryPath: "\(scratch)/\(index).json",
                                            logPath: log, timeout: options.timeout, children: children)
                if options.rerun, summary.passed {
                    let again = Self.runChild(executable, arguments, path: path, summaryPath: "\(scratch)/\(index).json",
                                              logPath: log, timeout: options.timeout, children: children)
                    summary = summary.comparing(rerun: again)
                }
                results.set(index, summary)
                report.lock()
                finished(summary)
                report.unlock()
                slots.signal()
                group.leave()
            }
        }
        group.wait()
        return results.values
    }

    func childArguments(path: String, output: String, parameters: [(name: String, value: String)], summary: String) -> [String] {
        var arguments = [path, "-o", output, "--summary", summary]
        for parameter in parameters { arguments += ["-p", "\(parameter.name)=\(parameter.value)"] }
        if let timeout = options.timeout { arguments += ["--timeout", String(timeout)] }
        if options.noCache { arguments.append("--no-cache") }
        if let url = options.cacheURL { arguments += ["--cache-url", url.absoluteString] }
        arguments += ["--golden", options.golden.rawValue]
        return arguments
    }

    /// DIR for each notebook, or DIR/FOLDER when its file name is shared with another.
    static func outputDirectories(for notebooks: [String], root: String) -> [String] {
        let names = notebooks.map { ($0 as NSString).lastPathComponent }
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        return notebooks.enumerated().map { index, path in
            guard counts[names[index]]! > 1 else { return root }
            let folder = (path as NSString).deletingLastPathComponent
            let cleaned = folder.split(separator: "/").filter { $0 != "." && $0 != ".." }.joined(separator: "/")
            return cleaned.isEmpty ? root : root + "/" + cleaned
        }
    }

    /// Runs one notebook in a child `nbrun`, its console output to `logPath`. A child that dies
    /// without a summary (or outlives its time limit by two minutes: a hung compiler) still
    /// yields a failed summary holding the end of its output.
    ///
    /// The child leads its own process group (the terminal's Ctrl-C comes here, and is passed
    /// on), and dies with this process (`Subprocess`), taking its program and compiler with it.
    static func runChild(_ executable: String, _ arguments: [String], path: String, summaryPath: String,
                         logPath: String, timeout: Double?, children: Children? = nil) -> NotebookSummary {
        let start = Date()
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let child: Subprocess
        do {
            defer { if log >= 0 { close(log) } }
            guard log >= 0 else { throw NotebookError("cannot write \(logPath): \(String(cString: strerror(errno)))") }
            child = try Subprocess.spawn(executable, arguments, descriptors: [1: log, 2: log], newProcessGroup: true)
        } catch {
            return NotebookSummary(path: path, exitCode: ExitStatus.environment, seconds: 0, cells: [],
                                   error: "\(path): \(EnvironmentError.reason(error))", errorKind: .environment)
        }
        children?.add(child.pid)
        defer { children?.remove(child.pid) }
        let watchdog = Watchdog()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: DispatchTime.now() + timeout + 120) {
                watchdog.fire { kill(child.pid, SIGKILL) }
            }
        }
        // Wait without reaping first: the watchdog must never signal a pid that was reused.
        var info = siginfo_t()
        while waitid(P_PID, id_t(child.pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        watchdog.childEnded()
        let termination = child.wait()
        if var summary = try? NotebookSummary.read(from: summaryPath) {
            summary.path = path
            if summary.error != nil { summary.seconds = Date().timeIntervalSince(start) }   // a compile error: time the compile
            return summary
        }
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let tail = output.split(separator: "\n").suffix(20).joined(separator: "\n")
        let reason: String, status: Int32
        switch termination {
        case _ where watchdog.fired:
            (reason, status) = ("killed after exceeding its time limit by two minutes", ExitStatus.failure)
        case .exited(let code):
            (reason, status) = ("nbrun exited with status \(code) without a result", code == 0 ? ExitStatus.failure : code)
        case .signaled(let signal):
            (reason, status) = ("nbrun was stopped by signal \(signal) (\(String(cString: strsignal(signal)))) without a result", ExitStatus.failure)
        }
        return NotebookSummary(path: path, exitCode: status, seconds: Date().timeIntervalSince(start), cells: [],
                               error: "\(path): \(reason)\n\(tail)")
    }
}

/// The running child `nbrun`s, to pass Ctrl-C on to (set from worker threads and a watcher).
final class Children: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Set<pid_t> = []
    private var interrupted = false
    private var done = false

    /// Set when every notebook has run: the watcher stops.
    var finished: Bool {
        get { lock.lock(); defer { lock.unlock() }; return done }
        set { lock.lock(); done = newValue; lock.unlock() }
    }

    func add(_ pid: pid_t) {
        lock.lock(); defer { lock.unlock() }
        running.insert(pid)
        if interrupted { kill(pid, InterruptWatch.signal) }
    }

    func remove(_ pid: pid_t) {
        lock.lock(); running.remove(pid); lock.unlock()
    }

    /// Sends each running child the signal this process got (SIGINT, SIGTERM...), once.
    func interrupt() {
        lock.lock(); defer { lock.unlock() }
        guard !interrupted else { return }
        interrupted = true
        for pid in running { kill(pid, InterruptWatch.signal) }
    }
}

/// Whether the watchdog killed a child (set on a timer thread, read after the child exits).
private final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var killed = false
    private var ended = false

    /// Runs `kill` unless the child has ended.
    func fire(_ kill: () -> Void) {
        lock.lock(); defer { lock.unlock() }
        guard !ended else { return }
        killed = true
        kill()
    }

    func childEnded() {
        lock.lock(); ended = true; lock.unlock()
    }

    var fired: Bool {
        lock.lock(); defer { lock.unlock() }
        return killed
    }
}

/// Results filled in by worker threads.
private final class ResultBox: @unchecked Sendable {
    private var slots: [NotebookSummary?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: NotebookSummary) {
        lock.lock(); slots[index] = value; lock.unlock()
    }
    var values: [NotebookSummary] {
        lock.lock(); defer { lock.unlock() }
        return slots.map { $0! }
    }
}
