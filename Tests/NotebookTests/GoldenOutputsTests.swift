import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KernelProtocol
import Testing
@testable import Notebook

/// A notebook whose printed numbers, figure label and series come from its parameters, so that a
/// run with `-p` changes what it shows without changing its code; it prints a timing and a line
/// from the clock that change on every run, and a cell marked `golden: ignore`.
private let notebook = """
    ---
    params:
      loss: 0.25
      accuracy: 0.9
      label: "train"
      shift: 0.0
    golden: {ignore-lines: ["^seed from the clock: "]}
    ---
    # Golden

    ```swift
    //| label: report
    import Foundation
    print("loss \\(loss) after 2 epochs in \\(Double.random(in: 1...9)) s")
    print("seed from the clock: \\(UInt64.random(in: 0...UInt64.max))")
    ```

    ```swift
    //| label: tolerant
    //| golden: rtol=0.01
    print("accuracy \\(accuracy)")
    ```

    ```swift
    //| label: curve
    Figure(title: "Loss").line([0.9, 0.5, 0.3].map { $0 + shift }, label: label).xLabel("epoch")
    ```

    ```swift
    //| golden: ignore
    print(Date())
    ```
    """

@Suite(.serialized) struct GoldenOutputsTests {
    /// A folder holding the notebook, and a run of it in `mode` with `parameters`.
    private struct Fixture {
        let folder: String
        var path: String { folder + "/golden.md" }
        var goldenPath: String { folder + "/golden.golden.yaml" }

        init(_ markdown: String = notebook) throws {
            folder = try EndToEnd.temporaryDirectory()
            try markdown.write(toFile: folder + "/golden.md", atomically: true, encoding: .utf8)
        }

        func run(_ mode: GoldenOutputs.Mode?, _ parameters: [(name: String, value: String)] = []) throws -> ExecutedNotebook {
            var options = RunOptions()
            options.outputDirectory = folder + "/output"
            options.kernel = try EndToEnd.kernel()
            options.golden = mode
            options.parameters = parameters
            return try runNotebook(path: path, options: options).document
        }

        /// The failed cells' labels and messages.
        static func failures(_ document: ExecutedNotebook) -> [String: String] {
            Dictionary(uniqueKeysWithValues: document.cells.compactMap { executed in
                executed.result?.status == .failed ? (executed.cell.name, executed.result?.error?.message ?? "") : nil
            })
        }
    }

    @Test func recordedOutputsPassAgainThoughTimingsAndIgnoredLinesChange() throws {
        let fixture = try Fixture()
        let recorded = try fixture.run(.update)
        #expect(recorded.verdict.succeeded)
        #expect(recorded.goldenNotes == ["golden outputs of 3 cells written to \(fixture.goldenPath)"])
        let text = try String(contentsOfFile: fixture.goldenPath, encoding: .utf8)
        #expect(text.contains("cell: report") && text.contains("loss 0.25 after 2 epochs in"))
        #expect(!text.contains("seed from the clock"), "an ignored line is not recorded")
        #expect(text.contains(#"name: "train""#) && text.contains("y: [0.9, 0.5, 0.3]") && text.contains(#"xLabel: "epoch""#))

        let again = try fixture.run(.compare)
        #expect(Fixture.failures(again).isEmpty, "\(Fixture.failures(again))")
        #expect(again.verdict.succeeded)
    }

    @Test func aPrintedNumberBeyondItsToleranceFailsItsCellWithADiff() throws {
        let fixture = try Fixture()
        _ = try fixture.run(.update)
        let changed = try fixture.run(.compare, [("loss", "0.2501")])
        let failures = Fixture.failures(changed)
        #expect(Array(failures.keys) == ["report"])
        let message = try #require(failures["report"])
        #expect(message.hasPrefix("output differs from \(fixture.goldenPath): output 1 (stdout), line 1, number 1: expected 0.25, got 0.2501"))
        #expect(message.contains("- loss 0.25 after 2 epochs in") && message.contains("+ loss 0.2501 after 2 epochs in"))
        #expect(message.contains("nbrun test --update-golden \(fixture.path)"))
        #expect(changed.verdict.exitStatus == ExitStatus.failure)
    }

