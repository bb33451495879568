// `benchmarks engine`: the tensor engine against raw BLAS and memcpy (issue 3's goals).
import Autodiff
import COpenBLAS
import Foundation

func runEngineBenchmarks() throws {
    if CommandLine.arguments.dropFirst(2).first == "sgemm" {
        // The child of `benchmarkKernelSets`: one figure, under the OPENBLAS_CORETYPE it was given.
        print(String(format: "%.2f", sgemmGigaflops(size: 2048, repetitions: 5)))
        return
    }
    print("# BLAS: \(BLASLibrary.current)")
    if CommandLine.arguments.dropFirst(2).first == "kernels" {
        try benchmarkKernelSets()
        return
    }
    if CommandLine.arguments.dropFirst(2).first == "elementwise" {
        benchmarkElementwise()
        return
    }
    try benchmarkKernelSets()
    print("# engine: cores \(ProcessInfo.processInfo.activeProcessorCount), BLAS threads \(Parallelism.blasThreads), "
          + "parallel threshold \(Parallelism.minimumElements) values, load average \(loadAverage())")
    benchmarkMatmul(m: 128, k: 784, n: 256, repetitions: 201, label: "128x784x256")
    benchmarkMatmul(m: 2048, k: 2048, n: 2048, repetitions: 9, label: "2048^3")
    benchmarkElementwise()
    benchmarkParallelThreshold()
    benchmarkOverhead()
    benchmarkMLPStep()
}

/// The 1-minute load average: other processes holding a core skew every figure (DESIGN.md).
private func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

/// Engine `matmul` (allocating its result) next to raw `cblas_sgemm` into a preallocated buffer,
/// called as a user would: with OpenBLAS's own threads (one per core). The engine keeps OpenBLAS
/// on one thread and runs fixed parts side by side (`sgemmInParts`), so the raw call sets the
/// threads for itself and puts them back.
private func benchmarkMatmul(m: Int, k: Int, n: Int, repetitions: Int, label: String) {
    var generator = RandomGenerator(seed: 1)
    let a = Tensor.randomNormal(shape: [m, k], using: &generator), b = Tensor.randomNormal(shape: [k, n], using: &generator)
    var c = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m) * Double(k) * Double(n)
    // Alternate the two, one call each, and keep each one's best time: on a shared machine
    // the best of many interleaved runs is the steadiest estimate of what the code can do.
    var raw: [Double] = [], engine: [Double] = []
    for _ in 0..<repetitions {
        openblas_set_num_threads(Int32(Parallelism.blasThreads))
        raw.append(medianSeconds(repetitions: 1) {
            a.scalars.withUnsafeBufferPointer { pa in
                b.scalars.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                    pa.baseAddress, Int32(k), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                    }
                }
            }
        })
        openblas_set_num_threads(1)
        engine.append(medianSeconds(repetitions: 1) { _ = matmul(a, b) })
    }
    let rawBest = raw.min()!, engineBest = engine.min()!
    report("matmul_\(label)_raw_sgemm_best", flops / rawBest / 1e9, "GFLOP/s", decimals: 1)
    report("matmul_\(label)_engine_best", flops / engineBest / 1e9, "GFLOP/s", decimals: 1)
    report("matmul_\(label)_engine_vs_raw", 100 * rawBest / engineBest, "% (goal >= 90)", decimals: 1)
}

