import Foundation
import Testing
@testable import Notebook

/// Whole runs: parse, generate, compile against the release kernel, run, render.
@Suite(.serialized) struct EndToEndTests {
    @Test func aNotebookRunsWithOutputsDisplaysAndOptions() throws {
        let (run, html) = try EndToEnd.run(#"""
        ---
        title: Everything
        params:
          epochs: 3
          greeting: "hi"
        ---

        # Ünïcödé prose ✓

        ```swift
        import Foundation
        struct Point { var x: Double }
        func twice(_ value: Double) -> Double { value * 2 }
        print("héllo \(greeting) → \(epochs)")
        print("<script>alert(1)</script>")
        ```

        ~~~swift
        let fence = """
        ```swift
        nested
        ```
        """
        print(fence.count)
        twice(Point(x: 1.5).x)
        ~~~

        ```python
        print("not run")
        ```

        ```swift
        print("void last expression")
        ```

        ```swift
        struct Dot: PNGRepresentable {
            func pngData() throws -> [UInt8] { [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] }
        }
        struct Summary: NotebookDisplayable {
            var notebookDisplay: DisplayItem { .table(headers: ["layer", "params"], rows: [["Linear", "10"]]) }
        }
        print("before")
        display(Dot())
        print("after")
        display(Summary())
        Tensor([1, 2, 3, 4], shape: [2, 2])
        ```

        ```swift
        //| eval: false
        this is not Swift
        ```

        ```swift
        //| echo: false
        print("code hidden")
        ```

        ```swift
        //| output: false
        print("output hidden")
        ```

        ```swift
        //| error: true
        struct Oops: Error {}
        print("about to throw")
        throw Oops()
        ```

        ```swift
        for i in 0..<200_000 { print("line \(i)") }
        ```
        """#)
        let results = run.results
        #expect(results.map(\.status) == [.passed, .passed, .passed, .passed, .notEvaluated, .passed, .passed, .expectedError, .passed])
        #expect(run.exitCode == 0)
        #expect(results[0].stdout == "héllo hi → 3\n<script>alert(1)</script>\n")
        #expect(results[1].stdout == "19\n")
        #expect(results[1].displays == [.text("3.0")])
        #expect(results[2].displays.isEmpty)  // Void is not displayed
        #expect(results[3].outputs == [
            .stdout("before\n"), .display(.png(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))), .stdout("after\n"),
            .display(.table(headers: ["layer", "params"], rows: [["Linear", "10"]])),
            .display(.text("Tensor shape [2, 2], Float32, min 1, mean 2.5, max 4\n[[1, 2],\n [3, 4]]")),
        ])
        #expect(results[7].stdout == "about to throw\n")
        #expect(results[7].error?.kind == .thrown)
        #expect(results[7].error?.message.contains("Oops") == true)
        #expect(results[8].stdout.hasSuffix("line 199999\n"))

        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("Ünïcödé prose ✓"))
        #expect(html.contains("héllo hi → 3"))
        #expect(html.contains("data:image/png;base64,iVBORw0KGgo="))
        #expect(html.contains("not run"))  // the python block is shown
        #expect(!html.contains("print(&quot;code hidden&quot;)"))
        #expect(!html.contains("<pre class=\"stdout\">output hidden"))
        #expect(html.contains("<pre class=\"stdout\">code hidden"))
        #expect(html.contains("output cut"))
        let reportDirectory = (run.reportPath! as NSString).deletingLastPathComponent
        let whole = try String(contentsOfFile: try EndToEnd.fileBeside(in: reportDirectory + "/nb_files", "cell-9-stdout-1", extension: "txt"),
                               encoding: .utf8)
        #expect(whole.split(separator: "\n").count == 200_000)
    }

    @Test func warningsAreShownUnderTheirCell() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let markdown = "# W\n\n```swift\nfunc f() -> Int {\n    var y = 1\n    return y\n}\nprint(f())\n```\n"
        let (run, html) = try EndToEnd.run(markdown, in: directory)
        #expect(run.document.warnings.map(\.line) == [5])
        #expect(run.document.warnings.first?.message.contains("never mutated") == true)
        #expect(html.contains("warning (line 5): variable &#39;y&#39; was never mutated"))
        let (again, _) = try EndToEnd.run(markdown, in: directory)
        #expect(again.document.run.binaryReused)
        #expect(again.document.warnings == run.document.warnings)  // kept with the binary
    }

    /// Warnings about nbrun's wrappers, not the notebook: an `output: false` cell ending in a
    /// value, an `error: true` cell's `let`s (locals of its `do`) and its `catch`.
    @Test func noWarningsAboutWhatNbrunWrapsCellsIn() throws {
        let markdown = """
        # W

        ```swift
        //| output: false
        func score() -> Int { 3 }
        score()
        ```

        ```swift
        //| error: true
        let fine = 1
        var other = 2
        print("nothing throws")
        ```
        """
        let (run, html) = try EndToEnd.run(markdown)
        #expect(run.exitCode == 0)
        #expect(run.document.warnings.map(\.message) == ["the cell has 'error: true', but nothing in it throws"])
        #expect(run.document.warnings.first?.line == 13)  // the cell's last line
        #expect(!html.contains("unused"))
        #expect(!html.contains("never"))
    }

    @Test func cachedCellsAreRestoredWithTheirOutputsAndRandomState() throws {
        let directory = try EndToEnd.temporaryDirectory()
        func notebook(_ base: Int) -> String {
            """
            ```swift
            let base = \(base)
            RandomGenerator.seedGlobal(7)
            ```

            ```swift
            //| cache: true
            //| label: train
            print("training")
            let weights = Tensor([1, 2, 3, 4], shape: [2, 2]) * Float(base)
            var steps = base * 3
            let noise = Tensor.randomNormal(shape: [2])
            let model = Sequential([Linear(2, 2)], inputShape: [2])
            Figure(title: "loss").line([1, 2, 3], [3, 2, 1], label: "loss")
            ```

            ```swift
            steps += 1
            print(steps, weights.scalars, model.layers.count, Tensor.randomNormal(shape: [3]).scalars)
            ```
            """
        }
        let (first, _) = try EndToEnd.run(notebook(1), in: directory)
        let (second, html) = try EndToEnd.run(notebook(1), in: directory)
        #expect(first.results.map(\.status) == [.passed, .passed, .passed])
        #expect(!first.results[1].cached)
        #expect(second.results[1].cached)
        #expect(second.results[1].outputs == first.results[1].outputs)  // printed text and the figure, replayed
        #expect(second.results[2].stdout == first.results[2].stdout)  // same bindings, same random numbers after
        #expect(first.results[2].stdout.hasPrefix("4 [1.0, 2.0, 3.0, 4.0] 1 ["))
        #expect(html.contains("badge cached"))

        let (edited, _) = try EndToEnd.run(notebook(2), in: directory)  // a cell above changed
        #expect(!edited.results[1].cached)
        #expect(edited.results[2].stdout.hasPrefix("7 [2.0, 4.0, 6.0, 8.0] 1 ["))
        let (forced, _) = try EndToEnd.run(notebook(2), in: directory) { $0.reuseBinaries = false }
        #expect(!forced.results[1].cached)

        // A binding the cache cannot store: the cell runs normally, and the report says why.
        let opaque = "```swift\nstruct Opaque {}\n```\n\n```swift\n//| cache: true\nlet thing = Opaque()\nprint(\"made\")\n```\n"
        let (uncached, uncachedHTML) = try EndToEnd.run(opaque, in: directory)
        #expect(uncached.results.map(\.status) == [.passed, .passed])
        #expect(uncached.results[1].stdout == "made\n")
        #expect(uncached.results[1].cacheNote?.contains("'thing' is a Opaque") == true)
        #expect(uncachedHTML.contains("not cached: &#39;thing&#39; is a Opaque"))
        #expect(try !EndToEnd.run(opaque, in: directory).0.results[1].cached)
    }

    /// `fit(..., verbose: false)` prints nothing, and its progress events say so, so that nbrun's
    /// terminal shows no progress line for it (the live page still charts it); a verbose fit's do not.
    @Test func aQuietFitPrintsNothingAndItsProgressSaysSo() throws {
        let events = EventRecorder()
        let (run, _) = try EndToEnd.run("""
        ```swift
        let model = Sequential([Linear(2, 2)], inputShape: [2])
        model.compile(optimizer: SGD(), loss: .crossEntropy)
        try model.fit(x: Tensor([[0, 1], [1, 0]]), y: Tensor([0, 1]), epochs: 2, verbose: false)
        ```

        ```swift
        try model.fit(x: Tensor([[0, 1], [1, 0]]), y: Tensor([0, 1]), epochs: 2)
        ```
        """) { options in options.onEvent = { events.append($0) } }
        #expect(run.results[0].stdout.isEmpty && run.results[1].stdout.contains("epoch 2/2"))
        let updates = events.all.compactMap { event -> (Int, TrainingUpdate)? in
            if case .progress(let cell, let update) = event { return (cell, update) }
            return nil
        }
        #expect(updates.contains { $0.0 == 0 } && updates.filter { $0.0 == 0 }.allSatisfy { $0.1.verbose == false })
        #expect(updates.contains { $0.0 == 1 } && updates.filter { $0.0 == 1 }.allSatisfy { $0.1.verbose == nil })
    }

    @Test func modelsDisplayAsSummaryTables() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        let model = Sequential([Linear(4, 3), ReLU(), Linear(3, 2)], inputShape: [4])
        model
        ```
        """)
        let table = DisplayItem.table(headers: ["Layer", "Output shape", "Parameters"], rows: [
            ["0 Linear", "(batch, 3)", "15"], ["1 ReLU", "(batch, 3)", "0"], ["2 Linear", "(batch, 2)", "8"], ["Total", "", "23"],
            ["Trainable", "", "23"], ["Non-trainable", "", "0"],
        ])
        #expect(run.results[0].displays == [table])
        #expect(html.contains("<td>0 Linear</td>"))
    }

