import Foundation
@testable import Datasets

/// A fresh temporary folder for one test.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "datasets-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The bytes of an IDX file: big-endian magic, sizes, then the payload.
func idxBytes(magic: UInt32, dimensions: [UInt32], payload: [UInt8]) -> [UInt8] {
    func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
    return bigEndian(magic) + dimensions.flatMap(bigEndian) + payload
}

/// Writes bytes to `path`.
func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Gzips `path` in place with /bin/gzip, giving `path.gz` (an independent encoder).
func gzip(_ path: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-f", "-9", path]
    try process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "gzip failed on \(path)")
}

/// A small MNIST-like set: `count` images of rows x columns where pixel (i, r, c)
/// is (i * 7 + r * 3 + c) % 256, and labels i % 10.
struct TinyIDX {
    let count: Int, rows: Int, columns: Int

    var pixels: [UInt8] {
        var pixels: [UInt8] = []
        for i in 0..<count { for r in 0..<rows { for c in 0..<columns { pixels.append(UInt8((i * 7 + r * 3 + c) % 256)) } } }
        return pixels
    }
    var labels: [UInt8] { (0..<count).map { UInt8($0 % 10) } }

    var imagesFile: [UInt8] {
        idxBytes(magic: 0x803, dimensions: [UInt32(count), UInt32(rows), UInt32(columns)], payload: pixels)
    }
    var labelsFile: [UInt8] { idxBytes(magic: 0x801, dimensions: [UInt32(count)], payload: labels) }

    /// Writes the four MNIST-named files into `directory`, gzipped or not.
    func writeSplits(to directory: String, gzipped: Bool) throws {
        for prefix in ["train", "t10k"] {
            let images = directory + "/\(prefix)-images-idx3-ubyte"
            let labels = directory + "/\(prefix)-labels-idx1-ubyte"
            try write(imagesFile, to: images)
            try write(labelsFile, to: labels)
            if gzipped { try gzip(images); try gzip(labels) }
        }
    }
}

/// Where the canonical MNIST lives for tests (../shared/datasets/mnist).
let sharedMNISTDirectory = "/work/shared/datasets/mnist"
