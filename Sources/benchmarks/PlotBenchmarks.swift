func runPlotBenchmarks() throws {
    print("plot: not written yet")
}
