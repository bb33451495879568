func runEngineBenchmarks() throws {
    print("engine: not written yet")
}
