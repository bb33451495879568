import Foundation
import Testing
@testable import Notebook

/// The cell cache keeps what cells change (models, optimizers, earlier vars), restores it into
/// the program's own objects, and is never stale: aliases, closures and objects reached
/// through other names, files read. Each test compares a restored run with a full one.
@Suite(.serialized) struct CellCacheStateTests {
    /// Runs `markdown` in `directory` (its cache persists there) and returns the run.
    @discardableResult
    func run(_ markdown: String, in directory: String, name: String = "nb",
             configure: (inout RunOptions) -> Void = { _ in }) throws -> NotebookRun {
        try EndToEnd.run(markdown, name: name, in: directory) { options in
            options.writeReport = false
            options.stateTrace = true
            configure(&options)
        }.0
    }

    /// The differential check: every value the notebook bound has the same content after every
    /// cell in the restored run as in the full one.
    func expectSameState(_ restored: NotebookRun, _ full: NotebookRun, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(restored.results.contains { $0.state?.isEmpty == false }, sourceLocation: sourceLocation)
        let difference = StateComparison.firstDifference(full: full.results.map(\.state), restored: restored.results.map(\.state))
        #expect(difference == nil, "\(difference.map(\.description) ?? "")", sourceLocation: sourceLocation)
    }

    /// The same notebook run without any cache (a new folder, nothing stored or restored).
    func fullRun(_ markdown: String) throws -> NotebookRun {
        try run(markdown, in: EndToEnd.temporaryDirectory()) { $0.reuseBinaries = false }
    }

    func outputs(_ run: NotebookRun) -> [[CellOutput]] {
        run.results.map(\.outputs)
    }

    /// The Keras layout: data and model in one cell, compiled; `fit` cached in the next; later
    /// cells evaluate, train further and print every weight's bits and the optimizer's state.
    let keras = """
    ```swift
    RandomGenerator.seedGlobal(5)
    let data = SyntheticData.spirals(countPerClass: 60, classes: 2)
    let model = Sequential([Linear(2, 16), BatchNorm(16), ReLU(), Dropout(rate: 0.1), Linear(16, 2)], inputShape: [2])
    model.compile(optimizer: Adam(learningRate: 0.02), loss: .crossEntropy)
    ```

    ```swift
    //| cache: true
    let history = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 16, epochs: 3, verbose: false)
    print("trained", history.loss.map(\\.bitPattern))
    ```

    ```swift
    let more = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 16, epochs: 2, verbose: false)
    print(more.loss.map(\\.bitPattern), model.isTraining, (model.optimizer as! Adam).step)
    print(model.stateDictionary().sorted { $0.key < $1.key }.map { "\\($0.key) \\($0.value.scalars.map(\\.bitPattern))" })
    print(Tensor.randomNormal(shape: [3]).scalars.map(\\.bitPattern))
    ```
    """

