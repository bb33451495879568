#if canImport(Glibc)
import Glibc
#endif

private nonisolated(unsafe) var interruptCount: sig_atomic_t = 0
private nonisolated(unsafe) var lastSignal: sig_atomic_t = 0
/// Set while a stage runs that cannot check for a signal between its steps (swift-syntax's
/// parse, which can take minutes on some broken input): the handler then ends nbrun itself.
private nonisolated(unsafe) var exitsAtOnce: sig_atomic_t = 0

/// Notices Ctrl-C while a notebook program runs, so the runner can stop the child and
/// still write its report instead of dying with it. SIGTERM and SIGHUP (a CI job cancelled,
/// `timeout`, a closed terminal) are taken the same way: dying at once would leave the
/// notebook programs of `nbrun test`, which run in their own process groups, running.
public struct InterruptWatch {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private var previous = Array(repeating: sigaction(), count: signals.count)

    /// Forgets earlier Ctrl-Cs (at the start of a run).
    public static func reset() {
        interruptCount = 0
    }

    public static func install() -> InterruptWatch {
        var watch = InterruptWatch()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            lastSignal = signal
            interruptCount += 1
            if exitsAtOnce != 0 {
                // Only async-signal-safe calls here: write(2) and _exit(2).
                let message: StaticString = "nbrun: interrupted before any cell ran\n"
                _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
                _exit(130)  // ExitStatus.interrupted (a static let is not safe to read here)
            }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        for (index, signal) in signals.enumerated() {
            sigaction(signal, &action, &watch.previous[index])
        }
        // A parent may have started nbrun with SIGINT blocked (Foundation's Process does): unblock it.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in signals { sigaddset(&unblock, signal) }
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        return watch
    }

    public var fired: Bool { interruptCount > 0 }

    /// Runs a stage that writes nothing and cannot check for Ctrl-C between its steps: a
    /// signal during it ends nbrun at once (status 130) instead of after the stage. Nothing is
    /// lost, since such a stage only computes in memory.
    public static func exitingAtOnce<T>(_ body: () throws -> T) rethrows -> T {
        exitsAtOnce = 1
        defer { exitsAtOnce = 0 }
        return try body()
    }

    /// Signals received since the last `reset()`: a stage that must stop only on a new one
    /// (writing the report after an interrupted run) compares it with the count it started at.
    static var count: Int { Int(interruptCount) }

    /// The last signal received (SIGINT before any), to pass on to child processes.
    static var signal: Int32 { lastSignal == 0 ? SIGINT : lastSignal }

    /// How the run was stopped, for messages: "Ctrl-C" (SIGINT), "SIGTERM" or "SIGHUP".
    static var cause: String {
        switch lastSignal {
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "Ctrl-C"
        }
    }

    public func remove() {
        for (index, signal) in Self.signals.enumerated() {
            var previous = self.previous[index]
            sigaction(signal, &previous, nil)
        }
    }
}
