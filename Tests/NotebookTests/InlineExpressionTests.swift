import Foundation
import Testing
@testable import Notebook

/// Inline expressions in the prose (`` `{swift} x` ``): parsed, planned, rendered (no Swift run).
@Suite struct InlineExpressionTests {
    @Test func theParserFindsEachExpressionWithItsLineColumnAndCell() throws {
        let notebook = try NotebookParser.parse("""
            # Title

            Before any cell: `{swift} count` items, and math $a_1$ first `{swift}  a + b `.

            ```swift
            let answer = 6 * 7
            ```

            - in a list `{swift} answer`

            | value |
            |---|
            | `{swift} answer * 2` |

            Shown as code, not run: `` `{swift} answer` `` and

            ```markdown
            `{swift} notRun`
            ```
            """, path: "inline.md")
        let expressions = notebook.inlineExpressions
        #expect(expressions.map(\.source) == ["count", "a + b", "answer", "answer * 2"])
        #expect(expressions.map(\.cellIndex) == [nil, nil, 0, 0])
        #expect(expressions.map(\.line) == [3, 3, 9, 13])
        #expect(expressions[0].column == 27 && expressions[1].column == 72, "\(expressions.map(\.column))")
        #expect(expressions[2].lineText == "- in a list `{swift} answer`")
        // The prose holds each one's element, with the code as written inside.
        let prose = notebook.blocks.compactMap { if case .prose(let html) = $0 { return html } else { return nil } }.joined()
        #expect(prose.contains(#"<span class="inline-value" data-inline="2"><code>{swift} answer</code></span>"#))
        #expect(prose.contains("<code>`{swift} answer`</code>"))
        #expect(prose.contains("{swift} notRun"))
    }

