import Foundation
import Testing
@testable import Notebook

/// A restored run leaves the program exactly as a full run would, or the cell runs: each case
/// runs a notebook, changes it or its files, and compares the run that may restore with a full
/// one (`CacheDifferential`). One test per way a restore went wrong, three or more cases each.
@Suite struct CellCacheSoundnessTests {
    // MARK: Code that runs inside a cached cell without being written in it

    static let hiddenCode: [CacheCase] = [
        CacheCase("an observer of a global var, set through a function", first: """
        ```swift
        var changes = 0
        var level = 0 { willSet { changes += 1 } }
        func warm() { level += 2 }
        ```

        ```swift
        //| cache: true
        warm()
        let warmed = true
        ```

        ```swift
        print(level, changes, warmed)
        ```
        """, restoredCell: 1),
        CacheCase("a stored closure reassigned in another cell", first: """
        ```swift
        var seen: [Int] = []
        var onStep: (Int) -> Void = { _ in }
        ```

        ```swift
        onStep = { seen.append($0 * 10) }
        ```

        ```swift
        //| cache: true
        for step in 0..<3 { onStep(step) }
        ```

        ```swift
        print(seen)
        ```
        """, restoredCell: 2),
        CacheCase("a subscript of a notebook type", first: """
        ```swift
        var lookups = 0
        struct Table { subscript(row: Int) -> Int { lookups += 1; return row * row } }
        let table = Table()
        ```

        ```swift
        //| cache: true
        let total = table[3] + table[4]
        ```

        ```swift
        print(total, lookups)
        ```
        """, restoredCell: 1),
        CacheCase("callAsFunction of values in an array", first: """
        ```swift
        var position = 0
        struct Step { let size: Int; func callAsFunction() { position += size } }
        let steps = [Step(size: 2), Step(size: 3)]
        ```

        ```swift
        //| cache: true
        for step in steps { step() }
        ```

        ```swift
        print(position)
        ```
        """, restoredCell: 1),
        CacheCase("a layer's forward, called by the engine, reading and changing globals", first: """
        ```swift
        var forwards = 0
        var gain: Float = 2
        final class Amplify: Layer {
            var isTraining = true
            var namedParameters: [(String, Variable)] { [] }
            func callAsFunction(_ x: Variable) -> Variable { forwards += 1; return x * gain }
        }
        let model = Sequential([Amplify()], inputShape: [2])
        ```

        ```swift
        gain = 2
        ```

        ```swift
        //| cache: true
        let out = model.predict(Tensor([[1, 2]]), batchSize: 1)
        print(out.scalars)
        ```

        ```swift
        print(forwards, out.scalars)
        ```
        """, replacing: ["gain = 2": "gain = 3"]),
        CacheCase("a description that print calls", first: """
        ```swift
        var described = 0
        struct Badge: CustomStringConvertible { var description: String { described += 1; return "badge" } }
        let badge = Badge()
        ```

        ```swift
        //| cache: true
        print(badge)
        ```

        ```swift
        print(described)
        ```
        """, restoredCell: 1),
        CacheCase("a type's method changing a value whose content cannot be hashed, from an uncached cell", first: """
        ```swift
        struct Sealed: CustomReflectable { var count: Int; var customMirror: Mirror { Mirror(self, children: []) } }
        var sealed = Sealed(count: 1)
        struct Bumper { func callAsFunction() { sealed.count += 1 } }
        let bumper = Bumper()
        ```

        ```swift
        bumper()
        ```

        ```swift
        //| cache: true
        let count = sealed.count
        ```

        ```swift
        print(count)
        ```
        """, replacing: ["```swift\nbumper()\n```": "```swift\nbumper()\nbumper()\n```"]),
    ]

