import Foundation
import Testing
@testable import Plotting

/// The four acceptance figures of issue 5, compared pixel for pixel with Golden/.
@Suite struct GoldenFigures {
    static func lossCurve() -> Figure {
        Figure(title: "Training loss", width: 640, height: 400)
            .line(GoldenData.epochs, GoldenData.trainLoss, label: "train")
            .line(GoldenData.epochs, GoldenData.validationLoss, label: "validation")
            .xLabel("epoch")
            .yLabel("cross-entropy loss")
    }

    static func activationHistogram() -> Figure {
        Figure(title: "Activations of hidden units", width: 640, height: 400)
            .histogram(GoldenData.tanhActivations, bins: 50, label: "tanh")
            .histogram(GoldenData.sigmoidActivations, bins: 50, label: "sigmoid")
            .xLabel("activation")
            .yLabel("count")
    }

    static func mnistGrid() throws -> Figure {
        let (images, labels) = try GoldenData.mnist()
        return Figure(title: "MNIST test digits", width: 640, height: 720)
            .imageGrid(images, labels: labels, predictions: GoldenData.predictions(labels), columns: 8)
    }

    static func confusionMatrix() -> Figure {
        Figure(title: "Confusion matrix", width: 640, height: 560)
            .confusionMatrix(GoldenData.confusion)
    }

    @Test func lossCurveMatchesGolden() throws {
        try Golden.check(try Self.lossCurve().pngData(), "loss-curve.png")
    }

    @Test func activationHistogramMatchesGolden() throws {
        try Golden.check(try Self.activationHistogram().pngData(), "activation-histogram.png")
    }

    @Test func mnistGridMatchesGolden() throws {
        try Golden.check(try Self.mnistGrid().pngData(), "mnist-grid.png")
    }

    @Test func confusionMatrixMatchesGolden() throws {
        try Golden.check(try Self.confusionMatrix().pngData(), "confusion-matrix.png")
    }
}
