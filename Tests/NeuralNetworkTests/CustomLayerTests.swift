import Foundation
import Testing
@testable import Optimizers

private func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-custom-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

/// A layer of a user's own, written as a notebook cell would write it: its sublayers and its
/// call. Its output shape comes from the default (one probe sample).
final class ResidualBlock: Layer {
    let width: Int
    let inner: Linear, outer: Linear
    init(width: Int) {
        self.width = width
        inner = Linear(width, width)
        outer = Linear(width, width)
    }
    func callAsFunction(_ x: Variable) -> Variable { x + outer(relu(inner(x))) }
}

extension ResidualBlock: SavableLayer {
    var configuration: Int { width }
    convenience init(configuration width: Int) { self.init(width: width) }
}

/// A layer with its own shape rule, a buffer (declared on purpose: a `Tensor` property is not
/// found by the walk), a call that reads the mode without storing it, and a saved name of its
/// own (so it must be registered).
final class Scale: Layer, SavableLayer {
    struct Configuration: Codable { var features: Int }
    let features: Int
    let factor: Variable
    var calls = Tensor.zeros([1])
    init(features: Int) {
        self.features = features
        factor = Variable(Tensor.ones([features]))
    }
    convenience init(configuration: Configuration) { self.init(features: configuration.features) }
    var configuration: Configuration { Configuration(features: features) }
    static var savedTypeName: String { "scale" }
    static func problem(with configuration: Configuration) -> String? {
        configuration.features < 1 ? "has \(configuration.features) features" : nil
    }
    var namedBuffers: [(String, Tensor)] { [("calls", calls)] }
    func setBuffer(_ name: String, _ value: Tensor) { if name == "calls" { calls = value } }
    func outputShape(forInput input: [Int]) throws -> [Int] {
        guard input == [features] else { throw LayerShapeError(input: input, expected: "(\(features))") }
        return input
    }
    func callAsFunction(_ x: Variable) -> Variable {
        if isTraining { calls = calls + 1 }
        return x * factor
    }
}

/// A layer that does not adopt SavableLayer: a forward function and nothing else.
final class Doubler: Layer {
    func callAsFunction(_ x: Variable) -> Variable { x * 2 }
}

/// A model of a user's own (not a layer): its architecture is its init; its parameters, buffers
/// and mode come from its properties.
final class TwoTower: Module {
    let left = Linear(4, 3), right = Linear(4, 3)
    let heads = [Linear(3, 2), Linear(3, 2)]
    let norm = BatchNorm(3)
    let temperature = Variable(Tensor([1.5]))
    func callAsFunction(_ x: Variable) -> Variable {
        heads[0](norm(relu(left(x)))) * temperature + heads[1](relu(right(x)))
    }
}

private let inputs = Tensor((0..<64).map { Float(($0 * 37) % 11) / 11 - 0.5 }, shape: [16, 4])
private let labels = Tensor((0..<16).map { Float($0 % 2) })

@Suite(.serialized) struct CustomLayerTests {
    @Test func aUsersLayerTrainsAndSummarisesInSequential() throws {
        RandomGenerator.seedGlobal(3)
        let model = Sequential([Linear(4, 8), ResidualBlock(width: 8), ReLU(), Linear(8, 2)], inputShape: [4])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        let history = try model.fit(x: inputs, y: labels, batchSize: 8, epochs: 30, verbose: false)
        #expect(history.loss.last! < history.loss.first!)
        let summary = model.summary()
        #expect(summary.rows.map(\.layer) == ["0 Linear", "1 ResidualBlock", "2 ReLU", "3 Linear"])
        #expect(summary.rows.map(\.outputShape) == ["(batch, 8)", "(batch, 8)", "(batch, 8)", "(batch, 2)"])
        #expect(summary.rows[1].parameters == 2 * (8 * 8 + 8))
        #expect(model.description == "Sequential(\n  (0): Linear(4, 8)\n  (1): ResidualBlock\n  (2): ReLU()\n  (3): Linear(8, 2)\n)")
        // The probe runs in evaluation mode and leaves the mode as it was.
        model.isTraining = true
        _ = model.summary()
        #expect(model.layers[1].isTraining)
    }

