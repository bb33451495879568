func runMLPBenchmarks() throws {
    print("mlp: not written yet")
}
func runCNNBenchmarks() throws {
    print("cnn: not written yet")
}