    @Test func aModelBuiltInOneCellAndTrainedInACachedOneTrainsOnBitIdentically() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let full = try fullRun(keras)
        let stored = try run(keras, in: directory)
        let restored = try run(keras, in: directory)
        #expect(full.results.map(\.status) == [.passed, .passed, .passed])
        #expect(!stored.results[1].cached && restored.results[1].cached, "\(restored.results[1].cacheNote ?? "")")
        // Training on after the restore: the same losses, weights, batch-norm statistics, Adam
        // step and random numbers as a run that never touched the cache.
        #expect(outputs(restored) == outputs(full))
        expectSameState(restored, full)
        #expect(outputs(stored) == outputs(full))
        #expect(full.results[2].stdout.contains("false 40"))  // evaluation mode after fit; 8 steps an epoch, 5 epochs
    }

    @Test func aCachedCellThatBuildsCompilesAndTrainsAModelIsRestoredWhole() throws {
        let notebook = """
        ```swift
        let data = SyntheticData.twoMoons(count: 80)
        let opt = SGD(learningRate: 0.1, momentum: 0.9)
        ```

        ```swift
        //| cache: true
        RandomGenerator.seedGlobal(3)
        let model = Sequential([Linear(2, 8), Tanh(), Linear(8, 2)], inputShape: [2])
        let first = model.layers[0] as! Linear
        model.compile(optimizer: opt, loss: .crossEntropy)
        let history = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 20, epochs: 2, verbose: false)
        ```

        ```swift
        // The alias and the model share a layer; the global optimizer is the model's.
        first.bias!.value = first.bias!.value + 1
        opt.learningRate = 0.05
        let more = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 20, epochs: 1, verbose: false)
        print(model.layers[1] is Tanh, model.optimizer === opt, opt.step, more.loss.map(\\.bitPattern))
        print(model.stateDictionary().sorted { $0.key < $1.key }.map { $0.value.scalars.map(\\.bitPattern) })
        ```
        """
        let directory = try EndToEnd.temporaryDirectory()
        let full = try fullRun(notebook)
        try run(notebook, in: directory)
        let restored = try run(notebook, in: directory)
        #expect(restored.results[1].cached, "\(restored.results[1].cacheNote ?? "")")
        #expect(full.results[2].stdout.hasPrefix("true true 12 "))  // 4 steps an epoch, 3 epochs
        #expect(outputs(restored) == outputs(full))
        expectSameState(restored, full)
    }

    /// Changes that reach a cached cell's inputs without naming them: the cell runs again.
    @Test func aliasesClosuresAndObjectsReachedThroughOtherNamesAreNeverStale() throws {
        let directory = try EndToEnd.temporaryDirectory()
        func notebook(_ change: String) -> String {
            """
            ```swift
            RandomGenerator.seedGlobal(1)
            let model = Sequential([Linear(2, 2)], inputShape: [2])
            let first = model.layers[0] as! Linear
            let models = [model]
            var k: Float = 1
            let addK = { (x: Float) in x + k }
            ```

            ```swift
            \(change)
            ```

            ```swift
            //| cache: true
            let out = model.predict(Tensor([[1, 2]]), batchSize: 1).scalars
            let shifted = addK(10)
            print(out, shifted)
            ```
            """
        }
        let changes = [
            "first.bias!.value = Tensor([5, 5])",  // through an alias of a layer
            "first.bias!.value = Tensor([6, 6])",
            "models[0].layers[0].namedParameters[1].1.value = Tensor([7, 7])",  // through an array holding the model
            "let alias = model\nalias.layers[0].namedParameters[0].1.value = Tensor.zeros([2, 2])",  // another name for the model
            "k = 2",  // a value a closure captures
            "k = 3",
        ]
        var seen: [String] = []
        for change in changes {
            let cached = try run(notebook(change), in: directory)
            let full = try fullRun(notebook(change))
            #expect(!cached.results[2].cached, "\(change)")
            #expect(cached.results[2].stdout == full.results[2].stdout, "\(change)")
            expectSameState(cached, full)
            #expect(!seen.contains(full.results[2].stdout), "\(change)")
            seen.append(full.results[2].stdout)
            // Unchanged, it is restored.
            #expect(try run(notebook(change), in: directory).results[2].cached, "\(change)")
        }
    }

    @Test func stateTheCacheCannotSeeIsNotCachedAndSaysWhy() throws {
        let notebook = { (calls: Int) in
            """
            ```swift
            final class Box { var value = 1 }
            let box = Box()
            func makeCounter() -> () -> Int { var count = 0; return { count += 1; return count } }
            let next = makeCounter()
            ```

            ```swift
            box.value = \(calls)
            for _ in 0..<\(calls) { _ = next() }
            ```

            ```swift
            //| cache: true
            let boxed = box.value
            print(boxed)
            ```

            ```swift
            //| cache: true
            let counted = next()
            print(counted)
            ```
            """
        }
        let directory = try EndToEnd.temporaryDirectory()
        for calls in [1, 2, 2] {
            let run = try run(notebook(calls), in: directory)
            #expect(run.results.map(\.stdout) == ["", "", "\(calls)\n", "\(calls + 1)\n"])
            #expect(!run.results[2].cached && !run.results[3].cached)
            #expect(run.results[2].cacheNote?.contains("'box'") == true && run.results[2].cacheNote?.contains("a Box") == true,
                    "\(run.results[2].cacheNote ?? "")")
            #expect(run.results[2].cacheNote?.contains("NotebookCacheableObject") == true)
            #expect(run.results[3].cacheNote?.contains("closure") == true, "\(run.results[3].cacheNote ?? "")")
        }
    }

    /// An `EarlyStopping` made in one cell and passed to a cached `fit`: restored with what it saw.
    @Test func anEarlyStoppingCallbackKeepsWhatItSaw() throws {
        let notebook = """
        ```swift
        RandomGenerator.seedGlobal(2)
        let data = SyntheticData.twoMoons(count: 200)
        let model = Sequential([Linear(2, 16), ReLU(), Linear(16, 2)], inputShape: [2])
        model.compile(optimizer: Adam(learningRate: 0.2), loss: .crossEntropy)
        let stopper = EarlyStopping(monitor: .validationLoss, patience: 1)
        ```

        ```swift
        //| cache: true
        let history = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 20, epochs: 40, validationSplit: 0.3,
                                    seed: 1, callbacks: [stopper], verbose: false)
        ```

        ```swift
        print(stopper.bestEpoch, stopper.stoppedEpoch ?? -1, history.epochs.count)
        print(model.stateDictionary().sorted { $0.key < $1.key }.map { $0.value.scalars.map(\\.bitPattern) })
        ```
        """
        let directory = try EndToEnd.temporaryDirectory()
        let full = try fullRun(notebook)
        try run(notebook, in: directory)
        let restored = try run(notebook, in: directory)
        #expect(restored.results[1].cached, "\(restored.results[1].cacheNote ?? "")")
        #expect(!full.results[2].stdout.hasPrefix("0 -1"))
        #expect(outputs(restored) == outputs(full))
        expectSameState(restored, full)
    }

    @Test func aNotebooksOwnModuleIsCachedThroughItsParametersAndBuffers() throws {
        let notebook = """
        ```swift
        final class TwoLayer: Module {
            let hidden = Linear(2, 8), output = Linear(8, 2)
            var runningMean = Tensor.zeros([8])
            var namedBuffers: [(String, Tensor)] { [("runningMean", runningMean)] }
            func setBuffer(_ name: String, _ value: Tensor) { if name == "runningMean" { runningMean = value } }
            func callAsFunction(_ x: Variable) -> Variable {
                let h = relu(hidden(x))
                if isTraining { runningMean = runningMean * 0.9 + h.value.mean(alongAxes: [0]) * 0.1 }
                return output(h)
            }
        }
        RandomGenerator.seedGlobal(4)
        let net = TwoLayer()
        let optimizer = Adam(learningRate: 0.05)
        let x = Variable(Tensor([[1, 2], [3, -1], [0, 1]]))
        ```

        ```swift
        //| cache: true
        for _ in 0..<20 {
            let loss = (net(x) * net(x)).mean()
            loss.backward()
            optimizer.update(net.parameters)
            net.zeroGradients()
        }
        net.isTraining = false
        ```

        ```swift
        print(net.isTraining, optimizer.step, net.runningMean.scalars.map(\\.bitPattern))
        print(net(x).value.scalars.map(\\.bitPattern))
        ```
        """
        let directory = try EndToEnd.temporaryDirectory()
        let full = try fullRun(notebook)
        try run(notebook, in: directory)
        let restored = try run(notebook, in: directory)
        #expect(restored.results[1].cached, "\(restored.results[1].cacheNote ?? "")")
        #expect(full.results[2].stdout.hasPrefix("false 20 "))
        #expect(outputs(restored) == outputs(full))
        expectSameState(restored, full)
    }

    @Test func aModuleMadeInACachedCellOrChangedOutsideItsStateIsNotCachedAndSaysWhy() throws {
        let notebook = """
        ```swift
        final class Scaled: Module {
            let layer = Linear(2, 2)
            var scale: Float = 1
            func callAsFunction(_ x: Variable) -> Variable { layer(x) * scale }
        }
        let before = Scaled()
        ```

        ```swift
        //| cache: true
        before.scale = 2
        ```

        ```swift
        //| cache: true
        let made = Scaled()
        ```
        """
        let directory = try EndToEnd.temporaryDirectory()
        for _ in 0..<2 {
            let run = try run(notebook, in: directory)
            #expect(run.results.map(\.status) == [.passed, .passed, .passed])
            #expect(!run.results[1].cached && !run.results[2].cached)
            #expect(run.results[1].cacheNote?.contains("changes a stored property of a Scaled") == true, "\(run.results[1].cacheNote ?? "")")
            #expect(run.results[2].cacheNote?.contains("the cell makes a Scaled") == true, "\(run.results[2].cacheNote ?? "")")
        }
    }

    @Test func filesReadByACachedCellOrItsInputsAreInTheKey() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = """
        ```swift
        let words = try readTextFile("\(directory)/words.txt").split(separator: " ").count
        let saved = try Sequential.load(from: "\(directory)/model")
        ```

        ```swift
        //| cache: true
        let count = words * 10
        let weights = saved.stateDictionary()["0.weight"]!.scalars
        let text = try readTextFile("\(directory)/other.txt")
        print(count, weights, text)
        ```
        """
        func save(_ value: Float) throws {
            let saver = "```swift\nlet m = Sequential([Linear(1, 1)], inputShape: [1])\nm.namedParameters[0].1.value = Tensor([[\(value)]])\n"
                + "try m.save(to: \"\(directory)/model\")\n```\n"
            #expect(try run(saver, in: EndToEnd.temporaryDirectory()).exitCode == 0)
        }
        try "a b".write(toFile: directory + "/words.txt", atomically: true, encoding: .utf8)
        try "x".write(toFile: directory + "/other.txt", atomically: true, encoding: .utf8)
        try save(1)
        #expect(try run(notebook, in: directory).results[1].stdout == "20 [1.0] x\n")
        #expect(try run(notebook, in: directory).results[1].cached)
        // A file the cell reads itself: a miss with a warning that names it.
        try "y".write(toFile: directory + "/other.txt", atomically: true, encoding: .utf8)
        let edited = try run(notebook, in: directory)
        #expect(!edited.results[1].cached && edited.results[1].stdout == "20 [1.0] y\n")
        #expect(edited.document.cacheWarnings.contains { $0.contains("other.txt, which the cell read, has changed") })
        // Files read by the cell computing its inputs, same size: the key changes.
        try "c d".write(toFile: directory + "/words.txt", atomically: true, encoding: .utf8)
        #expect(try run(notebook, in: directory).results[1].stdout == "20 [1.0] y\n")
        try "c d e".write(toFile: directory + "/words.txt", atomically: true, encoding: .utf8)
        #expect(try run(notebook, in: directory).results[1].stdout == "30 [1.0] y\n")
        try save(2)
        let reloaded = try run(notebook, in: directory)
        #expect(!reloaded.results[1].cached && reloaded.results[1].stdout == "30 [2.0] y\n")
    }

    /// A run killed hard keeps the entries its program stored (each put in place whole before the
    /// next cell began); what it left half-made (its run folder, a staging folder named after its
    /// program) goes with the next run of anything in that folder.
    @Test func aKilledRunKeepsItsEntriesAndLeavesNothingElseAfterTheNextOne() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = """
        ```swift
        //| cache: true
        let big = Tensor.zeros([500, 500]) + 1
        ```

        ```swift
        import Foundation
        print("stored, now waiting")
        Thread.sleep(forTimeInterval: 600)
        ```
        """
        try notebook.write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
        let log = directory + "/log.txt"
        let process = try EndToEnd.startNBRun(["nb.md"], in: directory, log: log, logsStandardError: true)
        let cache = CellCache(directory: directory + "/output/.cache")
        // The second cell has begun: the first one's entry is in place.
        try Self.waitUntil("the second cell begins") { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("[1/2]") }
        #expect(cache.entries().count == 1)
        let children = try Subprocess.capture("pgrep", ["-P", String(process.processIdentifier)]).stdout
            .split(separator: "\n").compactMap { Int32($0) }
        #expect(!children.isEmpty)
        kill(process.processIdentifier, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        process.waitUntilExit()
        try Self.waitUntil("the killed program is gone") { children.allSatisfy { !CellCache.isAlive($0) } }
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: directory + "/output/.cache/run")) ?? []).isEmpty)
        // What a program killed while writing an entry leaves: a staging folder named after it.
        let staging = cache.cellsDirectory + "/.staging"
        try FileManager.default.createDirectory(atPath: "\(staging)/\(String(repeating: "0", count: 32)).12345.\(children[0])",
                                                withIntermediateDirectories: true)

        // The next run (of anything in that folder) cleans up what the killed one left.
        try run("```swift\nlet a = 1\n```\n", in: directory, name: "other")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: directory + "/output/.cache/run")) ?? []).isEmpty)
        #expect(cache.entries().count == 1)
    }

    /// Waits for `condition`, checking it every 20 ms; fails after two minutes.
    static func waitUntil(_ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(120)
        while !condition() {
            if Date() > deadline {
                Issue.record("timed out waiting until \(what)")
                throw CancellationError()
            }
            usleep(20_000)
        }
    }

    /// Four runs at once with different parameters (`benchmarks cache-stress` runs forty rounds):
    /// every run passes, writes its report and no warning, and every entry is stored, none lost to
    /// another run's cleaning. One round edits the notebook, so that builds and the pruning of old
    /// binaries race too.
    @Test func concurrentRunsWithDifferentParametersAllPassAndStoreEveryEntry() throws {
        let executable = try #require(EndToEnd.nbrunExecutable(), "nbrun is not built beside the tests")
        _ = try EndToEnd.kernel()
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = "---\nparams:\n  n: 1\n---\n\n```swift\n//| cache: true\nlet square = Tensor([Float(n)]) * Float(n)\nprint(square.scalars)\n```\n"
        try notebook.write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
        func start(_ n: Int) throws -> (Process, output: Foundation.Pipe, errors: Foundation.Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["nb.md", "-p", "n=\(n)", "--output-name", "nb-\(n)", "--quiet"]
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let output = Foundation.Pipe(), errors = Foundation.Pipe()
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            return (process, output, errors)
        }
        var stored = 0
        for round in 0..<4 {
            if round == 2 {
                try (notebook + "\n```swift\nprint(\(round))\n```\n").write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
            }
            let ns = (0..<4).map { round * 4 + $0 }
            let runs = try ns.map(start)
            for (n, run) in zip(ns, runs) {
                let errors = ReadInBackground(run.errors.fileHandleForReading)
                let report = String(decoding: run.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let warnings = String(decoding: errors.wait(), as: UTF8.self)
                run.0.waitUntilExit()
                #expect(run.0.terminationStatus == 0, "round \(round): \(warnings)")
                #expect(report.hasSuffix("nb-\(n).html\n"), "round \(round): \(report)")
                #expect(!warnings.contains("warning"), "round \(round): \(warnings)")
            }
            stored += 4
            #expect(CellCache(directory: directory + "/output/.cache").entries().count == stored, "round \(round)")
        }
    }
}

extension CellCacheStateTests {
    /// A value an uncached cell makes from an object the cache cannot capture is keyed by its
    /// content, however many cells pass it on: restored when it is the same, run when not.
    @Test func whatIsMadeFromUncapturableStateIsKeyedByItsContent() throws {
        func notebook(_ value: Int) -> String {
            """
            ```swift
            final class Box { var value = 1 }
            let box = Box()
            var seen: [Int] = []
            ```

            ```swift
            box.value = \(value)
            seen.append(box.value)
            ```

            ```swift
            let doubled = seen.map { $0 * 2 }
            ```

            ```swift
            //| cache: true
            print(doubled)
            ```
            """
        }
        let directory = try EndToEnd.temporaryDirectory()
        for (value, restored) in [(1, false), (2, false), (2, true), (1, true)] {
            let run = try run(notebook(value), in: directory)
            #expect(run.results[3].stdout == "[\(value * 2)]\n")
            #expect(run.results[3].cached == restored, "\(value): \(run.results[3].cacheNote ?? "")")
        }
    }
}
