import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawnp`, with chosen pipes as its file descriptors.
///
/// Foundation's `Process` cannot hand a child an extra descriptor (the runner's event
/// pipe is the child's fd 3), so the runner and the small helpers here share this.
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
    /// - Parameter descriptors: child fd -> parent fd to give it; fds 0, 1, 2 not listed get /dev/null.
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                      descriptors: [Int32: Int32] = [:]) throws -> Subprocess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for standard in Int32(0)...2 where descriptors[standard] == nil {
            posix_spawn_file_actions_addopen(&actions, standard, "/dev/null", standard == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        for (child, parent) in descriptors {
            posix_spawn_file_actions_adddup2(&actions, parent, child)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default SIGINT/SIGPIPE handling in the child, whatever the runner set up.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw NotebookError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return Subprocess(pid: pid)
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
    static func capture(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        throws -> (termination: Termination, stdout: String, stderr: String) {
        let out = try Pipe.make(), err = try Pipe.make()
        let child = try spawn(executable, arguments, environment: environment, descriptors: [1: out.write, 2: err.write])
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
            throw NotebookError("cannot create a pipe: \(String(cString: strerror(errno)))")
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
