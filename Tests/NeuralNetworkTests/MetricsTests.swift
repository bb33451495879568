import Testing
@testable import NeuralNetwork

@Suite struct MetricsTests {
    @Test func accuracyCountsMatches() {
        #expect(accuracy(predictions: [1, 2, 3, 4], labels: [1, 0, 3, 0]) == 0.5)
    }

    @Test func predictedClassesTakesTheRowArgmax() {
        let scores = Tensor([0.1, 0.7, 0.2, 3, -1, 2.9], shape: [2, 3])
        #expect(predictedClasses(scores) == [1, 0])
    }

    @Test func confusionMatrixPrecisionRecall() {
        // true:      0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let matrix = ConfusionMatrix(predictions: [0, 0, 1, 1, 2, 2], labels: [0, 0, 0, 1, 1, 2], classCount: 3)
        #expect(matrix.counts == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(matrix.accuracy == 4.0 / 6.0)
        #expect(matrix.precision == [1.0, 0.5, 0.5])
        #expect(matrix.recall == [2.0 / 3.0, 0.5, 1.0])
        #expect(matrix.tensor.shape == [3, 3])
        #expect(matrix.description.split(separator: "\n").count == 4)
    }
}

@Suite struct PerceptronTests {
    @Test func convergesOnSeparableDataAndSeparatesIt() {
        // Points above the line y = x (class 1) and below it (class 0), with a margin.
        var points: [Float] = []
        var labels: [Int] = []
        for i in 0..<20 {
            let x = Float(i % 5) - 2, offset = Float(i / 5) * 0.5 + 0.5
            points += [x, x + offset]; labels.append(1)
            points += [x, x - offset]; labels.append(0)
        }
        let data = Tensor(points, shape: [40, 2])
        var perceptron = Perceptron(inputCount: 2)
        let history = perceptron.train(x: data, labels: labels, epochs: 100)
        #expect(history.last!.mistakes == 0)
        #expect(history.count < 100)
        #expect(perceptron.predict(data) == labels)
    }

    @Test func neverConvergesOnXOR() {
        let data = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
        var perceptron = Perceptron(inputCount: 2)
        let history = perceptron.train(x: data, labels: [0, 1, 1, 0], epochs: 50)
        #expect(history.count == 50)
        #expect(history.allSatisfy { $0.mistakes > 0 })
    }

    @Test func labelsOfTheSignConventionAreRefusedNotLearnedForever() async {
        // With labels ±1 every -1 sample was a mistake on every pass, even on separable data.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var perceptron = Perceptron(inputCount: 1)
            perceptron.train(x: Tensor([-2, -1, 1, 2], shape: [4, 1]), labels: [-1, -1, 1, 1], epochs: 10)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("label -1 at sample 0; labels must be 0 or 1"), "\(message)")
    }
}
