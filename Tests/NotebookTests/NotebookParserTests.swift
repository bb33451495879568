import Testing
@testable import Notebook

/// The parse stage alone: Markdown text in, `Notebook` out, no compiler involved.
@Suite struct NotebookParserTests {
    @Test func backtickAndTildeFencesAreCells() throws {
        let notebook = try NotebookParser.parse("""
        # Title

        ```swift
        let a = 1
        ```

        ~~~swift
        let b = 2
        ~~~
        """, path: "x.md")
        #expect(notebook.cells.map(\.source) == ["let a = 1", "let b = 2"])
        #expect(notebook.cells.map(\.line) == [4, 8])
        #expect(notebook.title == "Title")
    }

    @Test func nestedBackticksStayInsideTheCell() throws {
        let notebook = try NotebookParser.parse("""
        ````swift
        let fence = \"\"\"
        ```swift
        inner
        ```
        \"\"\"
        ````
        """, path: "x.md")
        #expect(notebook.cells.count == 1)
        #expect(notebook.cells[0].source.contains("```swift\ninner\n```"))
        #expect(notebook.cells[0].line == 2)
    }

    /// cmark writes a tight list's paragraphs without `<p>`: a cell in a list item was a crash.
    @Test func cellsInTightListsAndQuotesAreCells() throws {
        let notebook = try NotebookParser.parse("""
        - item one
          ```swift
          print("in list")
          ```
        - item two

        > ```swift
        > print("in quote")
        > ```
        """, path: "x.md")
        #expect(notebook.cells.map(\.source) == ["print(\"in list\")", "print(\"in quote\")"])
        #expect(notebook.cells.map(\.line) == [3, 8])
        let prose = notebook.blocks.compactMap { block -> String? in
            if case .prose(let html) = block { return html }
            return nil
        }.joined()
        #expect(prose.contains("item two"))
        #expect(!prose.contains("NBRUNCELL"))
    }

    @Test func otherLanguagesAndIndentedCodeAreProse() throws {
        let notebook = try NotebookParser.parse("""
        Intro.

        ```python
        print("python")
        ```

            let indented = 1

        ```
        plain
        ```

        ```swift
        let real = 1
        ```
        """, path: "x.md")
        #expect(notebook.cells.map(\.source) == ["let real = 1"])
        guard case .prose(let html) = notebook.blocks[0] else { Issue.record("expected prose first"); return }
        #expect(html.contains("<code class=\"language-python\">print(&quot;python&quot;)"))
        #expect(html.contains("let indented = 1"))
    }

    @Test func infoStringsWithAttributesAndWindowsLineEndings() throws {
        let notebook = try NotebookParser.parse("\u{FEFF}---\r\ntitle: T\r\n---\r\n```swift title=\"x\"\r\nlet a = 1\r\n```\r\n```{swift}\r\nlet b = 2\r\n```\r\n```swiftly\r\nno\r\n```\r\n", path: "x.md")
        #expect(notebook.title == "T")
        #expect(notebook.cells.map(\.source) == ["let a = 1", "let b = 2"])
        #expect(notebook.cells.map(\.line) == [5, 8])
    }

    @Test func aFileWithoutSwiftCellsIsNotANotebook() {
        #expect(throws: NotebookError.self) { try NotebookParser.parse("# Just prose\n", path: "x.md") }
    }