    @Test func figureSizeOptionsApplyToTheirCellOnly() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let markdown = """
        ```swift
        //| fig-width: 300
        //| fig-height: 200
        let x = Tensor.linspace(-3, 3, count: 20)
        Figure(title: "small").line(x, sigmoid(x), label: "sigmoid")
        ```

        ```swift
        Figure(title: "default").line(x, tanh(x), label: "tanh")
        ```
        """
        let (run, html) = try EndToEnd.run(markdown, in: directory)
        #expect(run.results.map(\.status) == [.passed, .passed])
        guard case .png(let small, let smallWidth, _)? = run.results[0].displays.first,
              case .png(let large, let largeWidth, _)? = run.results[1].displays.first else {
            Issue.record("expected a figure in each cell: \(run.results.map(\.outputs))")
            return
        }
        #expect(smallWidth == 300)
        #expect(largeWidth == 640)
        #expect(Self.pngSize(small).width == 300 * 2 || Self.pngSize(small).width == 300)  // figures render at 2x
        #expect(Self.pngSize(small).height * 300 == Self.pngSize(small).width * 200)
        #expect(Self.pngSize(large).width > Self.pngSize(small).width)
        #expect(html.contains("width=\"300\""))

        // --no-embed: the same figures as files beside the report.
        let (beside, besideHTML) = try EndToEnd.run(markdown, in: directory) { $0.embedFigures = false }
        #expect(beside.document.run.binaryReused)
        #expect(besideHTML.contains("src=\"nb_files/\(EndToEnd.contentName("cell-1-figure-1", small, extension: "png"))\""))
        #expect(!besideHTML.contains("data:image/png"))
        let file = try EndToEnd.fileBeside(in: directory + "/output/nb_files", "cell-2-figure-1", extension: "png")
        #expect(FileManager.default.contents(atPath: file) == large)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (width: Int, height: Int) {
        let bytes = [UInt8](data)
        guard bytes.count >= 24, bytes[0] == 0x89, bytes[1] == 0x50 else { return (0, 0) }
        func int(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (int(16), int(20))
    }

