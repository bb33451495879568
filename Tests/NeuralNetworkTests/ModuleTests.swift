import Foundation
import Testing
@testable import Optimizers

// Modules and layers as a PyTorch or Keras user writes them: the call, and properties.

/// A parameter-free layer: its call and nothing else.
private final class Halve: Layer {
    func callAsFunction(_ x: Variable) -> Variable { x * 0.5 }
}

/// Weights made with a plain `Variable(...)`, listed nowhere.
private final class Dense: Layer {
    let weight: Variable
    let bias: Variable
    init(_ inputs: Int, _ outputs: Int) {
        weight = Variable(Tensor.randomNormal(shape: [inputs, outputs]) * 0.3)
        bias = Variable(Tensor.zeros([outputs]))
    }
    func callAsFunction(_ x: Variable) -> Variable { matmul(x, weight) + bias }
}

/// A weight the loss cannot reach: read through `.value`, which cuts it off the graph.
private final class CutOff: Layer {
    let weight = Variable(Tensor.ones([4, 4]))
    func callAsFunction(_ x: Variable) -> Variable { matmul(x, Variable(weight.value, requiresGrad: false)) }
}

/// Properties of every kind the walk looks into.
private class Base: Module {
    let first = Linear(2, 2)
    func callAsFunction(_ x: Variable) -> Variable { x }
}

private final class Everything: Base {
    let plain = Variable(Tensor([1, 2]))
    let computed = Variable(Tensor([1])) * 2
    let missing: Linear? = nil
    let present: Linear? = Linear(2, 1, bias: false)
    let list = [Linear(2, 2, bias: false), Linear(2, 2, bias: false)]
    let byName: [String: Variable] = ["b": Variable(Tensor([2])), "a": Variable(Tensor([1]))]
    let nested: [[Linear]] = [[Linear(1, 1, bias: false)]]
    lazy var later = Linear(3, 3, bias: false)
    let sizes = [1, 2, 3]
    let constant = Tensor.ones([5])
    let shape = Window2D(size: 2)
}

/// A module that holds its parent: the walk lists the parent's parameters once and stops.
private final class Child: Module {
    weak var parent: Parent?
    let scale = Variable(Tensor([3]))
    func callAsFunction(_ x: Variable) -> Variable { x * scale }
}

private final class Parent: Module {
    let child = Child()
    let own = Variable(Tensor([1]))
    init() { child.parent = self }
    func callAsFunction(_ x: Variable) -> Variable { child(x) * own }
}

/// Names of its own, on purpose.
private final class Renamed: Layer {
    let linear = Linear(2, 2)
    var namedParameters: [(String, Variable)] { [("w", linear.weight), ("b", linear.bias!)] }
    func callAsFunction(_ x: Variable) -> Variable { linear(x) }
}

/// A model of one's own holding mode-dependent layers in an array and a dictionary.
private final class Regularised: Module {
    let blocks = [Sequential([Linear(4, 4), Dropout(rate: 0.5)]), Sequential([Linear(4, 4), BatchNorm(4)])]
    let heads: [String: Dropout] = ["main": Dropout(rate: 0.5)]
    func callAsFunction(_ x: Variable) -> Variable { heads["main"]!(blocks[1](blocks[0](x))) }
}

/// A layer whose call reads the mode without storing it.
private final class TrainingOnlyNoise: Layer {
    func callAsFunction(_ x: Variable) -> Variable { isTraining ? x + 1 : x }
}

private let inputs = Tensor((0..<64).map { Float(($0 * 37) % 11) / 11 - 0.5 }, shape: [16, 4])
private let labels = Tensor((0..<16).map { Float($0 % 2) })

@Suite(.serialized) struct ModuleTests {
    /// The layers train exactly as the built-in ones: the same model made of `Linear` layers with
    /// the same starting weights has the same history, bit for bit.
    @Test func aForwardOnlyLayerAndAWeightLayerListingNothingTrain() throws {
        RandomGenerator.seedGlobal(1)
        let dense = Dense(4, 8), output = Linear(8, 2)
        let model = Sequential([dense, Halve(), ReLU(), output], inputShape: [4])
        #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias"])
        let builtIn = Sequential([Linear(4, 8), ActivationLayer(.relu), Linear(8, 2)], inputShape: [4])
        let twin = Sequential([builtIn.layers[0], Halve(), ReLU(), builtIn.layers[2]], inputShape: [4])
        for ((_, mine), (_, theirs)) in zip(model.namedParameters, twin.namedParameters) { theirs.value = mine.value }
        let before = dense.weight.value
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        twin.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        let history = try model.fit(x: inputs, y: labels, batchSize: 8, epochs: 30, seed: 5, verbose: false)
        let twinHistory = try twin.fit(x: inputs, y: labels, batchSize: 8, epochs: 30, seed: 5, verbose: false)
        #expect(history.stepLosses.map(\.bitPattern) == twinHistory.stepLosses.map(\.bitPattern))
        #expect(history.loss.last! < history.loss.first!)
        #expect(dense.weight.value != before)
        let summary = model.summary()
        #expect(summary.rows.map(\.parameters) == [40, 0, 0, 18])
        #expect(summary.trainableParameters == 58 && summary.nonTrainableParameters == 0)
        #expect(summary.description.contains("Trainable parameters: 58") && summary.description.contains("Non-trainable parameters: 0"))
    }

