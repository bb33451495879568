import Foundation
import Testing
@testable import Notebook

/// `cache: true`: the store (no Swift run), and end to end (see also ExecutionPlanTests for the plan's facts).
@Suite struct CellCacheStoreTests {
    /// A committed entry written by hand, as a notebook program writes one: `bytes` of payload,
    /// last used `age` seconds ago.
    func makeEntry(_ cache: CellCache, key: String, notebook: String, cell: Int, bytes: Int, age: Double) throws {
        let folder = cache.cellsDirectory + "/\(key)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(count: bytes).write(to: URL(fileURLWithPath: folder + "/b0.json"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/engine.json"))
        let manifest = CacheManifest(key: key, notebook: notebook, cell: cell, label: cell == 0 ? "train" : nil,
                                     bindings: [.init(name: "x", type: "Int", file: "b0.json")],
                                     files: [.init(name: "b0.json", size: bytes, hash: "h"), .init(name: "engine.json", size: 2, hash: "h")],
                                     outputs: [.stdout("hi\n")])
        try KernelCoding.encoder().encode(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        let used = Date().addingTimeInterval(-age)
        try FileManager.default.setAttributes([.modificationDate: used], ofItemAtPath: "\(folder)/manifest.json")
    }

    @Test func sizeLimits() throws {
        #expect(CellCache.parseSize("2G") == 2 << 30)
        #expect(CellCache.parseSize("500MiB") == 500 << 20)
        #expect(CellCache.parseSize("1048576") == 1 << 20)
        #expect(CellCache.parseSize("1.5k") == 1536)
        #expect(CellCache.parseSize("lots") == nil)
        #expect(try CellCache.limit(environment: [:]) == 2 << 30)
        #expect(try CellCache.limit(environment: ["NBRUN_CACHE_LIMIT": "10M"]) == 10 << 20)
        #expect(throws: NotebookError.self) { try CellCache.limit(environment: ["NBRUN_CACHE_LIMIT": "-1"]) }
    }

    @Test func listEvictLeastRecentlyUsedAndClear() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let cache = CellCache(directory: directory + "/.cache")
        try makeEntry(cache, key: "old", notebook: "/n/a.md", cell: 0, bytes: 1000, age: 300)
        try makeEntry(cache, key: "middle", notebook: "/n/a.md", cell: 1, bytes: 1000, age: 200)
        try makeEntry(cache, key: "new", notebook: "/n/b.md", cell: 2, bytes: 1000, age: 100)
        let entries = cache.entries()
        #expect(entries.map(\.key) == ["new", "middle", "old"])
        #expect(entries.last?.cellName == "train")
        #expect(entries.allSatisfy { $0.readable && $0.bytes > 1000 })
        // Using an entry makes it the most recent.
        cache.touch(key: "old")
        #expect(cache.entries().first?.key == "old")
        let removed = try cache.evict(limit: entries.reduce(0) { $0 + $1.bytes } - 1)
        #expect(removed.map(\.key) == ["middle"])
        #expect(try cache.evict(limit: 1 << 30).isEmpty)
        // Garbage goes first.
        try FileManager.default.createDirectory(atPath: cache.cellsDirectory + "/garbage", withIntermediateDirectories: true)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: cache.cellsDirectory + "/garbage/manifest.json"))
        #expect(cache.entries().contains { $0.key == "garbage" && !$0.readable })
        #expect(try cache.evict(limit: cache.entries().reduce(0) { $0 + $1.bytes } - 1).map(\.key) == ["garbage"])
        #expect(try cache.clear(notebook: "/n/b.md").map(\.key) == ["new"])
        #expect(cache.entries().map(\.key) == ["old"])
        #expect(try cache.clear().count == 1)
        #expect(cache.entries().isEmpty)
    }

    /// A manifest whose date has a 40-digit fraction (found by the cache-manifest fuzz target,
    /// Fuzz/Regressions/cache-manifest): ICU divided by zero parsing it, and the process stopped.
    @Test func aDateWithAVeryLongFractionIsReadNotACrash() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let cache = CellCache(directory: directory + "/.cache")
        try FileManager.default.createDirectory(atPath: cache.cellsDirectory + "/k", withIntermediateDirectories: true)
        let manifest = #"{"version":3,"key":"k","notebook":"/n/a.md","cell":0,"bindings":[],"restores":[],"#
            + #""files":[{"name":"engine.json","size":2,"hash":"h"}],"engine":"engine.json","#
            + #""inputs":[],"writes":[],"outputs":[],"stored":"2026-01-01T12:00:00."# + String(repeating: "2", count: 40) + #"Z"}"#
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: cache.cellsDirectory + "/k/manifest.json"))
        let entries = cache.entries()
        #expect(entries.count == 1 && entries.first?.readable == true)
        #expect(entries.first?.stored == KernelCoding.parseDate("2026-01-01T12:00:00.222Z"))
        #expect(KernelCoding.parseDate("2026-01-01T12:00:00." + String(repeating: "9", count: 60) + "+01:00") != nil)
        #expect(KernelCoding.parseDate("2026-01-01T12:00:00.5Z") == KernelCoding.parseDate("2026-01-01T12:00:00.500Z"))
    }
}

