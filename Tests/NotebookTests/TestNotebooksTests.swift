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

    @Test(arguments: notebooks) func everyCellPasses(_ name: String) throws {
        var options = RunOptions()
        options.outputDirectory = try EndToEnd.temporaryDirectory()
        options.kernel = try EndToEnd.kernel()
        let run = try runNotebook(path: Self.folder.appendingPathComponent(name).path, options: options)
        for cell in run.failedCells {
            Issue.record("\(name), cell \(cell.cellIndex + 1): \(cell.error.map { "\($0)" } ?? "failed")")
        }
        #expect(run.exitCode == 0 && run.passedCount == run.results.count)
    }
}
