import Foundation
import Testing
@testable import Notebook

/// The notebooks of `Tests/Notebooks/` (engine features checked from a notebook, as a user
/// writes them: layers and models of their own, saved and loaded) run as tests. Each must pass
/// every cell (an `error: true` cell by throwing). Needs the release kernel, as `EndToEnd`.
@Suite struct TestNotebooksTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Notebooks")
    static let notebooks = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".md") }.sorted()

    @Test func thereAreTestNotebooks() {
        #expect(Self.notebooks.contains("custom-layers.md"))
    }

    /// Each notebook runs twice, as `nbrun test --rerun` runs it: in full, then restoring its
    /// cached cells; every cell passes, prints and shows the same bits in both, and leaves every
    /// value with the same content (the differential check).
    @Test(arguments: notebooks) func everyCellPassesAndRestoresTheSame(_ name: String) throws {
        var options = RunOptions()
        options.outputDirectory = try EndToEnd.temporaryDirectory()
        options.kernel = try EndToEnd.kernel()
        options.stateTrace = true
        var full = options
        full.refreshCache = true
        let first = try runNotebook(path: Self.folder.appendingPathComponent(name).path, options: full)
        let second = try runNotebook(path: Self.folder.appendingPathComponent(name).path, options: options)
        for (label, run) in [("first run", first), ("second run", second)] {
            for cell in run.failedCells {
                Issue.record("\(name), \(label), cell \(cell.cellIndex + 1): \(cell.error.map { "\($0)" } ?? "failed")")
            }
            #expect(run.exitCode == 0 && run.verdict.passed == run.results.count, "\(label)")
        }
        let cached = first.document.cells.map(\.cell).filter(\.options.cache).map(\.index)
        #expect(cached.allSatisfy { second.results[$0].cached }, "not restored: \(cached.filter { !second.results[$0].cached }.map { second.results[$0].cacheNote ?? "cell \($0 + 1)" })")
        for (one, two) in zip(first.results, second.results) {
            #expect(one.outputs == two.outputs, "\(name), cell \(one.cellIndex + 1): a second run shows something else")
        }
        let difference = StateComparison.firstDifference(full: first.results.map(\.state), restored: second.results.map(\.state))
        #expect(difference == nil, "\(name): \(difference.map(\.description) ?? "")")
    }
}
