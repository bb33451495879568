import Foundation
import Testing
@testable import Datasets

/// MNIST-style datasets keep their pixels as bytes and build the Float inputs lazily; every
/// view of them must equal what the former eager Float loading gave, exactly.
@Suite struct ByteBackedDatasetTests {
    /// A byte-backed set (through the IDX loader) and the same set built eagerly from Floats,
    /// as `IDXDataset.load` did before: `Tensor(images.scalars(normalize.value(of:)))`.
    func loaded(_ normalize: PixelNormalization = .unitInterval, count: Int = 40)
        throws -> (lazy: LabeledDataset, eager: LabeledDataset)
    {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tiny = TinyIDX(count: count, rows: 5, columns: 7)
        try tiny.writeSplits(to: directory, gzipped: true)
        let lazy = try MNIST.load(split: .train, directory: directory, normalize: normalize)
        let images = try IDX.readImages(atPath: directory + "/train-images-idx3-ubyte.gz")
        let eager = LabeledDataset(inputs: Tensor(images.scalars(normalize.value(of:)), shape: [count, 35]),
                                   labels: tiny.labels.map(Int.init), classNames: MNIST.classNames, sampleShape: [5, 7])
        return (lazy, eager)
    }

    @Test(arguments: [PixelNormalization.none, .unitInterval, .mnist])
    func lazyInputsEqualTheEagerFloats(normalize: PixelNormalization) throws {
        let (lazy, eager) = try loaded(normalize)
        #expect(lazy.inputsAreLazy && !eager.inputsAreLazy)
        #expect(lazy.count == 40 && lazy.featureCount == 35 && lazy.sampleShape == [5, 7])
        #expect(lazy.inputsAreLazy, "count and featureCount must not build the Floats")
        #expect(lazy.inputs == eager.inputs)
        #expect(lazy.images == eager.images && lazy.shapedImages == eager.shapedImages)
        #expect(lazy.labelsTensor == eager.labelsTensor)
        #expect(!lazy.inputsAreLazy, "reading inputs builds and keeps them")
        // Copies share the built tensor (one build), and it stays equal.
        let copy = lazy
        #expect(!copy.inputsAreLazy && copy.inputs == eager.inputs)
    }

    @Test func batchesConvertOnlyTheirRowsAndMatchTheFloats() throws {
        let (lazy, eager) = try loaded(.mnist)
        let rows = [39, 0, 7, 7, 21]
        let fromBytes = lazy.batch(rows: rows), fromFloats = eager.batch(rows: rows)
        #expect(lazy.inputsAreLazy, "batch(rows:) must not build the whole Float matrix")
        #expect(fromBytes.x == fromFloats.x && fromBytes.y == fromFloats.y)
        #expect(fromBytes.x == eager.inputs.gathering(rows: rows))
        #expect(fromBytes.y == eager.labelsTensor.gathering(rows: rows))
        #expect(lazy.batch(rows: 3..<9).x == eager.inputs.slice(alongAxis: 0, range: 3..<9))
        #expect(lazy.batch(rows: [Int]()).x.shape == [0, 35])
        // A pair of tensors gives the same batches.
        let pair = TensorSamples(x: eager.inputs, y: eager.labelsTensor)
        #expect(pair.sampleCount == 40 && pair.batch(rows: rows).x == fromBytes.x && pair.batch(rows: rows).y == fromBytes.y)
    }

    @Test func prefixSubsetSplitAndNormalizeStayBytesAndMatch() throws {
        let (lazy, eager) = try loaded()
        let first = lazy.prefix(9)
        #expect(first.inputsAreLazy && first.inputs == eager.prefix(9).inputs && first.labels == eager.prefix(9).labels)
        let picked = lazy.subset([5, 1, 1, 30])
        #expect(picked.inputsAreLazy && picked.inputs == eager.subset([5, 1, 1, 30]).inputs)
        let (train, validation) = lazy.split(validationFraction: 0.25, seed: 2)
        let (eagerTrain, eagerValidation) = eager.split(validationFraction: 0.25, seed: 2)
        #expect(train.inputsAreLazy && validation.inputsAreLazy)
        #expect(train.inputs == eagerTrain.inputs && validation.inputs == eagerValidation.inputs)
        #expect(train.labels == eagerTrain.labels && validation.labels == eagerValidation.labels)
        // A global normalisation maps the byte table: the same Floats as applying it to the inputs.
        let normalization = Normalization(mean: 0.2, standardDeviation: 0.37)
        let normalized = lazy.normalized(with: normalization)
        #expect(normalized.inputsAreLazy && normalized.inputs == eager.normalized(with: normalization).inputs)
        // Per feature: computed from the Floats, still equal.
        let perFeature = Normalization.fit(eager.inputs, perFeature: true)
        #expect(lazy.normalized(with: perFeature).inputs == eager.normalized(with: perFeature).inputs)
        #expect(lazy.inputsAreLazy == false)   // per-feature statistics needed the Floats
    }

    @Test func assigningInputsReplacesThemOnlyInThatCopy() throws {
        let (lazy, eager) = try loaded()
        var changed = lazy
        changed.inputs.scalars[0] = 42
        #expect(changed.inputs.scalars[0] == 42 && !changed.inputsAreLazy)
        #expect(lazy.inputs == eager.inputs)
        var replaced = lazy.prefix(2)
        replaced.inputs = Tensor(repeating: 1, shape: [2, 35])
        #expect(replaced.batch(rows: [1]).x == Tensor(repeating: 1, shape: [1, 35]))
    }

    @Test func publicByteInitializerMatchesFloats() {
        let bytes: [UInt8] = [0, 255, 128, 3, 9, 200]
        let dataset = LabeledDataset(bytes: bytes, featureCount: 3, labels: [1, 0], classNames: ["a", "b"],
                                     normalize: .unitInterval)
        #expect(dataset.inputsAreLazy && dataset.featureCount == 3 && dataset.sampleShape == [3])
        #expect(dataset.batch(rows: [1]).x.scalars == [3, 9, 200].map { Float($0) / 255 })
        #expect(dataset.inputs.scalars == bytes.map { Float($0) / 255 })
    }

    /// The real training set: bytes in, the same Floats as the eager loader (skipped without the data).
    @Test func realMNISTMatchesTheEagerLoader() throws {
        guard FileManager.default.fileExists(atPath: sharedMNISTDirectory + "/t10k-images-idx3-ubyte.gz") else { return }
        let test = try MNIST.load(split: .test, directory: sharedMNISTDirectory)
        let images = try IDX.readImages(atPath: sharedMNISTDirectory + "/t10k-images-idx3-ubyte.gz")
        let eager = images.scalars(PixelNormalization.unitInterval.value(of:))
        #expect(test.batch(rows: 0..<10_000).x.scalars == eager)
        #expect(test.inputsAreLazy)
        #expect(test.inputs.scalars == eager)
    }
}