    @Test func anEmptyExpressionIsAnErrorAtItsLine() {
        #expect {
            try NotebookParser.parse("```swift\nlet x = 1\n```\n\nText `{swift}   ` here.\n", path: "empty.md")
        } throws: { error in
            (error as? NotebookError)?.description.contains("empty.md:5") == true
                && "\(error)".contains("no expression after it")
        }
    }

    /// Where no element can go (an image's alt text), the code shows as written.
    @Test func inAnAttributeTheCodeShowsAsWritten() throws {
        let notebook = try NotebookParser.parse("```swift\nlet x = 1\n```\n\n![`{swift} x`](https://example.com/a.png)\n", path: "alt.md")
        let prose = notebook.blocks.compactMap { if case .prose(let html) = $0 { return html } else { return nil } }.joined()
        #expect(prose.contains(#"alt="{swift} x""#), "\(prose)")
        #expect(!prose.contains("data-inline"))
    }

    @Test func aStatementIsNotAnExpression() throws {
        let notebook = try NotebookParser.parse("```swift\nlet x = 1\n```\n\nHere: `{swift} let y = x`.\n", path: "statement.md")
        #expect {
            try ExecutionPlan(notebook: notebook)
        } throws: { error in
            let diagnostic = (error as? NotebookError)?.diagnostics.first
            return diagnostic?.line == 5 && diagnostic?.column == 16 && diagnostic?.message.contains("not one Swift expression") == true
        }
    }

    /// A comment would swallow what the generator writes after the expression (`/*` the rest of
    /// the program): refused at its line.
    @Test func aCommentIsRefused() throws {
        for source in ["x /* open", "x // note", "x /* closed */"] {
            let notebook = try NotebookParser.parse("```swift\nlet x = 1\n```\n\nHere: `{swift} \(source)`.\n", path: "comment.md")
            #expect {
                try ExecutionPlan(notebook: notebook)
            } throws: { error in
                (error as? NotebookError)?.diagnostics.first?.message.contains("(it holds a comment)") == true
            }
        }
    }

    @Test func theGeneratorEvaluatesThemAtTheEndOfTheirCellBeforeItEnds() throws {
        let notebook = try NotebookParser.parse("""
            Count: `{swift} count`.

            ```swift
            let answer = 6 * 7
            ```

            The answer is `{swift} answer`, or `{swift} try twice(answer)`.

            ```swift
            //| eval: false
            let skipped = 1
            ```

            Not compiled: `{swift} skipped`.
            """, path: "gen.md")
        let program = try ProgramGenerator.generate(notebook, parameters: [])
        let source = program.source
        let first = try #require(source.range(of: #"0._nbInline("count") { count };"#))
        let cellCode = try #require(source.range(of: "let answer = 6 * 7"))
        let answer = try #require(source.range(of: #"1._nbInline("answer") { answer };"#))
        let ending = try #require(source.range(of: "0._nbEndCell()"))
        #expect(first.lowerBound < cellCode.lowerBound && cellCode.upperBound < answer.lowerBound && answer.upperBound < ending.lowerBound)
        #expect(source.contains(#"NotebookSession.willTry(7); try 2._nbInline("try twice(answer)") { try twice(answer) };"#))
        #expect(!source.contains("skipped)"))
        // The expression sits at its `.md` column: the call before it is a column shift.
        let line = try #require(source.split(separator: "\n").first { $0.contains(#"1._nbInline("answer")"#) })
        let column = try #require(line.range(of: "{ answer }")).lowerBound.utf16Offset(in: line) + 3
        #expect(program.markdownColumn(column, line: 7) == 24, "\(line)")
    }

    @Test func valuesAreEscapedAndMissingOnesSayWhy() throws {
        let notebook = try NotebookParser.parse("""
            ```swift
            let tag = "<b>&</b>"
            ```

            Shown: `{swift} tag`.

            ```swift
            fatalError()
            ```

            After the crash: `{swift} 1`.

            ```swift
            print(2)
            ```

            Never: `{swift} 2`.

            ```swift
            //| eval: false
            print(3)
            ```

            Skipped: `{swift} 3`.
            """, path: "values.md")
        let results = [
            CellResult(cellIndex: 0, status: .passed, outputs: [.display(.inline(index: 0, expression: "tag", value: "<b>&</b>"))]),
            CellResult(cellIndex: 1, status: .failed, error: CellError(kind: .crash, message: "Fatal error")),
            CellResult(cellIndex: 2, status: .notRun),
            CellResult(cellIndex: 3, status: .notEvaluated),
        ]
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: results), name: "values").render().html
        #expect(html.contains(#"Shown: <span class="inline-value" data-inline="0">&lt;b&gt;&amp;&lt;/b&gt;</span>."#))
        #expect(html.contains("(not run: cell 2 failed)"))
        #expect(html.contains("(not run: an earlier cell failed)"))
        #expect(html.contains("(not evaluated: the cell before it, cell 4, has eval: false)"))
        // The value is in the prose, not among the cell's outputs.
        #expect(!html.contains("<div class=\"outputs\">\n</div>"))
    }

    /// In a `.ipynb`, whose Markdown Jupyter renders itself, each inline expression's code span
    /// becomes its value (Markdown-escaped) or why there is none; the value is not also an output.
    @Test func anIpynbHasTheValuesInItsMarkdown() throws {
        let notebook = try NotebookParser.parse("""
            ```swift
            let x = 6 * 7
            ```

            The answer is `{swift} x`, and `` {swift} "a*b" `` stays text; `{swift} y` is missing.

            ```swift
            let y = 1
            ```
            """, path: "ipynb.md")
        let results = [
            CellResult(cellIndex: 0, status: .passed, outputs: [.display(.inline(index: 0, expression: "x", value: "42")),
                                                                .display(.inline(index: 1, expression: "\"a*b\"", value: "a*b"))]),
            CellResult(cellIndex: 1, status: .failed, error: CellError(kind: .crash, message: "Fatal error")),
        ]
        let data = JupyterNotebook.render(ExecutedNotebook(notebook: notebook, results: results))
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cells = try #require(file["cells"] as? [[String: Any]])
        let markdown = cells.filter { $0["cell_type"] as? String == "markdown" }.compactMap { $0["source"] as? String }
        #expect(markdown.first == #"The answer is 42, and a\*b stays text; *(no value)* is missing."#)
        let outputs = try #require(cells.first { $0["cell_type"] as? String == "code" }?["outputs"] as? [Any])
        #expect(outputs.isEmpty)
    }

    /// A value computed for another expression (the prose changed since) is never shown.
    @Test func aValueForAnotherExpressionIsNotShown() throws {
        let notebook = try NotebookParser.parse("```swift\nlet x = 1\n```\n\nNow `{swift} x + 1`.\n", path: "changed.md")
        let results = [CellResult(cellIndex: 0, status: .passed, outputs: [.display(.inline(index: 0, expression: "x", value: "1"))])]
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: results), name: "changed").render().html
        #expect(html.contains(#"<code>{swift} x + 1</code> <em>(no value)</em>"#))
    }

    @Test func aCompileErrorInAnExpressionGoesToTheCellBeforeItWithItsLine() throws {
        let notebook = try NotebookParser.parse("```swift\nprint(1)\n```\n\n```swift\nlet x = 1\n```\n\nSee `{swift} x.nope`.\n", path: "err.md")
        let diagnostic = Diagnostic(file: "err.md", line: 9, column: 14, severity: .error, message: "value of type 'Int' has no member 'nope'")
        let results = ExecutedNotebook.compileErrorResults([diagnostic], notebook: notebook)
        #expect(results.map(\.cellIndex) == [1])
        #expect(results.first?.error?.line == 9 && results.first?.error?.sourceLine == "See `{swift} x.nope`.")
    }
}
