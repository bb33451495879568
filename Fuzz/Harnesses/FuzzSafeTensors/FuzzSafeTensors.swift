// libFuzzer harness: a safetensors file, decoded from memory (`SafeTensors.decode`, as the cache
// reads graph.safetensors) and read from disk (`SafeTensors.read`, as `loadWeights` does); both
// readers must agree. Then loaded as a saved model (`Sequential.load`, the architecture coming
// from the file's metadata). `SafeTensorsError` and `ModelFileError` are expected; a crash, a
// sanitizer report, a hang, a blow-up in memory, or the readers disagreeing is a finding.
import Foundation
@testable import NeuralNetwork

private let base: String = {
    let folder = NSTemporaryDirectory() + "nbrun-fuzz-safetensors-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "nbrun-fuzz-safetensors-\(getpid())") }
    return folder + "/model"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    let decoded: Result<SafeTensors.File, Error> = Result { try SafeTensors.decode(data, file: "fuzz.safetensors") }
    let path = base + ".safetensors"
    guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    let read: Result<SafeTensors.File, Error> = Result { try SafeTensors.read(from: path) }
    switch (decoded, read) {
    case (.success(let a), .success(let b)):
        precondition(a.metadata == b.metadata, "decode and read give other metadata")
        precondition(a.tensors.keys.sorted() == b.tensors.keys.sorted(), "decode and read give other tensors")
        for (name, tensor) in a.tensors {
            let other = b.tensors[name]!
            precondition(tensor.shape == other.shape, "tensor \(name): decode and read give other shapes")
            precondition(tensor.scalars.map(\.bitPattern) == other.scalars.map(\.bitPattern),
                         "tensor \(name): decode and read give other values")
            precondition(tensor.count == tensor.shape.reduce(1, *), "tensor \(name) has \(tensor.count) values for shape \(tensor.shape)")
        }
    case (.failure(let a), .failure(let b)):
        precondition(a is SafeTensorsError && b is SafeTensorsError, "unexpected errors \(a), \(b)")
    default:
        preconditionFailure("decode and read disagree: \(decoded) / \(read)")
    }
    do {
        let model = try Sequential.load(from: base)
        _ = model.stateDictionary()
    } catch is SafeTensorsError {
    } catch is ModelFileError {
    } catch {
        fatalError("Sequential.load threw \(type(of: error)), not a SafeTensorsError or ModelFileError: \(error)")
    }
    return 0
}
