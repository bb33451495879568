import Foundation

// `fit`: the training loop of a `Sequential` model.

extension Sequential {
    /// Trains for `epochs` passes over (x, y) in mini-batches of `batchSize`.
    ///
    /// - Parameters:
    ///   - x: inputs (samples, ...).
    ///   - y: targets: class indices (samples) for `.crossEntropy`, else values of the output's shape.
    ///   - validationData: evaluated after each epoch.
    ///   - validationSplit: or, the fraction of (x, y) held out (the last samples) for validation.
    ///   - shuffle: a new order each epoch, drawn from `seed` (the same seed, the same run) by the
    ///     engine's own Fisher-Yates (`RandomNumberGenerator.shuffle(_:)`), stable across Swift versions.
    ///   - seed: seeds the shuffling; by default it is drawn from `RandomGenerator.global`, so
    ///     calling `fit` again (a loop of one-epoch fits) shuffles anew, as Keras does, and a
    ///     notebook that seeds the global generator still runs the same every time.
    ///   - callbacks: told when training and each epoch start and after each epoch (early stopping, schedules).
    ///   - verbose: a progress bar on a terminal, a line per epoch otherwise, and nbrun's progress
    ///     line; false prints nothing (`nbrun watch`'s page still charts the loss).
    /// - Throws: `TrainingError.nonFiniteLoss` naming the step where the loss became NaN or
    ///   infinite; `.notCompiled`; `.badData`.
    @discardableResult
    public func fit(x: Tensor, y: Tensor, batchSize: Int = 32, epochs: Int = 1,
                    validationData: (x: Tensor, y: Tensor)? = nil, validationSplit: Double = 0,
                    shuffle: Bool = true, seed: UInt64? = nil, callbacks: [Callback] = [], verbose: Bool = true) throws -> History {
        guard optimizer != nil else { throw TrainingError.notCompiled }
        try checkData(x, y, "fit")
        // Also refuses NaN, and 1e300 (converting the held-out count to Int is undefined in release builds).
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw TrainingError.badData("fit: validationSplit \(validationSplit) must be in [0, 1)")
        }
        var trainX = x, trainY = y, validation = validationData
        if validationSplit > 0 && validation == nil {
            let held = Int(Double(x.shape[0]) * validationSplit)
            let kept = x.shape[0] - held
            guard held > 0, kept > 0 else { throw TrainingError.badData("fit: validationSplit \(validationSplit) leaves no training or no validation samples") }
            trainX = x.slice(alongAxis: 0, range: 0..<kept)
            trainY = y.slice(alongAxis: 0, range: 0..<kept)
            validation = (x.slice(alongAxis: 0, range: kept..<x.shape[0]), y.slice(alongAxis: 0, range: kept..<y.shape[0]))
        }
        if let validation { try checkData(validation.x, validation.y, "fit (validation)") }
        return try fit(TensorSamples(x: trainX, y: trainY), batchSize: batchSize, epochs: epochs,
                       validationData: validation.map { TensorSamples(x: $0.x, y: $0.y) },
                       shuffle: shuffle, seed: seed, callbacks: callbacks, verbose: verbose)
    }

    /// Trains for `epochs` passes over `data` (a `LabeledDataset`, `TensorSamples`, any
    /// `BatchSource`), building each mini-batch from it: a byte-backed dataset (MNIST) converts
    /// only the batch's rows, so its Float inputs are never built whole.
    ///
    /// Each batch's inputs are reshaped to (batch,) + `inputShape` when the model has one of the
    /// same size (a (batch, 784) MNIST batch becomes (batch, 1, 28, 28) for a CNN). The same
    /// data, seed and model give the same history and weights as `fit(x:y:)` on the equivalent
    /// tensors: the order, the batches and the steps are the same.
    ///
    /// - Parameters:
    ///   - data: the training samples; for `.crossEntropy` a `LabeledDataset`'s targets are its labels.
    ///   - validationData: evaluated after each epoch.
    ///   - validationSplit: or, the fraction of `data` held out (the last samples) for validation,
    ///     as `fit(x:y:validationSplit:)` holds out the last rows.
    ///   - Others: as `fit(x:y:)`.
    @discardableResult
    public func fit<Source: BatchSource>(_ data: Source, batchSize: Int = 32, epochs: Int = 1,
                                         validationData: (any BatchSource)? = nil, validationSplit: Double = 0,
                                         shuffle: Bool = true, seed: UInt64? = nil,
                                         callbacks: [Callback] = [], verbose: Bool = true) throws -> History {
        // Also refuses NaN, and 1e300 (converting the held-out count to Int is undefined in release builds).
        guard validationSplit >= 0 && validationSplit < 1 else {
            throw TrainingError.badData("fit: validationSplit \(validationSplit) must be in [0, 1)")
        }
        guard validationSplit > 0 && validationData == nil else {
            return try train(data, batchSize: batchSize, epochs: epochs, validationData: validationData, shuffle: shuffle,
                             seed: seed, callbacks: callbacks, verbose: verbose)
        }
        let held = Int(Double(data.sampleCount) * validationSplit)
        let kept = data.sampleCount - held
        guard held > 0, kept > 0 else { throw TrainingError.badData("fit: validationSplit \(validationSplit) leaves no training or no validation samples") }
        return try train(SampleRange(data, 0..<kept), batchSize: batchSize, epochs: epochs,
                         validationData: SampleRange(data, kept..<data.sampleCount), shuffle: shuffle, seed: seed,
                         callbacks: callbacks, verbose: verbose)
    }

    /// `fit(_:)`'s loop, over the samples it trains on.
    private func train<Source: BatchSource>(_ data: Source, batchSize: Int, epochs: Int, validationData: (any BatchSource)?,
                                            shuffle: Bool, seed: UInt64?, callbacks: [Callback], verbose: Bool) throws -> History {
        guard let optimizer else { throw TrainingError.notCompiled }
        guard batchSize > 0, epochs >= 0 else { throw TrainingError.badData("fit: batchSize must be positive and epochs not negative") }
        let samples = data.sampleCount
        guard samples > 0 else { throw TrainingError.badData("fit: no training samples") }
        if epochs > 0 && trainableParameters.isEmpty { throw TrainingError.nothingToTrain(frozen: parameters.count) }
        let steps = (samples + batchSize - 1) / batchSize
        var generator = RandomGenerator(seed: seed ?? RandomGenerator.global.next())
        var history = History()
        // At most a million up front: epochs may be large (stopped early by a callback) or overflow steps x epochs.
        let (planned, overflow) = steps.multipliedReportingOverflow(by: epochs)
        history.stepLosses.reserveCapacity(overflow ? 1 << 20 : min(planned, 1 << 20))
        let progress = ProgressPrinter(enabled: verbose, epochs: epochs, steps: steps, metrics: metrics.map(\.name))
        var shapes = ShapeCheck()
        var order = Array(0..<samples)
        for callback in callbacks { callback.trainingStarted(model: self) }

        for epoch in 1...max(epochs, 1) where epochs > 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            for callback in callbacks { callback.epochStarted(epoch, model: self) }
            isTraining = true
            // Layers may change between epochs (a callback), not during one; frozen ones are left out.
            let parameters = self.trainableParameters
            for i in order.indices { order[i] = i }
            if shuffle { generator.shuffle(&order) }
            var lossSum: Double = 0
            var measured = MetricTotals(metrics, loss: loss)
            for step in 0..<steps {
                let rows = order[(step * batchSize)..<min(samples, (step + 1) * batchSize)]
                let (rawX, batchY) = data.batch(rows: rows)
                let batchX = try shapedForModel(rawX, batchY, "fit", &shapes)
                let output = self(batchX)
                let lossValue = loss(output, batchY)
                let value = lossValue.scalar
                guard value.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1, loss: value) }
                lossValue.backward()
                if epoch == 1 && step == 0 { try checkGradients(parameters) }
                optimizer.update(parameters)
                for parameter in parameters { parameter.zeroGrad() }

                history.stepLosses.append(value)
                lossSum += Double(value) * Double(rows.count)
                measured.add(output.value, batchY)
                progress.step(epoch: epoch, step: step + 1, loss: Float(lossSum / Double(step * batchSize + rows.count)))
                if let observer = TrainingProgress.observer {
                    let mean = Float(lossSum / Double(step * batchSize + rows.count))
                    observer(TrainingProgress(epoch: epoch, epochs: epochs, step: step + 1, steps: steps, loss: value, meanLoss: mean,
                                              verbose: verbose))
                }
            }
            var record = EpochRecord(epoch: epoch, loss: Float(lossSum / Double(samples)), metrics: [:], validationLoss: nil,
                                     validationMetrics: [:], learningRate: optimizer.learningRate, seconds: 0)
            record.metrics = measured.values
            if let validationData {
                let evaluation = try evaluate(validationData, batchSize: max(batchSize, 256))
                record.validationLoss = evaluation.loss
                record.validationMetrics = evaluation.metrics
            }
            record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            history.epochs.append(record)
            progress.epochEnded(record)
            TrainingProgress.observer?(TrainingProgress(epoch: epoch, epochs: epochs, step: steps, steps: steps,
                                                        loss: history.stepLosses.last ?? record.loss, meanLoss: record.loss,
                                                        record: record, verbose: verbose))
            var keepGoing = true
            for callback in callbacks where !callback.epochEnded(record, model: self) { keepGoing = false }
            if !keepGoing { break }
        }
        isTraining = false
        return history
    }
}

extension Sequential {
    /// Throws `noGradient`, naming each layer and parameter, when a parameter that trains got no
    /// gradient from the first step's `backward()`: the loss does not depend on it (a weight read
    /// through `.value`, or not used at all), so training would leave it as it is without a word.
    /// Gradients are cleared first, so the model is as it was before the step.
    func checkGradients(_ trainable: [Variable]) throws {
        let missing = Set(trainable.filter { $0.grad == nil }.map(ObjectIdentifier.init))
        guard !missing.isEmpty else { return }
        for parameter in trainable { parameter.zeroGrad() }
        var found: [(layer: String, parameter: String)] = []
        for (name, parameter) in namedParameters where missing.contains(ObjectIdentifier(parameter)) {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let index = Int(parts[0]), layers.indices.contains(index) else {
                found.append(("the model", name))
                continue
            }
            found.append(("layer \(index) (\(layers[index].typeName))", parts[1]))
        }
        throw TrainingError.noGradient(found)
    }
}

