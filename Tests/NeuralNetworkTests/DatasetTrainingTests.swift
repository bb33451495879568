import Foundation
import Testing
@testable import Optimizers
import Datasets

/// `fit(_:)` / `evaluate(_:)` on a `LabeledDataset` (byte-backed, batches converted on demand)
/// against `fit(x:y:)` / `evaluate(x:y:)` on the same samples as Float tensors.
///
/// Bit for bit by construction: both paths go through the same loop, draw the same order from
/// the same seed, and a byte-backed batch holds exactly the Floats of the same rows of `inputs`
/// (the same 256-entry table lookup), so every product, loss and update sees identical values.
@Suite struct DatasetTrainingTests {
    /// 300 samples of 20 byte features in 3 classes, loosely separable.
    func bytesDataset() -> LabeledDataset {
        var generator = RandomGenerator(seed: 9)
        var bytes: [UInt8] = [], labels: [Int] = []
        for i in 0..<300 {
            let label = i % 3
            labels.append(label)
            for feature in 0..<20 {
                let base = feature % 3 == label ? 170 : 60
                bytes.append(UInt8(base + Int(Float.random(in: 0..<80, using: &generator))))
            }
        }
        return LabeledDataset(bytes: bytes, featureCount: 20, labels: labels, classNames: ["a", "b", "c"],
                              normalize: .mnist)
    }

    func model(_ seed: UInt64, inputShape: [Int] = [20]) -> Sequential {
        var generator = RandomGenerator(seed: seed)
        var layers: [Layer] = inputShape == [20] ? [] : [Flatten()]
        layers += [Linear(20, 16, generator: &generator), ReLU(), Linear(16, 3, generator: &generator)]
        let model = Sequential(layers, inputShape: inputShape)
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .crossEntropy)
        return model
    }

    /// The history without wall-clock times.
    func timeless(_ history: History) -> History {
        var copy = history
        for i in copy.epochs.indices { copy.epochs[i].seconds = 0 }
        return copy
    }

    func weights(_ model: Sequential) -> [Tensor] { model.parameters.map(\.value) }

    @Test func fitFromADatasetEqualsFitFromItsTensorsBitForBit() throws {
        let data = bytesDataset()
        let (train, validation) = data.split(validationFraction: 0.2, seed: 1)
        #expect(train.inputsAreLazy)

        let fromDataset = model(5)
        let history = try fromDataset.fit(train, batchSize: 32, epochs: 3, validationData: validation, seed: 7, verbose: false)
        #expect(train.inputsAreLazy && validation.inputsAreLazy, "fit must not build the whole Float inputs")

        let fromTensors = model(5)
        let reference = try fromTensors.fit(x: train.inputs, y: train.labelsTensor, batchSize: 32, epochs: 3,
                                            validationData: (validation.inputs, validation.labelsTensor), seed: 7, verbose: false)
        #expect(history.stepLosses.count == 3 * 8)
        #expect(timeless(history) == timeless(reference))
        #expect(weights(fromDataset) == weights(fromTensors))
        #expect(history.epochs.last!.metrics["accuracy"]! > 0.9)

        let evaluation = try fromDataset.evaluate(validation, batchSize: 25)
        let referenceEvaluation = try fromTensors.evaluate(x: validation.inputs, y: validation.labelsTensor, batchSize: 25)
        #expect(evaluation.loss == referenceEvaluation.loss && evaluation.metrics == referenceEvaluation.metrics)
    }

    @Test func batchesAreReshapedToTheModelsInputShape() throws {
        let data = bytesDataset().prefix(96)
        let shaped = model(3, inputShape: [1, 4, 5])
        let history = try shaped.fit(data, batchSize: 32, epochs: 2, seed: 2, verbose: false)
        let reference = model(3, inputShape: [1, 4, 5])
        let referenceHistory = try reference.fit(x: data.inputs.reshaped(to: [96, 1, 4, 5]), y: data.labelsTensor,
                                                 batchSize: 32, epochs: 2, seed: 2, verbose: false)
        #expect(timeless(history) == timeless(referenceHistory))
        #expect(weights(shaped) == weights(reference))
        // A dataset whose samples do not fit the model is refused, not silently reshaped.
        let wrong = model(3, inputShape: [21])
        #expect(throws: TrainingError.self) { try wrong.fit(data, batchSize: 32, epochs: 1, verbose: false) }
    }

    /// Keras' validation_split on a dataset: the last samples are held out, as for tensors, and
    /// the dataset stays bytes.
    @Test func aDatasetsValidationSplitIsTheTensorsOne() throws {
        let data = bytesDataset()
        let a = model(12), b = model(12)
        let history = try a.fit(data, batchSize: 32, epochs: 2, validationSplit: 0.25, seed: 4, verbose: false)
        #expect(data.inputsAreLazy)
        let reference = try b.fit(x: data.inputs, y: data.labelsTensor, batchSize: 32, epochs: 2, validationSplit: 0.25,
                                  seed: 4, verbose: false)
        #expect(history.validationLoss.count == 2)
        #expect(timeless(history) == timeless(reference) && weights(a) == weights(b))
        #expect(throws: TrainingError.self) { try a.fit(data, validationSplit: 1, verbose: false) }
    }

    @Test func tensorSamplesTrainLikeTensors() throws {
        let data = bytesDataset()
        let a = model(11), b = model(11)
        let history = try a.fit(TensorSamples(x: data.inputs, y: data.labelsTensor), batchSize: 50, epochs: 2, seed: 3, verbose: false)
        let reference = try b.fit(x: data.inputs, y: data.labelsTensor, batchSize: 50, epochs: 2, seed: 3, verbose: false)
        #expect(timeless(history) == timeless(reference) && weights(a) == weights(b))
    }
}