/// Compiles and runs notebooks with cached cells (needs the release kernel).
@Suite struct CellCacheEndToEndTests {
    /// A seed, a cached cell binding a tensor, a struct and a model and drawing random
    /// numbers, a function and a type declared in it, and later cells using all of that.
    func notebook(scale: Int = 2, later: String = "print(\"later\")", unrelated: String = "let title = \"T\"") -> String {
        """
        ```swift
        RandomGenerator.seedGlobal(11)
        let scale = \(scale)
        ```

        ```swift
        \(unrelated)
        ```

        ```swift
        //| cache: true
        //| label: train
        struct Summary: Codable, Equatable { var name: String; var total: Float }
        func describe(_ s: Summary) -> String { "\\(s.name)=\\(s.total)" }
        print("training")
        let weights = Tensor.randomNormal(shape: [3, 4]) * Float(scale)
        var history: [Float] = [1, 0.5, 0.25]
        let summary = Summary(name: "w", total: weights.scalars.reduce(0, +))
        let model = Sequential([Linear(4, 2)], inputShape: [4])
        Figure(title: "loss").line([1, 2, 3], history, label: "loss")
        ```

        ```swift
        history.append(0.125)
        print(weights.scalars.map(\\.bitPattern))
        print(describe(summary), history, model.layers.count)
        print(Tensor.randomNormal(shape: [4]).scalars.map(\\.bitPattern))
        print(model.predict(Tensor([1, 2, 3, 4], shape: [1, 4]), batchSize: 1).scalars.map(\\.bitPattern))
        ```

        ```swift
        \(later)
        ```
        """
    }