    @Test func numbersWithinToleranceFromTheCellOrTheDefaultsPass() throws {
        let fixture = try Fixture()
        _ = try fixture.run(.update)
        // 0.250001 is within the default rtol 1e-4 of 0.25; 0.905 within the cell's rtol 0.01 of 0.9.
        let close = try fixture.run(.compare, [("loss", "0.250001"), ("accuracy", "0.905")])
        #expect(Fixture.failures(close).isEmpty, "\(Fixture.failures(close))")
        let far = try fixture.run(.compare, [("accuracy", "0.95")])
        #expect(Array(Fixture.failures(far).keys) == ["tolerant"])
        #expect(Fixture.failures(far)["tolerant"]?.contains("expected 0.9, got 0.95") == true)
    }

    @Test func aFigureLabelOrSeriesChangedFailsTheFigureCell() throws {
        let fixture = try Fixture()
        _ = try fixture.run(.update)
        let relabelled = try fixture.run(.compare, [("label", "validation")])
        #expect(Array(Fixture.failures(relabelled).keys) == ["curve"])
        #expect(Fixture.failures(relabelled)["curve"]?.contains(#"figure "Loss": line "train": name: expected "train", got "validation""#) == true)

        let moved = try fixture.run(.compare, [("shift", "0.01")])
        let message = try #require(Fixture.failures(moved)["curve"])
        #expect(Array(Fixture.failures(moved).keys) == ["curve"])
        #expect(message.contains(#"figure "Loss": line "train": y[0]: expected 0.9, got 0.91"#))
        #expect(message.contains("3 values differ"))
    }

