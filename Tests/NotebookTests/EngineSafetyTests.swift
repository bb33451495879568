import Foundation
import Testing
@testable import Notebook

/// Misuse of the engine's public API from a notebook cell, run where notebooks run: compiled
/// against the release kernel, whose engine is built `-Ounchecked`. There every `precondition`
/// is compiled out, so a check that relied on one let the call write or read outside its
/// buffers (rc 0 with garbage, or a segfault); `swift test`'s debug build kept them and hid it.
/// Each case must stop its cell with a message naming the call, or throw where the API throws.
@Suite(.serialized) struct EngineSafetyTests {
    /// A case: the code of one cell, and what its crash message must contain.
    struct Misuse: CustomStringConvertible {
        var name: String
        var code: String
        var message: String
        var description: String { name }
    }

    /// Calls that stop the program. One notebook holds them all behind a `switch` on the case
    /// named in a file beside it, so it is compiled once and run once per case.
    static let fatalCases: [Misuse] = [
        // Issue 16, item 1: Datasets' preconditions, removed by -Ounchecked.
        Misuse(name: "oneHot", code: "print(oneHot([0, 7, 1], classCount: 3))",
               message: "oneHot: label 7 (sample 1) is outside 0..<3"),
        Misuse(name: "classCounts", code: """
               print(LabeledDataset(inputs: Tensor.zeros([3, 2]), labels: [0, 1, 3], classNames: ["a", "b"]).classCounts)
               """, message: "LabeledDataset: label 3 (sample 2) is outside 0..<2"),
        Misuse(name: "classCountsFarOut", code: """
               print(LabeledDataset(inputs: Tensor.zeros([3, 2]), labels: [0, 1, 500000], classNames: ["a", "b"]).classCounts)
               """, message: "LabeledDataset: label 500000 (sample 2) is outside 0..<2"),
        Misuse(name: "normalizationCounts", code: """
               print(Normalization(mean: [0.5, 0.5], standardDeviation: [0.1]).apply(Tensor.ones([2, 2])))
               """, message: "Normalization: mean and standardDeviation need the same non-zero count, got 2 and 1"),
        Misuse(name: "fitOnFewerLabels", code: """
               let data = LabeledDataset(inputs: Tensor.zeros([10, 2]), labels: [0, 1, 0, 1, 0, 1, 0], classNames: ["a", "b"])
               let model = Sequential([Linear(2, 2)])
               model.compile(optimizer: SGD(), loss: .crossEntropy)
               print(try model.fit(data, verbose: false).epochs.count)
               """, message: "LabeledDataset: 10 input rows but 7 labels"),
        Misuse(name: "splitFraction", code: "print(SyntheticData.xor().split(validationFraction: 1.5).train.count)",
               message: "LabeledDataset.split: validationFraction must be in [0, 1], got 1.5"),
        Misuse(name: "prefixNegative", code: "print(SyntheticData.xor().prefix(-1).count)",
               message: "LabeledDataset.prefix: n must be non-negative, got -1"),
        // Issue 16, item 2: shape and values must agree.
        Misuse(name: "shapeSet", code: """
               var t = Tensor([1, 2, 3, 4])
               t.shape = [300, 300]
               print(matmul(t, t).scalars.prefix(3))
               """, message: "Tensor.shape: cannot set shape [300, 300] (90000 values) on a tensor of shape [4] (4 values)"),
        Misuse(name: "scalarsSet", code: """
               var t = Tensor([[1, 2], [3, 4]])
               t.scalars = [1]
               print(t)
               """, message: "Tensor.scalars: 1 values assigned to a tensor of shape [2, 2], which holds 4"),
        Misuse(name: "shapeOverflow", code: "print(Tensor([], shape: [1 << 32, 1 << 32]).count)",
               message: "Tensor(_:shape:): shape [4294967296, 4294967296] holds more values than memory can address"),
        Misuse(name: "raggedArray", code: """
               let rows: [[[Int]]] = [[[1, 2], [3, 4]], [[5, 6], [7]]]
               print(Tensor(rows))
               """, message: "Tensor(_:): row 1, 1 has 1 entries, row 0, 0 has 2: every row of a level must have the same length"),
        // Siblings: the same invariants through other doors.
        Misuse(name: "shapeElement", code: """
               var t = Tensor([1, 2, 3, 4])
               t.shape[0] = 8
               print(t)
               """, message: "Tensor.shape: cannot set shape [8] (8 values) on a tensor of shape [4] (4 values)"),
        Misuse(name: "scalarsAppend", code: """
               var t = Tensor([1, 2, 3, 4])
               t.scalars.append(5)
               print(t.sum())
               """, message: "Tensor.scalars: 5 values after a change to a tensor of shape [4], which holds 4"),
        Misuse(name: "zerosOverflow", code: "print(Tensor.zeros([0, 1 << 40, 1 << 40]).count)",
               message: "Tensor(repeating:shape:): shape [0, 1099511627776, 1099511627776] holds more values than memory can address"),
        Misuse(name: "bufferReplaced", code: """
               var t = Tensor([1, 2])
               t.withUnsafeMutableBufferPointer { $0 = UnsafeMutableBufferPointer(start: $0.baseAddress, count: 1) }
               print(t)
               """, message: "Tensor.withUnsafeMutableBufferPointer: the closure replaced the buffer of 2 values (1 after)"),
        Misuse(name: "labelsSet", code: """
               var data = SyntheticData.xor()
               data.labels = [0, 1, 5, 0]
               print(data.classCounts)
               """, message: "LabeledDataset.labels: label 5 (sample 2) is outside 0..<2"),
        Misuse(name: "labelsCount", code: """
               var data = SyntheticData.xor()
               data.labels = [0, 1, 0]
               print(data.count)
               """, message: "LabeledDataset.labels: 3 labels for 4 samples"),
        Misuse(name: "classNamesSet", code: """
               var data = SyntheticData.xor()
               data.classNames = ["zero"]
               print(data.oneHotLabels)
               """, message: "LabeledDataset.classNames: label 1 (sample 1) is outside 0..<1"),
        Misuse(name: "sampleShape", code: """
               print(LabeledDataset(inputs: Tensor.zeros([2, 2]), labels: [0, 0], classNames: ["a"], sampleShape: [3]).sampleShape)
               """, message: "LabeledDataset: sampleShape [3] does not hold 2 features (it holds 3)"),
        Misuse(name: "inputsSet", code: """
               var data = SyntheticData.xor()
               data.inputs = Tensor.zeros([2, 2])
               print(data.batch(rows: [3]).x)
               """, message: "LabeledDataset.inputs: new inputs of shape [2, 2] for 4 samples of 2 features"),
        Misuse(name: "bytesCount", code: """
               print(LabeledDataset(bytes: [1, 2, 3], featureCount: 2, labels: [0, 0], classNames: ["a"]).inputs)
               """, message: "LabeledDataset: 3 bytes are not 2 rows of 2"),
        Misuse(name: "subsetIndex", code: """
               let data = LabeledDataset(bytes: [1, 2, 3, 4], featureCount: 2, labels: [0, 1], classNames: ["a", "b"])
               print(data.subset([0, 5]).inputs)
               """, message: "LabeledDataset.subset: sample index 5 is outside 0..<2"),
        Misuse(name: "batchRow", code: """
               let data = LabeledDataset(bytes: [1, 2, 3, 4], featureCount: 2, labels: [0, 1], classNames: ["a", "b"])
               print(data.batch(rows: [0, -9]))
               """, message: "LabeledDataset.batch: sample index -9 is outside 0..<2"),
        Misuse(name: "normalizationChanged", code: """
               var normalization = Normalization.mnist
               normalization.standardDeviation = []
               print(normalization.apply(Tensor.ones([2])))
               """, message: "Normalization.apply: mean and standardDeviation need the same non-zero count, got 1 and 0"),
        Misuse(name: "normalizationZero", code: "print(Normalization(mean: 0, standardDeviation: 0).apply(Tensor.ones([2])))",
               message: "Normalization: standardDeviation must be positive, got 0.0 at 0"),
        Misuse(name: "miniBatchSize", code: """
               for batch in MiniBatches(x: Tensor.zeros([4, 2]), y: Tensor.zeros([4]), batchSize: 0) { print(batch.x.shape) }
               print("no batches")
               """, message: "MiniBatches: batchSize must be positive, got 0"),
        Misuse(name: "tensorSamples", code: "print(TensorSamples(x: Tensor.zeros([4, 2]), y: Tensor.zeros([3])).sampleCount)",
               message: "TensorSamples: x [4, 2] and y [3] need the same number of samples on axis 0"),
        Misuse(name: "spirals", code: "print(SyntheticData.spirals(countPerClass: 1).inputs)",
               message: "spirals: need at least 2 points per class and 2 classes, got countPerClass 1, classes 3"),
        Misuse(name: "perceptron", code: "print(Perceptron(inputCount: 2).activation([1]))",
               message: "Perceptron: a sample has 1 features, the perceptron 2"),
        Misuse(name: "dropoutRate", code: "print(Dropout(rate: 1.5).rate)", message: "Dropout: rate 1.5 must be in [0, 1)"),
        Misuse(name: "confusionMatrix", code: "print(ConfusionMatrix(predictions: [], labels: [], classCount: -1))",
               message: "ConfusionMatrix: classCount -1 must not be negative"),
        Misuse(name: "nesterov", code: "print(SGD(learningRate: 0.1, nesterov: true).nesterov)",
               message: "SGD: Nesterov momentum needs momentum > 0, got 0.0"),
        Misuse(name: "classIndex", code: "print(Loss.crossEntropy(Variable(Tensor.zeros([2, 3])), Tensor([0, 1.5])))",
               message: "crossEntropy: target 1.5 (sample 1) is not a class index"),
        Misuse(name: "lstmSize", code: "print(LSTM(1, 1 << 62).hiddenCount)",
               message: "LSTM(1, 4611686018427387904): sizes must not be negative"),
        Misuse(name: "hugePadding", code: """
               let conv = Conv2D(1, 1, kernelSize: 3, padding: Int.max / 2)
               print(conv(Variable(Tensor.zeros([1, 1, 4, 4]))).value.shape)
               """, message: "Window2D: kernel, stride and padding must be at most 16777216"),
    ]