    @Test func restoredResultsAreBitIdenticalToRunOnes() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let (ran, ranHTML) = try EndToEnd.run(notebook(), in: directory)
        #expect(ran.results.map(\.status) == [.passed, .passed, .passed, .passed, .passed])
        #expect(!ran.results[2].cached)
        let (restored, restoredHTML) = try EndToEnd.run(notebook(), in: directory)
        #expect(restored.results[2].cached)
        #expect(restored.results[2].cacheKey?.count == 32)
        #expect(restored.results[2].cacheStored != nil)
        // Tensors, printed values, the model's weights and later random draws: the same bits.
        #expect(restored.results[3].stdout == ran.results[3].stdout)
        #expect(restored.results[2].outputs == ran.results[2].outputs)
        #expect(ran.results[3].stdout.contains("w="))
        #expect(Self.withoutTimings(restoredHTML) == Self.withoutTimings(ranHTML))
        #expect(restoredHTML.contains("restored from the cache stored "))
    }

    /// An empty array of anything but tensors is stored as what it is (it once went into a
    /// tensors file, and reading it back failed: the cell ran every time, with a warning).
    @Test func emptyArraysAreRestored() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = "```swift\n//| cache: true\nlet none: [Int] = []\nlet names: [String] = []\nlet tensors: [Tensor] = []\n```\n\n"
            + "```swift\nprint(none, names, tensors.count)\n```\n"
        for restored in [false, true] {
            let (run, _) = try EndToEnd.run(notebook, in: directory) { $0.writeReport = false }
            #expect(run.results[0].cached == restored, "\(run.results[0].cacheNote ?? "")")
            #expect(run.document.cacheWarnings.isEmpty, "\(run.document.cacheWarnings)")
            #expect(run.results[1].stdout == "[] [] 0\n")
        }
    }

    /// The report with timings, run date and cache marks taken out.
    static func withoutTimings(_ html: String) -> String {
        var text = html
        for pattern in [#"<span class="time">[^<]*</span>"#, #" <span class="badge cached"[^>]*>cached</span>"#,
                        #"<div class="cache-info">[^<]*</div>\n"#, #"<header class="run[^"]*">[\s\S]*?</header>"#] {
            text = text.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
        }
        return text
    }

    @Test func invalidationFollowsDefinitionsAndParametersOnly() throws {
        let directory = try EndToEnd.temporaryDirectory()
        _ = try EndToEnd.run(notebook(), in: directory)
        // A later cell edited, an unrelated name edited above: still restored.
        #expect(try EndToEnd.run(notebook(later: "print(\"edited\")"), in: directory).0.results[2].cached)
        #expect(try EndToEnd.run(notebook(unrelated: "let title = \"other\""), in: directory).0.results[2].cached)
        // What it uses, edited: runs again, and so do the cells using its results.
        let (edited, _) = try EndToEnd.run(notebook(scale: 3), in: directory)
        #expect(!edited.results[2].cached)
        #expect(edited.results[2].stdout == "training\n")
        // A parameter it reads.
        let parameterized = "---\nparams:\n  factor: 2\n---\n\n```swift\n//| cache: true\nlet doubled = factor * 21\nprint(doubled)\n```\n"
        #expect(try !EndToEnd.run(parameterized, name: "p", in: directory).0.results[0].cached)
        #expect(try EndToEnd.run(parameterized, name: "p", in: directory).0.results[0].cached)
        let (overridden, _) = try EndToEnd.run(parameterized, name: "p", in: directory) { $0.parameters = [("factor", "3")] }
        #expect(!overridden.results[0].cached)
        #expect(overridden.results[0].stdout == "63\n")
    }

    @Test func refreshRecomputesAndNoCacheNeitherReadsNorWrites() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let source = "```swift\n//| cache: true\nlet x = 6 * 7\nprint(x)\n```\n"
        let (first, _) = try EndToEnd.run(source, in: directory)
        let cache = CellCache(directory: directory + "/output/.cache")
        let stored = try #require(cache.entries().first?.stored)
        let (refreshed, _) = try EndToEnd.run(source, in: directory) { $0.refreshCache = true }
        #expect(!refreshed.results[0].cached)
        #expect(refreshed.results[0].stdout == first.results[0].stdout)
        #expect(try #require(cache.entries().first?.stored) > stored)
        #expect(cache.entries().count == 1)
        _ = try cache.clear()
        #expect(try !EndToEnd.run(source, in: directory) { $0.reuseBinaries = false }.0.results[0].cached)
        #expect(cache.entries().isEmpty)
    }

    @Test func aCorruptEntryIsAMissWithAWarning() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let (first, _) = try EndToEnd.run(notebook(), in: directory)
        let cache = CellCache(directory: directory + "/output/.cache")
        let entry = try #require(cache.entries().first)
        let folder = "\(cache.cellsDirectory)/\(entry.key)"
        let tensorFile = try #require(FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".safetensors") })

        // A truncated safetensors file.
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(tensorFile)"))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: "\(folder)/\(tensorFile)"))
        let (truncated, html) = try EndToEnd.run(notebook(), in: directory)
        #expect(truncated.results.map(\.status) == [.passed, .passed, .passed, .passed, .passed])
        #expect(!truncated.results[2].cached)
        #expect(truncated.results[3].stdout == first.results[3].stdout)
        #expect(truncated.document.cacheWarnings.contains { $0.contains("cell 3: its cache entry") && $0.contains("has changed since it was stored") })
        #expect(html.contains("unreadable"))
        // The entry was stored again: restored next time.
        #expect(try EndToEnd.run(notebook(), in: directory).0.results[2].cached)

        // A manifest with garbage; then a binding file with the right size and garbage inside.
        let manifest = "\(folder)/manifest.json"
        try Data("{\"version\": 1, garbage".utf8).write(to: URL(fileURLWithPath: manifest))
        let (garbage, _) = try EndToEnd.run(notebook(), in: directory)
        #expect(!garbage.results[2].cached)
        #expect(garbage.results[3].stdout == first.results[3].stdout)
        #expect(garbage.document.cacheWarnings.contains { $0.contains("manifest.json cannot be read") })
        #expect(try EndToEnd.run(notebook(), in: directory).0.results[2].cached)
        // Same size, one float changed: the content hash catches it (sizes alone would not).
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(tensorFile)"))
        bytes[bytes.count - 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: "\(folder)/\(tensorFile)"))
        let (scrambled, _) = try EndToEnd.run(notebook(), in: directory)
        #expect(!scrambled.results[2].cached)
        #expect(scrambled.results[3].stdout == first.results[3].stdout)
        #expect(scrambled.document.cacheWarnings.contains { $0.contains("\(tensorFile) has changed since it was stored") })
    }

    @Test func aCacheFolderThatCannotBeWrittenOnlyWarns() throws {
        let directory = try EndToEnd.temporaryDirectory()
        // `cells` is a file: nothing can be created in it (whoever runs the tests, root included).
        try FileManager.default.createDirectory(atPath: directory + "/output/.cache", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/output/.cache/cells"))
        let (run, html) = try EndToEnd.run(notebook(), in: directory)
        #expect(run.results.map(\.status) == [.passed, .passed, .passed, .passed, .passed])
        #expect(run.exitCode == 0)
        #expect(run.document.cacheWarnings.contains { $0.contains("cell 3: could not store it in the cache") })
        #expect(html.contains("could not store it in the cache"))
        #expect(try !EndToEnd.run(notebook(), in: directory).0.results[2].cached)
    }

    @Test func twoConcurrentRunsOfOneNotebook() throws {
        let executable = try #require(EndToEnd.nbrunExecutable(), "nbrun is not built beside the tests")
        _ = try EndToEnd.kernel()
        let directory = try EndToEnd.temporaryDirectory()
        try notebook().write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
        // Build the binary once, so that both runs spend their time in the cells.
        _ = try EndToEnd.run(notebook(), in: directory) { $0.writeReport = false }
        _ = try CellCache(directory: directory + "/output/.cache").clear()
        func start() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["nb.md", "-o", "output"]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        for _ in 0..<3 {
            let runs = try [start(), start()]
            for run in runs { run.waitUntilExit() }
            #expect(runs.map(\.terminationStatus) == [0, 0])
        }
        let cache = CellCache(directory: directory + "/output/.cache")
        #expect(cache.entries().count == 1)
        #expect(cache.entries().allSatisfy { $0.readable })
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: cache.cellsDirectory + "/.staging")) ?? []
        #expect(leftovers.isEmpty)
        // From the same working directory: keys write paths from it (`WorkspacePaths`).
        let after = try EndToEnd.nbrun(["nb.md", "-o", "output", "--summary", "summary.json"], in: directory)
        #expect(after.status == 0, "\(after.stderr)")
        let summary = try JSONDecoder().decode(NotebookSummary.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json")))
        #expect(summary.cells[2].cached)
    }

    @Test func theSizeLimitEvictsTheLeastRecentlyUsed() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let source = { (n: Int) in "```swift\n//| cache: true\nlet big\(n) = Tensor.zeros([1000, 100]) + Float(\(n))\n```\n" }
        _ = try EndToEnd.run(source(1), name: "a", in: directory) { $0.writeReport = false; $0.cacheLimit = 500 << 10 }
        _ = try EndToEnd.run(source(2), name: "b", in: directory) { $0.writeReport = false; $0.cacheLimit = 500 << 10 }
        let entries = CellCache(directory: directory + "/output/.cache").entries()
        #expect(entries.count == 1)  // 400 KB each: the older went
        #expect(entries.first?.notebook.hasSuffix("/b.md") == true)
    }
}

