#if canImport(Glibc)
import Glibc
#endif

private nonisolated(unsafe) var interruptCount: sig_atomic_t = 0

/// Notices Ctrl-C while a notebook program runs, so the runner can stop the child and
/// still write its report instead of dying with it.
struct InterruptWatch {
    private var previous = sigaction()

    /// Forgets earlier Ctrl-Cs (at the start of a run).
    static func reset() {
        interruptCount = 0
    }

    static func install() -> InterruptWatch {
        var watch = InterruptWatch()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptCount += 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, &watch.previous)
        // A parent may have started nbrun with SIGINT blocked (Foundation's Process does): unblock it.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        return watch
    }

    var fired: Bool { interruptCount > 0 }

    func remove() {
        var previous = self.previous
        sigaction(SIGINT, &previous, nil)
    }
}
