import Foundation
import Testing
@testable import Datasets

@Suite struct MNISTTests {
    @Test(arguments: [false, true]) func loadsFromAnExplicitDirectory(gzipped: Bool) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tiny = TinyIDX(count: 12, rows: 2, columns: 3)
        try tiny.writeSplits(to: directory, gzipped: gzipped)

        let test = try MNIST.load(split: .test, directory: directory)
        #expect(test.inputs.shape == [12, 6])
        #expect(test.sampleShape == [2, 3])
        #expect(test.shapedImages.shape == [12, 2, 3])
        #expect(test.labels == tiny.labels.map(Int.init))
        #expect(test.inputs.scalars == tiny.pixels.map { Float($0) / 255 })
        #expect(test.classNames == (0...9).map(String.init))

        let raw = try MNIST.load(split: .train, directory: directory, normalize: .none)
        #expect(raw.inputs.scalars == tiny.pixels.map(Float.init))
        let standardized = try MNIST.load(split: .train, directory: directory, normalize: .mnist)
        for (value, byte) in zip(standardized.inputs.scalars, tiny.pixels) {
            #expect(abs(value - (Float(byte) / 255 - 0.1307) / 0.3081) < 1e-5)
        }
    }

    @Test func missingFilesListEveryPlaceLookedAt() throws {
        let directory = "/nonexistent-\(UUID().uuidString)/mnist"
        let error = try #require(throws: DatasetError.self) { try MNIST.load(split: .train, directory: directory) }
        #expect(error.kind == .missingFile(searched: [directory + "/train-images-idx3-ubyte(.gz)"]))
        #expect(error.description.contains(directory + "/train-images-idx3-ubyte(.gz)"))
        #expect(error.description.contains("make data") && error.description.contains("scripts/fetch-data"))
    }

    @Test func missingLabelsBesideImagesIsNamed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(TinyIDX(count: 2, rows: 2, columns: 2).imagesFile, to: directory + "/t10k-images-idx3-ubyte")
        let error = try #require(throws: DatasetError.self) { try MNIST.load(split: .test, directory: directory) }
        #expect(error.kind == .missingFile(searched: [directory + "/t10k-labels-idx1-ubyte(.gz)"]))
    }

    @Test func countMismatchBetweenImagesAndLabels() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(TinyIDX(count: 3, rows: 2, columns: 2).imagesFile, to: directory + "/t10k-images-idx3-ubyte")
        try write(TinyIDX(count: 4, rows: 2, columns: 2).labelsFile, to: directory + "/t10k-labels-idx1-ubyte")
        let error = try #require(throws: DatasetError.self) { try MNIST.load(split: .test, directory: directory) }
        #expect(error.kind == .countMismatch(images: 3, labels: 4))
        #expect(error.description.contains("3 images but 4 labels"))
    }

    @Test func labelOutsideTheClassesIsAnError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(TinyIDX(count: 2, rows: 1, columns: 1).imagesFile, to: directory + "/t10k-images-idx3-ubyte")
        try write(idxBytes(magic: 0x801, dimensions: [2], payload: [3, 12]), to: directory + "/t10k-labels-idx1-ubyte")
        let error = try #require(throws: DatasetError.self) { try MNIST.load(split: .test, directory: directory) }
        #expect(error.kind == .labelOutOfRange(index: 1, label: 12, classCount: 10))
    }

    @Test func searchOrder() {
        let directories = IDXDataset.searchDirectories(
            subfolder: "mnist", explicit: nil,
            environment: ["NBRUN_DATA": "/data", "NBRUN_ROOT": "/repo"],
            workingDirectory: "/repo/notebooks/tmp")
        // Environment first, then the working directory and its parents; duplicates
        // (/repo/data/mnist found again by the walk, /data/mnist) appear once.
        #expect(directories == [
            "/data/mnist", "/repo/data/mnist", "/repo/notebooks/tmp/data/mnist", "/repo/notebooks/data/mnist",
        ])
        // Explicit means only there.
        #expect(IDXDataset.searchDirectories(subfolder: "mnist", explicit: "/x", environment: ["NBRUN_DATA": "/data"]) == ["/x"])
        // Fashion-MNIST ends with the Debian package's folder.
        #expect(FashionMNIST.searchDirectories().last == "/usr/share/datasets/fashion-mnist")
    }

    @Test func searchFindsDataInAParentOfTheWorkingDirectory() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/data/mnist", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        try TinyIDX(count: 3, rows: 1, columns: 2).writeSplits(to: root + "/data/mnist", gzipped: true)
        let directories = IDXDataset.searchDirectories(subfolder: "mnist", explicit: nil, environment: [:],
                                                       workingDirectory: root + "/a/b")
        let dataset = try IDXDataset.load(split: .train, directories: directories,
                                          classNames: MNIST.classNames, normalize: .none)
        #expect(dataset.count == 3)
    }

    /// The canonical MNIST (../shared/datasets/mnist): sizes, the first label, pixel statistics.
    @Test func realMNIST() throws {
        let train = try MNIST.load(split: .train, directory: sharedMNISTDirectory)
        #expect(train.inputs.shape == [60_000, 784])
        #expect(train.count == 60_000)
        #expect(train.labels.prefix(5) == [5, 0, 4, 1, 9])
        #expect(train.classCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let statistics = Normalization.fit(train.inputs)
        #expect(abs(statistics.mean[0] - 0.1307) < 1e-3)
        #expect(abs(statistics.standardDeviation[0] - 0.3081) < 1e-3)
        #expect(train.inputs.scalars.min() == 0 && train.inputs.scalars.max() == 1)

        let test = try MNIST.load(split: .test, directory: sharedMNISTDirectory)
        #expect(test.inputs.shape == [10_000, 784])
        #expect(test.labels.prefix(5) == [7, 2, 1, 0, 4])
    }

    /// Fashion-MNIST from Debian's dataset-fashion-mnist, found by the search.
    @Test func fashionMNIST() throws {
        let train = try FashionMNIST.load(split: .train)
        #expect(train.inputs.shape == [60_000, 784])
        #expect(train.classNames.count == 10 && train.classNames[0] == "T-shirt/top" && train.classNames[9] == "Ankle boot")
        #expect(train.classCounts == Array(repeating: 6000, count: 10))
        let test = try FashionMNIST.load(split: .test)
        #expect(test.count == 10_000)
    }
}
