import Foundation
import Testing
@testable import Optimizers
import Datasets

private let xorInputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
private let xorLabels = Tensor([0, 1, 1, 0])

private func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-models-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite(.serialized) struct SequentialTests {
    @Test func learnsXOR() throws {
        var generator = RandomGenerator(seed: 42)
        let model = Sequential([Linear(2, 8, generator: &generator), Tanh(), Linear(8, 2, generator: &generator)], inputShape: [2])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        let history = try model.fit(x: xorInputs, y: xorLabels, batchSize: 4, epochs: 300, verbose: false)
        #expect(model.predictClasses(xorInputs) == [0, 1, 1, 0])
        #expect(history.loss.last! < 0.05)
        #expect(history.loss.first! > 0.5)
        #expect(history.stepLosses.count == 300)
        #expect(try model.evaluate(x: xorInputs, y: xorLabels).accuracy == 1)
    }

    @Test func learnsXORWithBinaryCrossEntropyAndASigmoid() throws {
        var generator = RandomGenerator(seed: 4)
        let model = Sequential([Linear(2, 8, generator: &generator), Tanh(), Linear(8, 1, generator: &generator), Sigmoid()])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .binaryCrossEntropy)
        try model.fit(x: xorInputs, y: xorLabels.reshaped(to: [4, 1]), batchSize: 4, epochs: 400, verbose: false)
        let outputs = model.predict(xorInputs, batchSize: 4).scalars
        #expect(outputs.map { $0 > 0.5 ? 1 : 0 } == [0, 1, 1, 0])
    }

    @Test func summaryListsShapesAndParameters() {
        let model = Sequential([Reshape([1, 28, 28]), Conv2D(1, 4, kernelSize: 3, padding: 1), ReLU(), MaxPool2D(size: 2),
                                Flatten(), Linear(4 * 14 * 14, 10)], inputShape: [784])
        let summary = model.summary()
        #expect(summary.rows.map(\.outputShape) == ["(batch, 1, 28, 28)", "(batch, 4, 28, 28)", "(batch, 4, 28, 28)",
                                                    "(batch, 4, 14, 14)", "(batch, 784)", "(batch, 10)"])
        #expect(summary.rows.map(\.parameters) == [0, 1 * 9 * 4 + 4, 0, 0, 0, 784 * 10 + 10])
        #expect(summary.totalParameters == 40 + 7850)
        #expect(summary.description.contains("Total parameters: 7,890"))
    }

    @Test func summaryOfAnInputShapeTheLayersCannotTakeSaysSo() {
        // MaxPool2D's output shape read input[1] and input[2] of a one-axis shape: a crash.
        let model = Sequential([MaxPool2D(size: 2), Flatten(), Linear(4, 2)], inputShape: [784])
        let summary = model.summary()
        #expect(summary.rows.map(\.outputShape) == ["? (takes (channels, height, width))", "?", "?"])
        #expect(summary.description.contains("Total parameters: 10"))
        #expect(Sequential([Reshape([-1, 7]), LSTM(7, 3)]).summary(inputShape: [28]).rows.map(\.outputShape)
            == ["(batch, 4, 7)", "(batch, 3)"])
    }

    @Test func savedModelPredictsBitIdentically() throws {
        var generator = RandomGenerator(seed: 9)
        let model = Sequential([Linear(6, 5, generator: &generator), BatchNorm(5), ReLU(), Dropout(rate: 0.3),
                                Linear(5, 3, generator: &generator)], inputShape: [6])
        model.compile(optimizer: SGD(learningRate: 0.1, momentum: 0.9), loss: .crossEntropy)
        let x = Tensor.randomNormal(shape: [32, 6], using: &generator)
        let y = Tensor((0..<32).map { Float($0 % 3) })
        try model.fit(x: x, y: y, batchSize: 8, epochs: 3, verbose: false)
        let path = temporaryPath("model")
        try model.save(to: path)
        #expect(FileManager.default.fileExists(atPath: path + ".safetensors"))
        #expect(FileManager.default.fileExists(atPath: path + ".json"))
        let loaded = try Sequential.load(from: path + ".safetensors")
        #expect(loaded.layers.map(\.typeName) == model.layers.map(\.typeName))
        let before = model.predict(x, batchSize: 32), after = loaded.predict(x, batchSize: 32)
        #expect(before.scalars.map(\.bitPattern) == after.scalars.map(\.bitPattern))
        // Running statistics came back too (they differ from the initial 0 and 1).
        #expect((loaded.layers[1] as! BatchNorm).runningMean == (model.layers[1] as! BatchNorm).runningMean)
    }

    @Test func damagedModelFilesAreErrorsNamingTheFile() throws {
        let model = Sequential([Linear(3, 2)], inputShape: [3])
        let path = temporaryPath("damaged")
        try model.save(to: path)
        let weights = try Data(contentsOf: URL(fileURLWithPath: path + ".safetensors"))
        try weights.prefix(weights.count - 4).write(to: URL(fileURLWithPath: path + ".safetensors"))
        let truncated = #expect(throws: SafeTensorsError.self) { try Sequential.load(from: path) }
        #expect(truncated?.description.contains(path + ".safetensors") == true)

        try model.save(to: path)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path + ".json"))
        let garbled = #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        #expect(garbled?.description.contains(path + ".json") == true)

        // Weights for another architecture.
        try Sequential([Linear(4, 2)], inputShape: [4]).save(to: path)
        try Data(#"{"format":"nbrun.sequential","version":1,"layers":[{"linear":{"inputs":3,"outputs":2,"bias":true}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path + ".json"))
        let mismatch = #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        #expect(mismatch?.description.contains("0.weight") == true)
    }

    @Test func impossibleArchitecturesAndForeignWeightsAreErrorsNotCrashes() throws {
        let path = temporaryPath("impossible")
        func load(architecture layers: String, inputShape: String = "[3]") -> ModelFileError? {
            try? Data(#"{"format":"nbrun.sequential","version":1,"inputShape":\#(inputShape),"layers":[\#(layers)]}"#.utf8)
                .write(to: URL(fileURLWithPath: path + ".json"))
            return #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        }
        try Sequential([Dropout(rate: 0.5), Linear(3, 2)], inputShape: [3]).save(to: path)
        // Sizes and rates that the layers' initialisers stop on, or would allocate without bound.
        #expect(load(architecture: #"{"dropout":{"rate":1.5}},{"linear":{"inputs":3,"outputs":2,"bias":true}}"#)?
            .description.contains("layer 0 (Dropout) has rate 1.5") == true)
        #expect(load(architecture: #"{"linear":{"inputs":-3,"outputs":2,"bias":true}}"#)?.description.contains("inputs -3") == true)
        #expect(load(architecture: #"{"conv2D":{"inputChannels":1,"filters":2,"kernelSize":0,"stride":1,"padding":0}}"#) != nil)
        #expect(load(architecture: #"{"maxPool2D":{"size":2,"stride":2,"padding":-1}}"#) != nil)
        #expect(load(architecture: #"{"lstm":{"inputs":3,"hidden":0,"returnSequences":false}}"#) != nil)
        #expect(load(architecture: #"{"batchNorm":{"features":-1,"momentum":0.1,"epsilon":1e-5}}"#) != nil)
        #expect(load(architecture: #"{"linear":{"inputs":3000000000,"outputs":3000000000,"bias":true}}"#)?
            .description.contains("holds 8 in all") == true)
        #expect(load(architecture: #"{"linear":{"inputs":3,"outputs":2,"bias":true}}"#, inputShape: "[-3]") != nil)
        // A layer type named by dots alone stopped the program while the error was written (found by the
        // model fuzz target, Fuzz/Regressions/model).
        #expect(load(architecture: #"{"....":{"filChannels":[]}}"#)?.description.contains("which nbrun does not know") == true)
        #expect(load(architecture: #"{"Program.Block":{}}"#)?.description.contains("call Block.register()") == true)
        // The same inside a nested model (found reading the model fuzz target's harness): it was
        // built, 40 GB of weights, before the file was found to hold 8.
        #expect(load(architecture: #"{"sequential":{"layers":[{"linear":{"inputs":100000,"outputs":100000,"bias":true}}]}}"#)?
            .description.contains("needs 10000100000 weights") == true)

        // Weights of a deeper model under an architecture of one layer: the extra tensors are an
        // error, not silently dropped.
        try Sequential([Linear(3, 2), ReLU(), Linear(2, 2)], inputShape: [3]).save(to: path)
        let foreign = load(architecture: #"{"linear":{"inputs":3,"outputs":2,"bias":true}}"#)
        #expect(foreign?.description.contains("2.bias") == true)
        #expect(foreign?.description.contains(path + ".safetensors") == true)
    }

    @Test func loadingAStateDictionaryIsAllOrNothing() throws {
        var generator = RandomGenerator(seed: 5)
        let model = Sequential([Linear(3, 2, generator: &generator), ReLU(), Linear(2, 2, generator: &generator)])
        let before = model.stateDictionary()
        var state = Sequential([Linear(3, 2, generator: &generator), ReLU(), Linear(2, 2, generator: &generator)]).stateDictionary()
        // A wrong last tensor: the first ones must not have been set (they were, before the error).
        state["2.bias"] = Tensor.zeros([3])
        #expect(throws: ModelFileError.self) { try model.loadStateDictionary(state, file: "weights") }
        #expect(model.stateDictionary() == before)
        // A tensor the model has no place for.
        state["2.bias"] = Tensor.zeros([2])
        state["4.weight"] = Tensor.zeros([2, 2])
        let extra = #expect(throws: ModelFileError.self) { try model.loadStateDictionary(state, file: "weights") }
        #expect(extra?.description.contains("\"4.weight\"") == true)
        #expect(model.stateDictionary() == before)
        state["4.weight"] = nil
        try model.loadStateDictionary(state, file: "weights")
        #expect(model.stateDictionary() == state)
    }

    @Test func nonFiniteLossStopsTrainingNamingTheStep() throws {
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError)
        var x = Tensor.ones([8, 2])
        x.scalars[5] = .nan   // sample 2, in the second batch of 2 when not shuffled
        #expect {
            try model.fit(x: x, y: Tensor.zeros([8, 2]), batchSize: 2, epochs: 1, shuffle: false, verbose: false)
        } throws: { error in
            guard case TrainingError.nonFiniteLoss(let epoch, let step, _) = error else { return false }
            return epoch == 1 && step == 2 && "\(error)".contains("step 2")
        }
    }

    @Test func fitWithoutCompileAndBadDataAreErrors() throws {
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        #expect(throws: TrainingError.self) { try model.fit(x: xorInputs, y: xorLabels) }
        model.compile(optimizer: SGD(), loss: .crossEntropy)
        #expect(throws: TrainingError.self) { try model.fit(x: xorInputs, y: Tensor([0, 1]), verbose: false) }
        #expect(throws: TrainingError.self) { try model.fit(x: Tensor.ones([4, 3]), y: xorLabels, verbose: false) }
    }

    @Test func inputsAndTargetsTheLayersCannotTakeAreErrorsNotCrashes() throws {
        func expectBadData(_ words: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
                guard case TrainingError.badData(let message) = error else { return false }
                return message.contains(words)
            }
        }
        // No inputShape: the first layer's own size is checked.
        let mlp = Sequential([Linear(2, 3), ReLU(), Linear(3, 3)])
        mlp.compile(optimizer: SGD(), loss: .crossEntropy)
        expectBadData("layer 0 (Linear) gets samples of shape [5]") { _ = try mlp.evaluate(x: Tensor.zeros([4, 5]), y: xorLabels) }
        expectBadData("one class index per sample") { try mlp.fit(x: xorInputs, y: Tensor.zeros([4, 3]), verbose: false) }
        expectBadData("not a class index in 0..<3") { try mlp.fit(x: xorInputs, y: Tensor([0, 1, 3, 0]), verbose: false) }
        expectBadData("not a class index") { _ = try mlp.evaluate(x: xorInputs, y: Tensor([0, 1, -1, 0])) }
        mlp.compile(optimizer: SGD(), loss: .meanSquaredError)
        expectBadData("targets have shape [2]") { try mlp.fit(x: xorInputs, y: Tensor.zeros([4, 2]), verbose: false) }

        let cnn = Sequential([Conv2D(1, 2, kernelSize: 5), MaxPool2D(size: 2), Flatten(), Linear(8, 2)])
        cnn.compile(optimizer: SGD(), loss: .crossEntropy)
        expectBadData("layer 0 (Conv2D)") { try cnn.fit(x: Tensor.zeros([2, 1, 3, 3]), y: Tensor([0, 1]), verbose: false) }
        expectBadData("layer 0 (Conv2D)") { try cnn.fit(x: Tensor.zeros([2, 3, 8, 8]), y: Tensor([0, 1]), verbose: false) }
        expectBadData("layer 3 (Linear) gets samples of shape [18]") {
            try cnn.fit(x: Tensor.zeros([2, 1, 10, 10]), y: Tensor([0, 1]), verbose: false)
        }
        try cnn.fit(x: Tensor.zeros([2, 1, 8, 8]), y: Tensor([0, 1]), verbose: false)

        let lstm = Sequential([LSTM(3, 4), Linear(4, 2)])
        lstm.compile(optimizer: SGD(), loss: .crossEntropy)
        expectBadData("(time, 3)") { try lstm.fit(x: Tensor.zeros([2, 5, 2]), y: Tensor([0, 1]), verbose: false) }
    }

    @Test func predictTakesFlatRowsAndEmptyInputs() throws {
        let model = Sequential([Conv2D(1, 2, kernelSize: 3), Flatten(), Linear(8, 3)], inputShape: [1, 4, 4])
        let images = Tensor.randomNormal(shape: [5, 1, 4, 4])
        let outputs = model.predict(images, batchSize: 2)
        #expect(outputs.shape == [5, 3])
        // Rows of 16 values, as a dataset's inputs, are the images the model takes (as in fit).
        #expect(model.predict(images.reshaped(to: [5, 16]), batchSize: 100) == outputs)
        #expect(model.predict(Tensor.zeros([0, 16]), batchSize: 10).shape == [0, 3])
        #expect(model.predictClasses(Tensor.zeros([0, 1, 4, 4])) == [])
    }

    @Test func earlyStoppingStopsAndRestoresTheBestWeights() throws {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential([Linear(2, 2, generator: &generator)], inputShape: [2])
        // A learning rate so large that the validation loss gets worse after the first epochs.
        model.compile(optimizer: SGD(learningRate: 50), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .validationLoss, patience: 2)
        let history = try model.fit(x: xorInputs, y: xorLabels, batchSize: 4, epochs: 50,
                                    validationData: (xorInputs, xorLabels), callbacks: [stopper], verbose: false)
        #expect(history.epochs.count < 50)
        #expect(stopper.stoppedEpoch == history.epochs.count)
        let best = history.validationLoss.min()!
        #expect(abs(try model.evaluate(x: xorInputs, y: xorLabels).loss - best) < 1e-4)
    }

    @Test func earlyStoppingStartsAfreshInEachFit() throws {
        var generator = RandomGenerator(seed: 1)
        let first = Sequential([Linear(2, 2, generator: &generator)], inputShape: [2])
        first.compile(optimizer: SGD(learningRate: 1), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .loss, patience: 2)
        try first.fit(x: xorInputs, y: xorLabels, batchSize: 4, epochs: 20, callbacks: [stopper], verbose: false)

        // A second model that does not learn (learning rate 0), so its loss stays above the
        // first one's best: its own first epoch is its best, it stops after two more, and the
        // weights put back are its own, never the first model's.
        let second = Sequential([Linear(2, 2, generator: &generator)], inputShape: [2])
        let initial = second.parameters.map(\.value)
        second.compile(optimizer: SGD(learningRate: 0), loss: .crossEntropy)
        let history = try second.fit(x: xorInputs, y: xorLabels, batchSize: 4, epochs: 20, callbacks: [stopper], verbose: false)
        #expect(history.epochs.count == 3)
        #expect(stopper.bestEpoch == 1 && stopper.stoppedEpoch == 3)
        #expect(second.parameters.map(\.value) == initial)
    }

    @Test func learningRateSchedulerSetsEveryEpochIncludingTheFirst() throws {
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.5), loss: .crossEntropy)
        let schedule = LearningRateSchedule.step(initial: 0.1, factor: 0.5, every: 1)
        let history = try model.fit(x: xorInputs, y: xorLabels, batchSize: 2, epochs: 3,
                                    callbacks: [LearningRateScheduler { schedule.rate(epoch: $0) }], verbose: false)
        #expect(history.epochs.map(\.learningRate) == [0.1, 0.05, 0.025])
    }

    @Test func validationSplitHoldsOutTheLastSamples() throws {
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        let x = Tensor.randomNormal(shape: [10, 2]), y = Tensor((0..<10).map { Float($0 % 2) })
        let history = try model.fit(x: x, y: y, batchSize: 3, epochs: 1, validationSplit: 0.2, verbose: false)
        #expect(history.stepLosses.count == 3)   // 8 training samples in batches of 3
        #expect(history.validationLoss.count == 1)
    }

    /// A split that is NaN (ignored before) or far past 1 (its Int conversion is undefined in the
    /// release engine) is refused; so is 1, which left no training samples.
    @Test func validationSplitOutsideTheUnitIntervalIsAnError() {
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        for split in [Double.nan, 1e300, 1, -0.5] {
            #expect { try model.fit(x: xorInputs, y: xorLabels, validationSplit: split, verbose: false) } throws: { error in
                guard case TrainingError.badData(let message) = error else { return false }
                return message == "fit: validationSplit \(split) must be in [0, 1)"
            }
        }
    }
}

