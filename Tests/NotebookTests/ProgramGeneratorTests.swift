import Testing
@testable import Notebook

/// The generate stage alone: a `Notebook` in, `main.swift` text and its line map out.
@Suite struct ProgramGeneratorTests {
    func generate(_ markdown: String, path: String = "nb/x.md") throws -> (Notebook, GeneratedProgram) {
        let notebook = try NotebookParser.parse(markdown, path: path)
        return (notebook, try ProgramGenerator.generate(notebook))
    }

    func lines(_ program: GeneratedProgram) -> [String] {
        program.source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func eachCellHasItsSourceLocation() throws {
        let (_, program) = try generate("# T\n\n```swift\nlet a = 1\n```\n\ntext\n\n```swift\nlet b = a\n```\n")
        let text = lines(program)
        #expect(program.regions.count == 2)
        for (region, markdownLine) in zip(program.regions, [4, 10]) {
            #expect(region.markdownLine == markdownLine)
            #expect(text[region.generatedLine - 2] == "#sourceLocation(file: \"nb/x.md\", line: \(markdownLine))")
            #expect(text[region.generatedLine + region.lineCount - 1] == "#sourceLocation()")
        }
        #expect(text[program.regions[1].generatedLine - 1] == "let b = a")
        #expect(program.markdownLine(forGeneratedLine: program.regions[1].generatedLine)?.line == 10)
        // A line after a cell (what an unclosed construct runs into) maps to the cell's last line.
        #expect(program.markdownLine(forGeneratedLine: program.regions[0].generatedLine + 3)?.line == 4)
    }

    @Test func importsAreHoistedAndBlankedInPlace() throws {
        let (_, program) = try generate("```swift\nimport Foundation\nlet a = sqrt(2.0)\n```\n")
        let text = lines(program)
        #expect(text[1] == "import NotebookKernel")
        // At its own .md line, so that a misspelt module is an error in the notebook.
        #expect(text[2...4] == ["#sourceLocation(file: \"nb/x.md\", line: 2)", "import Foundation", "#sourceLocation()"])
        let region = program.regions[0]
        #expect(text[region.generatedLine - 1] == "")
        #expect(text[region.generatedLine] == "let a = sqrt(2.0)")
    }

    @Test func lastExpressionIsDisplayedUnlessItIsAStatementOrAssignment() throws {
        let cases: [(String, Bool)] = [
            ("x", true), ("x + 1", true), ("f(x)", true), ("try f()", true), ("model.summary()", true),
            ("let y = 1", false), ("x = 2", false), ("x += 2", false), ("_ = f()", false),
            ("if x > 1 { print(x) }", false), ("for i in 0..<3 { print(i) }", false),
            ("func g() {}", false), ("struct S {}", false), ("x == 2", true),
        ]
        for (code, displayed) in cases {
            let (_, program) = try generate("```swift\n\(code)\n```\n")
            #expect(program.source.contains("_nbDisplayLast(\(code))") == displayed, "\(code)")
        }
    }

    @Test func displayWrapperColumnsMapBack() throws {
        let (_, program) = try generate("```swift\nlet a = 1; a + \"s\"\n```\n")
        // `a + "s"` is the cell's last statement run: `do { ` and the wrapper both come before it.
        #expect(program.source.contains("let a = 1; do { _nbDisplayLast(a + \"s\"); 0._nbEndCell() };"))
        #expect(program.columnShifts == [.init(markdownLine: 2, fromColumn: 12, width: 5), .init(markdownLine: 2, fromColumn: 12, width: 15)])
        #expect(program.markdownColumn(36, line: 2) == 16)  // `"s"` after the wrapper
        #expect(program.markdownColumn(5, line: 2) == 5)
    }

    @Test func errorCellsAreWrappedInDoCatch() throws {
        let (_, program) = try generate("```swift\n//| error: true\ntry f()\n```\n")
        #expect(program.source.contains("do {\n#sourceLocation"))
        #expect(program.source.contains("#sourceLocation()\n} catch { NotebookSession.caught(error) }"))
    }

    @Test func evalFalseCellsAreNotCompiled() throws {
        let (_, program) = try generate("```swift\n//| eval: false\nnot swift at all {\n```\n```swift\nlet ok = 1\n```\n")
        #expect(!program.source.contains("not swift at all"))
        #expect(program.regions.map(\.cellIndex) == [1])
    }

    @Test func parametersAreTypedConstantsAtTheirFrontMatterLines() throws {
        let notebook = try NotebookParser.parse("---\nparams:\n  epochs: 5\n  name: \"a\\\"b\"\n---\n```swift\nprint(epochs)\n```\n", path: "x.md")
        let overridden = try Parameter.applying([("epochs", "1")], to: notebook.parameters, path: "x.md")
        let plan = try ExecutionPlan(notebook: notebook, parameters: overridden)
        let program = ProgramGenerator.generate(plan)
        // Declared at their front-matter lines; the values come from the plan at run time.
        #expect(program.source.contains("#sourceLocation(file: \"x.md\", line: 3)\nlet epochs: Int = NotebookSession.parameter(\"epochs\")\n#sourceLocation()"))
        #expect(program.source.contains("let name: String = NotebookSession.parameter(\"name\")"))
        #expect(plan.program.parameters.map(\.json) == ["1", #""a\"b""#])
        // The binary does not depend on the values.
        let original = ProgramGenerator.generate(try ExecutionPlan(notebook: notebook))
        #expect(original.source == program.source)
    }

    @Test func unclosedBraceIsReportedAtTheMarkdownLine() {
        expectError(at: 4, containing: "this '{' is not closed before the end of cell 1") {
            try generate("# T\n\n```swift\nstruct P {\n  var x = 1\n```\n\n```swift\nprint(1)\n```\n")
        }
        expectError(at: 3, containing: "string literal is not closed") {
            try generate("```swift\nlet a = 1\nlet s = \"abc\n```\n")
        }
        // A multi-line string: at its opening quotes, not at the cell's last line.
        expectError(at: 3, containing: "nb/x.md:3:9: error: string literal is not closed") {
            try generate("```swift\nlet a = 1\nlet s = \"\"\"\nabc\ndef\n```\n")
        }
        expectError(at: 2, containing: "unexpected '}'") {
            try generate("```swift\n}\n```\n")
        }
    }

    @Test func cachedCellsReturnTheirBindingsFromAClosure() throws {
        let (_, program) = try generate("""
        ```swift
        let a = 1
        ```

        ```swift
        //| cache: true
        let model = a + 1
        var (x, y) = (2, 3)
        print(model)
        ```

        ```swift
        //| cache: true
        let only = try f()
        ```
        """)
        #expect(program.plan.cachedCells == [1, 2])
        // The statements in a closure of their own, handed to the cache by name.
        #expect(program.source.contains("let _nbBody1 = { () in\n"))
        #expect(program.source.contains("return (model, x, y)\n}\nlet _nbCached1 = NotebookCache.cell(1, names: [\"model\", \"x\", \"y\"], _nbBody1)\n"
            + "let model = _nbCached1.0\nvar x = _nbCached1.1\nvar y = _nbCached1.2"))
        #expect(program.source.contains("let _nbBody2 = { () throws in\n"))
        #expect(program.source.contains("return only\n}\nlet _nbCached2 = try NotebookCache.cell(2, name: \"only\", _nbBody2)\nlet only = _nbCached2"))
        // The values each cell binds, handed to the kernel once bound (a var with a setter).
        #expect(program.source.contains("NotebookSession.register([NotebookGlobal(\"a\") { a }]); 0._nbNextCell(1)"))
        #expect(program.source.contains("NotebookSession.register([NotebookGlobal(\"model\") { model }, "
            + "NotebookGlobal(\"x\", { x }, set: { x = $0 }), NotebookGlobal(\"y\", { y }, set: { y = $0 })])"))
    }

    @Test func theValuesOfEveryCellGetSettersWhenACellIsCachedAndTheCacheExtra() throws {
        let (_, program) = try generate("""
        ```swift
        var xs = [1]
        let scale = 2
        ```

        ```swift
        //| cache: true
        //| cache-extra: scale + 1
        xs.append(scale)
        ```
        """)
        #expect(program.source.contains("NotebookSession.register([NotebookGlobal(\"xs\", { xs }, set: { xs = $0 }), NotebookGlobal(\"scale\") { scale }])"))
        #expect(program.source.contains("cacheExtra: {\n#sourceLocation(file: \"nb/x.md\", line: 8)\nscale + 1\n#sourceLocation()\n})"))
        #expect(program.source.contains("NotebookCache.cell(1, _nbBody1)"))
        // Without any cached cell, nothing is followed.
        let (_, plain) = try generate("```swift\nvar xs = [1]\n```\n\n```swift\nxs.append(2)\n```\n")
        #expect(!plain.source.contains("NotebookSession.register"))
    }

    @Test func cachedCellsKeepTheirFunctionsAndTypesOutsideTheClosure() throws {
        let (_, program) = try generate("""
        ```swift
        //| cache: true
        struct Config: Codable { var rate: Float }
        let config = Config(rate: 0.5)
        func double(_ x: Float) -> Float { x * 2 }
        let doubled = double(config.rate)
        ```
        """)
        let source = program.source
        let closure = try #require(source.range(of: "return (config, doubled)\n}"))
        #expect(source[..<closure.lowerBound].contains("let config = Config(rate: 0.5)"))
        #expect(!source[..<closure.lowerBound].contains("struct Config"))
        #expect(source[closure.upperBound...].contains("struct Config: Codable { var rate: Float }"))
        #expect(source[closure.upperBound...].contains("func double(_ x: Float) -> Float { x * 2 }"))
        // Both copies keep the cell's lines: two regions at the same .md line.
        #expect(program.regions.map(\.markdownLine) == [2, 2])
        let lines = self.lines(program)
        #expect(lines[program.regions[1].generatedLine - 1 + 3].hasPrefix("func double"))
        #expect(lines[program.regions[0].generatedLine - 1 + 3].trimmingCharacters(in: .whitespaces).isEmpty)
    }

    @Test func figureSizesAreSetPerCellOnlyWhenAsked() throws {
        let (_, plain) = try generate("```swift\nlet a = 1\n```\n")
        #expect(!plain.source.contains("Figure.defaultWidth"))
        let (_, sized) = try generate("```swift\n//| fig-width: 300\nlet a = 1\n```\n```swift\nlet b = 2\n```\n")
        #expect(sized.source.contains("Figure.defaultWidth = 300"))
        #expect(sized.source.contains("Figure.defaultWidth = _nbFigureSize.width"))
    }
}
