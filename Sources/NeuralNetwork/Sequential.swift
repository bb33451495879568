import Foundation
import Datasets

/// A stack of layers applied in order, trained Keras-style:
///
///     let model = Sequential([Linear(784, 128), ReLU(), Linear(128, 10)], inputShape: [784])
///     model.compile(optimizer: Adam(learningRate: 1e-3), loss: .crossEntropy)
///     let history = try model.fit(x: train.images, y: train.labelsTensor, batchSize: 128, epochs: 5,
///                                 validationData: (test.images, test.labelsTensor))
///     print(model.summary())
///     let accuracy = model.evaluate(x: test.images, y: test.labelsTensor).metrics["accuracy"]
///
/// Parameters are named `INDEX.NAME` ("0.weight", "0.bias", "2.weight", ...), as in PyTorch.
public final class Sequential: Module {
    public private(set) var layers: [Layer]
    /// The shape of one input sample (batch omitted), for `summary()` and saving.
    public var inputShape: [Int]?
    public private(set) var optimizer: Optimizer?
    public private(set) var loss: Loss = .crossEntropy
    /// Training (dropout on, batch statistics) or evaluation mode, for every layer.
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    public init(_ layers: [Layer], inputShape: [Int]? = nil) {
        self.layers = layers
        self.inputShape = inputShape
    }

    /// Appends a layer.
    public func add(_ layer: Layer) {
        layer.isTraining = isTraining
        layers.append(layer)
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        layers.reduce(x) { $1($0) }
    }

    public var namedParameters: [(String, Variable)] {
        layers.enumerated().flatMap { index, layer in layer.namedParameters.map { ("\(index).\($0.0)", $0.1) } }
    }

    public var namedBuffers: [(String, Tensor)] {
        layers.enumerated().flatMap { index, layer in layer.namedBuffers.map { ("\(index).\($0.0)", $0.1) } }
    }

    public func setBuffer(_ name: String, _ value: Tensor) {
        guard let dot = name.firstIndex(of: "."), let index = Int(name[..<dot]), layers.indices.contains(index) else { return }
        layers[index].setBuffer(String(name[name.index(after: dot)...]), value)
    }

    /// Chooses how `fit` trains: the optimizer and the loss. Accuracy is always measured when
    /// it makes sense (class indices, or one-hot / 0-1 targets).
    public func compile(optimizer: Optimizer, loss: Loss) {
        self.optimizer = optimizer
        self.loss = loss
    }

    // MARK: - Training

    /// Trains for `epochs` passes over (x, y) in mini-batches of `batchSize`.
    ///
    /// - Parameters:
    ///   - x: inputs (samples, ...).
    ///   - y: targets: class indices (samples) for `.crossEntropy`, else values of the output's shape.
    ///   - validationData: evaluated after each epoch.
    ///   - validationSplit: or, the fraction of (x, y) held out (the last samples) for validation.
    ///   - shuffle: a new order each epoch, drawn from `seed` (the same seed, the same run) by the
    ///     engine's own Fisher-Yates (`RandomNumberGenerator.shuffle(_:)`), stable across Swift versions.
    ///   - seed: seeds the shuffling; by default it is drawn from `RandomGenerator.global`, so
    ///     calling `fit` again (a loop of one-epoch fits) shuffles anew, as Keras does, and a
    ///     notebook that seeds the global generator still runs the same every time.
    ///   - callbacks: told when training and each epoch start and after each epoch (early stopping, schedules).
    ///   - verbose: a progress bar on a terminal, a line per epoch otherwise.
    /// - Throws: `TrainingError.nonFiniteLoss` naming the step where the loss became NaN or
    ///   infinite; `.notCompiled`; `.badData`.
    @discardableResult
    public func fit(x: Tensor, y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationData: (x: Tensor, y: Tensor)? = nil, validationSplit: Double = 0,
                    shuffle: Bool = true, seed: UInt64? = nil, callbacks: [Callback] = [], verbose: Bool = true) throws -> History {
        guard optimizer != nil else { throw TrainingError.notCompiled }
        try checkData(x, y, "fit")
        var trainX = x, trainY = y, validation = validationData
        if validationSplit > 0 && validation == nil {
            let held = Int(Double(x.shape[0]) * validationSplit)
            let kept = x.shape[0] - held
            guard held > 0, kept > 0 else { throw TrainingError.badData("fit: validationSplit \(validationSplit) leaves no training or no validation samples") }
            trainX = x.slice(alongAxis: 0, range: 0..<kept)
            trainY = y.slice(alongAxis: 0, range: 0..<kept)
            validation = (x.slice(alongAxis: 0, range: kept..<x.shape[0]), y.slice(alongAxis: 0, range: kept..<y.shape[0]))
        }
        if let validation { try checkData(validation.x, validation.y, "fit (validation)") }
        return try fit(TensorSamples(x: trainX, y: trainY), batchSize: batchSize, epochs: epochs,
                       validationData: validation.map { TensorSamples(x: $0.x, y: $0.y) },
                       shuffle: shuffle, seed: seed, callbacks: callbacks, verbose: verbose)
    }

