import Testing
@testable import Notebook

@Suite struct CompilerDiagnosticsTests {
    @Test func diagnosticsInCellsAndInTheGeneratedFileMapToMarkdownLines() throws {
        let notebook = try NotebookParser.parse("# T\n\n```swift\nlet a = 1; a + \"s\"\n```\n", path: "nb/x.md")
        let program = try ProgramGenerator.generate(notebook)
        let generatedLine = program.regions[0].generatedLine + 2
        let output = """
        error: emit-module command failed with exit code 1 (use -v to see invocation)
        nb/x.md:4:36: error: binary operator '+' cannot be applied to operands of type 'Int' and 'String'
        let a = 1; do { _nbDisplayLast(a + "s"); 0._nbEndCell() };
                                           ^
        /tmp/cache/build/nb_x.swift:\(generatedLine):1: error: expected declaration
        NotebookSession.finish()
        ^
        """
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook,
                                                    generatedPath: "/tmp/cache/build/nb_x.swift")
        #expect(diagnostics.count == 2)
        #expect(diagnostics[0].headline == "nb/x.md:4:16: error: binary operator '+' cannot be applied to operands of type 'Int' and 'String'")
        #expect(diagnostics[0].excerpt == "let a = 1; a + \"s\"\n               ^")
        #expect(diagnostics[1].headline == "nb/x.md:4: error: expected declaration")
    }
}

extension CompilerDiagnosticsTests {
    /// A cell ending in `exit(0)` or `fatalError()`: swiftc's warning is about nbrun's display
    /// wrapper around the call, not about the notebook.
    @Test func neverReturningLastExpressionGivesNoWarning() throws {
        let notebook = try NotebookParser.parse("# T\n\n```swift\nprint(1)\nfatalError(\"x\")\n```\n", path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        let output = """
        x.md:5:1: warning: will never be executed
        _nbDisplayLast(fatalError("x"))
        ^
        x.md:5:16: note: a call to a never-returning function
        _nbDisplayLast(fatalError("x"))
                       ^
        x.md:4:5: warning: something real
        print(1)
            ^
        """
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.map(\.headline) == ["x.md:4:5: warning: something real"])
    }
}

extension CompilerDiagnosticsTests {
    /// An `error: true` cell's names are local to its `do`: a later cell using one is told why.
    @Test func aNameOfAnErrorCellUsedLaterIsExplained() throws {
        let notebook = try NotebookParser.parse(
            "```swift\n//| error: true\nlet value = try risky()\n```\n\n```swift\nprint(value)\n```\n", path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        let output = "x.md:7:7: error: cannot find 'value' in scope\nprint(value)\n      ^\n"
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.first?.hint?.contains("'value' is declared in the 'error: true' cell at line 2") == true)
    }

    /// Declaring a name again in a later cell, as one would in Jupyter, is explained.
    @Test func aRedeclarationSaysCellsShareOneScope() throws {
        let notebook = try NotebookParser.parse("```swift\nlet x = 1\n```\n\n```swift\nlet x = 2\n```\n", path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        let output = "x.md:6:5: error: invalid redeclaration of 'x'\nlet x = 2\n    ^\nx.md:2:5: note: 'x' previously declared here\n"
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.first?.hint?.contains("all cells share one scope") == true)
    }
}

extension CompilerDiagnosticsTests {
    /// A misspelt import is hoisted to the top of the program but still an error at its .md line.
    @Test func aMisspeltImportIsAnErrorAtItsLine() throws {
        let notebook = try NotebookParser.parse("```swift\nlet a = 1\n```\n\n```swift\nimport Foundatoin\nprint(a)\n```\n", path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        #expect(program.source.contains("#sourceLocation(file: \"x.md\", line: 6)\nimport Foundatoin\n#sourceLocation()\n"))
        let output = "x.md:6:8: error: no such module 'Foundatoin'\nimport Foundatoin\n       ^\n"
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.map(\.headline) == ["x.md:6:8: error: no such module 'Foundatoin'"])
        #expect(diagnostics.first?.hint == nil)
    }
}

@Suite struct CrashReportTests {
    @Test func fatalErrorAndBacktraceLine() {
        let stderr = """
        printed before
        nb/x.md:12: Fatal error: boom

        💣 Program crashed: System trap at 0x0000000000000000

        Thread 0 "main" crashed:

        0 0x00005 in boom() at nb/x.md:12:5
        1 0x00006 in main at nb/x.md:15:1
        """
        let report = CrashReport(stderr: stderr, notebookPath: "nb/x.md")
        #expect(report.message == "Fatal error: boom (at nb/x.md:12)")
        #expect(report.stderrBeforeBacktrace == "printed before\n")
        #expect(report.markdownLines == [12, 12, 15])
        #expect(report.backtrace?.hasPrefix("💣 Program crashed") == true)
        let cell = Cell(index: 0, source: "a\nb\nc", line: 14)
        #expect(report.markdownLine(in: cell) == 15)
    }

    /// The runtime names a cell's `fatalError` `NotebookProgram/<name>.md`, and the backtracer
    /// may spell a notebook run as `./x.md` or `/abs/x.md` differently from how nbrun got it.
    @Test func notebookLinesWhateverTheFileIsCalled() {
        let stderr = """
        NotebookProgram/crash.md:11: Fatal error: boom

        *** Program crashed: System trap at 0x0000000000000000

        3 [ra] 0x00005 main + 505 in crash.d185 at adv/crash.md:11:23
        4 [ra] 0x00006 main + 9 in crash.d185 at /tmp/mycrash.md:99:1
        """
        for path in ["./crash.md", "/tmp/adv/crash.md", "adv/../adv/crash.md", "crash.md"] {
            let report = CrashReport(stderr: stderr, notebookPath: path)
            #expect(report.markdownLines == [11, 11], "\(path)")
            #expect(report.message == "Fatal error: boom (at \(path):11)")
            #expect(report.markdownLine(in: Cell(index: 1, source: "a\nb\nc", line: 9)) == 11)
        }
    }