@Suite struct LossTests {
    @Test func valuesByHand() {
        let logits = Variable(Tensor([[2, 1, 0], [0, 0, 3]]))
        let p0 = Foundation.exp(Float(2)) / (Foundation.exp(2) + Foundation.exp(1) + 1)
        let p1 = Foundation.exp(Float(3)) / (2 + Foundation.exp(3))
        let perSample = crossEntropy(logits: logits, labels: [0, 2], reduction: .none).value
        expectClose(perSample, [-Foundation.log(p0), -Foundation.log(p1)], tolerance: 1e-5)
        #expect(abs(crossEntropy(logits: logits, labels: [0, 2]).scalar - (perSample.scalars[0] + perSample.scalars[1]) / 2) < 1e-6)
        #expect(abs(crossEntropy(logits: logits, labels: [0, 2], reduction: .sum).scalar - perSample.scalars.reduce(0, +)) < 1e-5)

        let mse = meanSquaredError(predicted: Variable(Tensor([[1, 2], [3, 5]])), expected: Tensor([[1, 0], [0, 1]]), reduction: .none)
        expectClose(mse.value, [2, 12.5])

        let bce = binaryCrossEntropy(predicted: Variable(Tensor([0.9, 0.2])), expected: Tensor([1, 0]), reduction: .none)
        expectClose(bce.value, [-Foundation.log(0.9), -Foundation.log(0.8)], tolerance: 1e-5)
        let bceLogits = binaryCrossEntropy(logits: Variable(Tensor([2, -1])), expected: Tensor([1, 0]), reduction: .none)
        expectClose(bceLogits.value, [Foundation.log(1 + Foundation.exp(-2)), Foundation.log(1 + Foundation.exp(-1))], tolerance: 1e-5)

        let kl = klDivergence(predicted: Variable(Tensor([[0.5, 0.5], [0.9, 0.1]])), expected: Tensor([[1, 0], [0.5, 0.5]]), reduction: .none)
        expectClose(kl.value, [Foundation.log(2), 0.5 * Foundation.log(0.5 / 0.9) + 0.5 * Foundation.log(0.5 / 0.1)], tolerance: 1e-5)
    }

