import Foundation

/// A test hook for the fault-injection suite: with `NBRUN_FAULT_KILL=POINT` (or `POINT:N`),
/// nbrun kills itself with SIGKILL the first (or N-th) time it reaches `POINT`, a moment no
/// signal sent from outside can be timed to hit (between writing a report's figures and its
/// page, in the middle of committing cache entries). Without the variable it does nothing.
///
/// Points: `report.file` (a file beside the page is in place), `report.page` (the page is
/// written under its temporary name), `report.prune` (the page is in place, old files not yet
/// removed), `cache.commit` (before a cell's cache entry is committed), `cache.evict` (entries
/// committed, the cache not yet trimmed).
enum FaultInjection {
    private static let target: (point: String, count: Int)? = {
        guard let value = ProcessInfo.processInfo.environment["NBRUN_FAULT_KILL"], !value.isEmpty else { return nil }
        let parts = value.split(separator: ":", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var reached = 0

    /// Marks `point` as reached; SIGKILLs this process when it is the one asked for.
    static func reach(_ point: String) {
        guard let target, target.point == point else { return }
        lock.lock()
        reached += 1
        let now = reached == target.count
        lock.unlock()
        if now { kill(getpid(), SIGKILL) }
    }
}