    /// Trains for `epochs` passes over `data` (a `LabeledDataset`, `TensorSamples`, any
    /// `BatchSource`), building each mini-batch from it: a byte-backed dataset (MNIST) converts
    /// only the batch's rows, so its Float inputs are never built whole.
    ///
    /// Each batch's inputs are reshaped to (batch,) + `inputShape` when the model has one of the
    /// same size (a (batch, 784) MNIST batch becomes (batch, 1, 28, 28) for a CNN). The same
    /// data, seed and model give the same history and weights as `fit(x:y:)` on the equivalent
    /// tensors: the order, the batches and the steps are the same.
    ///
    /// - Parameters:
    ///   - data: the training samples; for `.crossEntropy` a `LabeledDataset`'s targets are its labels.
    ///   - validationData: evaluated after each epoch.
    ///   - Others: as `fit(x:y:)`.
    @discardableResult
    public func fit<Source: BatchSource>(_ data: Source, batchSize: Int = 32, epochs: Int = 1,
                                         validationData: (any BatchSource)? = nil, shuffle: Bool = true, seed: UInt64? = nil,
                                         callbacks: [Callback] = [], verbose: Bool = true) throws -> History {
        guard let optimizer else { throw TrainingError.notCompiled }
        guard batchSize > 0, epochs >= 0 else { throw TrainingError.badData("fit: batchSize must be positive and epochs not negative") }
        let samples = data.sampleCount
        guard samples > 0 else { throw TrainingError.badData("fit: no training samples") }
        let steps = (samples + batchSize - 1) / batchSize
        var generator = RandomGenerator(seed: seed ?? RandomGenerator.global.next())
        var history = History()
        history.stepLosses.reserveCapacity(steps * epochs)
        let progress = ProgressPrinter(enabled: verbose, epochs: epochs, steps: steps)
        var order = Array(0..<samples)
        for callback in callbacks { callback.trainingStarted(model: self) }

        for epoch in 1...max(epochs, 1) where epochs > 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            for callback in callbacks { callback.epochStarted(epoch, model: self) }
            isTraining = true
            // Layers may change between epochs (a callback), not during one.
            let parameters = self.parameters
            for i in order.indices { order[i] = i }
            if shuffle { generator.shuffle(&order) }
            var lossSum: Double = 0, correct = 0, counted = 0
            for step in 0..<steps {
                let rows = order[(step * batchSize)..<min(samples, (step + 1) * batchSize)]
                let (rawX, batchY) = data.batch(rows: rows)
                let batchX = try shapedForModel(rawX, batchY, "fit")
                let output = self(Variable(batchX))
                let lossValue = loss(output, batchY)
                let value = lossValue.scalar
                guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1, loss: value) }
                lossValue.backward()
                optimizer.update(parameters)
                for parameter in parameters { parameter.zeroGrad() }