    @Test func gradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 2)
        let logits = Tensor.randomNormal(shape: [4, 3], using: &generator)
        let target = Tensor.randomUniform(shape: [4, 3], lowerBound: 0.1, upperBound: 0.9, using: &generator)
        let probabilities = softmax(Tensor.randomNormal(shape: [4, 3], using: &generator), axis: 1)
        #expect(gradientCheck({ v in crossEntropy(logits: v[0], labels: [0, 2, 1, 1], reduction: .none) }, inputs: [logits]) < 2e-3)
        #expect(gradientCheck({ v in meanSquaredError(predicted: v[0], expected: target, reduction: .none) }, inputs: [logits]) < 2e-3)
        #expect(gradientCheck({ v in binaryCrossEntropy(predicted: v[0], expected: target, reduction: .sum) },
                              inputs: [target * 0.5 + 0.25], epsilon: 1e-3) < 2e-3)
        #expect(gradientCheck({ v in binaryCrossEntropy(logits: v[0], expected: target) }, inputs: [logits]) < 2e-3)
        #expect(gradientCheck({ v in klDivergence(predicted: v[0], expected: probabilities) }, inputs: [target], epsilon: 1e-3) < 2e-3)
    }
}

/// Samples that remember which rows `fit` asked for, in order.
private final class RecordingSamples: BatchSource {
    let samples = TensorSamples(x: Tensor((0..<80).map { Float($0 % 7) }, shape: [40, 2]),
                                y: Tensor((0..<40).map { Float($0 % 2) }))
    var rows: [Int] = []
    var sampleCount: Int { samples.sampleCount }
    func batch<Rows: Collection>(rows: Rows) -> (x: Tensor, y: Tensor) where Rows.Element == Int {
        self.rows += rows
        return samples.batch(rows: rows)
    }
}