    @Test func theWalkFindsEveryKindOfPropertyAndNamesItAfterIt() {
        let model = Everything()
        #expect(model.namedParameters.map(\.0) == [
            "plain", "byName.a", "byName.b",
            "first.weight", "first.bias", "present.weight", "list.0.weight", "list.1.weight", "nested.0.0.weight",
        ])
        _ = model.later
        #expect(model.namedParameters.map(\.0).last == "later.weight")
        #expect(model.namedSubmodules.map(\.0) == ["first", "present", "list.0", "list.1", "nested.0.0", "later"])
    }

    @Test func aLayerUsedTwiceAndAModuleHoldingItsParentAreListedOnce() {
        let shared = Linear(2, 2)
        let model = Sequential([shared, ReLU(), shared])
        #expect(model.namedParameters.map(\.0) == ["0.weight", "0.bias"])
        #expect(model.parameterCount == 6)
        let parent = Parent()
        #expect(parent.namedParameters.map(\.0) == ["own", "child.scale"])
        parent.isTraining = false
        #expect(!parent.child.isTraining && !parent.isTraining)
    }

    @Test func namesOfOnesOwnAreKept() {
        let model = Sequential([Renamed()])
        #expect(model.namedParameters.map(\.0) == ["0.w", "0.b"])
    }

    @Test func theModeReachesSublayersInArraysAndDictionaries() {
        let model = Regularised()
        #expect(model.isTraining)
        model.isTraining = false
        let dropouts = model.blocks[0].layers[1] as! Dropout, norm = model.blocks[1].layers[1] as! BatchNorm
        #expect(!dropouts.isTraining && !norm.isTraining && !model.heads["main"]!.isTraining && !model.blocks[0].isTraining)
        #expect(!model.isTraining)
        // The buffers of the batch norm inside are the model's, named by where they are.
        #expect(model.namedBuffers.map(\.0) == ["blocks.1.1.runningMean", "blocks.1.1.runningVariance"])
        model.setBuffer("blocks.1.1.runningMean", Tensor([1, 2, 3, 4]))
        #expect(norm.runningMean == Tensor([1, 2, 3, 4]))
        model.isTraining = true
        #expect(dropouts.isTraining && norm.isTraining && model.heads["main"]!.isTraining)
    }

    @Test func aLayerReadsItsModeWithoutStoringIt() {
        let layer = TrainingOnlyNoise()
        let x = Tensor([[1, 2]])
        #expect(layer(x).value == Tensor([[2, 3]]))
        #expect(layer.predict(x) == x)
        #expect(layer.isTraining)
        let model = Sequential([Linear(2, 2), layer])
        model.isTraining = false
        #expect(!layer.isTraining && layer(x).value == x)
        // A new layer starts in training mode, whatever was at its address before.
        for _ in 0..<200 {
            let other = TrainingOnlyNoise()
            #expect(other.isTraining)
            other.isTraining = false
        }
    }

    @Test func frozenWeightsStayAsTheyAreAndCountAsNonTrainable() throws {
        RandomGenerator.seedGlobal(2)
        let first = Linear(4, 8), last = Linear(8, 2)
        let model = Sequential([first, ReLU(), last], inputShape: [4])
        first.freeze()
        let frozen = first.weight.value
        #expect(model.trainableParameters.count == 2)
        let summary = model.summary()
        #expect(summary.rows.map(\.trainableParameters) == [0, 0, 18])
        #expect(summary.trainableParameters == 18 && summary.nonTrainableParameters == 40)
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        try model.fit(x: inputs, y: labels, batchSize: 8, epochs: 3, verbose: false)
        #expect(first.weight.value == frozen)
        // Frozen one weight at a time, PyTorch's requires_grad_(False), and a hand-written step.
        first.unfreeze()
        last.bias!.requiresGrad = false
        let bias = last.bias!.value
        let loss = crossEntropy(logits: model(inputs), labels: labels.scalars.map { Int($0) })
        loss.backward()
        last.bias!.grad = Tensor.ones([2])     // a gradient from before it was frozen
        Adam(learningRate: 0.1).update(model.parameters)
        #expect(last.bias!.value == bias && first.weight.value != frozen)
    }

    @Test func fitNamesALayerWhoseWeightsGetNoGradient() throws {
        let model = Sequential([Linear(4, 4), CutOff(), Linear(4, 2)], inputShape: [4])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        let before = model.stateDictionary()
        #expect {
            try model.fit(x: inputs, y: labels, batchSize: 8, epochs: 1, verbose: false)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("fit: layer 1 (CutOff): 'weight' got no gradient on the first step")
                && text.contains("weight.requiresGrad = false")
        }
        #expect(model.stateDictionary() == before)
        #expect(model.parameters.allSatisfy { $0.grad == nil })

        let frozen = Sequential([Linear(4, 2)])
        frozen.freeze()
        frozen.compile(optimizer: SGD(), loss: .crossEntropy)
        #expect {
            try frozen.fit(x: inputs, y: labels, verbose: false)
        } throws: { error in
            "\(error)".contains("every parameter of the model is frozen (2 of them)")
        }
    }

    /// `verbose: false` is passed on with each report, so that nbrun's terminal line stays quiet.
    /// Other suites may train meanwhile: only this run's reports (7 epochs of 4 steps) are counted.
    @Test func verboseIsPassedOnToTheProgressObserver() throws {
        let lock = NSLock()
        nonisolated(unsafe) var flags: [Bool] = []
        TrainingProgress.observer = { progress in
            guard progress.epochs == 7 && progress.steps == 4 else { return }
            lock.withLock { flags.append(progress.verbose) }
        }
        defer { TrainingProgress.observer = nil }
        let model = Sequential([Linear(4, 2)], inputShape: [4])
        model.compile(optimizer: SGD(), loss: .crossEntropy)
        try model.fit(x: inputs, y: labels, batchSize: 5, epochs: 7, verbose: false)
        #expect(lock.withLock { flags } == Array(repeating: false, count: 7 * 4 + 7))
    }
}
