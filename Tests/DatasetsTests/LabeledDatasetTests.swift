import Testing
@testable import Datasets

@Suite struct LabeledDatasetTests {
    /// Sample i has features [i, 10 i] and label i % 3.
    func numbered(_ count: Int) -> LabeledDataset {
        LabeledDataset(inputs: Tensor((0..<count).flatMap { [Float($0), Float(10 * $0)] }, shape: [count, 2]),
                       labels: (0..<count).map { $0 % 3 }, classNames: ["a", "b", "c"])
    }

    @Test func prefixAndSubset() {
        let dataset = numbered(10)
        let first = dataset.prefix(4)
        #expect(first.count == 4 && first.inputs.shape == [4, 2])
        #expect(first.inputs.scalars == [0, 0, 1, 10, 2, 20, 3, 30] && first.labels == [0, 1, 2, 0])
        #expect(dataset.prefix(100).count == 10)
        let picked = dataset.subset([9, 2, 2])
        #expect(picked.inputs.scalars == [9, 90, 2, 20, 2, 20] && picked.labels == [0, 2, 2])
        #expect(picked.classNames == ["a", "b", "c"])
    }

    @Test func labelsAsTensors() {
        let dataset = numbered(4)
        #expect(dataset.labelsTensor.shape == [4] && dataset.labelsTensor.scalars == [0, 1, 2, 0])
        #expect(dataset.oneHotLabels.shape == [4, 3])
        #expect(dataset.oneHotLabels.scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0])
        #expect(dataset.classCounts == [2, 1, 1])
    }

    @Test func splitHoldsEverySampleOnce() {
        let dataset = numbered(100)
        let (train, validation) = dataset.split(validationFraction: 0.2, seed: 3)
        #expect(train.count == 80 && validation.count == 20)
        let ids = (train.inputs.scalars + validation.inputs.scalars).enumerated().filter { $0.offset % 2 == 0 }.map { Int($0.element) }
        #expect(ids.sorted() == Array(0..<100))
        // Reproducible, and different for another seed.
        #expect(dataset.split(validationFraction: 0.2, seed: 3).validation.labels == validation.labels)
        #expect(dataset.split(validationFraction: 0.2, seed: 4).validation.inputs.scalars != validation.inputs.scalars)
        // Unshuffled: the last samples are the validation set.
        let ordered = dataset.split(validationFraction: 0.1, shuffle: false)
        #expect(ordered.validation.inputs.scalars.first == 90)
    }

    /// Labels, class names, sample shape and inputs stay settable, checked against each other
    /// (a wrong value stops the program: see Tests/NotebookTests/EngineSafetyTests.swift, which
    /// runs those cases against the release kernel).
    @Test func settersKeepTheDatasetConsistent() {
        var dataset = numbered(4)
        dataset.labels = [2, 2, 1, 0]
        dataset.labels[0] = 1
        #expect(dataset.labels == [1, 2, 1, 0] && dataset.classCounts == [1, 2, 1])
        dataset.classNames.append("d")
        #expect(dataset.classCount == 4 && dataset.oneHotLabels.shape == [4, 4])
        dataset.sampleShape = [1, 2]
        #expect(dataset.shapedImages.shape == [4, 1, 2])
        dataset.inputs = Tensor.ones([4, 2])
        #expect(dataset.batch(rows: [3]).x == Tensor.ones([1, 2]))
        #expect(dataset.prefix(2).labels == [1, 2] && dataset.subset([3, 0]).labels == [0, 1])
    }

    @Test func normalizedUsesTheGivenStatistics() {
        let dataset = numbered(3).normalized(with: Normalization(mean: 1, standardDeviation: 2))
        #expect(dataset.inputs.scalars == [-0.5, -0.5, 0, 4.5, 0.5, 9.5])
        #expect(dataset.labels == [0, 1, 2])
    }
}
