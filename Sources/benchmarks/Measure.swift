import Foundation

/// Runs `body` `repetitions` times (after one warm-up) and returns the median wall time in seconds.
/// Medians, not means: these machines are shared and noisy (DESIGN.md).
func medianSeconds(repetitions: Int = 7, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

/// Prints one figure as `name: value unit`, the format every suite uses.
func report(_ name: String, _ value: Double, _ unit: String, decimals: Int = 3) {
    print("\(name): \(String(format: "%.\(decimals)f", value)) \(unit)")
}

/// The CPU time (user + system, all threads) `body` takes, the least of `repetitions` runs after
/// a warm-up: unlike wall time, it does not count time other processes hold the core, so it
/// compares two implementations on a shared machine (run them on one thread: a second thread
/// waiting in a spin would count).
func leastCPUSeconds(repetitions: Int = 7, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var best = Double.infinity
    for _ in 0..<repetitions {
        let start = processCPUSeconds()
        try body()
        best = min(best, processCPUSeconds() - start)
    }
    return best
}

/// This process's CPU time (all threads), in seconds, to the nanosecond.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// The machine's cores and load averages (1, 5, 15 minutes), printed before timings: other
/// processes holding a core inflate every figure.
func machineLine() -> String {
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    return "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) (busy machines inflate these)"
}
