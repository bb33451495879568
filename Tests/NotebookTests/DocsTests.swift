import Foundation
import Testing
@testable import Notebook

/// The guide in docs/ stays true: each page is a notebook that compiles and runs (every cell
/// passes, an `error: true` cell by throwing), the example notebooks written in ````markdown
/// blocks of docs/ run too, and each picture of the figures page is exactly the PNG the engine
/// draws from the code above it. `NBRUN_UPDATE_DOC_FIGURES=1` writes the pictures again (look
/// at them before committing). Needs the release kernel, as `EndToEnd`.
@Suite struct DocsTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")
    static let guide = docs.appendingPathComponent("guide")
    static let pages = ((try? FileManager.default.contentsOfDirectory(atPath: guide.path)) ?? [])
        .filter { $0.hasSuffix(".md") }.sorted()

    @Test func theGuideHasItsPages() {
        #expect(Self.pages == ["datasets.md", "figures.md", "layers.md", "notebooks.md", "tensors.md", "training.md"])
    }

    @Test(arguments: pages) func everyPageRunsAsANotebook(_ page: String) throws {
        var options = RunOptions()
        options.outputDirectory = try EndToEnd.temporaryDirectory()
        options.kernel = try EndToEnd.kernel()
        options.embedFigures = false
        let run = try runNotebook(path: Self.guide.appendingPathComponent(page).path, options: options)
        for cell in run.results where cell.status == .failed || cell.status == .notRun {
            Issue.record("\(page), cell \(cell.cellIndex + 1): \(cell.error.map { "\($0)" } ?? "\(cell.status)")")
        }
        #expect(run.exitCode == 0, "\(page)")
        if page == "figures.md" { try Self.checkPictures(run, output: options.outputDirectory) }
    }

    /// The pictures `![...](images/NAME.png)` of the figures page, in order, against the figures
    /// its cells drew, in order.
    static func checkPictures(_ run: NotebookRun, output: String) throws {
        let page = try String(contentsOf: guide.appendingPathComponent("figures.md"), encoding: .utf8)
        let pictures = page.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("!["), let open = line.range(of: "](images/"), line.hasSuffix(".png)") else { return nil }
            return String(line[open.upperBound..<line.index(before: line.endIndex)])
        }
        let folder = output + "/figures_files"
        let drawn = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        #expect(drawn.count == pictures.count, "\(drawn.count) figures drawn, \(pictures.count) pictures on the page")
        let update = ProcessInfo.processInfo.environment["NBRUN_UPDATE_DOC_FIGURES"] == "1"
        for (file, picture) in zip(drawn, pictures) {
            let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            let committed = guide.appendingPathComponent("images/" + picture)
            if update {
                try FileManager.default.createDirectory(at: committed.deletingLastPathComponent(), withIntermediateDirectories: true)
                try png.write(to: committed)
                continue
            }
            #expect((try? Data(contentsOf: committed)) == png,
                    "docs/guide/images/\(picture) is not what the page draws now (\(folder)/\(file)); NBRUN_UPDATE_DOC_FIGURES=1 writes it")
        }
    }

    /// Notebooks written out in the docs (````markdown blocks) run as they are shown.
    @Test func theExampleNotebooksInTheDocsRun() throws {
        let files = [Self.docs.appendingPathComponent("guide.md")] + Self.pages.map { Self.guide.appendingPathComponent($0) }
        var examples: [(String, String)] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let parts = text.components(separatedBy: "````markdown\n")
            for part in parts.dropFirst() {
                guard let end = part.range(of: "\n````") else { continue }
                examples.append((file.lastPathComponent, String(part[..<end.lowerBound]) + "\n"))
            }
        }
        #expect(examples.count >= 2)
        let directory = try EndToEnd.temporaryDirectory()
        for (index, (file, markdown)) in examples.enumerated() {
            let (run, _) = try EndToEnd.run(markdown, name: "example-\(index)", in: directory)
            for cell in run.results where cell.status == .failed || cell.status == .notRun {
                Issue.record("the example notebook \(index + 1) of \(file), cell \(cell.cellIndex + 1): \(cell.error.map { "\($0)" } ?? "\(cell.status)")")
            }
            #expect(run.exitCode == 0, "\(file): example \(index + 1)")
        }
    }
}
