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
