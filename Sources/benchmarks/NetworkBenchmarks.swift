// `benchmarks mlp` and `benchmarks cnn`: train on MNIST as our peers were measured
// (DESIGN.md, issue 4) and print time per epoch, test accuracy, peak memory, inference speed.
import Datasets
import Foundation
import Optimizers

/// Peak resident memory of this process so far, in MiB (Linux reports ru_maxrss in KiB).
private func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Trains a model from `makeModel` on MNIST once per seed and reports `PREFIX.*` lines: the
/// median epoch time over all runs, each seed's test accuracy and their median (one seeded run
/// swings by about 0.2% from seed to seed, more than the goals' margins), inference speed and
/// peak memory. The seed draws the initial weights, the shuffling and the dropout masks.
///
/// The images stay bytes (47 MB for the training set, not 188 MB of Floats): `fit` and
/// `evaluate` take the datasets and convert each mini-batch's rows, reshaped to the model's
/// `inputShape` (the same batches, order and steps as `fit(x:y:)` on the Float tensors).
private func trainAndReport(_ prefix: String, seeds: [UInt64], epochs: Int, learningRate: Float = 1e-3,
                            cosineDecay: Bool = false, batchSize: Int = 128, makeModel: () -> Sequential) throws {
    let loadStart = now()
    let train = try MNIST.load(split: .train), test = try MNIST.load(split: .test)
    report("\(prefix).load_seconds", now() - loadStart, "s")
    var seconds: [Double] = [], accuracies: [Double] = []
    var model = makeModel()
    for seed in seeds {
        RandomGenerator.seedGlobal(seed)
        model = makeModel()
        // Cosine decay from learningRate to a twentieth of it, reached at the last epoch.
        let callbacks: [Callback] = cosineDecay
            ? [LearningRateScheduler(LearningRateSchedule.cosine(initial: learningRate, minimum: learningRate / 20,
                                                                   epochs: max(epochs - 1, 1)).rate)]
            : []
        model.compile(optimizer: Adam(learningRate: learningRate), loss: .crossEntropy)
        let history = try model.fit(train, batchSize: batchSize, epochs: epochs, seed: seed, callbacks: callbacks)
        seconds += history.epochs.map(\.seconds)
        let accuracy = Double(try model.evaluate(test).accuracy ?? 0)
        accuracies.append(accuracy)
        report("\(prefix).test_accuracy_seed\(seed)", accuracy, "", decimals: 4)
    }
    seconds.sort()
    report("\(prefix).seconds_per_epoch", seconds[seconds.count / 2], "s", decimals: 2)
    report("\(prefix).train_seconds_total", seconds.reduce(0, +), "s", decimals: 1)
    report("\(prefix).test_accuracy", accuracies.sorted()[accuracies.count / 2], "", decimals: 4)
    let inputShape = model.inputShape ?? [784]
    let batch = test.prefix(1000).inputs.reshaped(to: [1000] + inputShape)
    let inference = medianSeconds(repetitions: 5) { _ = model.predict(batch, batchSize: 1000) }
    report("\(prefix).inference_batch1000", 1000 / inference, "images/s", decimals: 0)
    report("\(prefix).peak_rss", peakResidentMiB(), "MiB", decimals: 0)
    precondition(train.inputsAreLazy, "trainAndReport: the training images were turned into Floats whole")
}

/// The seeds a suite trains with: `--seeds N` (1...N) after the suite's arguments, else `defaultCount`.
private func seeds(default defaultCount: Int) -> [UInt64] {
    let arguments = Array(CommandLine.arguments)
    if let index = arguments.firstIndex(of: "--seeds"), index + 1 < arguments.count, let count = Int(arguments[index + 1]), count > 0 {
        return (1...count).map(UInt64.init)
    }
    return (1...defaultCount).map(UInt64.init)
}

