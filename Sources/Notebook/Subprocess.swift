import CChildProcess
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process that cannot outlive nbrun, with chosen pipes as its file descriptors.
///
/// Foundation's `Process` cannot hand a child an extra descriptor (the runner's event pipe is
/// the child's fd 3), and neither it nor `posix_spawn` can ask the kernel to end the child when
/// nbrun ends: a notebook program in an endless loop, or swiftc, would run on for ever after
/// nbrun was killed (SIGKILL leaves no chance to clean up). So children are started by
/// `nbrun_spawn` (CChildProcess), which sets PR_SET_PDEATHSIG between fork and exec.
///
/// The signal comes when the *thread* that started the child ends: start a child on the
/// thread that waits for it (every caller here does).
struct Subprocess {
    let pid: pid_t

    /// How a child ended.
    enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)

        init(waitStatus status: Int32) {
            if status & 0x7f == 0 {
                self = .exited((status >> 8) & 0xff)
            } else {
                self = .signaled(status & 0x7f)
            }
        }
    }

    /// Starts `executable` (searched in `PATH` when it has no `/`).
    ///
    /// - Throws: `EnvironmentError` ("cannot start X: reason") when it cannot be started.
    ///
    /// - Parameters:
    ///   - descriptors: child fd -> parent fd to give it; fds 0, 1, 2 not listed get /dev/null.
    ///   - deathSignal: what the child gets when nbrun ends. SIGKILL, but SIGINT for a driver
    ///     such as swiftc that ends its own children on SIGINT (and not on SIGKILL, which it
    ///     cannot catch, nor on SIGTERM, which it does not); 0 for none.
    ///   - newProcessGroup: the child leads a process group of its own, so the terminal's
    ///     Ctrl-C does not reach it (the caller passes the signal on itself).
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                      descriptors: [Int32: Int32] = [:], deathSignal: Int32 = SIGKILL,
                      newProcessGroup: Bool = false) throws -> Subprocess {
        guard let path = resolve(executable) else {
            throw EnvironmentError.fromErrno("start \(executable)", ENOENT)
        }
        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let children = Array(descriptors.keys), parents = children.map { descriptors[$0]! }
        var pid: pid_t = 0
        let status = nbrun_spawn(path, argv, envp, children, parents, Int32(children.count),
                                 deathSignal, newProcessGroup ? 1 : 0, &pid)
        guard status == 0 else {
            throw EnvironmentError.fromErrno("start \(executable)", status)
        }
        return Subprocess(pid: pid)
    }

    /// The file `posix_spawnp` would run for `executable`: itself when it names a path, else
    /// the first executable file of that name in `PATH`.
    static func resolve(_ executable: String) -> String? {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (folder.isEmpty ? "." : String(folder)) + "/" + executable
            if access(candidate, X_OK) == 0 {
                var info = stat()
                if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return candidate }
            }
        }
        return nil
    }

    /// The child's end if it has ended, without waiting.
    func termination() -> Termination? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid ? Termination(waitStatus: status) : nil
    }

    /// Waits for the child to end.
    func wait() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Termination(waitStatus: status)
    }

    /// Runs a command to the end and returns what it printed.
    static func capture(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                        deathSignal: Int32 = SIGKILL) throws -> (termination: Termination, stdout: String, stderr: String) {
        let out = try Pipe.make(), err = try Pipe.make()
        let child = try spawn(executable, arguments, environment: environment, descriptors: [1: out.write, 2: err.write],
                              deathSignal: deathSignal)
        close(out.write)
        close(err.write)
        var outData = [UInt8](), errData = [UInt8]()
        var open = [(out.read, 0), (err.read, 1)]
        while !open.isEmpty {
            var polls = open.map { pollfd(fd: $0.0, events: Int16(POLLIN), revents: 0) }
            if poll(&polls, nfds_t(polls.count), -1) < 0 { if errno == EINTR { continue } else { break } }
            for (index, entry) in polls.enumerated().reversed() where entry.revents != 0 {
                let which = open[index].1
                let done = which == 0 ? Pipe.drain(entry.fd, into: &outData) : Pipe.drain(entry.fd, into: &errData)
                if done {
                    close(entry.fd)
                    open.remove(at: index)
                }
            }
        }
        let termination = child.wait()
        return (termination, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// A pipe's two ends, close-on-exec (the child gets copies through dup2).
struct Pipe {
    let read: Int32
    let write: Int32

    static func make() throws -> Pipe {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw EnvironmentError.fromErrno("create a pipe")
        }
        for descriptor in fds { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return Pipe(read: fds[0], write: fds[1])
    }

    /// Reads what is available (one read of up to 64 KiB); returns true at end of file.
    static func drain(_ descriptor: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return false
        }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return false }
        return true
    }
}
