import Dispatch
internal import COpenBLAS

/// How the engine splits large elementwise and reduction loops across cores.
///
/// Loops over at least `minimumElements` values run in `workers` chunks through
/// `DispatchQueue.concurrentPerform`; smaller ones run on the calling thread, where
/// the cost of waking a second core (a few microseconds) would exceed the gain.
/// The threshold was measured with `benchmarks engine` (see EngineBenchmarks.swift).
public enum Parallelism {
    /// Number of chunks a large loop is split into (default: the active core count).
    nonisolated(unsafe) public static var workers: Int = ProcessInfoCores.count
    /// Loops over fewer values than this run on one thread.
    nonisolated(unsafe) public static var minimumElements: Int = 1 << 16

    /// Sets the number of threads OpenBLAS uses for `matmul` (`openblas_set_num_threads`).
    public static func setBLASThreads(_ count: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, count)))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }
}

enum ProcessInfoCores {
    static let count: Int = {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 2
        #endif
    }()
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` over `0..<count`, split into contiguous ranges on several threads when
/// `count` is large enough (see `Parallelism`). `body` must only write disjoint data.
@inline(__always)
func parallelRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = Parallelism.workers
    if workers < 2 || count * cost < Parallelism.minimumElements || count < 2 {
        body(0..<count)
        return
    }
    let chunks = Swift.min(workers, count)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
        if start < end { body(start..<end) }
    }
}