/// MLP 784-256-128-10, ReLU, Adam 1e-3, batch 128, 5 epochs, seeds 1-3 (`--seeds N`). Peers here:
/// PyTorch 1.03-1.30 s/epoch, NumPy 1.09-1.19 s, all about 97.8-97.9%. Goals: >= 97.8%,
/// <= 0.6 s/epoch, <= 200 MiB.
/// `benchmarks mlp gather` times an epoch of shuffled 128-image batches alone, converted from the
/// bytes and copied from the Float matrix (the input side of the fit loop); `benchmarks mlp
/// steps` splits an epoch into the fit loop's phases.
func runMLPBenchmarks() throws {
    if CommandLine.arguments.dropFirst(2).first == "gather" {
        // One epoch of 128-sample batches in a shuffled order: from the bytes, and from the Floats.
        let train = try MNIST.load(split: .train)
        var generator = RandomGenerator(seed: 1)
        var order = Array(0..<train.count)
        generator.shuffle(&order)
        func epoch(_ source: some BatchSource) {
            var start = 0
            while start < order.count {
                _ = source.batch(rows: order[start..<min(start + 128, order.count)])
                start += 128
            }
        }
        let floats = TensorSamples(x: train.prefix(train.count).inputs, y: train.labelsTensor)
        var fromBytes: [Double] = [], fromFloats: [Double] = []
        for _ in 0..<7 {
            fromBytes.append(medianSeconds(repetitions: 1) { epoch(train) })
            fromFloats.append(medianSeconds(repetitions: 1) { epoch(floats) })
        }
        report("mlp.batches_per_epoch_from_bytes", fromBytes.sorted()[3] * 1000, "ms", decimals: 1)
        report("mlp.batches_per_epoch_from_floats", fromFloats.sorted()[3] * 1000, "ms", decimals: 1)
        return
    }
    if CommandLine.arguments.dropFirst(2).first == "steps" {
        try runMLPStepBreakdown()
        return
    }
    try trainAndReport("mlp", seeds: seeds(default: 3), epochs: 5) {
        Sequential([Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10)], inputShape: [784])
    }
}

/// `benchmarks mlp steps [cpu]`: where an MLP epoch's wall time goes, as the fit loop spends it
/// (batch from the bytes, forward and loss, backward, optimizer update), summed over each of
/// three epochs after a warm-up one; prints the median epoch's figures in ms. With `cpu`, on
/// one thread, in CPU time (comparable on a busy machine).
private func runMLPStepBreakdown() throws {
    let cpuTime = CommandLine.arguments.dropFirst(3).contains("cpu")
    if cpuTime {
        Parallelism.workers = 1
        Parallelism.setBLASThreads(1)
    }
    func now() -> Double { cpuTime ? processCPUSeconds() : Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    let train = try MNIST.load(split: .train)
    RandomGenerator.seedGlobal(1)
    let model = Sequential([Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10)], inputShape: [784])
    let optimizer = Adam(learningRate: 1e-3)
    let parameters = model.parameters
    var generator = RandomGenerator(seed: 1)
    var order = Array(0..<train.count)
    var phases: [[Double]] = Array(repeating: [], count: 4)
    for epoch in 0..<4 {
        generator.shuffle(&order)
        var sums = [Double](repeating: 0, count: 4)
        var start = 0
        while start < order.count {
            let t0 = now()
            let (x, y) = train.batch(rows: order[start..<min(start + 128, order.count)])
            let t1 = now()
            let lossValue = Loss.crossEntropy(model(x), y)
            _ = lossValue.scalar
            let t2 = now()
            lossValue.backward()
            let t3 = now()
            optimizer.update(parameters)
            for parameter in parameters { parameter.zeroGrad() }
            let t4 = now()
            for (i, seconds) in [t1 - t0, t2 - t1, t3 - t2, t4 - t3].enumerated() { sums[i] += seconds }
            start += 128
        }
        if epoch > 0 { for i in 0..<4 { phases[i].append(sums[i]) } }
    }
    for (i, name) in ["batch", "forward_loss", "backward", "update"].enumerated() {
        report("mlp.epoch_\(name)", phases[i].sorted()[1] * 1000, "ms", decimals: 1)
    }
    report("mlp.epoch_steps_total", (0..<3).map { e in phases.reduce(0) { $0 + $1[e] } }.sorted()[1] * 1000, "ms", decimals: 1)
}

