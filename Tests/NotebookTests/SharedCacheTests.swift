import Foundation
import Testing
@testable import Notebook

/// `--cache-url` against a real nginx (WebDAV's PUT) on 127.0.0.1: workspaces in different
/// folders share what they compiled and trained; a server that stops, hangs or holds a damaged
/// object costs a warning, never a run or a wrong restore. Skipped, saying why, without nginx
/// (`scripts/setup test-deps` installs it).
@Suite(.serialized, .enabled(if: NginxCacheServer.executable != nil, "\(NginxCacheServer.missing)"))
struct SharedCacheTests {
    /// A cached "training" cell that reads a parameter, and a cell after it that uses its result.
    static let training = """
    ---
    params:
      scale: 2
    ---
    # Training

    ```swift
    //| cache: true
    var weights = [Double](repeating: 0, count: 4)
    for step in 1...20_000 {
        for index in weights.indices { weights[index] += Double(index * scale) / Double(step) }
    }
    print("trained", weights.map { ($0 * 1000).rounded() / 1000 })
    ```

    ```swift
    check(weights[0] == 0, "the first weight stays zero")
    print("sum", (weights.reduce(0, +) * 1000).rounded() / 1000)
    ```

    """

    /// A fresh folder holding `notebook.md`, as a clone of a repository would.
    static func workspace(_ markdown: String = training) throws -> String {
        let folder = try EndToEnd.temporaryDirectory()
        try markdown.write(toFile: folder + "/notebook.md", atomically: true, encoding: .utf8)
        return folder
    }

    /// `nbrun run notebook.md` in `folder` against `server`, with the summary it writes.
    static func run(in folder: String, server: URL, arguments: [String] = [], environment: [String: String] = [:])
        throws -> (EndToEnd.CommandResult, NotebookSummary) {
        let summary = folder + "/summary.json"
        try? FileManager.default.removeItem(atPath: summary)
        let result = try EndToEnd.nbrun(["run", "notebook.md", "--quiet", "--cache-url", server.absoluteString, "--summary", summary] + arguments,
                                        in: folder, environment: environment)
        let data = try #require(FileManager.default.contents(atPath: summary), "no summary: \(result.stderr)")
        return (result, try JSONDecoder().decode(NotebookSummary.self, from: data))
    }

    /// nginx started, and a first workspace that ran the notebook against it (storing its
    /// binary and its training cell there); a second workspace, empty.
    static func storedByAFirstWorkspace() throws -> (server: NginxCacheServer, second: String, stored: NotebookSummary) {
        let server = try NginxCacheServer()
        try server.start()
        let first = try workspace(), second = try workspace()
        let (ran, stored) = try run(in: first, server: server.url)
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(stored.cells.map(\.cached) == [false, false])
        #expect(!ran.stderr.contains("warning"), "\(ran.stderr)")
        return (server, second, stored)
    }

    static func printed(_ folder: String) throws -> String {
        try String(contentsOfFile: folder + "/output/notebook.html", encoding: .utf8)
    }

