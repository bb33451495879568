import Foundation

// The checks `fit`, `evaluate` and `predict` run on data before the layers see it: each wrong
// shape or target is a thrown `TrainingError.badData` naming the layer or the target, where the
// layers and losses would stop the program.

extension Sequential {
    func checkData(_ x: Tensor, _ y: Tensor, _ operation: String) throws {
        guard x.rank >= 1, y.rank >= 1, x.shape[0] == y.shape[0], x.shape[0] > 0 else {
            throw TrainingError.badData("\(operation): inputs \(x.shape) and targets \(y.shape) must hold the same number (> 0) of samples")
        }
        if let inputShape, Array(x.shape.dropFirst()) != inputShape {
            throw TrainingError.badData("\(operation): samples of shape \(Array(x.shape.dropFirst())) but the model takes \(inputShape)")
        }
    }

    /// Inputs as the model takes them: (samples,) + `inputShape` when the model has an input
    /// shape of the same size (a flat (batch, 784) batch for a (1, 28, 28) model), else as given.
    func reshapedToInputShape(_ x: Tensor) -> Tensor {
        guard let inputShape, x.rank >= 1, !x.shape.dropFirst().elementsEqual(inputShape),
              x.count == x.shape[0] * inputShape.reduce(1, *) else { return x }
        return x.reshaped(to: [x.shape[0]] + inputShape)
    }

    /// A batch's inputs as the model takes them (`reshapedToInputShape`), checked. `shapes`
    /// remembers the layers' verdict on the last sample shape, so each run asks the layers once.
    func shapedForModel(_ x: Tensor, _ y: Tensor, _ operation: String, _ shapes: inout ShapeCheck) throws -> Tensor {
        let x = reshapedToInputShape(x)
        try checkData(x, y, operation)
        let sample = Array(x.shape.dropFirst())
        if shapes.sample != sample {
            shapes.output = try outputSampleShape(sample, operation)
            shapes.sample = sample
        }
        try checkTargets(y, output: shapes.output, operation)
        return x
    }

    /// Throws `badData` when `targets` do not suit the output (one sample of shape `output`) and
    /// the loss: the losses would stop the program on them.
    private func checkTargets(_ y: Tensor, output: [Int], _ operation: String) throws {
        func fail(_ message: String) -> TrainingError { .badData("\(operation): \(message)") }
        switch loss {
        case .crossEntropy:
            guard output.count == 1 else {
                throw fail("the cross-entropy needs (batch, classes) outputs (logits), the model gives (batch, \(output))")
            }
            let classes = output[0]
            guard y.count == y.shape[0] else {
                throw fail("the cross-entropy takes one class index per sample, shape (batch), but the targets have shape \(y.shape); pass the labels, not one-hot rows")
            }
            if let bad = y.scalars.firstIndex(where: { !($0 >= 0 && $0 < Float(classes) && $0 == $0.rounded()) }) {
                throw fail("target \(y.scalars[bad]) (sample \(bad) of the batch) is not a class index in 0..<\(classes)")
            }
        case .meanSquaredError, .binaryCrossEntropy, .binaryCrossEntropyWithLogits, .klDivergence:
            guard Array(y.shape.dropFirst()) == output else {
                throw fail("the model gives outputs of shape \(output) per sample but the targets have shape \(Array(y.shape.dropFirst())) (\(loss) compares them value by value)")
            }
        }
    }

    /// The shape of one output sample for input samples of shape `sample`, asking each layer's
    /// `outputShape(forInput:)` in turn: a layer that cannot take what the one before it gives
    /// is a `badData` error naming it, here rather than a stop inside the layer.
    func outputSampleShape(_ sample: [Int], _ operation: String) throws -> [Int] {
        var shape = sample
        for (index, layer) in layers.enumerated() {
            do {
                shape = try layer.outputShape(forInput: shape)
            } catch let error as LayerShapeError {
                throw TrainingError.badData("\(operation): layer \(index) (\(layer.typeName)) \(error)")
            } catch {
                throw TrainingError.badData("\(operation): layer \(index) (\(layer.typeName)) cannot take samples of shape \(shape): \(error)")
            }
        }
        return shape
    }
}

/// The sample shape a run last checked against the layers, and the output shape they give.
struct ShapeCheck {
    var sample: [Int]?
    var output: [Int] = []
}