    @Test func aCellWhoseCodeChangedNamesTheFileAndWhatToDo() throws {
        let fixture = try Fixture()
        _ = try fixture.run(.update)
        try notebook.replacingOccurrences(of: "print(\"accuracy \\(accuracy)\")", with: "print(\"accuracy:\", accuracy)")
            .write(toFile: fixture.path, atomically: true, encoding: .utf8)
        let edited = try fixture.run(.compare)
        // The cell is labelled: it keeps its outputs, and they differ.
        #expect(Fixture.failures(edited)["tolerant"]?.contains("text differs") == true)

        // An unlabelled cell is known by its code: an edit leaves it without golden outputs.
        try notebook.replacingOccurrences(of: "print(Date())", with: "print(Date(), 1)")
            .replacingOccurrences(of: "//| golden: ignore\n", with: "")
            .write(toFile: fixture.path, atomically: true, encoding: .utf8)
        let unknown = try fixture.run(.compare)
        let message = try #require(Fixture.failures(unknown)["cell 4"])
        #expect(message.contains("\(fixture.goldenPath) holds no outputs for cell 4"))
        #expect(message.contains("nbrun test --update-golden \(fixture.path)"))
        #expect(Fixture.failures(unknown).count == 1, "the other cells keep their outputs: \(Fixture.failures(unknown))")

        // A cell that lost its label: its outputs in the file belong to no cell any more.
        try notebook.replacingOccurrences(of: "//| label: curve\n", with: "").write(toFile: fixture.path, atomically: true, encoding: .utf8)
        let unlabelled = try fixture.run(.compare)
        #expect(Fixture.failures(unlabelled)["cell 3"]?.contains("holds no outputs for cell 3") == true)
        #expect(unlabelled.goldenNotes == ["""
            \(fixture.goldenPath) holds outputs of 1 cell the notebook no longer has \
            ("Figure(title: \"Loss\").line([0.9, 0.5, 0.3].map { $0 + shift }, label: label).xLabel(\"epoch\")"): removed, or their code changed; \
            run nbrun test --update-golden \(fixture.path)
            """])
    }

    /// Recording again keeps what still matches as it was written (a timing, a number within
    /// tolerance) and rewrites only what changed.
    @Test func recordingAgainRewritesOnlyWhatChanged() throws {
        let fixture = try Fixture()
        _ = try fixture.run(.update)
        let first = try String(contentsOfFile: fixture.goldenPath, encoding: .utf8)
        _ = try fixture.run(.update, [("accuracy", "0.901")])
        #expect(try String(contentsOfFile: fixture.goldenPath, encoding: .utf8) == first,
                "a new timing and an accuracy within the cell's tolerance leave the file as it was")
        _ = try fixture.run(.update, [("accuracy", "0.95"), ("shift", "1")])
        let second = try String(contentsOfFile: fixture.goldenPath, encoding: .utf8)
        let changed = zip(first.split(separator: "\n"), second.split(separator: "\n")).filter { $0 != $1 }
        #expect(changed.map(\.1) == [#"  - stdout: "accuracy 0.95""#, "        y: [1.9, 1.5, 1.3]"], "\(changed)")
    }

    @Test func aRunWithAFailedCellWritesNoGoldenOutputs() throws {
        let fixture = try Fixture(notebook + "\n\n```swift\ncheck(loss < 0.3, \"the loss is below 0.3\")\n```\n")
        let failed = try fixture.run(.update, [("loss", "0.5")])
        #expect(failed.goldenNotes == ["\(fixture.goldenPath) not written: a cell failed (golden outputs record a passing run)"])
        #expect(!FileManager.default.fileExists(atPath: fixture.goldenPath))
    }

    @Test func goldenOptionsAreCheckedWhereTheyAreWritten() throws {
        let cell = try NotebookParser.parse("```swift\n//| golden: rtol=0.01, atol=2, ignore\nprint(1)\n```\n", path: "a.md").cells[0]
        #expect(cell.options.golden == GoldenSettings(relativeTolerance: 0.01, absoluteTolerance: 2, ignored: true))
        let inherited = try NotebookParser.parse("---\ngolden: {rtol: 0.1, ignore-lines: [\"^x\"]}\n---\n```swift\n//| golden: atol=3\nprint(1)\n```\n",
                                                 path: "a.md").cells[0]
        #expect(inherited.options.golden == GoldenSettings(relativeTolerance: 0.1, absoluteTolerance: 3, ignoredLines: ["^x"]))
        for (text, message) in [("```swift\n//| golden: rtol=fast\nprint(1)\n```\n", "golden: rtol needs a number of 0 or more, got 'fast'"),
                                ("---\ngolden: {ignore-lines: [\"(\"]}\n---\n```swift\nprint(1)\n```\n", "golden: ignore-lines: '(' is not a regular expression"),
                                ("---\ngolden: {tolerance: 1}\n---\n```swift\nprint(1)\n```\n", "golden: unknown setting 'tolerance'")] {
            #expect {
                try NotebookParser.parse(text, path: "a.md")
            } throws: { error in
                (error as? NotebookError)?.diagnostics.first?.message == message && (error as? NotebookError)?.diagnostics.first?.line == 2
            }
        }
    }

    @Test func withoutAGoldenFileNothingChanges() throws {
        let fixture = try Fixture()
        let plain = try fixture.run(nil)
        let compared = try fixture.run(.compare)
        #expect(compared.verdict == plain.verdict && compared.verdict.succeeded)
        #expect(compared.goldenNotes.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.goldenPath))
    }

    /// `nbrun test`: the diff in the terminal, the JUnit failure and the HTML report.
    @Test func theTestCommandShowsTheDiffEverywhere() throws {
        let fixture = try Fixture()
        let output = fixture.folder + "/output"
        let update = try EndToEnd.nbrun(["test", "--update-golden", fixture.folder, "-o", output])
        #expect(update.status == 0, "\(update.stdout)\(update.stderr)")
        #expect(update.stdout.contains("golden outputs of 3 cells written to \(fixture.goldenPath)"))
        let same = try EndToEnd.nbrun(["test", fixture.folder, "-o", output])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")

        let junit = fixture.folder + "/junit.xml"
        let changed = try EndToEnd.nbrun(["test", fixture.folder, "-o", output, "-p", "shift=1", "--junit", junit])
        #expect(changed.status == ExitStatus.failure)
        #expect(changed.stdout.contains("FAIL \(fixture.path)"))
        #expect(changed.stdout.contains(#"figure "Loss": line "train": y[0]: expected 0.9, got 1.9"#))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains(#"<testcase classname="\#(fixture.path)" name="curve (line 26)""#))
        #expect(xml.contains("figure &quot;Loss&quot;: line &quot;train&quot;: y[0]: expected 0.9, got 1.9"))
        let html = try String(contentsOfFile: output + "/golden.html", encoding: .utf8)
        #expect(html.contains("Golden outputs: output differs from"))
        #expect(html.contains("figure &quot;Loss&quot;: line &quot;train&quot;: y[0]: expected 0.9, got 1.9"))
        #expect(html.contains(#"<pre class="golden-diff">  (if the new output is right: nbrun test --update-golden \#(fixture.path))</pre>"#))
    }

    // MARK: Parts

    @Test func timingsAreNotComparedAndNumbersInWordsAreText() {
        let line = NumberedLine("epoch 2/5  loss 0.3125  conv2d 1.5e-3 in 2.3 s, 15ms, 812 samples/s, 4 min")
        #expect(line.template == "epoch #/#  loss #  conv2d # in <time>, <time>, <time>, <time>")
        #expect(line.numbers == [2, 5, 0.3125, 0.0015])
    }

    @Test func longSeriesAndLargeMatricesAreBounded() {
        let long = FigureData.Series(kind: "line", name: "loss", x: nil, y: (0..<10_000).map { Double($0) })
        #expect(long.count == 10_000 && long.y.count == FigureData.maximumPoints)
        // Runs of 156 or 157 values: 0...155 has mean 77.5, 9843...9999 has mean 9921.
        #expect(long.y.first == 77.5 && long.y.last == 9_921)
        #expect(long.summary == [0, 4_999.5, 9_999])
        let matrix = FigureData.Matrix(rows: 64, columns: 64, values: [Double](repeating: 2, count: 64 * 64), rowLabels: nil, columnLabels: nil)
        #expect(matrix.values.count == 32 * 32 && matrix.blockRows == 32 && matrix.values.allSatisfy { $0 == 2 })
        let images = FigureData.ImageGrid(pixels: [Float](repeating: 0.5, count: 100 * 28 * 28), count: 100, side: 28, captions: nil, highlighted: nil)
        #expect(images.blocks.count == FigureData.maximumImages && images.blocks[0].count == 16)
    }

    @Test func numbersAreWrittenSoThatTheyReadBackTheSame() {
        for number: Double in [412_255_518_123.5, 1_236_766_556_160, 60_000, 0.1, -2.5e-8, 1 / 3] {
            let written = JSONValue.format(number)
            #expect(JSONValue.format(Double(written)!) == written, "\(number) written \(written)")
        }
        #expect(JSONValue.format(60_000) == "60000" && JSONValue.format(4.1225551e11) == "4.122555e+11")
    }

    @Test func aGoldenFileReadsBackAsItWasWritten() throws {
        let figure = FigureData(title: "Digits", xLabel: "x", series: [.init(kind: "bar", name: nil, x: nil, y: [1, 2.5], categories: ["7", "true"])],
                                images: .init(pixels: [0, 0.25, 0.5, 1], count: 1, side: 2, captions: ["3"], highlighted: [false]))
        let file = GoldenFile(cells: [
            GoldenCell(key: "report", firstLine: "print(loss)", outputs: [.text(kind: "stdout", lines: ["loss 0.25", "  indented: \"quoted\""]),
                                                                   .figure(figure), .image, .text(kind: "text", lines: ["one line"])]),
        ])
        let path = try EndToEnd.temporaryDirectory() + "/x.golden.yaml"
        try file.yaml(notebook: "x.md").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try GoldenFile.read(path) == file)
    }
}