    @Test func aSavableLayerOfTheUsersIsSavedByItsTypeNameAndLoadsBitIdentically() throws {
        RandomGenerator.seedGlobal(4)
        let model = Sequential([Linear(4, 8), ResidualBlock(width: 8), Linear(8, 2)], inputShape: [4])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        try model.fit(x: inputs, y: labels, batchSize: 4, epochs: 2, verbose: false)
        let path = temporaryPath("residual")
        try model.save(to: path)
        let json = try String(contentsOfFile: path + ".json", encoding: .utf8)
        #expect(json.contains("\"NeuralNetworkTests.ResidualBlock\" : 8"))
        let loaded = try Sequential.load(from: path)
        #expect(loaded.layers[1] is ResidualBlock)
        #expect(try model.predict(inputs, batchSize: 16).scalars.map(\.bitPattern)
            == loaded.predict(inputs, batchSize: 16).scalars.map(\.bitPattern))
    }

    @Test func aLayerSavedUnderANameOfItsOwnLoadsOnceRegistered() throws {
        let model = Sequential([Scale(features: 4), Linear(4, 2)], inputShape: [4])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        try model.fit(x: inputs, y: labels, batchSize: 4, epochs: 1, verbose: false)
        #expect((model.layers[0] as! Scale).calls == Tensor([4]))
        let path = temporaryPath("scale")
        try model.save(to: path)
        let unknown = #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        #expect(unknown?.description.contains("\"scale\"") == true)
        Scale.register()
        let loaded = try Sequential.load(from: path)
        #expect((loaded.layers[0] as! Scale).calls == Tensor([4]))
        #expect((loaded.layers[0] as! Scale).factor.value == (model.layers[0] as! Scale).factor.value)
        // Its configuration check runs before its init.
        try Data(#"{"format":"nbrun.sequential","version":1,"layers":[{"scale":{"features":0}},{"linear":{"inputs":4,"outputs":2,"bias":true}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path + ".json"))
        let bad = #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        #expect(bad?.description.contains("layer 0 (Scale) has 0 features") == true)
    }

    @Test func aLayerThatCannotBeSavedIsAnErrorNamingWhatToAdopt() throws {
        let model = Sequential([Linear(4, 4), Sequential([ReLU(), Doubler()]), Linear(4, 2)], inputShape: [4])
        let path = temporaryPath("doubler")
        try? FileManager.default.removeItem(atPath: path + ".json")
        let error = #expect(throws: ModelFileError.self) { try model.save(to: path) }
        #expect(error?.description.contains("layer 1.1 (Doubler): Doubler does not adopt SavableLayer") == true)
        #expect(error?.description.contains("saveWeights(to:)") == true)
        #expect(!FileManager.default.fileExists(atPath: path + ".json"))
    }

    @Test func aTypeThisProgramDoesNotDefineIsAnError() throws {
        let path = temporaryPath("unknown")
        try Sequential([Linear(4, 2)], inputShape: [4]).save(to: path)
        try Data(#"{"format":"nbrun.sequential","version":1,"layers":[{"SomeNotebook.Missing":{"width":4}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path + ".json"))
        let error = #expect(throws: ModelFileError.self) { try Sequential.load(from: path) }
        #expect(error?.description.contains("\"SomeNotebook.Missing\", which this program does not define") == true)
        #expect(error?.description.contains("Missing.register()") == true)
    }

    @Test func fitThrowsOnAShapeACustomLayerRejects() throws {
        let model = Sequential([Linear(4, 3), Scale(features: 4)])
        model.compile(optimizer: SGD(), loss: .meanSquaredError)
        #expect {
            try model.fit(x: inputs, y: Tensor.zeros([16, 3]), verbose: false)
        } throws: { error in
            "\(error)" == "fit: layer 1 (Scale) gets samples of shape [3] but takes (4)"
        }
        #expect(model.summary(inputShape: [4]).rows.map(\.outputShape) == ["(batch, 3)", "? (takes (4))"])
        #expect(throws: LayerShapeError.self) { try model.outputShape(forInput: [4]) }
    }

    @Test func modelsNestAndSaveNested() throws {
        RandomGenerator.seedGlobal(6)
        let encoder = Sequential([Linear(4, 6), Tanh()])
        let model = Sequential([encoder, Dropout(rate: 0.1), Linear(6, 2)], inputShape: [4])
        #expect(try model.outputShape(forInput: [4]) == [2])
        #expect(model.summary().rows.map(\.layer) == ["0 Sequential", "1 Dropout", "2 Linear"])
        #expect(model.namedParameters.map(\.0) == ["0.0.weight", "0.0.bias", "2.weight", "2.bias"])
        model.compile(optimizer: Adam(learningRate: 0.01), loss: .crossEntropy)
        try model.fit(x: inputs, y: labels, batchSize: 8, epochs: 2, verbose: false)
        let path = temporaryPath("nested")
        try model.save(to: path)
        let loaded = try Sequential.load(from: path)
        #expect(loaded.layers[0] is Sequential)
        #expect(model.predict(inputs, batchSize: 16) == loaded.predict(inputs, batchSize: 16))
    }

    /// A file the previous saver (LayerSpec) wrote, byte for byte: it loads, and saving the same
    /// architecture writes the same JSON.
    @Test func builtInLayersKeepTheirSavedFormat() throws {
        let legacy = """
        {
          "format" : "nbrun.sequential",
          "inputShape" : [
            784
          ],
          "layers" : [
            {
              "linear" : {
                "bias" : true,
                "inputs" : 784,
                "outputs" : 256
              }
            },
            {
              "batchNorm" : {
                "epsilon" : 1e-05,
                "features" : 256,
                "momentum" : 0.1
              }
            },
            {
              "activation" : {
                "_0" : {
                  "relu" : {

                  }
                }
              }
            },
            {
              "dropout" : {
                "rate" : 0.2
              }
            },
            {
              "linear" : {
                "bias" : true,
                "inputs" : 256,
                "outputs" : 10
              }
            }
          ],
          "version" : 1
        }
        """
        let path = temporaryPath("legacy")
        let model = Sequential([Linear(784, 256), BatchNorm(256), ReLU(), Dropout(rate: 0.2), Linear(256, 10)], inputShape: [784])
        try model.save(to: path)
        #expect(try String(contentsOfFile: path + ".json", encoding: .utf8) == legacy)
        try legacy.write(toFile: path + ".json", atomically: true, encoding: .utf8)
        #expect(try Sequential.load(from: path).layers.map(\.description) == model.layers.map(\.description))

        // Every other built-in kind, as LayerSpec's enum cases encoded them.
        let others = Sequential([Reshape([1, 28, 28]), Conv2D(1, 2, kernelSize: 3, stride: 2, padding: 1), MaxPool2D(size: 2),
                                 AvgPool2D(size: 1), Flatten(), Reshape([7, -1]), LSTM(7, 3, returnSequences: true), Flatten(),
                                 Linear(21, 2, bias: false), LeakyReLU(alpha: 0.2), ELU(), Sigmoid(), Tanh(), Softmax()],
                                inputShape: [784])
        try others.save(to: path)
        let json = try String(contentsOfFile: path + ".json", encoding: .utf8).filter { !$0.isWhitespace }
        for fragment in [#"{"reshape":{"_0":[1,28,28]}}"#, #"{"conv2D":{"filters":2,"inputChannels":1,"kernelSize":3,"padding":1,"stride":2}}"#,
                         #"{"maxPool2D":{"padding":0,"size":2,"stride":2}}"#, #"{"avgPool2D":{"padding":0,"size":1,"stride":1}}"#,
                         #"{"flatten":{}}"#, #"{"lstm":{"hidden":3,"inputs":7,"returnSequences":true}}"#,
                         #"{"linear":{"bias":false,"inputs":21,"outputs":2}}"#, #"{"activation":{"_0":{"leakyRelu":{"alpha":0.2}}}}"#,
                         #"{"activation":{"_0":{"elu":{"alpha":1}}}}"#, #"{"activation":{"_0":{"softmax":{}}}}"#] {
            #expect(json.contains(fragment), "\(fragment)")
        }
        let loaded = try Sequential.load(from: path)
        #expect(loaded.layers.map(\.typeName) == others.layers.map(\.typeName))
        #expect(loaded.summary().rows.map(\.outputShape) == others.summary().rows.map(\.outputShape))
    }

    @Test func layersDescribeThemselves() {
        #expect(Linear(3, 2).description == "Linear(3, 2)")
        #expect(Conv2D(1, 8, kernelSize: 3, padding: 1).description == "Conv2D(1, 8, kernelSize: 3, padding: 1)")
        #expect(MaxPool2D(size: 2).description == "MaxPool2D(size: 2)")
        #expect(Dropout(rate: 0.5).description == "Dropout(rate: 0.5)")
        #expect(LeakyReLU(alpha: 0.1).description == "LeakyReLU(alpha: 0.1)")
        #expect(LSTM(28, 64).description == "LSTM(28, 64)")
        #expect(BatchNorm(16).description == "BatchNorm(16)")
        #expect(Doubler().description == "Doubler")
    }
}