/// LeNet-5 (conv 5x5x6 pad 2, max pool, conv 5x5x16, max pool, 120, 84, 10), 3 epochs, batch
/// 128, Adam 4e-3 decayed along a cosine to 2e-4 (measured: Adam 1e-3 held constant ends at
/// 98.1-98.5% after 3 epochs), seeds 1-3 (`--seeds N`). Measured side by side on an idle
/// 2-core machine: 1.86-1.87 s/epoch, PyTorch (2 threads) 3.40-3.42. Goals: >= 98.8%, at most
/// 0.6 of PyTorch's time.
/// `benchmarks cnn large [EPOCHS]` trains conv32-conv64-pool-dense128-dropout instead (goal
/// >= 99.0%; one seed unless `--seeds N`, Adam 2e-3 with the same decay, 12 epochs as in the
/// Keras example: 99.36%): 17.8-18.2 s/epoch, PyTorch 41.4-41.7 in the same run;
/// `benchmarks cnn bn` one round of notebooks/cnn-mnist.md's batch-norm CNN;
/// `benchmarks cnn layers [lenet|kcnn|mlp|bn] [THREADS|cpu]` the time of each layer.
func runCNNBenchmarks() throws {
    RandomGenerator.seedGlobal(1)
    if CommandLine.arguments.dropFirst(2).first == "large" {
        let epochs = Int(CommandLine.arguments.dropFirst(3).first ?? "") ?? 12
        try trainAndReport("cnn_large", seeds: seeds(default: 1), epochs: epochs, learningRate: 2e-3, cosineDecay: true) {
            Sequential([Conv2D(1, 32, kernelSize: 3), ReLU(), Conv2D(32, 64, kernelSize: 3), ReLU(),
                        MaxPool2D(size: 2), Dropout(rate: 0.25), Flatten(),
                        Linear(64 * 12 * 12, 128), ReLU(), Dropout(rate: 0.5), Linear(128, 10)],
                       inputShape: [1, 28, 28])
        }
        return
    }
    if CommandLine.arguments.dropFirst(2).first == "conv" {
        runConvolutionComparison()
        return
    }
    if CommandLine.arguments.dropFirst(2).first == "layers" {
        try runLeNetLayerBreakdown()
        return
    }
    if CommandLine.arguments.dropFirst(2).first == "bn" {
        // notebooks/cnn-mnist.md's model: conv16-BN-pool, conv32-BN-pool, dense256, batch 32,
        // one pass over the first 20,000 training images (one of the notebook's six rounds).
        let model = Sequential([Conv2D(1, 16, kernelSize: 5), BatchNorm(16), ReLU(), MaxPool2D(size: 2),
                                Conv2D(16, 32, kernelSize: 5), BatchNorm(32), ReLU(), MaxPool2D(size: 2), Flatten(),
                                Linear(32 * 4 * 4, 256), ReLU(), Dropout(rate: 0.2), Linear(256, 10)],
                               inputShape: [1, 28, 28])
        let train = try MNIST.load(split: .train).prefix(20_000)
        model.compile(optimizer: Adam(learningRate: 2e-3), loss: .crossEntropy)
        let x = train.images.reshaped(to: [train.count, 1, 28, 28])
        let history = try model.fit(x: x, y: train.labelsTensor, batchSize: 32, epochs: 1, seed: 1, verbose: false)
        report("cnn_bn.seconds_per_20000_images", history.epochs[0].seconds, "s", decimals: 2)
        report("cnn_bn.train_accuracy", Double(history.epochs[0].metrics["accuracy"] ?? 0), "", decimals: 4)
        return
    }
    try trainAndReport("cnn", seeds: seeds(default: 3), epochs: 3, learningRate: 4e-3, cosineDecay: true) {
        Sequential([Conv2D(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2D(size: 2),
                    Conv2D(6, 16, kernelSize: 5), ReLU(), MaxPool2D(size: 2), Flatten(),
                    Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10)],
                   inputShape: [1, 28, 28])
    }
}