/// 10M-element add and relu next to memcpy of the same 40 MB.
private func benchmarkElementwise() {
    let count = 10_000_000
    var generator = RandomGenerator(seed: 2)
    let a = Tensor.randomUniform(shape: [count], lowerBound: -1, upperBound: 1, using: &generator)
    let b = Tensor.randomUniform(shape: [count], lowerBound: -1, upperBound: 1, using: &generator)
    var destination = [Float](repeating: 0, count: count)
    let copy = medianSeconds(repetitions: 11) {
        a.scalars.withUnsafeBufferPointer { source in
            destination.withUnsafeMutableBufferPointer { target in
                _ = memcpy(target.baseAddress!, source.baseAddress!, count * MemoryLayout<Float>.stride)
            }
        }
    }
    let add = medianSeconds(repetitions: 11) { _ = a + b }
    // In place (no fresh 40 MB result to fault in): separates the loop from the allocation.
    var accumulator = a + b
    let addInPlace = medianSeconds(repetitions: 11) { accumulator += b }
    let rectified = medianSeconds(repetitions: 11) { _ = relu(a) }
    let scaled = medianSeconds(repetitions: 11) { _ = a * 0.5 }
    let total = medianSeconds(repetitions: 11) { _ = a.sum() }
    let rows = a.reshaped(to: [10_000, 1_000])
    let rowSums = medianSeconds(repetitions: 11) { _ = rows.sum(alongAxes: [1]) }
    let columnSums = medianSeconds(repetitions: 11) { _ = rows.sum(alongAxes: [0]) }
    let bias = b.slice(alongAxis: 0, range: 0..<1_000)
    let broadcastAdd = medianSeconds(repetitions: 11) { _ = rows + bias }
    print("# elementwise: machine busy, loops kept on one thread: \(Parallelism.machineIsBusy)")
    report("memcpy_10M_floats", copy * 1e3, "ms")
    report("add_10M", add * 1e3, "ms")
    report("add_10M_vs_memcpy", add / copy, "x (goal <= 2)", decimals: 2)
    report("add_in_place_10M", addInPlace * 1e3, "ms")
    report("add_in_place_10M_vs_memcpy", addInPlace / copy, "x", decimals: 2)
    report("relu_10M", rectified * 1e3, "ms")
    report("relu_10M_vs_memcpy", rectified / copy, "x (goal <= 2)", decimals: 2)
    report("scale_10M", scaled * 1e3, "ms")
    report("broadcast_add_10000x1000_plus_1000", broadcastAdd * 1e3, "ms")
    report("sum_10M", total * 1e3, "ms")
    report("sum_rows_10000x1000", rowSums * 1e3, "ms")
    report("sum_columns_10000x1000", columnSums * 1e3, "ms")
}

/// Times `a + b` at several sizes on one thread and on all cores, to place `Parallelism.minimumElements`.
private func benchmarkParallelThreshold() {
    let saved = (Parallelism.minimumElements, Parallelism.adaptsToLoad)
    defer { (Parallelism.minimumElements, Parallelism.adaptsToLoad) = saved }
    Parallelism.adaptsToLoad = false
    for exponent in [12, 14, 16, 18, 20] {
        let count = 1 << exponent
        let a = Tensor.ones([count]), b = Tensor.ones([count])
        Parallelism.minimumElements = Int.max
        let serial = medianSeconds(repetitions: 51) { _ = a + b }
        Parallelism.minimumElements = 0
        let parallel = medianSeconds(repetitions: 51) { _ = a + b }
        report("add_2^\(exponent)_parallel_speedup", serial / parallel, "x")
    }
}

/// Per-operation cost on a (128, 10) tensor: allocation plus bookkeeping, where the work itself is tiny.
private func benchmarkOverhead() {
    let x = Tensor.ones([128, 10]), y = Tensor.ones([128, 10]), row = Tensor.ones([10])
    let iterations = 10_000
    func perOperation(_ body: () -> Void) -> Double {
        medianSeconds(repetitions: 7) { for _ in 0..<iterations { body() } } / Double(iterations)
    }
    report("op_overhead_128x10_add", perOperation { _ = x + y } * 1e6, "us (goal <= 2)")
    report("op_overhead_128x10_add_row", perOperation { _ = x + row } * 1e6, "us")
    report("op_overhead_128x10_relu", perOperation { _ = relu(x) } * 1e6, "us")
    report("op_overhead_128x10_sum_axis1", perOperation { _ = x.sum(alongAxes: [1]) } * 1e6, "us")
    let v = Variable(x, requiresGrad: true), w = Variable(y, requiresGrad: true)
    report("op_overhead_128x10_variable_add_recorded", perOperation { _ = v + w } * 1e6, "us")
}

