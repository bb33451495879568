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

/// The machine's cores and load averages (1, 5, 15 minutes), printed before timings: other
/// processes holding a core inflate every figure.
func machineLine() -> String {
    let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    return "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load) (busy machines inflate these)"
}
