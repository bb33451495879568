import Foundation
import Plotting

/// `benchmarks plot`: an 800x500 line plot of 10,000 points, drawn and encoded as PNG
/// (goal: at most 30 ms), at scale 1 and at the default high-DPI scale 2.
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
        let seconds = try medianSeconds(repetitions: 9) { bytes = try figure.pngData().count }
        report("plot.line10k.800x500.scale\(scale)", seconds * 1000, "ms (\(800 * scale)x\(500 * scale) pixels, \(bytes / 1024) KiB PNG)", decimals: 1)
    }
}