/// One training step of a 784-256-128-10 ReLU MLP on a batch of 128: forward, fused softmax
/// cross-entropy, backward (Variable graph), no optimizer update.
private func benchmarkMLPStep() {
    var generator = RandomGenerator(seed: 3)
    func parameter(_ shape: [Int]) -> Variable {
        Variable(Tensor.randomNormal(shape: shape, standardDeviation: (2 / Float(shape[0])).squareRoot(), using: &generator),
                 requiresGrad: true)
    }
    let w1 = parameter([784, 256]), b1 = Variable(Tensor.zeros([256]), requiresGrad: true)
    let w2 = parameter([256, 128]), b2 = Variable(Tensor.zeros([128]), requiresGrad: true)
    let w3 = parameter([128, 10]), b3 = Variable(Tensor.zeros([10]), requiresGrad: true)
    let x = Variable(Tensor.randomUniform(shape: [128, 784], using: &generator), requiresGrad: false)
    let labels = (0..<128).map { $0 % 10 }
    let parameters = [w1, b1, w2, b2, w3, b3]
    var forwardOnly = 0.0
    let step = medianSeconds(repetitions: 21) {
        for p in parameters { p.zeroGrad() }
        let start = DispatchTime.now().uptimeNanoseconds
        let h1 = relu(matmul(x, w1) + b1)
        let h2 = relu(matmul(h1, w2) + b2)
        let loss = softmaxCrossEntropy(logits: matmul(h2, w3) + b3, labels: labels)
        forwardOnly = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        loss.backward()
    }
    let weights: Double = 784 * 256 + 256 * 128 + 128 * 10
    let flops: Double = 6 * 128 * weights   // forward 2 flops per weight and example, backward 4
    report("mlp_784_256_128_10_batch128_step", step * 1e3, "ms")
    report("mlp_784_256_128_10_batch128_forward_last", forwardOnly * 1e3, "ms")
    report("mlp_step_matmul_throughput", flops / step / 1e9, "GFLOP/s", decimals: 1)
    report("mlp_epoch_estimate_469_steps", step * 469, "s")
}

/// The best of `repetitions` single products of two `size`^2 matrices by `matmul`, in GFLOP/s.
private func sgemmGigaflops(size: Int, repetitions: Int) -> Double {
    var generator = RandomGenerator(seed: 1)
    let a = Tensor.randomNormal(shape: [size, size], using: &generator), b = Tensor.randomNormal(shape: [size, size], using: &generator)
    var best = Double.infinity
    _ = matmul(a, b)
    for _ in 0..<repetitions {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = matmul(a, b)
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return 2 * pow(Double(size), 3) / best / 1e9
}

/// sgemm 2048^3 as shipped (no OPENBLAS_CORETYPE: the kernels the engine chose) against every
/// kernel set this CPU can run, each in a fresh process (OpenBLAS reads OPENBLAS_CORETYPE when
/// it loads), interleaved over rounds; medians of the rounds' figures. The engine's choice
/// should come within a few percent of the best set.
private func benchmarkKernelSets() throws {
    let blas = BLASLibrary.current
    let candidates = [("Prescott", 0), ("Sandybridge", 1), ("Haswell", 2), ("SkylakeX", 3), ("Cooperlake", 3)]
        .filter { $0.1 <= blas.cpuLevel }.map(\.0)
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    func measure(_ coreType: String?) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["engine", "sgemm"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = coreType
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Double(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
    }
    let names = ["shipped"] + candidates
    var figures = [String: [Double]]()
    for _ in 0..<5 {
        for name in names { figures[name, default: []].append(try measure(name == "shipped" ? nil : name)) }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    for name in names { report("sgemm_2048^3_\(name)_kernels", median(figures[name]!), "GFLOP/s", decimals: 1) }
    let best = candidates.map { median(figures[$0]!) }.max() ?? .nan
    report("sgemm_2048^3_shipped_vs_best_kernels", 100 * median(figures["shipped"]!) / best, "% (goal >= 85)", decimals: 1)
}
