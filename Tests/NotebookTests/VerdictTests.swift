import Foundation
import Testing
@testable import Notebook

/// Verdicts and messages that must say what happened.
@Suite(.serialized) struct VerdictTests {
    /// A figure that cannot be drawn fails its cell with the drawing error, at the line that showed it.
    @Test func aFigureThatCannotBeDrawnFailsItsCell() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        let empty = Figure(title: "nothing yet")
        print("before")
        display(empty)
        print("after")
        ```

        ```swift
        print("never")
        ```
        """)
        #expect(run.results.map(\.status) == [.failed, .notRun])
        #expect(run.exitCode == 1)
        let error = try #require(run.results[0].error)
        #expect(error.message.contains("could not draw"), "\(error.message)")
        #expect(error.message.contains("nothing to draw"), "\(error.message)")
        #expect(error.line == 4)
        #expect(run.results[0].stdout == "before\n")
        #expect(html.contains("nothing to draw"))
    }

    /// The last expression of a cell is shown the same way: a figure that fails to draw fails.
    @Test func aLastExpressionFigureThatCannotBeDrawnFailsItsCell() throws {
        let (run, _) = try EndToEnd.run("```swift\nlet size = 3\nFigure(title: \"empty\")\n```\n")
        #expect(run.results.map(\.status) == [.failed])
        #expect(run.results[0].error?.message.contains("nothing to draw") == true)
        #expect(run.results[0].error?.line == 3)
    }
}
