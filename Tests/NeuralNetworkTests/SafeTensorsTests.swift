import Foundation
import Testing
@testable import NeuralNetwork

private func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-safetensors-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

@Suite struct SafeTensorsTests {
    let tensors: [String: Tensor] = [
        "layer.0.weight": Tensor([1.5, -2, 3.25, 4, 5, 6], shape: [2, 3]),
        "layer.0.bias": Tensor([0.125, -0.5]),
        "scalar": Tensor([7], shape: []),
        "empty": Tensor([], shape: [0, 4]),
    ]

    @Test func roundTripKeepsNamesShapesAndBits() throws {
        let path = temporaryPath("round.safetensors")
        try SafeTensors.write(tensors, metadata: ["format": "nbrun", "quote": "a \"b\"\n"], to: path)
        let file = try SafeTensors.read(from: path)
        #expect(file.metadata == ["format": "nbrun", "quote": "a \"b\"\n"])
        #expect(Set(file.tensors.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(file.tensors[name]!.shape == tensor.shape)
            #expect(file.tensors[name]!.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
        }
    }

    @Test func layoutFollowsTheSpecification() throws {
        let bytes = SafeTensors.encode(["b": Tensor([1, 2]), "a": Tensor([3])])
        let headerLength = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let object = try JSONSerialization.jsonObject(with: Data(header.utf8)) as! [String: [String: Any]]
        #expect(object["a"]!["data_offsets"] as! [Int] == [0, 4])
        #expect(object["b"]!["data_offsets"] as! [Int] == [4, 12])
        #expect(bytes.count == 8 + headerLength + 12)
        // Float 3 little-endian is 00 00 40 40.
        #expect(Array(bytes[(8 + headerLength)..<(12 + headerLength)]) == [0, 0, 0x40, 0x40])
    }

    @Test func truncatedFileIsAnErrorNamingTheFile() throws {
        let path = temporaryPath("truncated.safetensors")
        let bytes = SafeTensors.encode(tensors)
        try Data(bytes.dropLast(5)).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: path) }
        #expect(error?.description.contains(path) == true)
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func garbageAndShortFilesAreErrors() throws {
        let garbage = temporaryPath("garbage.safetensors")
        var bytes: [UInt8] = [16, 0, 0, 0, 0, 0, 0, 0]
        bytes += Array("not json at all!".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: garbage) }

        let short = temporaryPath("short.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
        #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: short) }

        let huge = temporaryPath("huge.safetensors")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B]).write(to: URL(fileURLWithPath: huge))
        #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: huge) }

        #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: temporaryPath("does-not-exist")) }
    }

    @Test func offsetsThatDisagreeWithTheShapeAreErrors() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 16)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(Data(bytes)) }
    }

    @Test func aShapeWhoseByteCountOverflowsIsAnError() throws {
        // 2^62 values fit in Int, their 2^65 bytes do not (this trapped).
        let header = #"{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 8)
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(Data(bytes)) }
    }

    @Test func aZeroExtentDoesNotExcuseHugeOthers() throws {
        // [0, 2^62, 4] holds no values, but Tensor refuses the shape (its other extents multiply
        // past what memory can address): this stopped the program in Tensor(_:shape:), from both
        // readers and so from loadWeights and Sequential.load. (Found reading the fuzz harness.)
        let header = #"{"w":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
        bytes += Array(header.utf8)
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensors.decode(Data(bytes)) }
        #expect(error.problem.contains("more values than memory can address"))
        let path = temporaryPath("zero-huge.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: path) }
        // A zero extent beside sane ones is still an empty tensor.
        let empty = #"{"w":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#
        var emptyBytes = withUnsafeBytes(of: UInt64(empty.utf8.count).littleEndian, Array.init)
        emptyBytes += Array(empty.utf8)
        #expect(try SafeTensors.decode(Data(emptyBytes)).tensors["w"]?.shape == [0, 3])
    }

    @Test func decodesASliceOfLargerData() throws {
        let file = Data([1, 2, 3] + SafeTensors.encode(tensors) + [4])
        let decoded = try SafeTensors.decode(file[3..<(file.count - 1)])
        #expect(decoded.tensors == tensors)
    }

    /// The Python `safetensors` package (the reference implementation) reads our files.
    @Test func pythonSafetensorsReadsOurFiles() throws {
        let path = temporaryPath("python.safetensors")
        try SafeTensors.write(tensors, metadata: ["format": "pt"], to: path)
        let script = """
        from safetensors.numpy import load_file
        from safetensors import safe_open
        t = load_file('\(path)')
        assert t['layer.0.weight'].shape == (2, 3) and t['layer.0.weight'].dtype.name == 'float32'
        assert t['layer.0.weight'].tolist() == [[1.5, -2.0, 3.25], [4.0, 5.0, 6.0]]
        assert t['scalar'].shape == () and float(t['scalar']) == 7.0
        assert t['empty'].shape == (0, 4)
        with safe_open('\(path)', framework='np') as f:
            assert f.metadata() == {'format': 'pt'}
        print('ok')
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python safetensors could not read the file (scripts/setup installs it): \(output)")
        #expect(output.contains("ok"))
    }
}

/// One reader: `read(from:)` (which reads F32 values straight into the tensors) and `decode`
/// (from bytes) go through the same header checks and give the same tensors for every dtype.
@Suite struct SafeTensorsReaderTests {
    private func file(_ entries: [(name: String, dtype: String, shape: [Int], bytes: [UInt8])]) -> [UInt8] {
        var offset = 0
        var parts: [String] = []
        for entry in entries {
            parts.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":\(entry.shape),\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}")
            offset += entry.bytes.count
        }
        let header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        return withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + entries.flatMap(\.bytes)
    }

    @Test func everyDtypeReadsTheSameFromAFileAsFromBytes() throws {
        let doubles: [Double] = [0.5, -2, 1e10]
        let bytes = file([
            ("f64", "F64", [3], doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
            ("i32", "I32", [2], [Int32(-3), 7].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }),
            ("i64", "I64", [1, 1], withUnsafeBytes(of: Int64(42).littleEndian, Array.init)),
            ("u8", "U8", [2, 2], [0, 1, 128, 255]),
            ("f32", "F32", [2], [Float(1.5), -0.25].flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
            ("none", "F32", [0, 5], []),
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-dtypes-\(getpid()).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let read = try SafeTensors.read(from: path), decoded = try SafeTensors.decode(Data(bytes))
        #expect(read.tensors == decoded.tensors)
        #expect(read.tensors["f64"] == Tensor([0.5, -2, 1e10]))
        #expect(read.tensors["i32"] == Tensor([-3, 7]))
        #expect(read.tensors["i64"] == Tensor([42], shape: [1, 1]))
        #expect(read.tensors["u8"] == Tensor([[0, 1], [128, 255]]))
        #expect(read.tensors["f32"] == Tensor([1.5, -0.25]))
        #expect(read.tensors["none"]?.shape == [0, 5])
    }

    @Test func aFolderIsNotAFile() {
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensors.read(from: FileManager.default.temporaryDirectory.path) }
        #expect(error?.description.contains("not a file") == true)
    }
}