    @Test func aSecondWorkspaceRestoresTheCellsTheFirstStored() throws {
        let (server, second, stored) = try Self.storedByAFirstWorkspace()
        defer { server.stop() }
        // Contents under their hashes, keys naming them: the binary and the cell's entry.
        #expect(server.objects("ac").count == 2, "\(server.objects("ac"))")
        #expect(server.objects("cas").count >= 4, "\(server.objects("cas"))")
        #expect(server.requests().contains { $0.hasPrefix("PUT /ac/") && $0.hasSuffix(" 201") }, "\(server.requests())")

        let (again, restored) = try Self.run(in: second, server: server.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(restored.cells.map(\.cached) == [true, false], "the training cell is restored in the second workspace")
        #expect(restored.cells.map(\.outputDigest) == stored.cells.map(\.outputDigest), "the same outputs")
        #expect(!again.stderr.contains("warning"), "\(again.stderr)")
        // The binary came from the server too: the second workspace compiled nothing.
        #expect((again.stdout + again.stderr).contains("binary from the shared cache"), "\(again.stdout)")
    }

    /// The server's entries are fetched by cell code, but the program restores one only when its
    /// whole key matches: another parameter value is another key, and the cell runs.
    @Test func anEntryIsRestoredOnlyWhenItsWholeKeyMatches() throws {
        let (server, second, stored) = try Self.storedByAFirstWorkspace()
        defer { server.stop() }

        let (other, changed) = try Self.run(in: second, server: server.url, arguments: ["-p", "scale=3"])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(changed.cells.map(\.cached) == [false, false], "scale=3 is not the stored entry's scale")
        #expect(changed.cells[0].outputDigest != stored.cells[0].outputDigest)
        #expect(try Self.printed(second).contains("trained [0.0, 31.442"), "the cell ran with scale 3")

        let (same, restored) = try Self.run(in: second, server: server.url)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(restored.cells.map(\.cached) == [true, false])
    }

    /// Every object on the server damaged after the first workspace stored them: the second
    /// restores nothing from them, says so, compiles and trains, and passes.
    @Test func aDamagedObjectIsAMissWithAWarning() throws {
        let (server, second, stored) = try Self.storedByAFirstWorkspace()
        defer { server.stop() }
        let objects = server.objects("cas")
        #expect(!objects.isEmpty)
        for name in objects {
            let path = server.store + "/cas/" + name
            var data = try #require(FileManager.default.contents(atPath: path))
            data[data.count / 2] ^= 0x5A
            try data.write(to: URL(fileURLWithPath: path))
        }

        let (again, result) = try Self.run(in: second, server: server.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(result.cells.map(\.cached) == [false, false], "nothing restored from a damaged object")
        #expect(result.cells.map(\.outputDigest) == stored.cells.map(\.outputDigest))
        #expect(again.stderr.contains("nbrun: warning: the shared cache's object /cas/"), "\(again.stderr)")
        #expect(again.stderr.contains("is damaged"), "\(again.stderr)")
        #expect((again.stdout + again.stderr).contains("compiled in"), "compiled, not fetched: \(again.stdout)")
    }

    /// nginx stopped while a notebook of `nbrun test` runs (its second cell waits for the test):
    /// the run passes, and the notebook's line, and its JUnit suite, carry the warning.
    @Test func aServerStoppedMidRunLeavesAPassingRunAndAWarning() throws {
        let server = try NginxCacheServer()
        try server.start()
        let folder = try Self.workspace(Self.training + """
        ```swift
        import Foundation
        FileManager.default.createFile(atPath: "waiting", contents: nil)
        let deadline = Date().addingTimeInterval(300)
        while !FileManager.default.fileExists(atPath: "go") && Date() < deadline { usleep(20_000) }
        check(FileManager.default.fileExists(atPath: "go"), "the test said go")
        ```

        """)
        let log = folder + "/log"
        let process = try EndToEnd.startNBRun(["test", "--cache-url", server.url.absoluteString, "--junit", "junit.xml", "notebook.md"],
                                              in: folder, log: log, logsStandardError: false)
        defer { if process.isRunning { process.terminate() } }
        let deadline = Date().addingTimeInterval(600)
        while !FileManager.default.fileExists(atPath: folder + "/waiting") && process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: folder + "/waiting"), "the notebook reached its waiting cell")
        server.stop()
        FileManager.default.createFile(atPath: folder + "/go", contents: nil)
        process.waitUntilExit()

        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("PASS notebook.md"), "\(output)")
        #expect(output.contains("warning: the shared cache \(server.url.absoluteString) did not answer"), "\(output)")
        #expect(output.contains("1 passed, 0 failed"))
        let junit = try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8)
        #expect(junit.contains("<system-err>warning: the shared cache"), "\(junit)")
    }

    /// A server that takes connections and never answers: within `NBRUN_CACHE_TIMEOUT` the run
    /// goes on with the local cache.
    @Test func aServerThatDoesNotAnswerCostsAWarning() throws {
        let silent = try SilentServer()
        let folder = try Self.workspace()
        let (ran, summary) = try Self.run(in: folder, server: silent.url, environment: ["NBRUN_CACHE_TIMEOUT": "1"])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(summary.cells.map(\.status) == ["passed", "passed"])
        #expect(ran.stderr.contains("nbrun: warning: the shared cache \(silent.url.absoluteString) did not answer"), "\(ran.stderr)")
        // Said once: after the first time-out nothing more is asked of it.
        #expect(ran.stderr.components(separatedBy: "did not answer").count == 2, "\(ran.stderr)")
    }

    @Test func aBadAddressOrTimeoutIsRefusedAtTheStart() throws {
        let folder = try Self.workspace()
        let address = try EndToEnd.nbrun(["run", "notebook.md", "--cache-url", "ftp://cache.example/"], in: folder)
        #expect(address.status == 2)
        #expect(address.stderr.contains("--cache-url: 'ftp://cache.example/' is not an http:// or https:// address"), "\(address.stderr)")
        let variable = try EndToEnd.nbrun(["run", "notebook.md"], in: folder, environment: ["NBRUN_CACHE_URL": "not a url"])
        #expect(variable.status == 2)
        #expect(variable.stderr.contains("NBRUN_CACHE_URL: 'not a url'"), "\(variable.stderr)")
        let timeout = try EndToEnd.nbrun(["run", "notebook.md", "--cache-url", "http://127.0.0.1:9/"], in: folder,
                                         environment: ["NBRUN_CACHE_TIMEOUT": "soon"])
        #expect(timeout.status == 2)
        #expect(timeout.stderr.contains("NBRUN_CACHE_TIMEOUT must be a positive number of seconds, got 'soon'"), "\(timeout.stderr)")
    }
}

