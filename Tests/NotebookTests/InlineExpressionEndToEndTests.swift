import Foundation
import Testing
@testable import Notebook

/// Inline expressions compiled and run with their notebook (needs the release kernel).
@Suite struct InlineExpressionEndToEndTests {
    /// The page's text around inline values, without their markup.
    func text(_ html: String) -> String {
        HTML.stripTags(html)
    }

    @Test func theReportShowsTheValueInTheProse() throws {
        let (run, html) = try EndToEnd.run("""
            ```swift
            let answer = 6 * 7
            ```

            The answer is `{swift} answer`.
            """)
        #expect(run.results.map(\.status) == [.passed])
        #expect(html.contains(#"The answer is <span class="inline-value" data-inline="0">42</span>."#))
        #expect(text(html).contains("The answer is 42."))
        // Nothing of it under the cell.
        #expect(!html.contains("<div class=\"outputs\">"))
    }

    @Test func aTypeErrorIsACompileErrorAtItsLine() throws {
        let directory = try EndToEnd.temporaryDirectory()
        do {
            _ = try EndToEnd.run("""
                ```swift
                let answer = 6 * 7
                ```

                Text.
                The answer is `{swift} answer.count`.
                """, in: directory)
            Issue.record("expected a compile error")
        } catch let error as NotebookError {
            let diagnostic = try #require(error.diagnostics.first { $0.severity == .error })
            #expect(diagnostic.file?.hasSuffix("nb.md") == true && diagnostic.line == 6, "\(error)")
            #expect(diagnostic.column == 31, "\(error)")  // at `count`
            #expect(diagnostic.message.contains("has no member 'count'"), "\(error)")
            #expect(diagnostic.excerpt?.hasPrefix("The answer is `{swift} answer.count`.") == true, "\(error)")
        }
        // The report says so at the cell before it, and the prose's value is missing, with why.
        let html = try String(contentsOfFile: directory + "/output/nb.html", encoding: .utf8)
        #expect(html.contains("Compile error: value of type &#39;Int&#39; has no member &#39;count&#39;"))
        #expect(html.contains("(not run: the notebook did not compile)"))
    }

    /// An expression of type `Void` fails its cell at its line, saying why.
    @Test func anExpressionWithoutAValueFailsItsCell() throws {
        let (run, _) = try EndToEnd.run("```swift\nlet answer = 42\n```\n\nPrinted: `{swift} print(answer)`.\n")
        #expect(run.results.first?.status == .failed)
        let error = try #require(run.results.first?.error)
        #expect(error.kind == .check && error.line == 5, "\(error)")
        #expect(error.message.contains("the inline expression 'print(answer)' has no value to show"), "\(error)")
    }

    /// A cached cell restored: the text after it is the same, computed from the restored state
    /// (not stored in the entry, so an edited expression shows its own value at once).
    @Test func aCachedCellsInlineValuesComeBackWithIt() throws {
        let directory = try EndToEnd.temporaryDirectory()
        func notebook(_ expression: String) -> String {
            """
            ```swift
            RandomGenerator.seedGlobal(3)
            ```

            ```swift
            //| cache: true
            print("drawing")
            let noise = Tensor.randomNormal(shape: [3]).scalars
            ```

            The noise is `{swift} \(expression)`.
            """
        }
        let (ran, ranHTML) = try EndToEnd.run(notebook("noise.map(\\.bitPattern)"), in: directory)
        let (restored, restoredHTML) = try EndToEnd.run(notebook("noise.map(\\.bitPattern)"), in: directory)
        #expect(!ran.results[1].cached && restored.results[1].cached)
        let value = try #require(ranHTML.range(of: #"The noise is <span class="inline-value" data-inline="0">\[\d+, \d+, \d+\]</span>"#,
                                                options: .regularExpression))
        #expect(restoredHTML.contains(String(ranHTML[value])))
        #expect(restored.results[1].outputs == ran.results[1].outputs)
        let (edited, editedHTML) = try EndToEnd.run(notebook("noise.count"), in: directory)
        #expect(edited.results[1].cached)
        #expect(editedHTML.contains(#"The noise is <span class="inline-value" data-inline="0">3</span>"#))
    }

    /// Before any cell, an expression is evaluated at the start of the first: it sees the
    /// parameters. In a cached first cell, its value comes before the restored outputs, as it did
    /// when the cell ran.
    @Test func beforeAnyCellTheParametersAreThere() throws {
        let directory = try EndToEnd.temporaryDirectory()
        let markdown = """
            ---
            params:
              points: 5
            ---

            We use `{swift} points` points.

            ```swift
            //| cache: true
            print("first")
            let values = Array(0..<points)
            ```

            They sum to `{swift} values.reduce(0, +)`.
            """
        let (ran, html) = try EndToEnd.run(markdown, in: directory)
        #expect(text(html).contains("We use 5 points.") && text(html).contains("They sum to 10."))
        let (restored, _) = try EndToEnd.run(markdown, in: directory)
        #expect(restored.results[0].cached)
        #expect(restored.results[0].outputs == ran.results[0].outputs)
        let (changed, changedHTML) = try EndToEnd.run(markdown, in: directory) { $0.parameters = [("points", "3")] }
        #expect(!changed.results[0].cached)
        #expect(text(changedHTML).contains("We use 3 points.") && text(changedHTML).contains("They sum to 3."))
    }

    /// After a cell that fails, the prose says the value is missing and why: never a stale one.
    @Test func afterAFailedCellAPlaceholderSaysWhy() throws {
        let (run, html) = try EndToEnd.run("""
            ```swift
            let first = 1
            ```

            First: `{swift} first`.

            ```swift
            let second = 2
            check(second == 3, "second is not 3")
            ```

            Second: `{swift} second`.

            ```swift
            let third = 3
            ```

            Third: `{swift} third`.
            """)
        #expect(run.results.map(\.status) == [.passed, .failed, .notRun])
        #expect(text(html).contains("First: 1."))
        #expect(html.contains(#"<code>{swift} second</code> <em>(not run: cell 2 failed)</em>"#))
        #expect(html.contains(#"<code>{swift} third</code> <em>(not run: an earlier cell failed)</em>"#))
    }
}