    @Test func missingFileIsAOneLineError() {
        do {
            _ = try NotebookParser.parse(fileAt: "does/not/exist.md")
            Issue.record("expected an error")
        } catch let error as NotebookError {
            #expect(error.description == "does/not/exist.md: error: no such file")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func frontMatterGivesTitleParamsAndDefaults() throws {
        let notebook = try NotebookParser.parse("""
        ---
        title: "Backprop"
        author: Ada
        params:
          epochs: 5
          learningRate: 0.1
          verbose: true
          name: mnist
          quoted: "7"
        echo: false
        execute:
          timeout: 30
        ---

        ```swift
        print(epochs)
        ```
        """, path: "x.md")
        #expect(notebook.title == "Backprop")
        #expect(notebook.metadata["author"] == "Ada")
        #expect(notebook.parameters == [
            Parameter(name: "epochs", value: .int(5), line: 5),
            Parameter(name: "learningRate", value: .double(0.1), line: 6),
            Parameter(name: "verbose", value: .bool(true), line: 7),
            Parameter(name: "name", value: .string("mnist"), line: 8),
            Parameter(name: "quoted", value: .string("7"), line: 9),
        ])
        #expect(notebook.cells[0].options.echo == false)
        #expect(notebook.cells[0].options.timeout == 30)
        #expect(notebook.cells[0].line == 16)  // front matter lines still count
    }

    /// YAML errors name the `.md` line (Yams counts from the line after `---`) and say what is wrong.
    @Test func invalidYAMLIsAnErrorAtItsMarkdownLine() {
        expectError(at: 3, containing: "x.md:3:13: error: front matter is not valid YAML: mapping values are not allowed in this context") {
            try NotebookParser.parse("---\ntitle: x\n  bad indent: y\n---\n```swift\n1\n```\n", path: "x.md")
        }
        expectError(at: 3, containing: "did not find expected ',' or ']' (while parsing a flow sequence that starts at line 2)") {
            try NotebookParser.parse("---\ntitle: [unclosed\n---\n```swift\n1\n```\n", path: "x.md")
        }
        expectError(at: 3, containing: "the key 'n' appears more than once") {
            try NotebookParser.parse("---\nparams:\n  n: 3\n  n: 4\n---\n```swift\n1\n```\n", path: "x.md")
        }
    }

    /// Blank lines before the front matter (as R Markdown allows): it is still the front
    /// matter, not prose whose params then are "not in scope"; lines stay those of the file.
    @Test func frontMatterAfterBlankLinesIsStillFrontMatter() throws {
        let notebook = try NotebookParser.parse("\n  \n---\ntitle: t\nparams:\n  count: 3\n---\n```swift\nprint(count)\n```\n", path: "x.md")
        #expect(notebook.title == "t")
        #expect(notebook.parameters == [Parameter(name: "count", value: .int(3), line: 6)])
        #expect(notebook.cells[0].line == 9)
        expectError(at: 5, containing: "x.md:5:") {
            try NotebookParser.parse("\n\n---\ntitle: x\n  bad indent: y\n---\n```swift\n1\n```\n", path: "x.md")
        }
        expectError(at: 5, containing: "unknown front matter key 'colour'") {
            try NotebookParser.parse("\n\n---\ntitle: t\ncolour: red\n---\n```swift\n1\n```\n", path: "x.md")
        }
    }

    @Test func unknownFrontMatterKeyIsAnErrorAtItsLine() {
        expectError(at: 3, containing: "unknown front matter key 'colour'") {
            try NotebookParser.parse("---\ntitle: t\ncolour: red\n---\n```swift\n1\n```\n", path: "x.md")
        }
    }

    @Test func everyCellOptionIsRead() throws {
        let notebook = try NotebookParser.parse("""
        ```swift
        //| label: train
        //| eval: false
        //| echo: false
        //| output: false
        //| error: true
        //| timeout: 2.5
        //| cache: true
        //| fig-width: 480
        //| fig-height: 320
        let x = 1
        ```
        """, path: "x.md")
        let cell = notebook.cells[0]
        var expected = CellOptions()
        expected.label = "train"
        expected.eval = false
        expected.echo = false
        expected.output = false
        expected.error = true
        expected.timeout = 2.5
        expected.cache = true
        expected.figWidth = 480
        expected.figHeight = 320
        #expect(cell.options == expected)
        #expect(cell.optionLineCount == 9)
        #expect(cell.displaySource == "let x = 1")
        #expect(cell.displayLine == 11)
        #expect(cell.name == "train")
    }

    @Test func badOptionsAreErrorsAtTheirLine() {
        expectError(at: 4, containing: "unknown cell option 'colour'") {
            try NotebookParser.parse("# T\n\n```swift\n//| colour: red\nlet x = 1\n```\n", path: "x.md")
        }
        expectError(at: 5, containing: "option 'echo' needs true or false, got 'maybe'") {
            try NotebookParser.parse("# T\n\n```swift\n//| label: a\n//| echo: maybe\n```\n", path: "x.md")
        }
        expectError(at: 2, containing: "option 'timeout' needs a positive number") {
            try NotebookParser.parse("```swift\n//| timeout: -1\n```\n", path: "x.md")
        }
        expectError(at: 2, containing: "option 'fig-width' needs a whole number") {
            try NotebookParser.parse("```swift\n//| fig-width: wide\n```\n", path: "x.md")
        }
        expectError(at: 5, containing: "label 'a' is already used") {
            try NotebookParser.parse("```swift\n//| label: a\n```\n```swift\n//| label: a\n```\n", path: "x.md")
        }
    }

    @Test func mathIsProtectedFromEmphasis() throws {
        let notebook = try NotebookParser.parse("""
        Inline $a_1 * b_1 * c$ and *real emphasis*, cost $5 and $10, `code $x$`, escaped \\$y\\$.

        $$
        \\sum_i x_i * w_i
        $$

        ```swift
        let x = 1
        ```
        """, path: "x.md")
        guard case .prose(let html) = notebook.blocks[0] else { Issue.record("expected prose"); return }
        #expect(html.contains(#"<span class="math inline">a_1 * b_1 * c</span>"#))
        #expect(html.contains("<em>real emphasis</em>"))
        #expect(html.contains("cost $5 and $10"))
        #expect(html.contains("<code>code $x$</code>"))
        #expect(html.contains(#"<span class="math display">\sum_i x_i * w_i</span>"#))
        #expect(notebook.hasMath)
        #expect(notebook.cells[0].line == 8)  // math lines still count
    }

    @Test func gfmTablesAndStrikethroughRender() throws {
        let notebook = try NotebookParser.parse("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n```swift\n1\n```\n", path: "x.md")
        guard case .prose(let html) = notebook.blocks[0] else { Issue.record("expected prose"); return }
        #expect(html.contains("<table>"))
        #expect(html.contains("<del>gone</del>"))
        #expect(!notebook.hasMath)
    }

    /// Raw HTML in prose is kept (as Jupyter, Quarto and GitHub do); GitHub's tag filter
    /// escapes the tags that would run or swallow the page.
    @Test func rawHTMLInProseIsKeptButScriptsAreEscaped() throws {
        let notebook = try NotebookParser.parse("""
        H<sub>2</sub>O, press <kbd>Ctrl</kbd>-<kbd>C</kbd>.

        <details><summary>Derivation</summary>

        The *chain rule*.

        </details>

        <script>alert(1)</script>

        ```swift
        1
        ```
        """, path: "x.md")
        guard case .prose(let html) = notebook.blocks[0] else { Issue.record("expected prose"); return }
        #expect(html.contains("H<sub>2</sub>O, press <kbd>Ctrl</kbd>-<kbd>C</kbd>."))
        #expect(html.contains("<details><summary>Derivation</summary>"))
        #expect(html.contains("<em>chain rule</em>"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script>alert(1)&lt;/script>"))
        #expect(!html.contains("raw HTML omitted"))
    }

    @Test func unicodeProseAndCodeSurvive() throws {
        let notebook = try NotebookParser.parse("# Ünïcödé ✓ 日本\n\n```swift\nlet π = \"ü→✓\"\n```\n", path: "x.md")
        #expect(notebook.title == "Ünïcödé ✓ 日本")
        #expect(notebook.cells[0].source == "let π = \"ü→✓\"")
    }
}

