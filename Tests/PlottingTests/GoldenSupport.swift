import CGD
import Foundation
import Testing
@testable import Plotting

/// Golden-image checks: the PNG a figure renders must decode to exactly the pixels of the
/// committed image in Golden/. To accept a deliberate change, run
/// `NBRUN_UPDATE_GOLDEN=1 swift test --scratch-path .build-plot --filter PlottingTests`
/// and look at the rewritten images before committing them.
enum Golden {
    static var updating: Bool { ProcessInfo.processInfo.environment["NBRUN_UPDATE_GOLDEN"] == "1" }

    /// The source folder (for updates), found from this file's path.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func resource(_ name: String) throws -> Data {
        let folder = Bundle.module.url(forResource: "Golden", withExtension: nil)
            ?? sourceFolder
        return try Data(contentsOf: folder.appendingPathComponent(name))
    }

    /// Pixels of a PNG as 0xRRGGBB values, with its size.
    static func decode(_ png: [UInt8]) -> (width: Int, height: Int, pixels: [Int32])? {
        var bytes = png
        guard let image = bytes.withUnsafeMutableBytes({ gdImageCreateFromPngPtr(Int32($0.count), $0.baseAddress) }) else {
            return nil
        }
        defer { gdImageDestroy(image) }
        let w = Int(image.pointee.sx), h = Int(image.pointee.sy)
        var pixels: [Int32] = []
        pixels.reserveCapacity(w * h)
        for y in 0..<h {
            let row = image.pointee.tpixels[y]!
            for x in 0..<w { pixels.append(row[x] & 0xffffff) }
        }
        return (w, h, pixels)
    }

    /// Checks `png` against Golden/`name` (or rewrites it when updating).
    static func check(_ png: [UInt8], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("nbrun-golden")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try Data(png).write(to: scratch.appendingPathComponent(name))
        if updating {
            try Data(png).write(to: sourceFolder.appendingPathComponent(name))
            return
        }
        guard let expectedBytes = try? resource(name) else {
            Issue.record("no golden image \(name); run with NBRUN_UPDATE_GOLDEN=1 to create it", sourceLocation: sourceLocation)
            return
        }
        if [UInt8](expectedBytes) == png { return }
        guard let expected = decode([UInt8](expectedBytes)), let actual = decode(png) else {
            Issue.record("\(name): could not decode a PNG", sourceLocation: sourceLocation)
            return
        }
        guard expected.width == actual.width && expected.height == actual.height else {
            Issue.record("\(name): size \(actual.width)x\(actual.height), golden is \(expected.width)x\(expected.height); new image in \(scratch.path)/\(name)", sourceLocation: sourceLocation)
            return
        }
        let differing = zip(expected.pixels, actual.pixels).filter { $0 != $1 }.count
        #expect(differing == 0, "\(name): \(differing) pixels differ from the golden image; new image in \(scratch.path)/\(name) (NBRUN_UPDATE_GOLDEN=1 accepts it)", sourceLocation: sourceLocation)
    }
}

/// The data of the golden figures, defined by formulas that scripts/…/matplotlib
/// reference code can reproduce exactly (see GoldenFigures.plotReferencePython).
enum GoldenData {
    /// A deterministic value in [0, 1): the classic GLSL hash fract(sin(x * 12.9898) * 43758.5453).
    static func hash(_ x: Double) -> Double {
        let v = sin(x * 12.9898) * 43758.5453
        return v - floor(v)
    }

    /// Training and validation loss over 60 epochs.
    static let epochs = (1...60).map(Double.init)
    static let trainLoss = epochs.map { (e: Double) -> Double in
        let trend: Double = 2.2 * exp(-e / 9) + 0.06
        return trend + 0.04 * (hash(e) - 0.5)
    }
    static let validationLoss = epochs.map { (e: Double) -> Double in
        let trend: Double = 2.2 * exp(-e / 11) + 0.11
        let overfit: Double = 0.0012 * max(e - 30, 0)
        return trend + overfit + 0.05 * (hash(e + 100) - 0.5)
    }

    /// Pseudo-normal pre-activations (Box-Muller on the hash) and two activations of them.
    static let preActivations: [Double] = (0..<20000).map { i in
        let u1 = max(hash(Double(i) + 0.5), 1e-12), u2 = hash(Double(i) + 7000.25)
        let radius: Double = (-2 * log(u1)).squareRoot()
        return 1.6 * radius * cos(2 * Double.pi * u2)
    }
    static let tanhActivations = preActivations.map { tanh($0) }
    static let sigmoidActivations = preActivations.map { 1 / (1 + exp(-$0)) }

    /// A 10-class confusion matrix of a good classifier.
    static let confusion: [[Int]] = (0..<10).map { (t: Int) -> [Int] in
        (0..<10).map { (p: Int) -> Int in
            if t == p { return 980 - (t * 53) % 120 }
            let h: Double = hash(Double(t * 10 + p) + 0.3)
            return Int(h * h * h * h * 45)
        }
    }

    /// The first 64 MNIST test images (0...255 as Float, shape [64, 28, 28]) and labels, from
    /// Golden/mnist-t10k-first64.bin (64 label bytes, then 64 x 784 pixel bytes).
    static func mnist() throws -> (images: Tensor, labels: [Int]) {
        let bytes = [UInt8](try Golden.resource("mnist-t10k-first64.bin"))
        let labels = bytes[0..<64].map { Int($0) }
        let pixels = bytes[64..<(64 + 64 * 784)].map { Float($0) / 255 }
        return (Tensor(pixels, shape: [64, 28, 28]), labels)
    }

    /// Made-up predictions: every ninth image (from the fifth) is predicted as the next digit.
    static func predictions(_ labels: [Int]) -> [Int] {
        labels.indices.map { $0 % 9 == 4 ? (labels[$0] + 1) % 10 : labels[$0] }
    }
}