@Suite struct SharedCacheFormatTests {
    /// Bazel's JSON form: sizes as strings, a false `isExecutable` left out; what is not a
    /// SHA-256 digest is refused.
    @Test func actionResultsReadBazelsJSON() throws {
        let hash = String(repeating: "ab", count: 32)
        let json = #"{"outputFiles":[{"path":"program","digest":{"hash":"\#(hash)","sizeBytes":"42"},"isExecutable":true},{"path":"w","digest":{"hash":"\#(hash)"}}]}"#
        let result = try JSONDecoder().decode(ActionResult.self, from: Data(json.utf8))
        #expect(result.outputFiles.map(\.digest.sizeBytes) == [42, 0])
        #expect(result.outputFiles.map(\.isExecutable) == [true, false])
        #expect(try JSONDecoder().decode(ActionResult.self, from: result.json()) == result)
        let bad = #"{"outputFiles":[{"path":"p","digest":{"hash":"../../etc/passwd","sizeBytes":"1"}}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ActionResult.self, from: Data(bad.utf8)) }
    }

    /// An index names entries by key and plain file names only.
    @Test func anIndexNamesOnlyFilesInsideEntries() {
        let digest = ActionResult.Digest(of: Data("x".utf8))
        let key = String(repeating: "0f", count: 32)
        let index = ActionResult(outputFiles: [
            .init(path: "\(key)/manifest.json", digest: digest), .init(path: "\(key)/v0", digest: digest),
            .init(path: "\(key)/../escape", digest: digest), .init(path: "../\(key)/v1", digest: digest),
            .init(path: "NOTAKEY/manifest.json", digest: digest), .init(path: "\(key)/sub/v2", digest: digest),
        ])
        let entries = SharedCache.entries(in: index)
        #expect(entries.map(\.key) == [key])
        #expect(entries.first?.files.map(\.name) == ["manifest.json", "v0"])
    }
}
