import Foundation
import Testing
@testable import Notebook

/// The render stage alone: results made by hand, no Swift compiled or run.
@Suite struct HTMLReportTests {
    let notebook = try! NotebookParser.parse("""
    ---
    title: Report <test>
    ---
    # Intro

    Some *prose*.

    ## Details

    ```swift
    //| label: first
    print("<script>alert(1)</script>")
    ```

    ```swift
    let x = 1
    ```

    ```swift
    //| echo: false
    let hidden = "secret code"
    ```
    """, path: "nb/report.md")

    func render(_ results: [CellResult], embed: Bool = true, parameters: [Parameter] = [],
                run: ExecutedNotebook.RunFacts = .init()) -> HTMLReport.Rendered {
        HTMLReport(document: ExecutedNotebook(notebook: notebook, results: results, parameters: parameters, run: run),
                   options: .init(embedFigures: embed), name: "report").render()
    }

    /// A notebook given by its absolute path is named relative to the folder nbrun ran in, so
    /// the report does not show the folders of the machine that wrote it.
    @Test func theNotebookIsNamedRelativeToTheFolderNbrunRanIn() throws {
        #expect(HTMLReport.displayPath("/home/ci/work/notebooks/a.md", from: "/home/ci/work") == "notebooks/a.md")
        #expect(HTMLReport.displayPath("/home/ci/other/a.md", from: "/home/ci/work/") == "../other/a.md")
        #expect(HTMLReport.displayPath("notebooks/./a.md", from: "/home/ci/work") == "notebooks/a.md")
        let here = FileManager.default.currentDirectoryPath
        let absolute = try NotebookParser.parse("```swift\nlet x = 1\n```\n", path: here + "/nb/absolute.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: absolute, results: [CellResult(cellIndex: 0, status: .passed)]), name: "a")
            .render().html
        #expect(html.contains("<span class=\"where\">nb/absolute.md:"))
        #expect(html.contains("<dd>nb/absolute.md</dd>"))
        #expect(!html.contains(here + "/nb"))
    }

    @Test func outputIsEscaped() {
        let html = render([CellResult(cellIndex: 0, status: .passed, outputs: [.stdout("<script>alert(1)</script>\n")])]).html
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<title>Report &lt;test&gt;</title>"))
    }

    /// `\r` progress lines and ANSI colours, shown as a terminal would, not as raw control characters.
    @Test func carriageReturnsAndEscapeSequencesAreAppliedNotShown() {
        #expect(HTML.terminalText("progress 0%\rprogress 50%\rprogress 100%\ndone\n") == "progress 100%\ndone\n")
        #expect(HTML.terminalText("abcdef\rXY\r\n") == "XYcdef\n")
        #expect(HTML.terminalText("\u{1B}[31mred\u{1B}[0m \u{1B}[1;32mgreen\u{1B}[0m\u{1B}]0;title\u{07}!") == "red green!")
        #expect(HTML.terminalText("plain é 🎉\n") == "plain é 🎉\n")
        let html = render([CellResult(cellIndex: 0, status: .passed,
                                      outputs: [.stdout("step 1\rstep 2\n\u{1B}[31mred\u{1B}[0m\n")])]).html
        #expect(html.contains("<pre class=\"stdout\">step 2\nred\n</pre>"))
        #expect(!html.contains("\u{1B}"))
    }

    @Test func headerTableOfContentsAndCells() {
        let facts = ExecutedNotebook.RunFacts(seconds: 1.5, swiftVersion: "Swift version 6.3.1", cores: 2, gitCommit: "abc1234")
        let html = render([
            CellResult(cellIndex: 0, status: .passed, outputs: [.stdout("hi\n")], seconds: 0.25),
            CellResult(cellIndex: 1, status: .failed, seconds: 0.1,
                       error: CellError(kind: .crash, message: "Fatal error: Index out of range", line: 16, sourceLine: "let x = 1")),
            CellResult(cellIndex: 2, status: .notRun),
        ], parameters: [Parameter(name: "epochs", value: .int(3), line: 3)], run: facts).html
        #expect(html.contains("1 passed, 1 failed, 1 not run"))
        #expect(html.contains("abc1234"))
        #expect(html.contains("Swift version 6.3.1"))
        #expect(html.contains("epochs = 3"))
        #expect(html.contains("<h1 id=\"intro\">Intro</h1>"))
        #expect(html.contains("<a href=\"#details\">Details</a>"))
        #expect(html.contains("Crash: Fatal error: Index out of range"))
        #expect(html.contains("at nb/report.md:16"))
        #expect(html.contains("250 ms"))
        #expect(!html.contains("secret code"))  // echo: false
        #expect(!html.contains("//| label"))  // options are not shown
        #expect(!html.contains("katex"))  // no math, no KaTeX
    }

    /// Headings and cells' sections have ids of their own kinds: a heading `Cell 1` does not take
    /// the id of cell 1's section, which links and the live page's updates look up.
    @Test func headingIdsNeverTakeACellsId() throws {
        let notebook = try NotebookParser.parse("## Cell 1\n\n```swift\nprint(1)\n```\n\n# cell-2\n\n```swift\nprint(2)\n```\n",
                                                path: "ids.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: []), name: "ids").render().html
        let ids = html.components(separatedBy: " id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(Set(ids).count == ids.count, "repeated ids: \(ids)")
        #expect(html.contains("<section class=\"cell notRun\" id=\"cell-1\">"))
        #expect(html.contains("<h2 id=\"cell-1-2\">Cell 1</h2>"))
        #expect(html.contains("<h1 id=\"cell-2-2\">cell-2</h1>"))
        #expect(html.contains("<a href=\"#cell-1-2\">Cell 1</a>"))
        #expect(HeadingIDs.isCellID("cell-12") && !HeadingIDs.isCellID("cell-") && !HeadingIDs.isCellID("cell-1-2"))
    }

    @Test func figuresAreEmbeddedOrWrittenBeside() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47]
        let result = CellResult(cellIndex: 1, status: .passed, outputs: [.display(.png(Data(png)))])
        let embedded = render([result])
        #expect(embedded.html.contains("src=\"data:image/png;base64,\(Data(png).base64EncodedString())\""))
        #expect(embedded.files.isEmpty)
        let beside = render([result], embed: false)
        // Named after its content: a new run never writes over a file the old page links to.
        let name = "report_files/" + EndToEnd.contentName("cell-2-figure-1", Data(png), extension: "png")
        #expect(beside.html.contains("src=\"\(name)\""))
        #expect(beside.files.map(\.path) == [name])
    }

    /// A few very long lines are cut by bytes: the start and the end, each shown once.
    @Test func aLongLineIsCutByBytesWithoutShowingItTwice() {
        let text = "start " + String(repeating: "y", count: 1_000_000) + " end-of-line\nafter\n"
        let html = render([CellResult(cellIndex: 0, status: .passed, outputs: [.stdout(text)])]).html
        #expect(html.contains("<pre class=\"stdout\">start yyy"))
        #expect(html.contains("end-of-line\nafter\n</pre>"))
        #expect(html.components(separatedBy: "start yyy").count == 2)
        #expect(html.contains("output cut: \(text.utf8.count - 256 * 1024 * 4 / 5 - 256 * 1024 / 5) of \(text.utf8.count) bytes not shown"))
        #expect(html.utf8.count < 300_000)
    }

    /// Math in a heading is math in the contents and in the header's title too, not raw TeX.
    @Test func headingMathIsRenderedInTheContentsAndTitle() throws {
        let notebook = try NotebookParser.parse("# Math $\\alpha$ & prices\n\n```swift\n1\n```\n", path: "m.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: []), name: "m").render().html
        let math = "<span class=\"math inline\">\\alpha</span>"
        #expect(html.contains("\">Math \(math) &amp; prices</a></li>"))
        #expect(html.contains("<p class=\"doc-title\">Math \(math) &amp; prices</p>"))
        #expect(html.contains("<title>Math $\\alpha$ &amp; prices</title>"))
    }

    /// A displayed value as long as a printed one is cut the same way.
    @Test func aLongDisplayedValueIsCutAndKeptWhole() {
        let text = "[" + (0..<200_000).map(String.init).joined(separator: ", ") + "]"
        let rendered = render([CellResult(cellIndex: 0, status: .passed, outputs: [.display(.text(text))])])
        #expect(rendered.html.contains("<pre class=\"display\">[0, 1, 2, "))
        #expect(rendered.html.contains("output cut"))
        #expect(rendered.html.utf8.count < 300_000)
        #expect(rendered.files.map(\.path) == ["report_files/" + EndToEnd.contentName("cell-1-display-1", Data(text.utf8), extension: "txt")])
        #expect(rendered.files.first?.data == Data(text.utf8))
    }

    /// The "restored from the cache" line sits inside the cell's box, not against its border.
    @Test func cacheInfoIsPaddedLikeTheCellHead() {
        let html = render([]).html
        let rule = html.range(of: ".cache-info{").map { html[$0.upperBound...].prefix { $0 != "}" } } ?? ""
        #expect(rule.contains("padding:0 10px"))
    }

    @Test func longOutputIsCutAndKeptWhole() {
        let text = (0..<200_000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let rendered = render([CellResult(cellIndex: 0, status: .passed, outputs: [.stdout(text)])])
        #expect(rendered.html.contains("output cut"))
        #expect(rendered.html.contains("line 0\n"))
        #expect(rendered.html.contains("line 199999"))
        #expect(!rendered.html.contains("line 100000\n"))
        #expect(rendered.files.count == 1)
        #expect(rendered.files.first?.data == Data(text.utf8))
        #expect(rendered.html.utf8.count < 100_000)
    }

    @Test func tablesAndTextDisplaysAreEscaped() {
        let html = render([CellResult(cellIndex: 0, status: .passed, outputs: [
            .display(.table(headers: ["layer", "<b>"], rows: [["Linear", "a&b"]])),
            .display(.text("Tensor <1>")),
        ])]).html
        #expect(html.contains("<th>&lt;b&gt;</th>"))
        #expect(html.contains("<td>a&amp;b</td>"))
        #expect(html.contains("<pre class=\"display\">Tensor &lt;1&gt;</pre>"))
    }

    @Test func mathPullsInKaTeX() throws {
        let math = try NotebookParser.parse("Euler: $e^{i\\pi} + 1 = 0$\n\n```swift\n1\n```\n", path: "m.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: math, results: []), name: "m").render().html
        if FileManager.default.fileExists(atPath: KaTeXAssets.directory + "/katex.min.js") {
            #expect(html.contains("katex.render"))
            #expect(html.contains("data:font/woff2;base64,"))
            #expect(!html.contains("url(fonts/"))
        }
    }

    @Test func highlightingKeepsTheCodeText() {
        let code = "let s = \"<a>\" // note\nfunc f() -> Int { 42 }"
        let html = SwiftHighlighter.html(code)
        #expect(HTML.stripTags(html) == HTML.escape(code))
        #expect(html.contains("<span class=\"k\">let</span>"))
        #expect(html.contains("<span class=\"c\">// note</span>"))
        #expect(html.contains("<span class=\"n\">42</span>"))
    }
}