                history.stepLosses.append(value)
                lossSum += Double(value) * Double(rows.count)
                if let hits = correctCount(output.value, batchY) { correct += hits; counted += rows.count }
                progress.step(epoch: epoch, step: step + 1, loss: Float(lossSum / Double(step * batchSize + rows.count)))
                if let observer = TrainingProgress.observer {
                    observer(TrainingProgress(epoch: epoch, epochs: epochs, step: step + 1, steps: steps, loss: value))
                }
            }
            var record = EpochRecord(epoch: epoch, loss: Float(lossSum / Double(samples)), metrics: [:], validationLoss: nil,
                                     validationMetrics: [:], learningRate: optimizer.learningRate, seconds: 0)
            if counted > 0 { record.metrics["accuracy"] = Float(correct) / Float(counted) }
            if let validationData {
                let evaluation = try evaluate(validationData, batchSize: max(batchSize, 256))
                record.validationLoss = evaluation.loss
                record.validationMetrics = evaluation.metrics
            }
            record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            history.epochs.append(record)
            progress.epochEnded(record)
            var keepGoing = true
            for callback in callbacks where !callback.epochEnded(record, model: self) { keepGoing = false }
            if !keepGoing { break }
        }
        isTraining = false
        return history
    }

    /// The loss and metrics on (x, y), in evaluation mode, without recording gradients.
    public struct Evaluation: CustomStringConvertible {
        public var loss: Float
        public var metrics: [String: Float]
        public var accuracy: Float? { metrics["accuracy"] }
        public var description: String {
            (["loss: \(format(loss))"] + metrics.keys.sorted().map { "\($0): \(format(metrics[$0]!))" }).joined(separator: ", ")
        }
    }

    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 1000) throws -> Evaluation {
        try checkData(x, y, "evaluate")
        return try evaluate(TensorSamples(x: x, y: y), batchSize: batchSize)
    }

    /// The loss and metrics on `data` (a `LabeledDataset`, or any `BatchSource`), read in
    /// consecutive batches of `batchSize`, as `evaluate(x:y:)` reads tensors (same results).
    public func evaluate(_ data: any BatchSource, batchSize: Int = 1000) throws -> Evaluation {
        guard batchSize > 0 else { throw TrainingError.badData("evaluate: batchSize must be positive") }
        let samples = data.sampleCount
        guard samples > 0 else { throw TrainingError.badData("evaluate: no samples") }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        var lossSum: Double = 0, correct = 0, counted = 0
        try withoutGradients {
            var start = 0
            while start < samples {
                let end = min(samples, start + batchSize)
                let (rawX, batchY) = data.batch(rows: start..<end)
                let batchX = try shapedForModel(rawX, batchY, "evaluate")
                let output = self(Variable(batchX))
                lossSum += Double(loss(output, batchY).scalar) * Double(end - start)
                if let hits = correctCount(output.value, batchY) { correct += hits; counted += end - start }
                start = end
            }
        }
        var metrics: [String: Float] = [:]
        if counted > 0 { metrics["accuracy"] = Float(correct) / Float(counted) }
        return Evaluation(loss: Float(lossSum / Double(max(samples, 1))), metrics: metrics)
    }

    /// The model's outputs for `x`, in evaluation mode, computed in batches. Inputs are reshaped
    /// to (samples,) + `inputShape` when the model has one of the same size, as `fit` does with
    /// a dataset's rows; no samples give no outputs, (0,) + the output's shape.
    public func predict(_ x: Tensor, batchSize: Int) -> Tensor {
        if batchSize < 1 { engineFailure("predict: batchSize \(batchSize) must be at least 1") }
        if x.rank < 1 { engineFailure("predict: inputs of shape \(x.shape) have no sample axis; pass (samples, ...)") }
        let x = reshapedToInputShape(x)
        let output: [Int]?
        do { output = try outputSampleShape(Array(x.shape.dropFirst()), "predict") } catch { engineFailure("\(error)") }
        let samples = x.shape[0]
        if samples == 0 {
            guard let output else { engineFailure("predict: no samples (inputs of shape \(x.shape))") }
            return Tensor.zeros([0] + output)
        }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        var parts: [Tensor] = []
        withoutGradients {
            var start = 0
            while start < samples {
                let end = min(samples, start + batchSize)
                parts.append(self(Variable(x.slice(alongAxis: 0, range: start..<end))).value)
                start = end
            }
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
    }

    /// The predicted class of each sample (the argmax of the outputs).
    public func predictClasses(_ x: Tensor, batchSize: Int = 1000) -> [Int] {
        predictedClasses(predict(x, batchSize: batchSize))
    }

    // MARK: - Helpers

    private func checkData(_ x: Tensor, _ y: Tensor, _ operation: String) throws {
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0], x.shape[0] > 0 else {
            throw TrainingError.badData("\(operation): inputs \(x.shape) and targets \(y.shape) must hold the same number (> 0) of samples")
        }
        if let inputShape, Array(x.shape.dropFirst()) != inputShape {
            throw TrainingError.badData("\(operation): samples of shape \(Array(x.shape.dropFirst())) but the model takes \(inputShape)")
        }
    }

    /// Inputs as the model takes them: (samples,) + `inputShape` when the model has an input
    /// shape of the same size (a flat (batch, 784) batch for a (1, 28, 28) model), else as given.
    private func reshapedToInputShape(_ x: Tensor) -> Tensor {
        guard let inputShape, x.rank >= 1, !x.shape.dropFirst().elementsEqual(inputShape),
              x.count == x.shape[0] * inputShape.reduce(1, *) else { return x }
        return x.reshaped(to: [x.shape[0]] + inputShape)
    }

    /// A batch's inputs as the model takes them (`reshapedToInputShape`), checked.
    private func shapedForModel(_ x: Tensor, _ y: Tensor, _ operation: String) throws -> Tensor {
        let x = reshapedToInputShape(x)
        try checkData(x, y, operation)
        try checkSamples(Array(x.shape.dropFirst()), targets: y, operation)
        return x
    }

    /// Throws `badData` when a layer cannot take what the one before it gives (starting from
    /// samples of shape `sample`), or when `targets` do not suit the output and the loss: the
    /// layers and losses would stop the program on them. Layers of other kinds than ours end
    /// the check (their own checks run when they are called).
    private func checkSamples(_ sample: [Int], targets y: Tensor, _ operation: String) throws {
        guard let output = try outputSampleShape(sample, operation) else { return }
        func fail(_ message: String) -> TrainingError { .badData("\(operation): \(message)") }
        switch loss {
        case .crossEntropy:
            guard output.count == 1 else {
                throw fail("the cross-entropy needs (batch, classes) outputs (logits), the model gives (batch, \(output))")
            }
            let classes = output[0]
            guard y.count == y.shape[0] else {
                throw fail("the cross-entropy takes one class index per sample, shape (batch), but the targets have shape \(y.shape); pass the labels, not one-hot rows")
            }
            if let bad = y.scalars.firstIndex(where: { !($0 >= 0 && $0 < Float(classes) && $0 == $0.rounded()) }) {
                throw fail("target \(y.scalars[bad]) (sample \(bad) of the batch) is not a class index in 0..<\(classes)")
            }
        case .meanSquaredError, .binaryCrossEntropy, .binaryCrossEntropyWithLogits, .klDivergence:
            guard Array(y.shape.dropFirst()) == output else {
                throw fail("the model gives outputs of shape \(output) per sample but the targets have shape \(Array(y.shape.dropFirst())) (\(loss) compares them value by value)")
            }
        }
    }

    /// The shape of one output sample for input samples of shape `sample`, checking each layer
    /// takes its input; nil when a layer is not one of ours.
    private func outputSampleShape(_ sample: [Int], _ operation: String) throws -> [Int]? {
        var shape = sample
        for (index, layer) in layers.enumerated() {
            switch sampleShapeStep(layer, shape) {
            case .output(let next): shape = next
            case .rejects(let expected):
                throw TrainingError.badData("\(operation): layer \(index) (\(layer.typeName)) gets samples of shape \(shape) but takes \(expected)")
            case .unknown: return nil
            }
        }
        return shape
    }

    /// Correct predictions in a batch, when accuracy means something for this loss and target.
    private func correctCount(_ output: Tensor, _ target: Tensor) -> Int? {
        switch loss {
        case .crossEntropy:
            // The argmax of each row (the first maximum, as `predictedClasses`) against the
            // class index, without building either array.
            guard output.rank == 2, output.shape[0] == target.count else {
                return zip(predictedClasses(output), classIndices(target)).filter { $0 == $1 }.count
            }
            let rows = output.shape[0], columns = output.shape[1]
            return output.withUnsafeBufferPointer { scores in
                target.withUnsafeBufferPointer { labels in
                    var hits = 0
                    for r in 0..<rows {
                        var best = 0, bestValue = -Float.infinity
                        for c in 0..<columns where scores[r * columns + c] > bestValue {
                            bestValue = scores[r * columns + c]
                            best = c
                        }
                        if best == Int(labels[r]) { hits += 1 }
                    }
                    return hits
                }
            }
        case .binaryCrossEntropy, .binaryCrossEntropyWithLogits:
            let threshold: Float = loss == .binaryCrossEntropy ? 0.5 : 0
            return zip(output.scalars, target.scalars).filter { ($0 > threshold) == ($1 > 0.5) }.count / max(output.count / output.shape[0], 1)
        case .meanSquaredError, .klDivergence:
            guard output.rank == 2, output.shape[1] > 1, target.shape == output.shape else { return nil }
            return zip(predictedClasses(output), predictedClasses(target)).filter { $0 == $1 }.count
        }
    }
}