@Suite struct ShuffleSeedTests {
    private func orders(seed: UInt64?) throws -> ([Int], [Int]) {
        var generator = RandomGenerator(seed: 1)
        let model = Sequential([Linear(2, 2, generator: &generator)])
        model.compile(optimizer: SGD(learningRate: 0.01), loss: .crossEntropy)
        let data = RecordingSamples()
        try model.fit(data, batchSize: 8, epochs: 1, seed: seed, verbose: false)
        let first = data.rows
        data.rows = []
        try model.fit(data, batchSize: 8, epochs: 1, seed: seed, verbose: false)
        return (first, data.rows)
    }

    /// The order is the engine's own Fisher-Yates on `RandomGenerator(seed:)`, not the
    /// standard library's `shuffle(using:)`, whose algorithm may change between Swift versions.
    @Test func theOrderIsTheEnginesPermutation() throws {
        var generator = RandomGenerator(seed: 5)
        let expected = generator.permutation(of: 40)
        let (first, _) = try orders(seed: 5)
        #expect(first == expected)
        // Pinned: the algorithm and the stream together fix these.
        var pinned = RandomGenerator(seed: 1)
        #expect(pinned.permutation(of: 10) == [3, 6, 1, 5, 0, 9, 2, 8, 4, 7])
    }

    /// Without a seed each call of `fit` shuffles anew (a loop of one-epoch fits must not see
    /// the same order every round, as it did with a fixed default seed); with one, the same.
    @Test func repeatedFitsShuffleAnewUnlessSeeded() throws {
        let (a, b) = try orders(seed: nil)
        #expect(a.sorted() == Array(0..<40) && b.sorted() == Array(0..<40))
        #expect(a != b)
        let (c, d) = try orders(seed: 5)
        #expect(c == d)
    }
}