/// Expects `body` to throw a `NotebookError` whose first diagnostic is at `line` and mentions `text`.
func expectError(at line: Int?, containing text: String, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Any) {
    do {
        _ = try body()
        Issue.record("expected an error containing \"\(text)\"", sourceLocation: sourceLocation)
    } catch let error as NotebookError {
        let first = error.diagnostics.first
        #expect(first?.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// Fences and front matter left open.
extension NotebookParserTests {
    /// A cell whose closing fence is missing would run to the end of the file, taking the prose
    /// and the cells after it as code: name the cell and say what is missing.
    @Test func anUnterminatedFenceIsAnErrorAtItsLine() {
        expectError(at: 3, containing: "x.md:3: error: the ```swift cell that starts here has no closing ``` fence") {
            try NotebookParser.parse("# T\n\n```swift\nlet x = 1\n\nMore prose.\n", path: "x.md")
        }
        expectError(at: 1, containing: "no closing ~~~~ fence") {
            try NotebookParser.parse("~~~~swift\nlet x = 1\n~~~\n", path: "x.md")
        }
        // Closed by the next cell's closing fence: the next cell's opening line is inside it.
        expectError(at: 1, containing: "the ```swift cell that starts here is not closed before the ```swift fence at line 4") {
            try NotebookParser.parse("```swift\nlet a = 1\n\n```swift\nlet b = 2\n```\n", path: "x.md")
        }
        expectError(at: 3, containing: "the ```python block that starts here is not closed before the ```swift fence at line 6") {
            try NotebookParser.parse("Text.\n\n```python\nprint(1)\n\n```swift\nlet b = 2\n```\n", path: "x.md")
        }
    }

    /// A longer fence may hold a shorter one (a Markdown example), and a closed one is fine anywhere.
    @Test func fencesInsideLongerFencesAndContainersAreNotErrors() throws {
        let notebook = try NotebookParser.parse("""
        ````markdown
        ```swift
        let shown = 1
        ```
        ````

        > ```swift
        > let quoted = 2
        > ```

        ```swift
        let real = 3
        ```
        """, path: "x.md")
        #expect(notebook.cells.map(\.source) == ["let quoted = 2", "let real = 3"])
    }

    /// Front matter left open would be read as prose: its params vanish and cells then fail
    /// with "cannot find 'n' in scope". Say the `---` is missing instead.
    @Test func frontMatterWithoutItsClosingLineIsAnError() throws {
        expectError(at: 1, containing: "x.md:1: error: the front matter that starts here has no closing '---'") {
            try NotebookParser.parse("---\ntitle: t\nparams:\n  n: 3\n\n```swift\nprint(n)\n```\n", path: "x.md")
        }
        // A `---` further down (a rule in the prose) does not close it across a cell.
        expectError(at: 1, containing: "has no closing '---' before the code fence at line 4") {
            try NotebookParser.parse("---\ntitle: t\n\n```swift\nprint(1)\n```\n\n---\n", path: "x.md")
        }
        // A `---` followed by a blank line is a horizontal rule, not front matter.
        let rule = try NotebookParser.parse("---\n\nIntro.\n\n```swift\n1\n```\n", path: "x.md")
        #expect(rule.cells.count == 1)
        #expect(rule.title == nil)
    }
}

/// Text that looks like nbrun's own placeholders.
extension NotebookParserTests {
    /// nbrun marks cells and math while cmark renders; prose that spells those marks (or makes
    /// them from an entity) must come out as written, not as a cell boundary or someone's math.
    @Test func placeholderLookalikesInProseStayAsWritten() throws {
        let notebook = try NotebookParser.parse("""
        # About NBRUNMATH0END and $y$

        Before NBRUNCELL0END, NBRUNCELL1END, NBRUNMATH0END, NBRUNMATHPADLINE and &#78;BRUNMATH1END, then $x$.

        ```swift
        1
        ```

        After NBRUNCELL0END.
        """, path: "x.md")
        #expect(notebook.cells.count == 1)
        guard notebook.blocks.count == 3, case .prose(let before) = notebook.blocks[0], case .cell = notebook.blocks[1],
              case .prose(let after) = notebook.blocks[2] else {
            Issue.record("expected prose, cell, prose: \(notebook.blocks)")
            return
        }
        #expect(before.contains("<p>Before NBRUNCELL0END, NBRUNCELL1END, NBRUNMATH0END, NBRUNMATHPADLINE and NBRUNMATH1END, then <span class=\"math inline\">x</span>.</p>"))
        #expect(before.contains("<h1>About NBRUNMATH0END and <span class=\"math inline\">y</span></h1>"))
        #expect(after == "<p>After NBRUNCELL0END.</p>\n")
        #expect(notebook.title == "About NBRUNMATH0END and $y$")
    }

    /// Math in a link's address or an image's alt text cannot be rendered there: it stays TeX.
    @Test func mathInsideAttributesStaysAsWritten() throws {
        let notebook = try NotebookParser.parse("[a $x$ link](https://example.com/$y$) ![alt $z$](p.png)\n\n```swift\n1\n```\n", path: "x.md")
        guard case .prose(let html) = notebook.blocks[0] else { Issue.record("expected prose"); return }
        #expect(html.contains(#"<a href="https://example.com/$y$">a <span class="math inline">x</span> link</a>"#), "\(html)")
        #expect(html.contains(#"<img src="p.png" alt="alt $z$" />"#), "\(html)")
    }
}
