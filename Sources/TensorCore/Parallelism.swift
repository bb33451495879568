import Dispatch
import Foundation

/// How the engine splits large elementwise and reduction loops across cores.
///
/// Loops over at least `minimumElements` values run in `workers` chunks on the engine's own
/// threads (`PartPool`); smaller ones run on the calling thread, where
/// waking a second core (several microseconds) costs more than it saves. The threshold
/// comes from `benchmarks engine` (`add_2^N_parallel_speedup` lines).
///
/// When the machine is oversubscribed, loops run on one thread: measured here with three
/// other builds running (load average 5 to 8 on 2 cores), splitting an add of 2^12 to 2^20
/// values made it 7 to 10 times slower, since the second chunk waits for a time slice (the
/// same collapse DESIGN.md reports for OpenBLAS's pool). "Oversubscribed" means other
/// processes used more than half a core (on 2 cores) since the last look (`machineIsBusy`).
package enum Parallelism {
    /// Number of chunks a large loop is split into (default: the online core count).
    nonisolated(unsafe) public static var workers: Int = onlineCores
    /// Loops over fewer values than this run on one thread. Off by default (`Int.max`): measured
    /// on the 2-core machines here, even idle (load average 0.9), splitting was slower at every
    /// size, 2^12 to 10M values: a 10M add took 12 ms on one thread and 23 ms split, relu 11 ms
    /// and 21 ms (these loops are bound by memory and by first-touch page faults of the result,
    /// which two threads contend for). `benchmarks engine` prints the `parallel_speedup` lines to
    /// re-measure on other hardware; set a threshold (e.g. 1 << 17) where they exceed 1.
    nonisolated(unsafe) public static var minimumElements: Int = Int.max
    /// Whether to fall back to one thread while other processes keep the cores busy.
    nonisolated(unsafe) public static var adaptsToLoad = true

    /// Sets how many parts (rows of the result, one single-threaded sgemm each, side by side)
    /// a large `matmul` is cut into. Products smaller than `blasMinimumWork`, or run while the
    /// machine is busy, run their parts one after another (see `sgemmInParts`).
    public static func setBLASThreads(_ count: Int) {
        blasThreadLimit = Swift.max(1, count)
    }

    /// The number of threads a large product uses (the limit set by `setBLASThreads`; default the cores).
    public static var blasThreads: Int { blasThreadLimit }

    /// Batched kernels (a convolution's forward and backward) doing fewer multiply-adds than
    /// this run their batch parts one after another rather than side by side.
    nonisolated(unsafe) public static var minimumBatchWork: Int = 1 << 20

    /// Max pooling (forward: window taps compared; backward: values cleared and gradients
    /// placed) over fewer values than this runs on one thread. Measured with `benchmarks cnn
    /// layers lenet 2` on an idle machine, one part vs two: LeNet's first pooling forward 0.20
    /// vs 0.12 ms, its second 0.11 vs 0.09, their backward passes 0.51 vs 0.47 and 0.16 vs 0.12.
    nonisolated(unsafe) public static var minimumPoolingWork: Int = 1 << 16

    /// Products of fewer multiply-adds (m·n·k) than this run on one thread. 2^21 sits
    /// between a LeNet layer's products and the MLP's first layer (128x784x256, about 2^24.6).
    nonisolated(unsafe) public static var blasMinimumWork: Int = 1 << 21

    nonisolated(unsafe) static var blasThreadLimit: Int = onlineCores

    /// Runs `body(index, part)` on each of `parts`: side by side when `work` reaches
    /// `minimumWork` and the machine is not busy, else one after another. The parts are fixed
    /// by the caller (`evenParts`), so results do not depend on how they ran; the engine's
    /// batched kernels run through it (`runBatchParts`), and so do loops outside it (an
    /// optimizer's update). `body` must only write data of its own part.
    public static func runParts(_ parts: [Range<Int>], work: Int, minimumWork: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts.count > 1 && work >= minimumWork && !(adaptsToLoad && machineIsBusy) {
            PartPool.shared.run(parts.count) { body($0, parts[$0]) }
        } else {
            for (index, part) in parts.enumerated() { body(index, part) }
        }
    }

    /// `0..<count` cut into `parts` contiguous ranges of near-equal length.
    public static func evenParts(_ count: Int, parts: Int) -> [Range<Int>] {
        engineCheck(count >= 0 && parts >= 1, "Parallelism.evenParts: need count >= 0 and parts >= 1, got \(count) and \(parts)")
        return (0..<parts).map { count * $0 / parts ..< count * ($0 + 1) / parts }
    }

    static let onlineCores: Int = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)

    nonisolated(unsafe) private static var lastCheck: UInt64 = 0
    nonisolated(unsafe) private static var busy = false
    /// The machine's busy CPU time and this process's, at the last check (seconds; -1 before).
    nonisolated(unsafe) private static var lastMachineSeconds = -1.0
    nonisolated(unsafe) private static var lastOwnSeconds = 0.0

    /// True when OTHER processes keep the cores busy: over the time since the last check (re-done
    /// at most every 0.5 s), the CPU time the machine spent busy (/proc/stat, steal included)
    /// less this process's own (getrusage) came to more than `onlineCores - 1.5` cores (half
    /// a core on 2 cores); or, at the first check, as many other threads are runnable right now
    /// as cores (/proc/loadavg).
    ///
    /// Why not the load average: it counts this process too (a loop on both cores lifts it to
    /// about 2 by itself), and it lags by a minute, so a run that starts right after another
    /// would see the previous one's load.
    public static var machineIsBusy: Bool {
        let now = DispatchTime.now().uptimeNanoseconds
        let elapsed = Double(now &- lastCheck) / 1e9
        if elapsed < 0.5 { return busy }
        lastCheck = now
        let own = processCPUSeconds()
        guard let machine = machineBusySeconds() else {
            busy = readRunnable() - 1 >= onlineCores
            return busy
        }
        if lastMachineSeconds < 0 {
            busy = readRunnable() - 1 >= onlineCores
        } else {
            let others = ((machine - lastMachineSeconds) - (own - lastOwnSeconds)) / elapsed
            busy = others > Double(onlineCores) - 1.5
        }
        (lastMachineSeconds, lastOwnSeconds) = (machine, own)
        return busy
    }

    /// User plus system CPU time of this process (all threads), in seconds.
    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The first `bytes` of a small /proc file as text, nil where unavailable.
    private static func readProcFile(_ path: String, bytes: Int = 256) -> String? {
        #if os(Linux)
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: bytes)
        let length = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, bytes) }
        return length > 0 ? String(decoding: buffer[0..<length], as: UTF8.self) : nil
        #else
        return nil
        #endif
    }

    /// All cores' busy time since boot, in seconds: /proc/stat's first line, everything but
    /// idle and iowait (user, nice, system, irq, softirq, steal), in clock ticks.
    private static func machineBusySeconds() -> Double? {
        guard let line = readProcFile("/proc/stat")?.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count == 8 else { return nil }
        let busyTicks = ticks.reduce(0, +) - ticks[3] - ticks[4]
        return busyTicks / Double(Swift.max(1, sysconf(Int32(_SC_CLK_TCK))))
    }

    /// The threads runnable right now, this one included (/proc/loadavg's 4th field, "running/total").
    private static func readRunnable() -> Int {
        guard let fields = readProcFile("/proc/loadavg")?.split(separator: " "), fields.count >= 4,
              let running = fields[3].split(separator: "/").first else { return 0 }
        return Int(running) ?? 0
    }
}