/// `benchmarks cnn layers [lenet|kcnn|mlp] [THREADS]`: where a training step of 128 images goes,
/// layer by layer (median forward time, and median backward time of that layer alone), in
/// milliseconds, for LeNet-5 (the default), the Keras-example CNN or the MLP.
private func runLeNetLayerBreakdown() throws {
    var arguments = Array(CommandLine.arguments.dropFirst(3))
    // `cpu`: one thread, the least CPU time of the runs (comparable on a busy machine).
    let cpuTime = arguments.contains("cpu")
    arguments.removeAll { $0 == "cpu" }
    if cpuTime { arguments.append("1") }
    let model = arguments.first.flatMap { ["lenet", "kcnn", "mlp", "bn"].contains($0) ? $0 : nil } ?? "lenet"
    if arguments.first == model { arguments.removeFirst() }
    if let threads = Int(arguments.first ?? "") {
        Parallelism.workers = threads
        Parallelism.setBLASThreads(threads)
    }
    RandomGenerator.seedGlobal(1)
    print("# BLAS: \(BLASLibrary.current)")
    let layers: [Layer]
    switch model {
    case "kcnn":
        layers = [Conv2D(1, 32, kernelSize: 3), ReLU(), Conv2D(32, 64, kernelSize: 3), ReLU(), MaxPool2D(size: 2),
                  Dropout(rate: 0.25), Flatten(), Linear(9216, 128), ReLU(), Dropout(rate: 0.5), Linear(128, 10)]
    case "mlp":
        layers = [Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10)]
    case "bn":
        // notebooks/cnn-mnist.md's model, trained there in batches of 32.
        layers = [Conv2D(1, 16, kernelSize: 5), BatchNorm(16), ReLU(), MaxPool2D(size: 2),
                  Conv2D(16, 32, kernelSize: 5), BatchNorm(32), ReLU(), MaxPool2D(size: 2), Flatten(),
                  Linear(32 * 4 * 4, 256), ReLU(), Dropout(rate: 0.2), Linear(256, 10)]
    default:
        layers = [Conv2D(1, 6, kernelSize: 5, padding: 2), ReLU(), MaxPool2D(size: 2),
                  Conv2D(6, 16, kernelSize: 5), ReLU(), MaxPool2D(size: 2), Flatten(),
                  Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10)]
    }
    let batch = model == "bn" ? 32 : 128
    let train = try MNIST.load(split: .train).prefix(batch)
    var input = train.images.reshaped(to: model == "mlp" ? [batch, 784] : [batch, 1, 28, 28])
    // As a Sequential runs them: a Linear or Conv2D followed by a ReLU is one fused step.
    var steps: [(name: String, layer: Layer)] = []
    var position = 0
    while position < layers.count {
        if position + 1 < layers.count, layers[position + 1] is ReLU, layers[position] is Linear || layers[position] is Conv2D {
            steps.append(("\(type(of: layers[position]))+ReLU", Sequential([layers[position], layers[position + 1]])))
            position += 2
        } else {
            steps.append(("\(type(of: layers[position]))", layers[position]))
            position += 1
        }
    }
    var totalForward = 0.0, totalBackward = 0.0
    for (index, (name, layer)) in steps.enumerated() {
        let x = Variable(input, requiresGrad: index > 0)
        func time(_ body: () -> Void) -> Double {
            cpuTime ? leastCPUSeconds(repetitions: 21, body) : medianSeconds(repetitions: 51, body)
        }
        let forward = time { _ = layer(x) }
        let output = layer(x)
        let upstream = Tensor.ones(output.shape)
        let backward = time {
            let y = layer(x)
            y.backward(gradient: upstream)
            for parameter in layer.parameters { parameter.zeroGrad() }
        } - forward
        totalForward += forward
        totalBackward += backward
        report("\(model)_layers.\(index)_\(name)_forward", forward * 1000, "ms")
        report("\(model)_layers.\(index)_\(name)_backward", backward * 1000, "ms")
        input = output.value
    }
    report("\(model)_layers.step_forward", totalForward * 1000, "ms")
    report("\(model)_layers.step_backward", totalBackward * 1000, "ms")

    // A whole training step as `fit` runs it (Sequential, fused pairs, softmax cross-entropy,
    // backward, Adam), and the minor page faults it costs once warm: near zero when the
    // allocator reuses the memory of the last step's tensors rather than asking the kernel.
    let network = Sequential(layers)
    let optimizer = Adam(learningRate: 1e-3)
    let parameters = network.parameters
    let images = train.images.reshaped(to: model == "mlp" ? [batch, 784] : [batch, 1, 28, 28])
    let labels = train.labelsTensor
    func step() {
        let lossValue = Loss.crossEntropy(network(images), labels)
        lossValue.backward()
        optimizer.update(parameters)
        for parameter in parameters { parameter.zeroGrad() }
    }
    for _ in 0..<3 { step() }
    let faultsBefore = minorPageFaults()
    let stepTime = cpuTime ? leastCPUSeconds(repetitions: 20, step) : medianSeconds(repetitions: 20, step)
    report("\(model)_layers.whole_step", stepTime * 1000, "ms")
    report("\(model)_layers.minor_page_faults_per_step", Double(minorPageFaults() - faultsBefore) / 21, "", decimals: 1)
}

