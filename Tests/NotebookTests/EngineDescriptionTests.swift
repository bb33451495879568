import Foundation
import Testing
@testable import Notebook

/// What the engine computes on (its BLAS, kernel set and threads) is named where a user looks:
/// the report's header and `nbrun doctor`; an OPENBLAS_CORETYPE the user set wins.
@Suite struct EngineDescriptionTests {
    @Test func theReportHeaderNamesTheBLASKernelsTheProgramRan() throws {
        let (run, html) = try EndToEnd.run("```swift\nlet a = Tensor([[1, 2], [3, 4]])\nmatmul(a, a)\n```\n")
        let engine = try #require(run.document.run.engine)
        #expect(engine.hasPrefix("OpenBLAS "))
        #expect(engine.contains(" kernels ("))
        #expect(html.contains("<dt>BLAS</dt><dd>\(HTML.escape(engine))</dd>"))
    }

    @Test func doctorNamesTheKernelSetAndTheUsersChoiceWins() throws {
        let chosen = try EndToEnd.nbrun(["doctor"])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        let line = try #require(chosen.stdout.split(separator: "\n").first { $0.hasPrefix("BLAS: ") })
        #expect(line.contains("OpenBLAS") && line.contains("kernels"))
        #expect(!line.contains("from OPENBLAS_CORETYPE"))

        let forced = try EndToEnd.nbrun(["doctor"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(forced.stdout.contains("Prescott kernels (from OPENBLAS_CORETYPE)"), "\(forced.stdout)")
    }

    /// The notebook program inherits the user's environment: its products run on the set named there.
    @Test func aNotebookRunsOnTheKernelSetTheUserNamed() throws {
        let directory = try EndToEnd.temporaryDirectory()
        try "```swift\nprint(\"kernels=\\(BLASLibrary.current.kernels)\")\n```\n".write(toFile: directory + "/k.md", atomically: true, encoding: .utf8)
        let result = try EndToEnd.nbrun(["k.md"], in: directory, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: directory + "/output/k.html", encoding: .utf8)
        #expect(html.contains("Prescott kernels (from OPENBLAS_CORETYPE)"))
        #expect(html.contains("kernels=Prescott"), "the kernel set the program printed")
    }
}
