import Foundation
import Testing
@testable import Notebook

/// What the fault tests need: nbrun started in the background with a tag every process it starts
/// inherits, a look at which tagged processes still live, and a small disk to fill.
enum Faults {
    /// The acceptance's bound: after nbrun is killed, none of its children may live longer.
    static let orphanDeadline = 1.0

    /// The environment variable marking the processes of one test: the notebook program and
    /// swiftc (and swiftc's own children) inherit nbrun's environment.
    static let tagVariable = "NBRUN_TEST_TAG"

    /// The live processes (not zombies) whose environment holds `tag`, with their command names
    /// and arguments; only those named `name` when given (a quicker look).
    static func processes(tagged tag: String, named name: String? = nil) -> [(pid: pid_t, name: String, arguments: [String])] {
        let needle = Array("\(tagVariable)=\(tag)".utf8)
        var found: [(pid_t, String, [String])] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid() else { continue }
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (name) S ...": a zombie has ended, it only waits to be reaped.
            let state = stat[stat.index(close, offsetBy: 2)...].first
            guard state != "Z", state != "X" else { continue }
            let open = stat.firstIndex(of: "(").map { stat.index(after: $0) } ?? close
            let command = String(stat[open..<close])
            if let name, command != name { continue }
            guard let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let variables = [UInt8](environment).split(separator: 0)
            guard variables.contains(where: { $0.elementsEqual(needle) }) else { continue }
            let arguments = (FileManager.default.contents(atPath: "/proc/\(entry)/cmdline").map { [UInt8]($0) } ?? [])
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            found.append((pid, command, arguments))
        }
        return found
    }

    /// Polls until no process holds `tag`, for at most `seconds`; returns those still there.
    static func waitUntilGone(tagged tag: String, within seconds: Double = orphanDeadline) -> [(pid: pid_t, name: String, arguments: [String])] {
        let deadline = Date().addingTimeInterval(seconds)
        var left = processes(tagged: tag)
        while !left.isEmpty, Date() < deadline {
            usleep(5_000)
            left = processes(tagged: tag)
        }
        return left
    }

    /// Kills every process holding `tag` (cleaning up after a test that found some).
    static func killAll(tagged tag: String) {
        for process in processes(tagged: tag) { kill(process.pid, SIGKILL) }
    }

    /// Polls `condition` every 5 ms until it holds or `seconds` pass (a safety net that the
    /// caller turns into a failure); returns whether it held.
    @discardableResult
    static func wait(upTo seconds: Double, for condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}

/// `nbrun` running in the background in `folder`, its stderr kept in a file, with a tag in its
/// environment (and so in every process it starts).
///
/// Not Foundation's `Process`: it learns that its child ended when a descriptor the child
/// inherited is closed by every process holding it, so a grandchild that outlives nbrun (the
/// very fault these tests look for) would keep it waiting for ever.
final class BackgroundRun {
    let child: Subprocess
    let log: String
    let tag = UUID().uuidString
    private var ended: Subprocess.Termination?

    init(_ arguments: [String], in folder: String, environment: [String: String] = [:]) throws {
        log = folder + "/stderr-\(tag.prefix(8)).txt"
        _ = try EndToEnd.kernel()
        let nbrun = try #require(EndToEnd.nbrunExecutable())
        let logDescriptor = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(logDescriptor) }
        let environment = ProcessInfo.processInfo.environment
            .merging(environment) { $1 }
            .merging([Faults.tagVariable: tag]) { $1 }
        // env(1) starts nbrun in `folder` (it execs: the pid is nbrun's).
        child = try Subprocess.spawn("/usr/bin/env", ["-C", folder, nbrun] + arguments, environment: environment,
                                     descriptors: [2: logDescriptor], deathSignal: 0)
    }

    var stderr: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    var isRunning: Bool {
        if ended == nil { ended = child.termination() }
        return ended == nil
    }

    /// SIGKILL, and waits for nbrun itself to be gone.
    func killNow() {
        kill(child.pid, SIGKILL)
        if ended == nil { ended = child.wait() }
    }

    /// Waits for nbrun to end (a safety net of `seconds`, then SIGKILL); its exit status, or
    /// 128 + the signal that ended it.
    @discardableResult
    func finish(within seconds: Double = 300) -> Int32 {
        if !Faults.wait(upTo: seconds, for: { !isRunning }) {
            Issue.record("nbrun still running after \(seconds) s:\n\(stderr)")
            killNow()
        }
        switch ended! {
        case .exited(let status): return status
        case .signaled(let signal): return 128 + signal
        }
    }

    deinit {
        if isRunning { killNow() }
        Faults.killAll(tagged: tag)
    }
}

/// A tmpfs of a few megabytes mounted for one test (this needs root, or a machine that lets
/// the test mount one): a disk that fills up. Unmounted when released.
final class SmallDisk {
    let path: String

    /// Mounts a tmpfs of `bytes`, or cancels the test (with the reason) where that is not possible.
    convenience init(bytes: Int) throws {
        var reason = ""
        guard let path = Self.mount(bytes: bytes, reason: &reason) else {
            try Test.cancel("cannot mount a tmpfs to fill up (\(reason)): needs root")
        }
        self.init(mountedAt: path)
    }

    private init(mountedAt path: String) {
        self.path = path
    }

    /// A mounted tmpfs of `bytes`, or nil (and why) where that is not possible.
    static func mountIfPossible(bytes: Int, reason: inout String) -> SmallDisk? {
        mount(bytes: bytes, reason: &reason).map { SmallDisk(mountedAt: $0) }
    }

    private static func mount(bytes: Int, reason: inout String) -> String? {
        guard let path = try? EndToEnd.temporaryDirectory() else { return nil }
        let result = try? Subprocess.capture("mount", ["-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
        guard let result, result.termination == .exited(0) else {
            try? FileManager.default.removeItem(atPath: path)
            reason = result?.stderr.trimmingWhitespace() ?? "mount could not be run"
            return nil
        }
        return path
    }

    /// Bytes still free.
    var free: Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Writes a filler file until about `bytes` are left free.
    func fill(leaving bytes: Int) throws {
        let filler = path + "/.filler-\(UUID().uuidString.prefix(8))"
        FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        defer { try? handle.close() }
        let chunk = Data(count: 4096)
        while free > bytes + chunk.count {
            try handle.write(contentsOf: chunk)
        }
    }

    /// Removes the filler files.
    func empty() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix(".filler-") {
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
    }

    deinit {
        _ = try? Subprocess.capture("umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}
