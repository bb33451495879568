import Foundation
import Testing
@testable import Optimizers

/// `compile(optimizer:loss:metrics:)`, and the names `History` and `Evaluation` give them.
@Suite struct CompileMetricsTests {
    private let x = Tensor((0..<40).map { Float($0 % 7) / 7 - 0.4 }, shape: [20, 2])
    private var y: Tensor { Tensor(x.scalars.enumerated().map { $0.offset % 2 == 0 ? $0.element * 2 : -$0.element }, shape: [20, 2]) }

    @Test func regressionMetricsAreMeasuredAndNamed() throws {
        var generator = RandomGenerator(seed: 2)
        let model = Sequential([Linear(2, 2, generator: &generator)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .meanSquaredError, metrics: [.meanAbsoluteError, .meanSquaredError])
        let history = try model.fit(x: x, y: y, batchSize: 5, epochs: 3, validationSplit: 0.25, verbose: false)
        #expect(history.names == ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"])
        #expect(history["mae"].count == 3 && history[.meanAbsoluteError] == history["mae"])
        #expect(history["val_mse"] == history.validationMetric("mse"))
        #expect(history["accuracy"].isEmpty)
        // The MSE metric is the MSE loss, measured on the same outputs.
        #expect(zip(history["val_mse"], history["val_loss"]).allSatisfy { abs($0 - $1) < 1e-6 })

        let evaluation = try model.evaluate(x: x, y: y)
        let output = model.predict(x, batchSize: 20)
        let mae = zip(output.scalars, y.scalars).map { abs($0 - $1) }.reduce(0, +) / Float(output.count)
        #expect(abs(evaluation["mae"]! - mae) < 1e-5)
        #expect(evaluation[.meanAbsoluteError] == evaluation["mae"])
        #expect(evaluation["loss"] == evaluation.loss)
        #expect(abs(evaluation["mse"]! - evaluation.loss) < 1e-6)
        #expect(evaluation.values.keys.sorted() == ["loss", "mae", "mse"])
        #expect(evaluation["accuracy"] == nil && evaluation.accuracy == nil)
    }

    @Test func accuracyIsTheDefaultAndCanBeLeftOut() throws {
        let labels = Tensor((0..<20).map { Float($0 % 2) })
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy)
        #expect(model.metrics == [.accuracy])
        let history = try model.fit(x: x, y: labels, batchSize: 5, epochs: 1, validationData: (x, labels), verbose: false)
        #expect(history.names == ["loss", "accuracy", "val_loss", "val_accuracy"])
        #expect(history["val_accuracy"] == history.validationAccuracy)
        // The errors mean nothing for class indices against logits: not measured.
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy, metrics: [.meanAbsoluteError])
        #expect(try model.evaluate(x: x, y: labels).metrics.isEmpty)
        model.compile(optimizer: SGD(learningRate: 0.1), loss: .crossEntropy, metrics: [])
        #expect(try model.fit(x: x, y: labels, epochs: 1, verbose: false).names == ["loss"])
        #expect(Metric(rawValue: "mae") == .meanAbsoluteError && Metric.accuracy.name == "accuracy")
    }
}