@Suite(.serialized) struct CustomModuleTests {
    @Test func aUsersModuleHasASummary() {
        RandomGenerator.seedGlobal(8)
        let model = TwoTower()
        let summary = model.summary(inputShape: [4])
        #expect(summary.rows.map(\.layer) == ["left Linear", "right Linear", "heads.0 Linear", "heads.1 Linear", "norm BatchNorm",
                                              "(own parameters)", "output"])
        // The batch norm holds 6 parameters and 6 running statistics (non-trainable, as in Keras).
        #expect(summary.rows.map(\.parameters) == [15, 15, 8, 8, 12, 1, 0])
        #expect(summary.rows.map(\.trainableParameters) == [15, 15, 8, 8, 6, 1, 0])
        #expect(summary.totalParameters == model.parameterCount + model.bufferCount)
        #expect(summary.trainableParameters == model.parameterCount && summary.nonTrainableParameters == 6)
        // Its own parameters first, then each submodule's, as PyTorch lists them.
        #expect(model.namedParameters.map(\.0) == ["temperature", "left.weight", "left.bias", "right.weight", "right.bias",
                                                   "heads.0.weight", "heads.0.bias", "heads.1.weight", "heads.1.bias",
                                                   "norm.scale", "norm.offset"])
        #expect(model.namedBuffers.map(\.0) == ["norm.runningMean", "norm.runningVariance"])
        #expect(summary.rows.last!.outputShape == "(batch, 2)")
        #expect(model.isTraining)
        // As any Module, a Sequential still gives its layer table.
        let sequential: Module = Sequential([Linear(4, 2)], inputShape: [4])
        #expect(sequential.summary().rows.map(\.outputShape) == ["(batch, 2)"])
    }

    @Test func aUsersModuleSavesAndLoadsItsWeights() throws {
        RandomGenerator.seedGlobal(9)
        let model = TwoTower()
        let optimizer = Adam(learningRate: 0.01)
        for _ in 0..<5 {
            let loss = crossEntropy(logits: model(inputs), labels: labels.scalars.map { Int($0) })
            model.zeroGradients()
            loss.backward()
            optimizer.update(model.parameters)
        }
        let path = temporaryPath("two-tower")
        try model.saveWeights(to: path)
        #expect(FileManager.default.fileExists(atPath: path + ".safetensors"))
        RandomGenerator.seedGlobal(10)
        let rebuilt = TwoTower()
        #expect(rebuilt.predict(inputs) != model.predict(inputs))
        try rebuilt.loadWeights(from: path + ".safetensors")
        #expect(rebuilt.predict(inputs).scalars.map(\.bitPattern) == model.predict(inputs).scalars.map(\.bitPattern))
        #expect(rebuilt.norm.runningMean == model.norm.runningMean)

        // Weights of another model are an error that changes nothing.
        try Sequential([Linear(4, 3)]).saveWeights(to: path + "-other")
        let before = rebuilt.stateDictionary()
        #expect(throws: ModelFileError.self) { try rebuilt.loadWeights(from: path + "-other") }
        #expect(rebuilt.stateDictionary() == before)
    }
}