    @Test func parametersAreOverriddenAndChecked() throws {
        let markdown = "---\nparams:\n  epochs: 5\n---\n\n```swift\nprint(epochs * 10)\n```\n"
        let (run, _) = try EndToEnd.run(markdown) { $0.parameters = [("epochs", "7")] }
        #expect(run.results[0].stdout == "70\n")
        expectError(at: 3, containing: "parameter 'epochs' is Int, cannot use 'many'") {
            try EndToEnd.run(markdown) { $0.parameters = [("epochs", "many")] }
        }
        expectError(at: nil, containing: "unknown parameter 'epoch'") {
            try EndToEnd.run(markdown) { $0.parameters = [("epoch", "1")] }
        }
    }

    @Test func compileErrorsNameTheMarkdownLine() throws {
        let directory = try EndToEnd.temporaryDirectory()
        expectError(at: 10, containing: "nb.md:10:14: error: cannot convert value of type 'String' to specified type 'Int'") {
            try EndToEnd.run("# T\n\n```swift\nlet a = 1\n```\n\ntext\n\n```swift\nlet b: Int = \"s\"\n```\n", in: directory)
        }
        // In a displayed last expression the column is the one in the .md, not the generated file's.
        expectError(at: 4, containing: "nb.md:4:5: error: cannot find 'undefinedName' in scope") {
            try EndToEnd.run("# T\n\n```swift\n1 + undefinedName\n```\n", in: directory)
        }
    }

