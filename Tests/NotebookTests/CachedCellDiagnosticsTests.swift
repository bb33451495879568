import Foundation
import Testing
@testable import Notebook

/// A compile error in or before a cached cell is shown as swiftc reports it at the user's line,
/// never as the cache wrapper's generics or another echo of it (compiled with swiftc, against
/// the release kernel).
@Suite struct CachedCellDiagnosticsTests {
    /// What compiling `markdown` reports: every error and warning, as nbrun shows them.
    func diagnostics(_ markdown: String) throws -> [Diagnostic] {
        do {
            let run = try EndToEnd.run(markdown) { $0.writeReport = false }.0
            return run.document.warnings
        } catch let error as NotebookError {
            return error.diagnostics
        }
    }

    static let cases: [(name: String, markdown: String, expected: [String])] = [
        ("a type error among a cached cell's bindings", """
        ```swift
        //| cache: true
        let a: Int = "text"
        let b = a + 1
        ```
        """, ["nb.md:3:14: error: cannot convert value of type 'String' to specified type 'Int'"]),
        ("a misspelled name in a cached cell's only binding", """
        ```swift
        //| cache: true
        let root = sqrtt(Float(2))
        ```
        """, ["nb.md:3:12: error: cannot find 'sqrtt' in scope"]),
        ("a user type missing a requirement, used by a cached cell", """
        ```swift
        final class Scale: Layer {
            func callAsFunction(_ x: Tensor) -> Tensor { x * 2 }
        }
        ```

        ```swift
        //| cache: true
        let model = Sequential([Scale()], inputShape: [2])
        let out = model.predict(Tensor([[1, 2]]), batchSize: 1)
        ```
        """, ["nb.md:2:13: error: type 'Scale' does not conform to protocol 'Layer'"]),
        ("a wrong label in an earlier cell whose value a cached cell reads", """
        ```swift
        struct Point { var x: Int }
        let point = Point(y: 1)
        ```

        ```swift
        //| cache: true
        let x = point.x
        ```
        """, ["nb.md:3:18: error: incorrect argument label in call (have 'y:', expected 'x:')"]),
        ("a cached cell whose only try is a try?", """
        ```swift
        //| cache: true
        let text = try? readTextFile("/nonexistent")
        ```
        """, []),
    ]

    @Test(arguments: cases.indices) func theRealErrorIsShownAtTheUsersLineAndNothingElse(_ index: Int) throws {
        let testCase = Self.cases[index]
        let shown = try diagnostics(testCase.markdown).filter { $0.severity != .note }
        let headlines = shown.map { diagnostic in
            "\((diagnostic.file.map { ($0 as NSString).lastPathComponent }) ?? "?"):\(diagnostic.line ?? 0):\(diagnostic.column ?? 0): "
                + "\(diagnostic.severity.rawValue): \(diagnostic.message)"
        }
        #expect(headlines == testCase.expected, "\(testCase.name)")
    }
}