    /// `precondition` and `assert` say why they stopped the program: that is the message.
    @Test func preconditionAndAssertionMessages() {
        let stderr = """
        partial output
        NotebookProgram/p.md:5: Precondition failed: math broke

        *** Signal 4: Backtracing from 0x7f4ad58f9361... done ***

        *** Program crashed: Illegal instruction at 0x00007f4ad58f9361 ***
        """
        let report = CrashReport(stderr: stderr, notebookPath: "p.md")
        #expect(report.message == "Precondition failed: math broke (at p.md:5)")
        #expect(report.stderrBeforeBacktrace == "partial output\n")
        let assertion = CrashReport(stderr: "NotebookProgram/p.md:7: Assertion failed: too big\n", notebookPath: "dir/p.md")
        #expect(assertion.message == "Assertion failed: too big (at dir/p.md:7)")
        #expect(assertion.markdownLines == [7])
    }
}

extension CrashReportTests {
    /// An error thrown at top level names the line of the cell's only `try`, or else of its only `throw`.
    @Test func anUncaughtErrorNamesItsTryOrThrowLine() {
        let thrown = Cell(index: 0, source: "struct Oops: Error {}\nprint(1)\nthrow Oops()", line: 4)
        #expect(RunCollector.onlyTryLine(in: thrown) == 6)
        let tried = Cell(index: 0, source: "func f() throws { throw Oops() }\nlet x = try f()", line: 4)
        #expect(RunCollector.onlyTryLine(in: tried) == 5)
        let two = Cell(index: 0, source: "throw A()\nthrow B()", line: 4)
        #expect(RunCollector.onlyTryLine(in: two) == nil)
    }
}

extension CompilerDiagnosticsTests {
    /// A cached cell with an error also fails to infer the cache wrapper's result: that echo, and
    /// its note into the kernel's source, are not shown; the real error is.
    @Test func theCacheWrappersEchoOfAnErrorIsNotShown() throws {
        let notebook = try NotebookParser.parse(
            "# T\n\n```swift\n//| cache: true\nlet a = 1\nlet model = Dense(4, 8)\n```\n\n```swift\nprint(2)\n```\n", path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        let output = """
        x.md:6:13: error: cannot find 'Dense' in scope
        let model = Dense(4, 8)
                    ^
        x.md:5:10: error: generic parameter 'each T' could not be inferred
        let a = 1
                 ^
        /opt/nbrun/Sources/NotebookKernel/NotebookCache.swift:42:24: note: in call to function 'cell(_:names:_:)'
            public static func cell<each T>(_ index: Int, names: [String], _ body: () throws -> (repeat each T)) rethrows -> (repeat each T) {
                               ^
        x.md:10:1: warning: something real
        print(2)
        ^
        """
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.map(\.headline) == ["x.md:6:13: error: cannot find 'Dense' in scope", "x.md:10:1: warning: something real"])
    }
}

extension CompilerDiagnosticsTests {
    /// A layer missing its call, as swiftc reports it: the conformance error names `Layer`, and
    /// what `Layer` requires becomes its hint; the echo about `Module` and the notes into the
    /// engine's sources (another overload, a declaration marked unavailable) are not shown.
    @Test func aNonConformingLayerIsOneErrorNamingLayerAndWhatItLacks() throws {
        let notebook = try NotebookParser.parse(
            "```swift\nfinal class Scale: Layer {\n    func forward(_ x: Variable) -> Variable { x * 2 }\n}\nlet layer = Dense(4, 8)\n```\n",
            path: "x.md")
        let program = try ProgramGenerator.generate(notebook)
        let output = """
        x.md:2:13: error: type 'Scale' does not conform to protocol 'Layer'
        final class Scale: Layer {
                    ^
        /build/Sources/NeuralNetwork/Module.swift:132:17: note: candidate has non-matching type '<Self> (Tensor) -> Variable'
            public func callAsFunction(_ x: Tensor) -> Variable {
                        ^
        x.md:2:13: error: type 'Scale' does not conform to protocol 'Module'
        final class Scale: Layer {
                    ^
        x.md:2:13: note: add stubs for conformance
        final class Scale: Layer {
                    ^
        /build/Sources/NeuralNetwork/Layer.swift:23:10: note: protocol requires function 'callAsFunction' with type '(Variable) -> Variable'
            func callAsFunction(_ x: Variable) -> Variable
                 ^
        x.md:5:13: error: 'Dense' is unavailable: nbrun calls it Linear(inputs, outputs), with both sizes: Linear(784, 10)
        let layer = Dense(4, 8)
                    ^
        /build/Sources/NeuralNetwork/OtherSpellings.swift:6:18: note: 'Dense' has been explicitly marked unavailable here
        public typealias Dense = Linear
                         ^
        """
        let diagnostics = CompilerDiagnostics.parse(output, program: program, notebook: notebook, generatedPath: "/tmp/x.swift")
        #expect(diagnostics.map(\.headline) == [
            "x.md:2:13: error: type 'Scale' does not conform to protocol 'Layer'",
            "x.md:5:13: error: 'Dense' is unavailable: nbrun calls it Linear(inputs, outputs), with both sizes: Linear(784, 10)",
        ])
        #expect(diagnostics[0].hint == "Layer requires function 'callAsFunction' with type '(Variable) -> Variable': add it to Scale")
        #expect(diagnostics[1].hint == nil)
        #expect(!diagnostics.map(\.description).joined().contains("/build/"))
    }
}
