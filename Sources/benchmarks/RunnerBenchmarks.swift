func runRunnerBenchmarks() throws {
    print("runner: not written yet")
}
