import Testing
@testable import TensorCore

/// Empty axes, NaN and out-of-range indices through the reductions and movement ops.
@Suite struct EdgeCaseTests {
    @Test func maxOfAnEmptyAxisStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0, 3]).max(alongAxes: [0])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("max: cannot reduce along an empty axis of shape [0, 3]"), "\(message)")
    }

    @Test func minOfAnEmptyTensorStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([0]).min()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("min: cannot reduce along an empty axis of shape [0]"), "\(message)")
    }

    @Test func emptyReductionsThatReduceNothingStillWork() {
        // Max along a non-empty axis of an empty tensor is empty; sums of nothing are 0.
        #expect(Tensor.zeros([0, 3]).max(alongAxes: [1]).shape == [0])
        #expect(Tensor.zeros([3, 0]).max(alongAxes: [0]).shape == [0])
        #expect(Tensor.zeros([3, 0]).sum(alongAxes: [1]) == Tensor.zeros([3]))
        #expect(Tensor.zeros([0]).sum() == Tensor(scalar: 0))
        // log(sum of no exponentials) = -inf.
        #expect(logSumExp(Tensor.zeros([2, 0])) == Tensor([-Float.infinity, -.infinity]))
    }

    @Test func argmaxAndArgminReturnTheFirstNaN() {
        let nan = Float.nan
        let x = Tensor([[1, 5, nan, 7], [nan, 9, 2, 3], [4, 8, 6, 2]])
        #expect(x.argmax(alongAxis: 1) == Tensor([2, 0, 1]))
        #expect(x.argmin(alongAxis: 1) == Tensor([2, 0, 3]))
        #expect(x.argmax(alongAxis: 0) == Tensor([1, 1, 0, 0]))
    }

    @Test func scatterAddingOutOfRangeIndexStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.scatterAdding(rows: Tensor.ones([2, 3]), at: [0, 5], shape: [4, 3])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("scatterAdding(rows:at:shape:): index 5 out of range 0..<4"), "\(message)")
    }

    @Test func descriptionOfEmptyTensorsIsShort() {
        #expect(Tensor.zeros([0]).description == "Tensor[0] []")
        #expect(Tensor.zeros([100000, 0]).description == "Tensor[100000, 0] []")
    }
}

@Suite struct SoftmaxInfinityTests {
    @Test func infiniteValuesShareTheMass() {
        let inf = Float.infinity
        let x = Tensor([[inf, 1, inf, -inf], [0, 0, 0, 0]])
        #expect(softmax(x) == Tensor([[0.5, 0, 0.5, 0], [0.25, 0.25, 0.25, 0.25]]))
        let half = -Float(0.6931472)
        #expect(logSoftmax(x) == Tensor([[half, -inf, half, -inf], logSoftmax(Tensor([[0, 0, 0, 0]])).scalars]))
        // Along the first axis, with the infinity in the second row.
        #expect(softmax(Tensor([[1, 2], [inf, 3]]), axis: 0) == Tensor([[0, softmax(Tensor([2, 3])).scalars[0]],
                                                                       [1, softmax(Tensor([2, 3])).scalars[1]]]))
    }
}

@Suite struct CreationErrorTests {
    @Test func arangeToInfinityStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.arange(0, .infinity)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.arange: 0.0 to inf by 1.0 is not a finite number of values"), "\(message)")
    }

    @Test func arangeOfANegativeCountStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.arange(-3)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.arange: count -3 is negative"), "\(message)")
    }

    @Test func arangeStillCountsAsNumPy() {
        #expect(Tensor.arange(0, 1, step: 0.25) == Tensor([0, 0.25, 0.5, 0.75]))
        #expect(Tensor.arange(5, 0, step: -2) == Tensor([5, 3, 1]))
        #expect(Tensor.arange(3, 1).shape == [0])
        #expect(Tensor.arange(0).shape == [0])
    }
}

@Suite struct WindowFitTests {
    @Test func kernelLargerThanTheInputGivesNoOutputPositions() {
        // (3 - 4) / 2 + 1 truncated to 1 position; the window does not fit at all.
        let window = Window2D(kernel: (4, 4), stride: (2, 2))
        #expect(window.outputSize(height: 3, width: 3) == (0, 0))
        #expect(window.outputSize(height: 4, width: 5) == (1, 1))
    }

    @Test func poolingWithAKernelLargerThanTheInputStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = maxPool2D(Tensor.ones([1, 1, 3, 3]), window: Window2D(kernel: (4, 4), stride: (2, 2)))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("maxPool2D: Window2D(kernel: (4, 4), stride: (2, 2), padding: (0, 0)) does not fit an input of shape [1, 1, 3, 3]"), "\(message)")
    }
}

