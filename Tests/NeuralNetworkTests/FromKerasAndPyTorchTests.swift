import Foundation
import Testing
@testable import Optimizers
import Datasets

/// A layer of one's own, as docs/from-keras-and-pytorch.md spells it.
final class Block: Layer {
    let linear = Linear(4, 4)
    func callAsFunction(_ x: Variable) -> Variable { relu(linear(x)) }
}

extension Block: SavableLayer {
    var configuration: Int { 4 }
    convenience init(configuration width: Int) { self.init() }
}

/// Every nbrun spelling of docs/from-keras-and-pytorch.md, written here as the table writes it,
/// so it compiles and runs; and the table's spellings are all here.
@Suite(.serialized) struct FromKerasAndPyTorchTests {
    @Test func everySpellingOfTheTableRuns() throws {
        RandomGenerator.seedGlobal(0)
        let a = Tensor([[1, 2], [3, 4]]), b = a
        _ = (Tensor.randomNormal(shape: [3, 4]), Tensor.zeros([3, 4]))
        #expect(matmul(a, b) == Tensor([[7, 10], [15, 22]]))
        let x = Tensor.randomNormal(shape: [24, 4])
        #expect(x.reshaped(to: [-1, 4]).shape == [24, 4])
        #expect(x[0].shape == [4] && x[1..<3].shape == [2, 4])
        #expect(x.sum(alongAxes: [1]).shape == [24] && x.mean(alongAxes: [0]).shape == [4])
        #expect(x.argmaxIndices(alongAxis: 1).count == 24)
        _ = (Linear(4, 10), Conv2D(1, 8, kernelSize: 3, padding: 1))
        _ = (ReLU(), relu(x))
        _ = (Dropout(rate: 0.2), BatchNorm(16))
        let model = Sequential([Linear(4, 16), ReLU(), Linear(16, 3)], inputShape: [4])
        #expect(model.summary().totalParameters == 4 * 16 + 16 + 16 * 3 + 3)
        print(model)
        model.compile(optimizer: Adam(learningRate: 1e-3), loss: .crossEntropy, metrics: [.accuracy])
        let y = Tensor((0..<24).map { Float($0 % 3) })
        let history = try model.fit(x: x, y: y, batchSize: 32, epochs: 20, validationSplit: 0.2, callbacks: [EarlyStopping(patience: 2)])
        _ = LearningRateScheduler(LearningRateSchedule.cosine(initial: 1e-3, minimum: 1e-5, epochs: 20).rate)
        #expect(history["val_loss"].count == history.epochs.count)
        #expect(try model.evaluate(x: x, y: y)["accuracy"] != nil)
        #expect(model.predict(x, batchSize: 1000).shape == [24, 3] && model.predictClasses(x).count == 24)
        model.isTraining = true
        model.isTraining = false

        let logits = model(Variable(x))
        let labels = y.scalars.map { Int($0) }
        let loss = crossEntropy(logits: logits, labels: labels)
        let optimizer = SGD(learningRate: 0.01)
        loss.backward(); optimizer.update(model.parameters); model.zeroGradients()
        #expect(withoutGradients { model(Variable(x)) }.shape == [24, 3])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-table-\(getpid())").path
        try model.save(to: path)
        _ = try Sequential.load(from: path)
        try model.saveWeights(to: path)
        try model.loadWeights(from: path)
        let own = Sequential([Block(), Linear(4, 2)], inputShape: [4])
        try own.save(to: path)
        #expect(try Sequential.load(from: path).layers[0] is Block)
        _ = Block.init(configuration:)
        // Compiled, not run: the test machine may not have the data.
        _ = { try MNIST.load(split: .train) }
        #expect(oneHot(labels, classCount: 10).shape == [24, 10])
        #expect(Tensor(labels).shape == [24])
        #expect(model(x).shape == [24, 3])
        #expect(model.parameters.count == 4 && model.trainableParameters.count == 4)
        let layer = model.layers[0]
        layer.freeze()
        #expect(model.trainableParameters.count == 2)
        layer.unfreeze()
        let w = model.parameters[0]
        w.requiresGrad = false
        #expect(model.trainableParameters.count == 3)
    }

    /// The table's last column, code span by code span, is in this file (so it is compiled
    /// above), and the table lists at least twenty calls.
    @Test func theTableAndThisTestAgree() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let table = try String(contentsOf: root.appendingPathComponent("docs/from-keras-and-pytorch.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let rows = table.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| What") }
        #expect(rows.count >= 20)
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false)
            let nbrun = String(cells[cells.count - 2])
            let spans = nbrun.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            #expect(!spans.isEmpty, "\(row)")
            for span in spans {
                #expect(source.contains(span), "the table's \(span) is not in the test")
            }
        }
    }
}
