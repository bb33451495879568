import Foundation
import Testing
@testable import Notebook

/// The Keras, PyTorch and NumPy spellings a new user types first, compiled by the real swiftc
/// against the release kernel: each is an error at its line whose message gives the engine's
/// spelling, and a layer missing its call names `Layer` and the call. One notebook, one compile.
@Suite struct OtherSpellingsTests {
    static let cases: [(code: String, message: String)] = [
        ("let a = Dense(784, 10)", "'Dense' is unavailable: nbrun calls it Linear(inputs, outputs)"),
        ("let a2 = Sequential([Dense(784, 10, activation: \"relu\"), ReLU()])", "'Dense' is unavailable: nbrun calls it Linear("),
        ("let b = Conv2d(1, 8, 3)", "'Conv2d' is unavailable: nbrun calls it Conv2D("),
        ("let c = BatchNormalization()", "'BatchNormalization' is unavailable: nbrun calls it BatchNorm(features)"),
        ("let d = Dropout(0.2)", "'init(_:)' is unavailable: write Dropout(rate: 0.2)"),
        ("let e = Tensor.zeros(3, 4)", "'zeros' is unavailable: write Tensor.zeros([3, 4])"),
        ("let f = Tensor.randn(3, 4)", "'randn' is unavailable: write Tensor.randomNormal(shape: [3, 4])"),
        ("let g = x.view(-1, 2)", "'view' is unavailable: write x.reshaped(to: [-1, 4])"),
        ("let h = x.sum(dim: 1)", "'sum(dim:)' is unavailable: write x.sum(alongAxes: [1])"),
        ("let i = x.argmax(axis: 1)", "'argmax(axis:)' is unavailable: write x.argmaxIndices(alongAxis: 1)"),
        ("let j = x.sum().item()", "'item()' is unavailable: write x.scalar"),
        ("model.eval()", "'eval()' is unavailable: write model.isTraining = false"),
        ("model.trainable = false", "'trainable' is unavailable: call layer.freeze()"),
        ("let k = Variable(x).detach()", "'detach()' is unavailable: write x.detached()"),
        ("model.compile(optimizer: \"adam\", loss: \"sparse_categorical_crossentropy\")", "'compile(optimizer:loss:metrics:)' is unavailable: pass the objects"),
        ("let l = try model.fit(x, y, epochs: 2)", "'fit(_:_:batchSize:epochs:)' is unavailable: label the data"),
        ("let m = Adam(lr: 0.001)", "'init(lr:)' is unavailable: write Adam(learningRate: 1e-3)"),
        ("model.compile(optimizer: Adadelta(), loss: .crossEntropy)", "'Adadelta' is unavailable: nbrun has SGD, Adagrad"),
        ("let n = Loss.sparseCategoricalCrossentropy", "'sparseCategoricalCrossentropy' is unavailable: write .crossEntropy"),
    ]

    @Test func eachIsAnErrorGivingTheEnginesSpelling() throws {
        var markdown = """
        ```swift
        let x = Tensor.ones([4, 2]), y = Tensor([0, 1, 0, 1])
        let model = Sequential([Linear(2, 2)])
        final class Scale: Layer {
            func forward(_ x: Variable) -> Variable { x * 2 }
        }

        """
        var lines: [Int] = []
        for item in Self.cases {
            lines.append(markdown.split(separator: "\n", omittingEmptySubsequences: false).count)
            markdown += item.code + "\n"
        }
        markdown += "```\n"
        do {
            _ = try EndToEnd.run(markdown)
            Issue.record("the notebook compiled")
        } catch let error as NotebookError {
            let diagnostics = error.diagnostics.filter { $0.severity == .error }
            let layer = diagnostics.first { $0.line == 4 }
            #expect(layer?.message == "type 'Scale' does not conform to protocol 'Layer'")
            #expect(layer?.hint == "Layer requires function 'callAsFunction' with type '(Variable) -> Variable': add it to Scale")
            for (item, line) in zip(Self.cases, lines) {
                let found = diagnostics.first { $0.line == line }
                #expect(found?.message.hasPrefix(item.message) == true, "line \(line) \(item.code): \(found?.message ?? "no error")")
            }
            #expect(diagnostics.count == Self.cases.count + 1, "\(diagnostics.map(\.headline))")
            #expect(!error.diagnostics.contains { $0.file?.hasSuffix(".swift") == true }, "notes into the engine's sources")
        }
    }
}