func format(_ value: Float) -> String { String(format: "%.4f", value) }

/// Prints training progress: a bar redrawn on a terminal (stderr), a line per epoch otherwise.
final class ProgressPrinter {
    let enabled: Bool, epochs: Int, steps: Int
    let terminal = isatty(fileno(stderr)) != 0
    private var lastDraw: UInt64 = 0

    init(enabled: Bool, epochs: Int, steps: Int) {
        self.enabled = enabled
        self.epochs = epochs
        self.steps = steps
    }

    func step(epoch: Int, step: Int, loss: Float) {
        guard enabled, terminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if step != steps && now - lastDraw < 100_000_000 { return }
        lastDraw = now
        let width = 30, done = width * step / max(steps, 1)
        let bar = String(repeating: "=", count: done) + String(repeating: " ", count: width - done)
        fputs("\repoch \(epoch)/\(epochs) [\(bar)] \(step)/\(steps) loss \(format(loss))", stderr)
    }

    func epochEnded(_ record: EpochRecord) {
        guard enabled else { return }
        if terminal { fputs("\r\u{1B}[K", stderr) }
        var parts = ["epoch \(record.epoch)/\(epochs)", "loss \(format(record.loss))"]
        if let accuracy = record.metrics["accuracy"] { parts.append("accuracy \(format(accuracy))") }
        if let validationLoss = record.validationLoss { parts.append("val_loss \(format(validationLoss))") }
        if let accuracy = record.validationMetrics["accuracy"] { parts.append("val_accuracy \(format(accuracy))") }
        parts.append(String(format: "%.1f s", record.seconds))
        print(parts.joined(separator: "  "))
        fflush(stdout)
    }
}