/// `nbrun cache list|clear` and `--refresh`, through the executable.
@Suite struct CacheCommandTests {
    func nbrun(_ arguments: [String], in directory: String) throws -> EndToEnd.CommandResult {
        try EndToEnd.nbrun(arguments, in: directory)
    }

    @Test func listClearAndRefresh() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try "```swift\n//| cache: true\n//| label: answer\nlet x = 6 * 7\nprint(x)\n```\n"
            .write(toFile: directory + "/a.md", atomically: true, encoding: .utf8)
        try "```swift\n//| cache: true\nlet y = 1\n```\n".write(toFile: directory + "/b.md", atomically: true, encoding: .utf8)
        #expect(try nbrun(["a.md"], in: directory).status == 0)
        #expect(try nbrun(["b.md"], in: directory).status == 0)
        let hit = try nbrun(["a.md"], in: directory)
        #expect(hit.stderr.contains("[1/1] answer (cache hit)"))
        let refreshed = try nbrun(["a.md", "--refresh"], in: directory)
        #expect(refreshed.status == 0)
        #expect(refreshed.stderr.contains("[1/1] answer ("))
        #expect(!refreshed.stderr.contains("cache hit"))

        let list = try nbrun(["cache", "list"], in: directory)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NOTEBOOK  CELL") == true)
        #expect(lines.contains { $0.hasPrefix("a.md") && $0.contains("answer") })
        #expect(lines.contains { $0.hasPrefix("b.md") && $0.contains("cell 1") })
        #expect(lines.last?.hasPrefix("2 entries") == true)

        let cleared = try nbrun(["cache", "clear", "b.md"], in: directory)
        #expect(cleared.status == 0)
        #expect(cleared.stdout.hasPrefix("removed 1 entry"))
        #expect(try !nbrun(["cache", "list"], in: directory).stdout.contains("b.md"))
        #expect(try nbrun(["cache", "clear"], in: directory).stdout.hasPrefix("removed 1 entry"))
        #expect(try nbrun(["cache", "list"], in: directory).stdout.hasPrefix("no cached cells"))
        // Another output folder, and bad usage.
        #expect(try nbrun(["cache", "list", "-o", "elsewhere"], in: directory).status == 0)
        #expect(try nbrun(["cache"], in: directory).status == 2)
        #expect(try nbrun(["cache", "bogus"], in: directory).status == 2)
        #expect(try nbrun(["cache", "list", "--bogus"], in: directory).status == 2)
    }
}
