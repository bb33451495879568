// libFuzzer harness: an IDX file (MNIST's format), raw or gzipped, read as images and as labels
// from disk as the datasets do, and every pixel and label read. A `DatasetError` is expected;
// a crash, a sanitizer report, a hang or a blow-up in memory is a finding.
import Foundation
@testable import Datasets

private let path: String = {
    let folder = NSTemporaryDirectory() + "nbrun-fuzz-idx-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "nbrun-fuzz-idx-\(getpid())") }
    return folder + "/input-idx-ubyte"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    do {
        let images = try IDX.readImages(atPath: path)
        let pixels = images.pixels
        precondition(pixels.count == images.count * images.rows * images.columns)
        let scalars = images.scalars(scale: 1 / 255)
        precondition(scalars.count == pixels.count)
        precondition(zip(pixels, scalars).allSatisfy { Float($0) / 255 == $1 || abs(Float($0) * (1 / 255) - $1) < 1e-6 })
    } catch is DatasetError {
    } catch {
        fatalError("readImages threw \(type(of: error)), not a DatasetError: \(error)")
    }
    do {
        let labels = try IDX.readLabels(atPath: path)
        _ = labels.reduce(0) { $0 &+ Int($1) }
    } catch is DatasetError {
    } catch {
        fatalError("readLabels threw \(type(of: error)), not a DatasetError: \(error)")
    }
    return 0
}
