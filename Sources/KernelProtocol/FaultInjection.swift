import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test hook for the fault-injection suite: with `NBRUN_FAULT_KILL=POINT` (or `POINT:N`),
/// nbrun is killed with SIGKILL the first (or N-th) time a process of the run reaches `POINT`, a
/// moment no signal sent from outside can be timed to hit (between writing a report's figures
/// and its page, in the middle of committing a cache entry). Without the variable it does nothing.
///
/// Points in nbrun: `report.file` (a file beside the page is in place), `report.page` (the page
/// is written under its temporary name), `report.prune` (the page is in place, old files not yet
/// removed), `cache.evict` (entries stored, the cache not yet trimmed). In the notebook program
/// (which inherits the variable): `cache.commit` (a cell's entry is written, not yet renamed
/// into place), where it kills nbrun, its parent, and so itself (it dies with nbrun).
public enum FaultInjection {
    private static let target: (point: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["NBRUN_FAULT_KILL"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reached = 0

    /// Marks `point` as reached; when it is the one asked for, SIGKILLs this process, or with
    /// `parent`, this process's parent (nbrun, seen from the notebook program) and then this one.
    public static func reach(_ point: String, parent: Bool = false) {
        guard let target, target.point == point else { return }
        lock.lock()
        reached += 1
        let now = reached == target.count
        lock.unlock()
        guard now else { return }
        if parent { kill(getppid(), SIGKILL) }
        kill(getpid(), SIGKILL)
    }
}