    @Test(arguments: hiddenCode) func codeRunningInsideACachedCellCountsAsItsCode(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    // MARK: Engine-wide settings

    static let engineSettings: [CacheCase] = [
        CacheCase("gradient recording turned off in a cached cell", first: """
        ```swift
        let weight = Variable(Tensor([1, 2]), requiresGrad: true)
        ```

        ```swift
        //| cache: true
        GradientMode.isEnabled = false
        let frozen = true
        ```

        ```swift
        print((weight * 2).isLeaf, frozen)
        ```
        """, restoredCell: 1),
        CacheCase("gradient recording turned off before a cached cell", first: """
        ```swift
        let weight = Variable(Tensor([1, 2]), requiresGrad: true)
        ```

        ```swift
        print("recording")
        ```

        ```swift
        //| cache: true
        let recorded = !(weight * 2).isLeaf
        ```

        ```swift
        print(recorded)
        ```
        """, replacing: ["print(\"recording\")": "GradientMode.isEnabled = false"]),
        CacheCase("a layer type registered for loading in a cached cell", first: """
        ```swift
        final class Gain: SavableLayer {
            static var savedTypeName: String { "gain-layer" }
            var isTraining = true
            let factor: Float
            var namedParameters: [(String, Variable)] { [] }
            var configuration: Float { factor }
            init(configuration: Float) { factor = configuration }
            func callAsFunction(_ x: Variable) -> Variable { x * factor }
        }
        try Sequential([Gain(configuration: 3)], inputShape: [2]).save(to: "DIR/gain")
        ```

        ```swift
        //| cache: true
        Gain.register()
        let registered = true
        ```

        ```swift
        let loaded = try Sequential.load(from: "DIR/gain")
        print(loaded.predict(Tensor([[1, 2]]), batchSize: 1).scalars, registered)
        ```
        """, restoredCell: 1),
        CacheCase("figure defaults set in a cached cell", first: """
        ```swift
        let wide = 800
        ```

        ```swift
        //| cache: true
        Figure.defaultWidth = wide
        let widened = true
        ```

        ```swift
        print(Figure.defaultWidth, Figure(title: "t").width, widened)
        ```
        """, restoredCell: 1),
        CacheCase("the random generator reseeded in a cached cell", first: """
        ```swift
        let seed: UInt64 = 9
        ```

        ```swift
        //| cache: true
        RandomGenerator.seedGlobal(seed)
        let first = Tensor.randomNormal(shape: [2]).scalars
        ```

        ```swift
        print(first.map(\\.bitPattern), Tensor.randomNormal(shape: [3]).scalars.map(\\.bitPattern))
        ```
        """, restoredCell: 1),
    ]

    @Test(arguments: engineSettings) func engineWideSettingsAreRestoredOrKeyed(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    // MARK: Values that are not a function of their code

    static let notFunctionsOfTheirCode: [CacheCase] = [
        CacheCase("the clock", first: """
        ```swift
        import Foundation
        let stamp = Date().timeIntervalSince1970
        ```

        ```swift
        //| cache: true
        let copy = stamp
        ```

        ```swift
        print(copy == stamp)
        ```
        """),
        CacheCase("a dictionary's order", first: """
        ```swift
        var letters: [String: Int] = [:]
        for (offset, letter) in "abcdefghijklmnopqrstuvwxyz".enumerated() { letters[String(letter)] = offset }
        let order = Array(letters.keys)
        ```

        ```swift
        //| cache: true
        let firstKey = order[0]
        ```

        ```swift
        print(firstKey == order[0])
        ```
        """),
        CacheCase("a UUID", first: """
        ```swift
        import Foundation
        let token = UUID().uuidString
        ```

        ```swift
        //| cache: true
        let prefix = String(token.prefix(8))
        ```

        ```swift
        print(prefix == String(token.prefix(8)))
        ```
        """),
        CacheCase("the system's random numbers, shuffled", first: """
        ```swift
        let picks = (0..<8).map { _ in Float.random(in: 0..<1) }.shuffled()
        ```

        ```swift
        //| cache: true
        let largest = picks.max()!
        ```

        ```swift
        print(largest == picks.max()!)
        ```
        """),
    ]

    @Test(arguments: notFunctionsOfTheirCode) func valuesThatAreNotAFunctionOfTheirCodeKeyByContent(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    // MARK: Files

    static let files: [CacheCase] = [
        CacheCase("a tensor file read with try? while absent, then created", first: """
        ```swift
        //| cache: true
        let loaded = (try? SafeTensors.read(from: "DIR/t.safetensors"))?.tensors["n"]?.scalars ?? [-1]
        ```

        ```swift
        print(loaded)
        ```
        """, between: ["t.safetensors": safeTensorsText(2)]),
        CacheCase("a counter read and written back", first: """
        ```swift
        //| cache: true
        let previous = (try? SafeTensors.read(from: "DIR/counter.safetensors"))?.tensors["n"]?.scalars[0] ?? 0
        let count = previous + 1
        try SafeTensors.write(["n": Tensor([count])], to: "DIR/counter.safetensors")
        ```

        ```swift
        print(count)
        ```
        """),
        CacheCase("a file read through POSIX calls in a helper", first: """
        ```swift
        import Foundation
        func firstByte(_ path: String) -> UInt8 {
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            var byte: UInt8 = 0
            _ = read(descriptor, &byte, 1)
            return byte
        }
        ```

        ```swift
        //| cache: true
        let first = firstByte("DIR/data.txt")
        ```

        ```swift
        print(first)
        ```
        """, files: ["data.txt": "a"], between: ["data.txt": "b"]),
        CacheCase("a file written through POSIX calls in a helper", first: """
        ```swift
        import Foundation
        func stamp(_ path: String) {
            let descriptor = open(path, O_WRONLY | O_CREAT, 0o644)
            defer { close(descriptor) }
            _ = "x".withCString { pwrite(descriptor, $0, 1, 0) }
        }
        ```

        ```swift
        //| cache: true
        stamp("DIR/stamp.txt")
        ```

        ```swift
        print(try readTextFile("DIR/stamp.txt"))
        ```
        """, between: ["stamp.txt": nil]),
    ]

    @Test(arguments: files) func filesAreInputsAsTheyWereBeforeTheCell(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    // MARK: Object state

    /// A layer whose configuration is its width only, with a plain property beside it.
    static let offsetLayer = """
    final class Offset: SavableLayer {
        var isTraining = true
        var shift: Float = 0
        let width: Int
        var namedParameters: [(String, Variable)] { [] }
        var configuration: Int { width }
        init(configuration: Int) { width = configuration }
        func callAsFunction(_ x: Variable) -> Variable { x + shift }
    }
    """

    static let objectState: [CacheCase] = [
        CacheCase("a savable layer made in the cell, with a property its configuration leaves out", first: """
        ```swift
        \(offsetLayer)
        ```

        ```swift
        //| cache: true
        let offset = Offset(configuration: 2)
        offset.shift = 5
        ```

        ```swift
        print(offset.shift, offset(Variable(Tensor([1, 1]))).value.scalars)
        ```
        """),
        CacheCase("a savable layer made before, its plain property changed in the cell", first: """
        ```swift
        \(offsetLayer)
        let offset = Offset(configuration: 2)
        ```

        ```swift
        //| cache: true
        offset.shift = 4
        ```

        ```swift
        print(offset.shift)
        ```
        """),
        CacheCase("a savable layer's plain property changed before a cached cell", first: """
        ```swift
        \(offsetLayer)
        let offset = Offset(configuration: 2)
        let model = Sequential([offset], inputShape: [2])
        ```

        ```swift
        offset.shift = 1
        ```

        ```swift
        //| cache: true
        let out = model.predict(Tensor([[1, 1]]), batchSize: 1).scalars
        ```

        ```swift
        print(out)
        ```
        """, replacing: ["offset.shift = 1": "offset.shift = 7"]),
        CacheCase("a module's tensor that holds what its buffer holds", first: """
        ```swift
        final class Shifted: Module {
            var isTraining = true
            var mean = Tensor.zeros([2])
            var shift = Tensor.zeros([2])
            var namedParameters: [(String, Variable)] { [] }
            var namedBuffers: [(String, Tensor)] { [("mean", mean)] }
            func setBuffer(_ name: String, _ value: Tensor) { if name == "mean" { mean = value } }
            func callAsFunction(_ x: Variable) -> Variable { x + Variable(shift) }
        }
        let shifted = Shifted()
        ```

        ```swift
        //| cache: true
        shifted.mean = Tensor([1, 1])
        shifted.shift = Tensor([1, 1])
        ```

        ```swift
        print(shifted.mean.scalars, shifted.shift.scalars)
        ```
        """),
    ]

    @Test(arguments: objectState) func everyStoredPropertyOfAnObjectIsKeptOrTheCellRuns(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    // MARK: Where the code is

    static let identity: [CacheCase] = [
        CacheCase("a line literal in the cell, after lines are added above it", first: """
        ```swift
        //| cache: true
        let line = #line
        ```

        ```swift
        print(line)
        ```
        """, replacing: ["```swift": "Three lines of prose\n\nadded above.\n\n```swift"]),
        CacheCase("a line literal as a helper's default argument", first: """
        ```swift
        func here(_ line: Int = #line) -> Int { line }
        ```

        ```swift
        //| cache: true
        let at = here()
        ```

        ```swift
        print(at)
        ```
        """, replacing: ["```swift\n//| cache: true": "More prose.\n\n```swift\n//| cache: true"]),
        CacheCase("a helper's own line literal, its cell moved down", first: """
        ```swift
        func declaredAt() -> Int { return #line }
        ```

        ```swift
        //| cache: true
        let declared = declaredAt()
        ```

        ```swift
        print(declared)
        ```
        """, replacing: ["```swift": "Prose first.\n\n```swift"]),
    ]

    @Test(arguments: identity) func whereTheCodeIsCountsWhenTheCodeAsksForIt(_ testCase: CacheCase) throws {
        try CacheDifferential.check(testCase)
    }

    /// Two notebooks of one name in two folders, reporting to one output folder: each has its own
    /// entries (a cell showing `#filePath` shows its own), and clearing one leaves the other's.
    @Test func notebooksOfOneNameInTwoFoldersHaveTheirOwnEntries() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = "```swift\n//| cache: true\nlet file = #filePath\nprint(file)\n```\n"
        var runs: [String: NotebookRun] = [:]
        for folder in ["a", "b", "a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(folder)", withIntermediateDirectories: true)
            try notebook.write(toFile: "\(directory)/\(folder)/nb.md", atomically: true, encoding: .utf8)
            var options = RunOptions()
            options.outputDirectory = directory + "/output"
            options.kernel = try EndToEnd.kernel()
            options.writeReport = false
            let run = try runNotebook(path: "\(directory)/\(folder)/nb.md", options: options)
            #expect(run.results[0].stdout == "\(directory)/\(folder)/nb.md\n", "\(folder): \(run.results[0].stdout)")
            #expect(run.results[0].cached == (runs[folder] != nil), "\(folder)")
            runs[folder] = run
        }
        let cache = CellCache(directory: directory + "/output/.cache")
        #expect(cache.entries().count == 2)
        #expect(try cache.clear(notebook: "\(directory)/b/nb.md").count == 1)
        #expect(cache.entries().map(\.notebook) == [CellCache.absolutePath("\(directory)/a/nb.md")])
    }

    /// `#filePath` is the path the notebook was named by: another spelling of it is another value.
    @Test func aNotebookNamedByAnotherPathShowsThatPath() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try "```swift\n//| cache: true\nlet file = #filePath\nprint(file)\n```\n"
            .write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
        for path in ["\(directory)/nb.md", "\(directory)/sub/../nb.md", "\(directory)/nb.md"] {
            var options = RunOptions()
            options.outputDirectory = directory + "/output"
            options.kernel = try EndToEnd.kernel()
            options.writeReport = false
            let run = try runNotebook(path: path, options: options)
            #expect(run.results[0].stdout == path + "\n")
        }
    }

    /// A safetensors file holding one F32 tensor "n" of one value, as text (its bytes are UTF-8 here).
    static func safeTensorsText(_ value: Float) -> String {
        var header = #"{"n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes: [UInt8] = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8)
        bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
