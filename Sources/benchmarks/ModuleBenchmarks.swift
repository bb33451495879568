// `benchmarks modules`: what finding a model's parameters in its properties costs (Mirror, every
// call, no cache), against one training step of the same model: fit walks once per epoch, a
// loop of one's own typically once per step (`optimizer.update(model.parameters)`).
import Foundation
import NeuralNetwork
import Optimizers

/// A model of one's own: arrays and nested layers, as a PyTorch user writes it.
private final class Blocks: Module {
    let input = Linear(784, 256)
    let blocks = (0..<4).map { _ in Sequential([Linear(256, 256), BatchNorm(256), ReLU()]) }
    let output = Linear(256, 10)
    func callAsFunction(_ x: Variable) -> Variable { output(blocks.reduce(relu(input(x))) { $1($0) }) }
}

func runModuleBenchmarks() throws {
    RandomGenerator.seedGlobal(1)
    let mlp = Sequential([Linear(784, 256), BatchNorm(256), ReLU(), Dropout(rate: 0.2), Linear(256, 128), ReLU(), Linear(128, 10)],
                         inputShape: [784])
    let own = Blocks()
    for (name, model) in [("mlp", mlp as Module), ("own_blocks", own as Module)] {
        let walk = medianSeconds(repetitions: 201) { _ = model.namedParameters }
        report("walk_\(name)_namedParameters", walk * 1e6, "us (\(model.parameters.count) parameters)", decimals: 1)
        let mode = medianSeconds(repetitions: 201) { model.isTraining = true }
        report("walk_\(name)_set_isTraining", mode * 1e6, "us", decimals: 1)
        // One step of batch 128: forward, backward, Adam.
        let x = Tensor.randomNormal(shape: [128, 784]), labels = (0..<128).map { $0 % 10 }
        let optimizer = Adam(learningRate: 1e-3)
        let step = medianSeconds(repetitions: 21) {
            let loss = crossEntropy(logits: model(x), labels: labels)
            loss.backward()
            optimizer.update(model.parameters)
            model.zeroGradients()
        }
        report("walk_\(name)_training_step", step * 1e6, "us (the walk is \(String(format: "%.2f", 100 * walk / step))% of it)", decimals: 0)
    }
}
