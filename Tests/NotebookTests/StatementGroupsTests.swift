import Foundation
import SwiftParser
import SwiftSyntax
import Testing
@testable import Notebook

/// Runs of top-level statements are compiled as one `do { }` each, with the cell's end inside
/// the last: the program must mean exactly what the cells say, and diagnostics still point at
/// the notebook's columns.
@Suite struct StatementGroupsTests {
    func generate(_ markdown: String) throws -> GeneratedProgram {
        try ProgramGenerator.generate(try NotebookParser.parse(markdown, path: "g.md"))
    }

    @Test func statementsBetweenDeclarationsAreGroupedAndTheLastRunEndsTheCell() throws {
        let program = try generate("```swift\nprint(1)\nprint(2)\nlet a = 3\nprint(a)\nfunc f() {}\nprint(4); print(5)\n```\n")
        #expect(program.source.contains("""
        do { print(1)
        print(2) };
        let a = 3
        print(a)
        func f() {}
        do { print(4); _nbDisplayLast(print(5)); 0._nbEndCell() };
        """), "\(program.source)")
    }

    /// `guard` binds names for the code after it and a top-level `defer` runs when the program
    /// ends: neither goes in a run (in a `do { }` the `defer` would run at its end). A cell ending with a declaration ends with a call of its own.
    @Test func guardDeferAndDeclarationsStayAtTopLevel() throws {
        let program = try generate("```swift\nprint(1)\nguard let x = Int(\"2\") else { fatalError() }\ndefer { print(x) }\nprint(3)\nlet y = x\n```\n\n```swift\nprint(y)\n```\n")
        #expect(program.source.contains("print(1)\nguard let x = Int(\"2\") else { fatalError() }\ndefer { print(x) }\nprint(3)\nlet y = x\n#sourceLocation()\n0._nbNextCell(1)\n"),
                "\(program.source)")
        #expect(program.source.contains("do { _nbDisplayLast(print(y)); 1._nbEndCell() };"))
    }

    /// Code with syntax errors is left as written, for swiftc's messages about it.
    @Test func codeThatDoesNotParseIsLeftAlone() throws {
        let groups = StatementGroups(text: "print(1)\nprint(2 +)\n", cell: try NotebookParser.parse("```swift\n1\n```\n", path: "g.md").cells[0],
                                     shifts: [], ending: "0._nbEndCell()")
        #expect(groups.text == "print(1)\nprint(2 +)\n")
        #expect(!groups.holdsEnding)
    }

    /// What the generator adds costs the compiler a constant per cell: no top-level statement of
    /// its own between cells (each one made every name after it cost more to resolve, and the
    /// compile time grow with the square of the cell count), and no name to look up.
    @Test func cellsAddNoTopLevelStatementOfTheirOwn() throws {
        let cells = (0..<50).map { "```swift\nlet value\($0) = \($0)\nprint(value\($0))\nvalue\($0) * 2\n```\n" }.joined(separator: "\n")
        let program = try generate(cells)
        let items = Parser.parse(source: program.source).statements.filter { !$0.item.is(PoundSourceLocationSyntax.self) }.count
        // Per cell: its `let` and one group; for the program: its import, start, first begin and finish.
        #expect(items == 50 * 2 + 4, "\(items) top-level items")
        #expect(!program.source.contains("NotebookSession.beginCell") && !program.source.contains("NotebookSession.endCell"))
    }
}

extension StatementGroupsTests {
    /// The grouped program behaves as the cells read: a guard's binding and a `defer` at top
    /// level (run when the program ends, after every cell, as in any Swift program), a variable
    /// initialised by a later statement, a loop changing a global, code after a statement on the
    /// same line, comments and semicolons at the end.
    @Test func groupedCellsRunAsWritten() throws {
        let (run, html) = try EndToEnd.run("""
        ```swift
        var total: Int
        print("first")
        guard let two = Int("2") else { fatalError() }
        defer { print("deferred") }
        print("after defer", two)
        total = two * 10
        ```

        ```swift
        for step in 1...3 { total += step }
        print(total); let copy = total
        if copy > 0 { print("positive") }
        copy + 1 // shown
        ```

        ```swift
        print("last");
        ```
        """)
        #expect(run.exitCode == 0, "\(run.results)")
        #expect(html.contains("<pre class=\"stdout\">first\nafter defer 2\n</pre>"), "\(html)")
        #expect(html.contains("<pre class=\"stdout\">26\npositive\n</pre>"))
        #expect(html.contains("<pre class=\"display\">27</pre>"))
        #expect(html.contains("<pre class=\"stdout\">last\n</pre>"))
        #expect(run.results.map(\.status) == [.passed, .passed, .passed])
    }

    /// An error in a grouped statement is reported at its column in the notebook.
    @Test func errorsInGroupsKeepTheirColumns() throws {
        let directory = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "```swift\nlet a = 1\nprint(a)\nprint(a + \"s\")\n```\n".write(toFile: directory + "/bad.md", atomically: true, encoding: .utf8)
        let result = try EndToEnd.nbrun(["bad.md"], in: directory)
        #expect(result.status == ExitStatus.usage)
        #expect(result.stderr.contains("bad.md:4:9: error: binary operator '+' cannot be applied"), "\(result.stderr)")
    }
}
