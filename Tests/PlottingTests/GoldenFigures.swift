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

    /// Not from the acceptance list, but locked too: class regions with points, and a 2x2
    /// grid mixing a log axis, bars, a diverging heatmap and markers.
    static func decisionBoundary() -> Figure {
        var xs: [Double] = [], ys: [Double] = [], classes: [Int] = []
        for c in 0..<3 {
            for i in 0..<60 {
                let r = Double(i) / 60, t = Double(c) * 2.1 + 3.5 * r + 0.3 * (GoldenData.hash(Double(i * 3 + c)) - 0.5)
                xs.append(r * sin(t)); ys.append(r * cos(t)); classes.append(c)
            }
        }
        return Figure(title: "Spiral classifier", width: 560, height: 420)
            .decisionBoundary(xRange: -1...1, yRange: -1...1, resolution: 80) { px, py in
                zip(px, py).map { x, y in
                    let r = Double((x * x + y * y).squareRoot()), a = atan2(Double(x), Double(y))
                    let turn = (a - 3.5 * r) / (2.1)
                    return ((Int((turn + 30).rounded(.down)) % 3) + 3) % 3
                }
            }
            .scatter(xs, ys, classes: classes)
            .xLabel("x₁").yLabel("x₂")
    }

    static func subplots() -> FigureGrid {
        let losses = (1...200).map { 3 * pow(Double($0), -0.7) }
        let weights = Tensor((0..<(12 * 16)).map { Float(sin(Double($0) * 0.41)) * Float($0 % 5) / 4 }, shape: [12, 16])
        return Figure.grid(rows: 2, columns: 2, [
            Figure(title: "Loss (log-log)").line(losses, label: "loss").xScale(.log).yScale(.log),
            Figure(title: "Optimizers").bar([0.91, 0.95, 0.96, 0.978], labels: ["SGD", "Adagrad", "RMSprop", "Adam"]).yLimits(0.8, 1),
            Figure(title: "Weights").heatmap(weights, colormap: .redBlue),
            Figure(title: "Markers").line([1.0, 3, 2, 4], marker: .circle).line([2.0, 1, 3, 2], marker: .square, dashed: true)
                .scatter([0.0, 1, 2, 3], [0.5, 1.5, 0.8, 3.5], marker: .triangle),
        ], title: "Subplots", width: 900, height: 640)
    }

    @Test func decisionBoundaryMatchesGolden() throws {
        try Golden.check(try Self.decisionBoundary().pngData(), "decision-boundary.png")
    }

    @Test func subplotsMatchGolden() throws {
        try Golden.check(try Self.subplots().pngData(), "subplots.png")
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