@Suite struct LogSumExpInfinityTests {
    @Test func infiniteLinesGiveInfiniteResults() {
        let inf = Float.infinity
        let x = Tensor([[inf, 1], [-inf, -inf], [-inf, 0]])
        #expect(logSumExp(x, axis: 1) == Tensor([inf, -inf, 0]))
        #expect(logSumExp(x, axis: 1, keepDims: true).shape == [3, 1])
    }
}

@Suite struct LargeDescriptionTests {
    @Test func nanValuesAreCountedInTheSummary() {
        var x = Tensor.arange(200)
        x.scalars[50] = .nan
        #expect(x.description == "Tensor[200] [0, 1, 2, 3, 4, 5, ...] (200 values, 1 NaN, min 0, max 199, mean nan)")
        #expect(Tensor(repeating: .nan, shape: [101]).description.hasSuffix("(101 values, 101 NaN, mean nan)"))
        #expect(Tensor.arange(200).description.hasSuffix("(200 values, min 0, max 199, mean 99.5)"))
    }
}

@Suite struct ReshapeErrorTests {
    @Test func twoInferredExtentsNameTheShapeAsGiven() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped(to: [-1, -1])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("reshaped(to:): shapes [2, 3] and [-1, -1] are incompatible (at most one -1"), "\(message)")
    }

    @Test func inferenceStillWorks() {
        #expect(Tensor.zeros([2, 3]).reshaped(to: [-1]).shape == [6])
        #expect(Tensor.zeros([2, 3]).reshaped(to: [3, -1]).shape == [3, 2])
        #expect(Tensor(scalar: 1).reshaped(to: [-1]).shape == [1])
        #expect(Tensor.zeros([0, 3]).reshaped(to: [-1, 3]).shape == [0, 3])
    }
}

@Suite struct NegativeShapeTests {
    @Test func zerosOfANegativeShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([-2, -3])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("negative extent in shape [-2, -3]"), "\(message)")
    }

    @Test func randomOfANegativeShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.randomNormal(shape: [4, -1])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor: negative extent in shape [4, -1]"), "\(message)")
    }
}

@Suite struct BatchNormBackwardShapeTests {
    @Test func shortScaleStopsNamingTheShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = batchNormBackward(Tensor.ones([2, 3]), normalized: Tensor.ones([2, 3]), scale: Tensor.ones([2]),
                                  inverseDeviation: Tensor.ones([3]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("batchNormBackward: shapes [2] and [3] must both be [3] for input [2, 3]"), "\(message)")
    }
}

/// `summary` (what a notebook shows) and `description` come from one set of statistics, so
/// NaNs are counted the same in both (the notebook's summary used to report min/max as NaN or
/// a wrong value, depending on where the NaN stood).
@Suite struct TensorSummaryTests {
    @Test func summaryCountsNaNAsTheDescriptionDoes() {
        let values = (0..<200).map { $0 == 50 ? Float.nan : Float($0) }
        let x = Tensor(values, shape: [200])
        let statistics = x.statistics
        #expect(statistics.count == 200 && statistics.nanCount == 1)
        #expect(statistics.minimum == 0 && statistics.maximum == 199 && statistics.mean.isNaN)
        #expect(x.summary.hasPrefix("Tensor shape [200], Float32, 1 NaN, min 0, mean nan, max 199\n[0, 1, 2, ..., 197, 198, 199]"))
        // A NaN first (it used to become the minimum and maximum).
        let first = Tensor([.nan, 1, 2])
        #expect(first.summary == "Tensor shape [3], Float32, 1 NaN, min 1, mean nan, max 2\n[nan, 1, 2]")
        #expect(Tensor(repeating: .nan, shape: [2]).summary == "Tensor shape [2], Float32, 2 NaN, mean nan\n[nan, nan]")
    }

    @Test func summaryShowsStatisticsAndElidesLongAxes() {
        #expect(Tensor([[1, 2], [3, 4]]).summary == "Tensor shape [2, 2], Float32, min 1, mean 2.5, max 4\n[[1, 2],\n [3, 4]]")
        #expect(Tensor.zeros([0, 3]).summary == "Tensor shape [0, 3], Float32\n[]")
        // A scalar (a loss, a sum) shows as a number, as print shows it.
        #expect(Tensor(scalar: 1.0 / 3).summary == "0.333333" && Tensor([1, 2, 4]).sum().summary == "7")
        #expect("\(Tensor([1, 2, 4]).mean())" == "2.33333")
        let matrix = Tensor.arange(64).reshaped(to: [8, 8])
        let lines = matrix.formattedValues(maxPerAxis: 4).split(separator: "\n")
        #expect(lines.count == 5)   // two rows, "...", two rows
        #expect(lines[0] == "[[0, 1, ..., 6, 7],")
        #expect(lines[2] == " ...,")
        // Without a limit, the rendering is the description's.
        #expect("Tensor[8, 8] " + matrix.formattedValues() == matrix.description)
        #expect(Tensor([.infinity, -.infinity]).summary.hasPrefix("Tensor shape [2], Float32, min -inf, mean nan, max inf"))
    }
}
