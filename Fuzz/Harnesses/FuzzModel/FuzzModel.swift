// libFuzzer harness: a saved model's architecture (`PATH.json`, as `Sequential.save(to:)` writes
// it) loaded by `Sequential.load(from:)` beside a small weights file: the JSON, the layers'
// configurations and their checks before a layer is built. `ModelFileError` and
// `SafeTensorsError` are expected; a crash, a sanitizer report, a hang or a blow-up in memory is
// a finding. (FuzzSafeTensors reaches the same loader through the weights file's metadata.)
import Foundation
@testable import NeuralNetwork

private let base: String = {
    let folder = NSTemporaryDirectory() + "nbrun-fuzz-model-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "nbrun-fuzz-model-\(getpid())") }
    let base = folder + "/model"
    // The weights of Linear(4, 3) -> ReLU -> Linear(3, 2, bias: false), and 64 more values, so
    // that small layers of other kinds pass the check that the file holds enough weights.
    var ramp: [Float] = []
    for i in 0..<64 { ramp.append(Float(i) / 64) }
    let tensors: [String: Tensor] = [
        "0.weight": Tensor(Array(ramp[0..<12]), shape: [4, 3]),
        "0.bias": Tensor([0, 0, 0], shape: [3]),
        "2.weight": Tensor(Array(ramp[0..<6]), shape: [3, 2]),
        "spare": Tensor(ramp, shape: [64]),
    ]
    try! SafeTensors.write(tensors, to: base + ".safetensors")
    return base
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    let path = base + ".json"
    guard FileManager.default.createFile(atPath: path, contents: data) else { fatalError("cannot write \(path)") }
    do {
        let model = try Sequential.load(from: base)
        _ = model.stateDictionary()
        _ = model.layers.count
    } catch is ModelFileError {
    } catch is SafeTensorsError {
    } catch {
        fatalError("Sequential.load threw \(type(of: error)), not a ModelFileError: \(error)")
    }
    return 0
}
