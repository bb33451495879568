import Foundation
import Plotting

/// `benchmarks plot`: an 800x500 line plot of 10,000 points, drawn and encoded as PNG
/// (goal: at most 30 ms), at scale 1 (800x500 pixels) and at the default high-DPI scale 2.
/// Besides the median wall time it reports the median CPU time of this thread, which
/// stays meaningful when other builds share the cores.
func runPlotBenchmarks() throws {
    let n = 10_000
    let x = (0..<n).map { Double($0) }
    let y = x.map { sin($0 / 300) + 0.25 * sin($0 / 17) + 0.05 * sin($0 * 1.7) }
    for scale in [1, 2] {
        let figure = Figure(title: "10,000 points", width: 800, height: 500)
            .line(x, y, label: "signal")
            .xLabel("step")
            .yLabel("value")
            .pixelScale(scale)
        var bytes = 0
        var cpu: [Double] = []
        let seconds = try medianSeconds(repetitions: 9) {
            let start = threadCPUSeconds()
            bytes = try figure.pngData().count
            cpu.append(threadCPUSeconds() - start)
        }
        cpu.sort()
        let pixels = "\(800 * scale)x\(500 * scale) pixels, \(bytes / 1024) KiB PNG"
        report("plot.line10k.800x500.scale\(scale)", seconds * 1000, "ms wall (\(pixels))", decimals: 1)
        report("plot.line10k.800x500.scale\(scale).cpu", cpu[cpu.count / 2] * 1000, "ms cpu", decimals: 1)
    }
}

private func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
