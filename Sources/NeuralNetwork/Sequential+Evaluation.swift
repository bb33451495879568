import Foundation

// `evaluate` and `predict`: a `Sequential` model on data, in evaluation mode.

extension Sequential {
    /// The loss and metrics `evaluate` measured, named as in `History`:
    ///
    ///     let result = try model.evaluate(x: test.images, y: test.labelsTensor)
    ///     result.loss, result["loss"], result["accuracy"], result[.accuracy], result.accuracy
    public struct Evaluation: CustomStringConvertible, Codable, Equatable {
        public var loss: Float
        /// The metrics by `Metric.name` ("accuracy", "mae", "mse").
        public var metrics: [String: Float]
        public var accuracy: Float? { metrics["accuracy"] }

        public init(loss: Float, metrics: [String: Float]) {
            self.loss = loss
            self.metrics = metrics
        }

        /// "loss", or a metric's name; nil for a metric that was not measured.
        public subscript(name: String) -> Float? { name == "loss" ? loss : metrics[name] }
        /// A metric's value; nil when it was not measured.
        public subscript(metric: Metric) -> Float? { metrics[metric.name] }
        /// Every value by name, the loss included (Keras' `return_dict=True`).
        public var values: [String: Float] { metrics.merging(["loss": loss]) { $1 } }

        public var description: String {
            (["loss: \(format(loss))"] + metrics.keys.sorted().map { "\($0): \(format(metrics[$0]!))" }).joined(separator: ", ")
        }
    }

    public func evaluate(x: Tensor, y: Tensor, batchSize: Int = 1000) throws -> Evaluation {
        try checkData(x, y, "evaluate")
        return try evaluate(TensorSamples(x: x, y: y), batchSize: batchSize)
    }

    /// The loss and metrics on `data` (a `LabeledDataset`, or any `BatchSource`), read in
    /// consecutive batches of `batchSize`, as `evaluate(x:y:)` reads tensors (same results).
    public func evaluate(_ data: any BatchSource, batchSize: Int = 1000) throws -> Evaluation {
        guard batchSize > 0 else { throw TrainingError.badData("evaluate: batchSize must be positive") }
        let samples = data.sampleCount
        guard samples > 0 else { throw TrainingError.badData("evaluate: no samples") }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        var lossSum: Double = 0
        var measured = MetricTotals(metrics, loss: loss)
        var shapes = ShapeCheck()
        try withoutGradients {
            var start = 0
            while start < samples {
                let end = min(samples, start + batchSize)
                let (rawX, batchY) = data.batch(rows: start..<end)
                let batchX = try shapedForModel(rawX, batchY, "evaluate", &shapes)
                let output = self(batchX)
                lossSum += Double(loss(output, batchY).scalar) * Double(end - start)
                measured.add(output.value, batchY)
                start = end
            }
        }
        return Evaluation(loss: Float(lossSum / Double(max(samples, 1))), metrics: measured.values)
    }

    /// The model's outputs for `x`, in evaluation mode, computed in batches. Inputs are reshaped
    /// to (samples,) + `inputShape` when the model has one of the same size, as `fit` does with
    /// a dataset's rows; no samples give no outputs, (0,) + the output's shape.
    public func predict(_ x: Tensor, batchSize: Int) -> Tensor {
        if batchSize < 1 { engineFailure("predict: batchSize \(batchSize) must be at least 1") }
        if x.rank < 1 { engineFailure("predict: inputs of shape \(x.shape) have no sample axis; pass (samples, ...)") }
        let x = reshapedToInputShape(x)
        let output: [Int]
        do { output = try outputSampleShape(Array(x.shape.dropFirst()), "predict") } catch { engineFailure("\(error)") }
        let samples = x.shape[0]
        if samples == 0 { return Tensor.zeros([0] + output) }
        let wasTraining = isTraining
        isTraining = false
        defer { isTraining = wasTraining }
        var parts: [Tensor] = []
        withoutGradients {
            var start = 0
            while start < samples {
                let end = min(samples, start + batchSize)
                parts.append(self(x.slice(alongAxis: 0, range: start..<end)).value)
                start = end
            }
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
    }

    /// The predicted class of each sample (the argmax of the outputs).
    public func predictClasses(_ x: Tensor, batchSize: Int = 1000) -> [Int] {
        predictedClasses(predict(x, batchSize: batchSize))
    }
}