    /// swift-driver crashed when its TMPDIR (the build folder, named after the notebook) was not ASCII.
    @Test func aNotebookWithAccentsAndSpacesInItsNameCompiles() throws {
        let directory = try EndToEnd.temporaryDirectory() + "/résumé dir"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (run, html) = try EndToEnd.run("# Ü\n\n```swift\nlet café = \"☕️\"\nprint(café)\n```\n", name: "my nb ü 🎉", in: directory)
        #expect(run.exitCode == 0)
        #expect(html.contains("☕️"))
        #expect(run.reportPath?.hasSuffix("/my nb ü 🎉.html") == true)
    }

    @Test func aCrashIsAttributedToItsCell() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        let values = [1, 2, 3]
        ```

        ```swift
        print("printed before the crash")
        func element(_ index: Int) -> Int { values[index] }
        print(element(7))
        ```

        ```swift
        print("never")
        ```
        """)
        #expect(run.results.map(\.status) == [.passed, .failed, .notRun])
        #expect(run.exitCode == 1)
        let error = try #require(run.results[1].error)
        #expect(error.kind == .crash)
        #expect(error.message.contains("Index out of range"))
        #expect(error.line == 7)
        #expect(error.sourceLine == "func element(_ index: Int) -> Int { values[index] }")
        #expect(run.results[1].stdout == "printed before the crash\n")
        #expect(html.contains("Crash: Fatal error: Index out of range"))
    }

    @Test func anErrorThrownOutsideAnErrorCellFailsIt() throws {
        let (run, _) = try EndToEnd.run("""
        ```swift
        var list: [Int]? = [1]
        list?.append(2)
        ```

        ```swift
        list?.count
        ```

        ```swift
        struct Broken: Error {}
        print(list!)
        try { throw Broken() }()
        ```

        ```swift
        print(1)
        ```
        """)
        #expect(run.results.map(\.status) == [.passed, .passed, .failed, .notRun])
        #expect(run.results[0].displays.isEmpty)  // Optional<Void> is not displayed
        #expect(run.results[1].displays == [.text("2")])  // an optional shows its value
        let error = try #require(run.results[2].error)
        #expect(error.kind == .thrown)
        #expect(error.message == "uncaught error: Broken()")
        #expect(error.line == 13)
        #expect(error.sourceLine == "try { throw Broken() }()")
        #expect(run.results[2].stdout == "[1, 2]\n")
    }

    @Test func timeLimitsKillTheProgramAndNameTheCell() throws {
        let (run, html) = try EndToEnd.run("```swift\nprint(\"fast\")\n```\n\n```swift\n//| timeout: 1\n//| label: spin\nprint(\"spinning\")\nwhile true {}\n```\n")
        #expect(run.results.map(\.status) == [.passed, .failed])
        #expect(run.results[1].error?.kind == .timeout)
        #expect(run.results[1].error?.message.contains("spin ran past its time limit of 1 s") == true)
        #expect(run.results[1].stdout == "spinning\n")
        #expect(html.contains("Time limit"))