/// How many chunks a loop over `count` values (each weighing `cost`) should be split into now.
@inline(__always)
func parallelChunks(_ count: Int, cost: Int = 1) -> Int {
    let workers = Parallelism.workers
    if workers < 2 || count < 2 || count * cost < Parallelism.minimumElements
        || (Parallelism.adaptsToLoad && Parallelism.machineIsBusy) {
        return 1
    }
    return Swift.min(workers, count)
}

/// Runs `body` over `0..<count`, split into contiguous ranges on several threads when
/// `count * cost` is large enough (see `Parallelism`). `body` must only write disjoint data.
@inline(__always)
func parallelRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
    let chunks = parallelChunks(count, cost: cost)
    if chunks == 1 {
        body(0..<count)
        return
    }
    PartPool.shared.run(chunks) { chunk in
        let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
        if start < end { body(start..<end) }
    }
}

/// The batch `0..<count` cut into one contiguous part per worker (fewer when the batch is
/// small). Fixed for a given batch size, whatever the load, so sums over parts are reproducible.
func batchParts(_ count: Int) -> [Range<Int>] {
    Parallelism.evenParts(count, parts: Swift.max(1, Swift.min(Parallelism.workers, count)))
}

/// `Parallelism.runParts` for the engine's kernels (`work` in multiply-adds, by default against
/// `minimumBatchWork`), with BLAS kept on one thread either way.
func runBatchParts(_ parts: [Range<Int>], work: Int, minimumWork: Int = Parallelism.minimumBatchWork,
                   _ body: (Int, Range<Int>) -> Void) {
    useOneBLASThread()
    Parallelism.runParts(parts, work: work, minimumWork: minimumWork, body)
}

/// The sum over `parts` of the partial results stored one after another in `partials`
/// (`size` values each), added in part order so the bits do not depend on how the parts ran.
func sumOverParts<T: BinaryFloatingPoint>(_ partials: [T], parts: Int, size: Int) -> [Float] {
    var total = Array(partials[0..<size])
    for part in 1..<Swift.max(parts, 1) {
        for i in 0..<size { total[i] += partials[part * size + i] }
    }
    return total.map { Float($0) }
}