    /// The notebook of `fatalCases`: its first cell reads which case to run from `selector`.
    static func fatalNotebook(selector: String) -> (markdown: String, lines: [String: Int]) {
        var lines: [String: Int] = [:]
        var text = """
        ```swift
        import Foundation
        let which = try String(contentsOfFile: "\(selector)", encoding: .utf8)
        ```

        ```swift
        switch which {

        """
        lines["cell"] = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        for misuse in fatalCases {
            text += "case \"\(misuse.name)\":\n"
            lines[misuse.name] = text.split(separator: "\n", omittingEmptySubsequences: false).count
            text += misuse.code.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        }
        text += """
        default:
            print("unknown case \\(which)")
        }
        print("the cell went on")
        ```

        """
        return (text, lines)
    }

    @Test func misuseStopsTheCellWithAMessageNamingTheCall() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let selector = directory + "/case.txt"
        let (markdown, lines) = Self.fatalNotebook(selector: selector)
        for misuse in Self.fatalCases {
            try misuse.name.write(toFile: selector, atomically: true, encoding: .utf8)
            // A timeout, so that a check that regresses into a hang fails instead of stalling.
            let (run, _) = try EndToEnd.run(markdown, in: directory) { $0.timeout = 60 }
            #expect(run.results.map(\.status) == [.passed, .failed], "\(misuse.name): \(run.results.map(\.status))")
            guard run.results.count == 2 else { continue }
            let cell = run.results[1]
            #expect(!cell.stdout.contains("the cell went on"), "\(misuse.name) went on: \(cell.stdout)")
            #expect(cell.error?.kind == .crash, "\(misuse.name): \(String(describing: cell.error?.kind))")
            let message = cell.error?.message ?? ""
            #expect(message.contains(misuse.message), "\(misuse.name): \(message)")
            // The error names the notebook line of the call (the case's first line or after).
            // A change that fails when `scalars`' modify accessor resumes (`append`) has no line:
            // swiftc marks that resumption compiler-generated, so the report names the cell's.
            if let line = cell.error?.line, let first = lines[misuse.name] {
                let expected = misuse.name == "scalarsAppend" ? lines["cell"]!...lines["cell"]! : first...(first + 4)
                #expect(expected.contains(line), "\(misuse.name): line \(line), case starts at \(first)")
            } else {
                Issue.record("\(misuse.name): the error names no line")
            }
        }
    }

    /// APIs that throw refuse the same misuse with an error the cell can catch (`error: true`).
    @Test func misuseOfThrowingAPIsThrowsNamingTheCall() throws {
        let cases: [(code: String, message: String)] = [
            ("""
             let model = Sequential([Linear(2, 2)])
             model.compile(optimizer: SGD(), loss: .crossEntropy)
             try model.fit(x: Tensor.zeros([10, 2]), y: Tensor.zeros([10]), validationSplit: 1e300, verbose: false)
             """, "fit: validationSplit 1e+300 must be in [0, 1)"),
            ("""
             let model = Sequential([Linear(2, 2)])
             model.compile(optimizer: SGD(), loss: .crossEntropy)
             try model.fit(x: Tensor.zeros([10, 2]), y: Tensor.zeros([10]), validationSplit: .nan, verbose: false)
             """, "fit: validationSplit nan must be in [0, 1)"),
            ("""
             let json = #"{"shape": [300, 300], "scalars": [1, 2, 3, 4]}"#
             let t = try JSONDecoder().decode(Tensor.self, from: Data(json.utf8))
             print(matmul(t, t).scalars.prefix(3))
             """, "Tensor: 4 values do not fill shape [300, 300] (90000 values)"),
            ("_ = try Figure().histogram([1, 2, 3], bins: Int.max).pngData()",
             "histogram: bins must be in 1...100000, got 9223372036854775807"),
            ("_ = try Figure().imageGrid(Tensor.zeros([2, 4]), side: -2).pngData()",
             "imageGrid: side must be at least 1, got -2"),
            ("_ = try Figure().decisionBoundary(xRange: 0...1, yRange: 0...1, resolution: 3) { xs, _ in xs.map { _ in Int.max } }.pngData()",
             "decisionBoundary: classes must be below 1000, found 9223372036854775807"),
        ]
        // A long training stopped early by a callback: the loss history was reserved for all
        // epochs up front (10^12 values here), which failed before the first epoch.
        var markdown = """
        ```swift
        import Foundation
        final class StopAfterTwo: Callback {
            func epochEnded(_ record: EpochRecord, model: Sequential) -> Bool { record.epoch < 2 }
        }
        let longRun = Sequential([Linear(2, 2)])
        longRun.compile(optimizer: SGD(), loss: .crossEntropy)
        let history = try longRun.fit(x: Tensor.zeros([1000, 2]), y: Tensor.zeros([1000]), batchSize: 1,
                                      epochs: 1_000_000_000, callbacks: [StopAfterTwo()], verbose: false)
        check(history.epochs.count == 2, "stopped after two epochs")
        ```


        """
        for (code, _) in cases {
            markdown += "```swift\n//| error: true\ndo {\n" + code.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
                + "\n}\nprint(\"no error\")\n```\n\n"
        }
        let (run, _) = try EndToEnd.run(markdown)
        #expect(run.results.map(\.status) == [.passed] + Array(repeating: .expectedError, count: cases.count),
                "\(run.results.map(\.status)) \(run.results.map { $0.error?.message ?? "" })")
        for (index, (_, message)) in cases.enumerated() where index + 1 < run.results.count {
            let cell = run.results[index + 1]
            #expect(cell.error?.kind == .thrown, "cell \(index + 1): \(String(describing: cell.error?.kind))")
            #expect(cell.error?.message.contains(message) == true, "cell \(index + 1): \(cell.error?.message ?? "no error")")
            #expect(!cell.stdout.contains("no error"))
        }
    }
}
