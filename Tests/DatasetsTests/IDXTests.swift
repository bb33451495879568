import Foundation
import Testing
@testable import Datasets

@Suite struct IDXTests {
    @Test(arguments: [false, true]) func readsImagesAndLabels(gzipped: Bool) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tiny = TinyIDX(count: 5, rows: 3, columns: 4)
        try tiny.writeSplits(to: directory, gzipped: gzipped)
        let suffix = gzipped ? ".gz" : ""

        let images = try IDX.readImages(atPath: directory + "/train-images-idx3-ubyte" + suffix)
        #expect(images.count == 5 && images.rows == 3 && images.columns == 4)
        #expect(images.pixels == tiny.pixels)
        #expect(images.scalars(scale: 2, offset: 1) == tiny.pixels.map { Float($0) * 2 + 1 })
        #expect(try IDX.readLabels(atPath: directory + "/train-labels-idx1-ubyte" + suffix) == tiny.labels)
    }

    @Test func gzipIsDetectedByContentNotName() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/labels"
        try write(idxBytes(magic: 0x801, dimensions: [3], payload: [7, 8, 9]), to: path)
        try gzip(path)
        try FileManager.default.moveItem(atPath: path + ".gz", toPath: path)
        #expect(try IDX.readLabels(atPath: path) == [7, 8, 9])
    }

    @Test func concatenatedGzipMembersAreRead() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = idxBytes(magic: 0x801, dimensions: [6], payload: [1, 2, 3, 4, 5, 6])
        try write(Array(whole[0..<7]), to: directory + "/a")
        try write(Array(whole[7...]), to: directory + "/b")
        try gzip(directory + "/a")
        try gzip(directory + "/b")
        let joined = try Data(contentsOf: URL(fileURLWithPath: directory + "/a.gz"))
            + Data(contentsOf: URL(fileURLWithPath: directory + "/b.gz"))
        try joined.write(to: URL(fileURLWithPath: directory + "/joined.gz"))
        #expect(try IDX.readLabels(atPath: directory + "/joined.gz") == [1, 2, 3, 4, 5, 6])
    }

    @Test func wrongMagicNamesTheFileAndBothNumbers() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/train-images-idx3-ubyte"
        // A labels file where an images file is expected.
        try write(idxBytes(magic: 0x801, dimensions: [2], payload: [1, 2]), to: path)
        let error = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path) }
        #expect(error.kind == .wrongMagic(expected: 0x803, found: 0x801))
        #expect(error.description.contains(path))
        #expect(error.description.contains("0x00000803") && error.description.contains("0x00000801"))
    }

    @Test func shortFileSaysHowManyBytesWereExpected() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/t10k-images-idx3-ubyte"
        var bytes = TinyIDX(count: 4, rows: 5, columns: 5).imagesFile
        bytes.removeLast(30)
        try write(bytes, to: path)
        let error = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path) }
        #expect(error.kind == .truncated(payload: "pixel", expected: 100, found: 70))
        #expect(error.description.contains("expected 100 bytes of pixel data, found 70"))
        #expect(error.description.contains(path))
    }

    @Test func shortHeaderIsAnError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/labels"
        try write([0, 0, 8, 1, 0, 0], to: path)
        let error = try #require(throws: DatasetError.self) { try IDX.readLabels(atPath: path) }
        #expect(error.kind == .truncated(payload: "header", expected: 8, found: 6))
    }

    @Test func absurdSizesAreRejectedBeforeAllocating() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/images"
        // 4e9 * 4e9 * 4e9 overflows Int; the file holds 4 bytes of pixels.
        try write(idxBytes(magic: 0x803, dimensions: [4_000_000_000, 4_000_000_000, 4_000_000_000], payload: [1, 2, 3, 4]), to: path)
        let error = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path) }
        #expect(error.kind == .absurdSize(dimensions: [4_000_000_000, 4_000_000_000, 4_000_000_000]))
        #expect(error.description.contains(path))

        // No overflow but more than 16 GiB promised.
        try write(idxBytes(magic: 0x803, dimensions: [1_000_000, 200_000, 100], payload: []), to: path)
        let large = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path) }
        #expect(large.kind == .absurdSize(dimensions: [1_000_000, 200_000, 100]))

        // No images, but rows x columns overflows (MNIST.load multiplied them and trapped).
        try write(idxBytes(magic: 0x803, dimensions: [0, 4_294_967_295, 4_294_967_295], payload: []), to: path)
        let empty = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path) }
        #expect(empty.kind == .absurdSize(dimensions: [0, 4_294_967_295, 4_294_967_295]))
    }

    @Test func truncatedGzipStreamIsAnError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/train-images-idx3-ubyte"
        try write(TinyIDX(count: 50, rows: 28, columns: 28).imagesFile, to: path)
        try gzip(path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path + ".gz"))
        let error = try #require(throws: DatasetError.self) { try IDX.readImages(atPath: path + ".gz") }
        guard case .corruptGzip(let reason) = error.kind else {
            Issue.record("expected corruptGzip, got \(error.kind)")
            return
        }
        #expect(reason.contains("cut short"))
        #expect(error.description.contains(path + ".gz"))
    }

    @Test func corruptGzipDataIsAnError() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/labels"
        try write(idxBytes(magic: 0x801, dimensions: [100], payload: Array(repeating: 3, count: 100)), to: path)
        try gzip(path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
        bytes[bytes.count - 6] ^= 0xFF   // inside the CRC-32 trailer
        try write(bytes, to: path + ".gz")
        let error = try #require(throws: DatasetError.self) { try IDX.readLabels(atPath: path + ".gz") }
        guard case .corruptGzip = error.kind else {
            Issue.record("expected corruptGzip, got \(error.kind)")
            return
        }
    }

    @Test func missingFileNamesThePath() throws {
        let path = "/nonexistent-\(UUID().uuidString)/train-labels-idx1-ubyte"
        let error = try #require(throws: DatasetError.self) { try IDX.readLabels(atPath: path) }
        #expect(error.kind == .missingFile(searched: [path]))
        #expect(error.description.contains(path) && error.description.contains("make data"))
    }
}
