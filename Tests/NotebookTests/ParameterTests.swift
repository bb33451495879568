import Testing
@testable import Notebook

@Suite struct ParameterTests {
    let declared = [
        Parameter(name: "epochs", value: .int(5), line: 3),
        Parameter(name: "rate", value: .double(0.1), line: 4),
        Parameter(name: "verbose", value: .bool(false), line: 5),
        Parameter(name: "name", value: .string("a"), line: 6),
    ]

    @Test func overridesKeepTheDeclaredType() throws {
        let result = try Parameter.applying([("epochs", "1"), ("rate", "2"), ("verbose", "true"), ("name", "abc")],
                                            to: declared, path: "x.md")
        #expect(result.map(\.value) == [.int(1), .double(2), .bool(true), .string("abc")])
    }

    /// `samples: 60_000` is an Int, as in Swift, not the Double 60000.0 (nor is `0x10`).
    @Test func wholeNumbersWrittenAsInSwiftAreInts() throws {
        let notebook = try NotebookParser.parse(
            "---\nparams:\n  a: 60_000\n  b: 0x10\n  c: -3\n  d: 1e3\n  e: 0b101\n  f: 1_0.5\n---\n```swift\n1\n```\n", path: "x.md")
        #expect(notebook.parameters.map(\.value) == [.int(60_000), .int(16), .int(-3), .double(1000), .int(5), .double(10.5)])
        let result = try Parameter.applying([("epochs", "1_000"), ("rate", "2_000")], to: declared, path: "x.md")
        #expect(result.map(\.value).prefix(2) == [.int(1000), .double(2000)])
        #expect(Parameter.Value.integer("_1") == nil)
        #expect(Parameter.Value.integer("12a") == nil)
        #expect(Parameter.Value.integer("") == nil)
    }

    @Test func unknownNameIsAnError() {
        expectError(at: nil, containing: "unknown parameter 'epoch'") {
            try Parameter.applying([("epoch", "1")], to: declared, path: "x.md")
        }
    }

    @Test func wrongTypeIsAnErrorAtTheDeclaration() {
        expectError(at: 3, containing: "parameter 'epochs' is Int, cannot use 'abc'") {
            try Parameter.applying([("epochs", "abc")], to: declared, path: "x.md")
        }
        expectError(at: 3, containing: "cannot use '1.5'") {
            try Parameter.applying([("epochs", "1.5")], to: declared, path: "x.md")
        }
        expectError(at: 5, containing: "parameter 'verbose' is Bool") {
            try Parameter.applying([("verbose", "yes please")], to: declared, path: "x.md")
        }
    }

    @Test func stringLiteralsAreEscaped() {
        #expect(Parameter.Value.string("a\"b\\c\n\\(x)").swiftLiteral == #""a\"b\\c\n\\(x)""#)
    }
}
