import Foundation
import Testing
@testable import Notebook

/// A report appears whole or not at all: the page and the files beside it (`--no-embed`'s
/// figures, long outputs) are always those of one run.
@Suite(.serialized) struct ReportWriterTests {
    /// A notebook whose figure depends on `slope`, with about 300 KB of prose so that its page is
    /// much larger than its figure.
    static func notebook() -> String {
        let prose = (0..<2500).map { "Paragraph \($0) says something about lines and their slopes, at length.\n\n" }.joined()
        return """
        ---
        params:
          slope: 1
        ---

        \(prose)
        ```swift
        let xs: [Float] = [0, 1, 2, 3]
        Figure(title: "slope \\(slope)").line(xs, xs.map { $0 * Float(slope) })
        ```
        """
    }

    /// The figures a report's page links to, by path, with their bytes (nil for a missing file).
    static func linkedFiles(of report: String) throws -> [String: Data?] {
        let html = try String(contentsOfFile: report, encoding: .utf8)
        let folder = (report as NSString).deletingLastPathComponent
        var files: [String: Data?] = [:]
        for piece in html.components(separatedBy: "src=\"").dropFirst() {
            guard let end = piece.firstIndex(of: "\""), piece[..<end].hasSuffix(".png") else { continue }
            let path = String(piece[..<end]).removingPercentEncoding ?? String(piece[..<end])
            files[path] = FileManager.default.contents(atPath: folder + "/" + path)
        }
        return files
    }

    /// `--no-embed` removed the old figures, wrote the new ones, then the page: when the page
    /// could not be written (a full disk here; a kill does the same), the old page showed the new
    /// run's figures.
    @Test func aPageThatCannotBeWrittenLeavesTheOldReportWhole() throws {
        let disk = try SmallDisk(bytes: 48 << 20)
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReportWriterTests.notebook().write(toFile: folder + "/lines.md", atomically: true, encoding: .utf8)
        let output = disk.path + "/out"
        let first = try EndToEnd.nbrun(["lines.md", "-o", output, "--no-embed", "-p", "slope=1"], in: folder)
        try #require(first.status == 0, "\(first.stderr)")
        let report = output + "/lines.html"
        let page = try Data(contentsOf: URL(fileURLWithPath: report))
        let figures = try ReportWriterTests.linkedFiles(of: report)
        try #require(figures.count == 1 && figures.values.allSatisfy { $0 != nil }, "\(figures)")

        // Room for the run and its figure, not for the page.
        try disk.fill(leaving: 160 << 10)
        let second = try EndToEnd.nbrun(["lines.md", "-o", output, "--no-embed", "-p", "slope=2"], in: folder)
        #expect(second.status != 0, "the page cannot have been written: \(second.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: report)) == page)
        #expect(try ReportWriterTests.linkedFiles(of: report) == figures, "the old page's figures are the old run's")

        disk.empty()
        let third = try EndToEnd.nbrun(["lines.md", "-o", output, "--no-embed", "-p", "slope=2"], in: folder)
        #expect(third.status == 0, "\(third.stderr)")
        let newFigures = try ReportWriterTests.linkedFiles(of: report)
        #expect(newFigures.count == 1 && newFigures.values.allSatisfy { $0 != nil })
        #expect(newFigures.values.first! != figures.values.first!, "the new run's figure")
    }
}