        let (whole, _) = try EndToEnd.run("```swift\nwhile true {}\n```\n") { $0.timeout = 1 }
        #expect(whole.results[0].error?.kind == .timeout)
        #expect(whole.results[0].error?.message.contains("--timeout") == true)
    }

    @Test func theBinaryIsReusedUntilTheSourceChanges() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let (first, _) = try EndToEnd.run("```swift\nprint(1)\n```\n", in: directory)
        let (second, _) = try EndToEnd.run("```swift\nprint(1)\n```\n", in: directory)
        let (third, _) = try EndToEnd.run("```swift\nprint(2)\n```\n", in: directory)
        #expect(!first.document.run.binaryReused)
        #expect(second.document.run.binaryReused)
        #expect(!third.document.run.binaryReused)
        #expect(third.results[0].stdout == "2\n")
        let (forced, _) = try EndToEnd.run("```swift\nprint(2)\n```\n", in: directory) { $0.reuseBinaries = false }
        #expect(!forced.document.run.binaryReused)
    }
}

/// An error thrown out of a cell with several `try`s points at the statement that threw.
@Suite struct ThrownErrorLineTests {
    @Test func theLineOfTheStatementThatThrew() throws {
        let (run, _) = try EndToEnd.run("""
        ```swift
        struct Oops: Error {}
        func f(_ fail: Bool) throws -> Int { if fail { throw Oops() }; return 1 }
        let a = try f(false)
        let b = try f(false)
        let c = try f(true)
        ```

        ```swift
        //| error: true
        try f(false)
        try f(true)
        ```
        """)
        #expect(run.results[0].status == .failed)
        #expect(run.results[0].error?.line == 6)
        #expect(run.results[0].error?.sourceLine == "let c = try f(true)")
        #expect(run.results[1].status == .notRun)
        let (caught, _) = try EndToEnd.run("```swift\nstruct E: Error {}\nfunc g(_ x: Bool) throws { if x { throw E() } }\n```\n\n```swift\n//| error: true\ntry g(false)\ntry g(true)\n```\n")
        #expect(caught.results[1].status == .expectedError)
        #expect(caught.results[1].error?.line == 9)
    }
}

@Suite struct CacheFolderErrorTests {
    /// A `.cache` that cannot be made is named as such (not as the report's folder), before anything runs.
    @Test func anUnwritableCacheFolderIsNamed() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/output", withIntermediateDirectories: true)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: directory + "/output/.cache"))
        do {
            _ = try EndToEnd.run("```swift\nprint(1)\n```\n", in: directory)
            Issue.record("expected an error")
        } catch let error as NotebookError {
            #expect(error.description.contains("cannot write nbrun's cache folder '\(directory)/output/.cache'"), "\(error)")
        }
    }
}

/// Events a run sends, collected from the thread that reads them.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [KernelEvent] = []
    func append(_ event: KernelEvent) { lock.withLock { events.append(event) } }
    var all: [KernelEvent] { lock.withLock { events } }
}
