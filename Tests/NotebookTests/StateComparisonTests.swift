import Foundation
import Testing
@testable import Notebook

/// The differential check: a restored run's values after each cell against a full run's.
@Suite struct StateComparisonTests {
    func cell(_ name: String, state: [ValueDigest]?, cached: Bool = false) -> NotebookSummary.Cell {
        NotebookSummary.Cell(name: name, number: 1, line: 3, status: "passed", seconds: 0, cached: cached, outputDigest: "o", state: state)
    }

    @Test func theFirstValueThatDiffersIsNamedWithItsCell() {
        let full: [[ValueDigest]?] = [[ValueDigest(name: "a", digest: "1")],
                                       [ValueDigest(name: "a", digest: "1"), ValueDigest(name: "b", digest: "2"), ValueDigest(name: "c", digest: "3")]]
        #expect(StateComparison.firstDifference(full: full, restored: full) == nil)
        var restored = full
        restored[1]![2].digest = "9"
        restored[1]![1].digest = "8"
        #expect(StateComparison.firstDifference(full: full, restored: restored)?.description.hasPrefix("after cell 2, 'b' differs") == true)
        restored[1]!.removeLast()
        restored[1]![1].digest = "2"
        #expect(StateComparison.firstDifference(full: full, restored: restored)?.name == "c")
    }

    @Test func valuesThatDifferFromRunToRunOrCannotBeSeenAreNotCompared() {
        let full: [[ValueDigest]?] = [[ValueDigest(name: "stamp", digest: "1", nondeterministic: "Date"), ValueDigest(name: "f", digest: nil)]]
        let restored: [[ValueDigest]?] = [[ValueDigest(name: "stamp", digest: "2", nondeterministic: "Date"), ValueDigest(name: "f", digest: nil)]]
        #expect(StateComparison.firstDifference(full: full, restored: restored) == nil)
    }

    @Test func aSecondRunWhoseValuesDifferFailsNamingThem() {
        let first = NotebookSummary(path: "nb.md", exitCode: 0, seconds: 1, cells: [
            cell("train", state: [ValueDigest(name: "model", digest: "m1")]),
            cell("cell 2", state: [ValueDigest(name: "model", digest: "m1"), ValueDigest(name: "count", digest: "c1")]),
        ])
        var second = first
        second.cells[0].cached = true
        #expect(first.comparing(rerun: second).passed)
        second.cells[1].state![1].digest = "c2"
        let compared = first.comparing(rerun: second)
        #expect(!compared.passed)
        #expect(compared.error == "nb.md:3: cell 2: after cell 2, 'count' differs from the full run's (content c2 instead of c1); "
            + "cells restored so far: train")
    }

    /// `nbrun test --rerun` runs the notebook in full, then restoring it, both tracing every value.
    @Test func testRerunRunsInFullThenRestoringAndComparesEveryValue() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let notebook = """
        ```swift
        RandomGenerator.seedGlobal(3)
        let data = SyntheticData.twoMoons(count: 40)
        let model = Sequential([Linear(2, 4), ReLU(), Linear(4, 2)], inputShape: [2])
        model.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)
        var log: [String] = []
        ```

        ```swift
        //| cache: true
        let history = try model.fit(x: data.inputs, y: data.labelsTensor, batchSize: 10, epochs: 2, verbose: false)
        log.append("trained")
        ```

        ```swift
        print(history.loss.count, log)
        ```
        """
        try notebook.write(toFile: directory + "/nb.md", atomically: true, encoding: .utf8)
        let junit = directory + "/junit.xml"
        for round in 0..<2 {
            let result = try EndToEnd.nbrun(["test", "--rerun", "nb.md", "--junit", junit], in: directory)
            #expect(result.status == 0, "round \(round): \(result.stdout) \(result.stderr)")
            // Each time the first run is a full one: the second restores the one cached cell.
            #expect(result.stdout.contains("with 1 cell restored"), "round \(round): \(result.stdout)")
        }
    }
}