/// Minor page faults of this process so far (pages the kernel had to map on first touch).
private func minorPageFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_minflt
}


/// `benchmarks cnn conv [CHUNK...]`: each convolution of LeNet-5, the Keras-example CNN and the
/// notebooks' CNN, forward and backward, by the direct loops, by chunks of columns through
/// sgemm (with each chunk size given, in values) and, for 3x3 kernels of stride 1, by Winograd's
/// F(2x2, 3x3) (its chunk, in values, from `WINOGRAD_CHUNK` when set), interleaved; on one core,
/// the least CPU time of 9 runs (comparable on a busy machine).
func runConvolutionComparison() {
    print("# BLAS: \(BLASLibrary.current); one thread, least CPU time of 9 runs")
    Parallelism.workers = 1
    Parallelism.setBLASThreads(1)
    let shapes: [(String, [Int], Int, Window2D)] = [
        ("lenet1", [128, 1, 28, 28], 6, Window2D(size: 5, padding: 2)),
        ("lenet2", [128, 6, 14, 14], 16, Window2D(size: 5)),
        ("kcnn1", [128, 1, 28, 28], 32, Window2D(size: 3)),
        ("kcnn2", [128, 32, 26, 26], 64, Window2D(size: 3)),
        ("bn1", [32, 1, 28, 28], 16, Window2D(size: 5)),
        ("bn2", [32, 16, 12, 12], 32, Window2D(size: 5)),
        ("bn2_predict1000", [1000, 16, 12, 12], 32, Window2D(size: 5)),
        ("wide", [64, 64, 14, 14], 128, Window2D(size: 3, padding: 1)),
        ("narrow", [128, 32, 26, 26], 32, Window2D(size: 3)),
        ("small", [128, 8, 14, 14], 16, Window2D(size: 3, padding: 1)),
    ]
    if let values = ProcessInfo.processInfo.environment["WINOGRAD_CHUNK"].flatMap(Int.init) { winogradChunkValues = values }
    let chunks = CommandLine.arguments.dropFirst(3).compactMap { Int($0) }
    let chunkSizes = chunks.isEmpty ? [columnChunkValues] : chunks
    for (name, shape, filters, window) in shapes {
        var generator = RandomGenerator(seed: 7)
        let x = Tensor.randomNormal(shape: shape, using: &generator)
        let rows = shape[1] * window.kernelHeight * window.kernelWidth
        let weight = Tensor.randomNormal(shape: [rows, filters], using: &generator) * 0.1
        let bias = Tensor.randomNormal(shape: [filters], using: &generator)
        let needsInput = shape[1] > 1
        // Each kernel: (forward, backward) CPU seconds per round.
        var figures: [String: [(Double, Double)]] = [:]
        var outputs: [String: Tensor] = [:]
        func measure(_ label: String) {
            let (output, saved) = convolution2D(x, weight: weight, bias: bias, window: window)
            let upstream = Tensor.ones(output.shape)
            let forward = leastCPUSeconds(repetitions: 1) { _ = convolution2D(x, weight: weight, bias: bias, window: window) }
            let backward = leastCPUSeconds(repetitions: 1) {
                _ = convolution2DBackward(upstream, input: x, saved: saved, weight: weight, window: window, needsInput: needsInput)
            }
            figures[label, default: []].append((forward, backward))
            outputs[label] = output
        }
        for _ in 0..<9 {
            ConvolutionKernel.$forced.withValue(.direct) { measure("direct") }
            if window.kernelHeight == 3 && window.kernelWidth == 3 && window.strideHeight == 1 {
                ConvolutionKernel.$forced.withValue(.winograd) { measure("winograd") }
            }
            for chunk in chunkSizes {
                columnChunkValues = chunk
                ConvolutionKernel.$forced.withValue(.columns) { measure("columns\(chunk)") }
            }
        }
        for (label, runs) in figures.sorted(by: { $0.key > $1.key }) {
            report("conv.\(name)_\(label)_forward", runs.map(\.0).min()! * 1000, "ms")
            report("conv.\(name)_\(label)_backward", runs.map(\.1).min()! * 1000, "ms")
        }
        let a = outputs["direct"]!, b = outputs["columns\(chunkSizes[0])"]!
        report("conv.\(name)_max_difference", Double(zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0), "", decimals: 6)
    }
}