/// What a layer does to the shape of one sample (batch axis omitted).
enum SampleShapeStep {
    /// It takes the sample and gives one of this shape.
    case output([Int])
    /// It cannot take the sample; what it takes, in words.
    case rejects(String)
    /// A layer of another kind than ours: its own checks run when it is called.
    case unknown
}

/// Whether `layer` takes samples of shape `shape`, and the shape it then gives: the checks the
/// layers make when called (where they stop the program), made beforehand.
func sampleShapeStep(_ layer: Layer, _ shape: [Int]) -> SampleShapeStep {
    switch layer {
    case let linear as Linear:
        if shape != [linear.inputCount] { return .rejects("(\(linear.inputCount))") }
    case let conv as Conv2D:
        if shape.count != 3 || shape[0] != conv.inputChannels { return .rejects("(\(conv.inputChannels), height, width)") }
        if conv.outputShape(forInput: shape).contains(where: { $0 < 1 }) {
            return .rejects("images of at least the kernel's size \(conv.window.kernelHeight)x\(conv.window.kernelWidth) (after padding)")
        }
    case is MaxPool2D, is AvgPool2D:
        if shape.count != 3 { return .rejects("(channels, height, width)") }
        if layer.outputShape(forInput: shape).contains(where: { $0 < 1 }) { return .rejects("images at least as large as the window") }
    case let norm as BatchNorm:
        if !((shape.count == 1 || shape.count == 3) && shape[0] == norm.featureCount) {
            return .rejects("(\(norm.featureCount)) or (\(norm.featureCount), height, width)")
        }
    case let lstm as LSTM:
        if shape.count != 2 || shape[1] != lstm.inputCount { return .rejects("(time, \(lstm.inputCount))") }
    case let reshape as Reshape:
        let count = shape.reduce(1, *), known = reshape.shape.filter { $0 != -1 }.reduce(1, *)
        guard let free = reshape.shape.firstIndex(of: -1) else {
            return known == count ? .output(reshape.shape) : .rejects("samples of \(known) values")
        }
        guard known > 0, count % known == 0 else { return .rejects("samples of a multiple of \(known) values") }
        var next = reshape.shape
        next[free] = count / known
        return .output(next)
    case is Flatten, is Dropout, is ActivationLayer:
        break
    default:
        return .unknown
    }
    return .output(layer.outputShape(forInput: shape))
}
