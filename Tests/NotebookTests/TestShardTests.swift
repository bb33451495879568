import Foundation
import Testing
@testable import Notebook

/// Made-up durations the same on every run of the tests.
private typealias SeededGenerator = FaultInjectionTests.SeededRandom

/// Made-up suites: `count` notebooks, some without a duration, with durations spread as a real
/// suite's are (many short ones, a few long ones).
private func madeUpSuite(count: Int, seed: UInt64) -> (notebooks: [String], durations: [String: Double]) {
    var random = SeededGenerator(state: seed)
    var notebooks: [String] = []
    var durations: [String: Double] = [:]
    for index in 0..<count {
        let path = "folder\(index % 3)/notebook-\(index).md"
        notebooks.append(path)
        switch Int.random(in: 0..<10, using: &random) {
        case 0: break  // not recorded
        case 1: durations[path] = Double.random(in: 30...180, using: &random)
        default: durations[path] = Double.random(in: 0.2...12, using: &random)
        }
    }
    return (notebooks, durations)
}

@Suite struct TestShardTests {
    @Test func everyNotebookIsInExactlyOnePart() {
        for seed in UInt64(1)...40 {
            let suite = madeUpSuite(count: Int(seed % 23) + 1, seed: seed)
            for count in 1...9 {
                let parts = TestShard.assign(suite.notebooks, durations: suite.durations, count: count).parts
                #expect(parts.count == count)
                let all = parts.flatMap(\.notebooks)
                #expect(all.count == suite.notebooks.count, "seed \(seed), \(count) parts: each notebook once")
                #expect(Set(all) == Set(suite.notebooks), "seed \(seed), \(count) parts: none left out")
                // Each machine selects its own part; together they are the suite, once.
                let selected = (1...count).flatMap { TestShard(index: $0, count: count).select(suite.notebooks, durations: suite.durations) }
                #expect(selected.sorted() == suite.notebooks.sorted())
            }
        }
    }

    @Test func thePartsDoNotDependOnTheOrderNotebooksWereFoundIn() {
        var random = SeededGenerator(state: 99)
        for seed in UInt64(1)...20 {
            let suite = madeUpSuite(count: 17, seed: seed)
            let given = TestShard.assign(suite.notebooks, durations: suite.durations, count: 4)
            let shuffled = TestShard.assign(suite.notebooks.shuffled(using: &random), durations: suite.durations, count: 4)
            #expect(given.parts.map { Set($0.notebooks) } == shuffled.parts.map { Set($0.notebooks) })
            #expect(given.parts.map(\.milliseconds) == shuffled.parts.map(\.milliseconds))
        }
    }

    /// Longest processing time first: the longest part is at most 4/3 of the best possible, which
    /// is at least the ideal (total / parts) and at least the longest notebook.
    @Test func theLongestPartIsWithinGrahamsBound() {
        for seed in UInt64(1)...60 {
            let suite = madeUpSuite(count: 30, seed: seed)
            for count in 2...6 {
                let assignment = TestShard.assign(suite.notebooks, durations: suite.durations, count: count)
                let longest = assignment.parts.map(\.milliseconds).max()!
                let ideal = Double(assignment.totalMilliseconds) / Double(count)
                let lowerBound = max(ideal, Double(assignment.milliseconds.values.max()!))
                #expect(Double(longest) <= lowerBound * 4 / 3 + 1, "seed \(seed), \(count) parts: \(longest) ms against \(lowerBound) ms")
            }
        }
    }

    @Test func manySimilarNotebooksSplitEvenly() {
        // Twenty notebooks of 10 to 29 s over four parts: each part within 1.25 of a quarter.
        let notebooks = (0..<20).map { "n\($0).md" }
        let durations = Dictionary(uniqueKeysWithValues: notebooks.enumerated().map { ($1, Double(10 + $0)) })
        let assignment = TestShard.assign(notebooks, durations: durations, count: 4)
        let ideal = Double(assignment.totalMilliseconds) / 4
        #expect(assignment.totalMilliseconds == 390_000)
        for part in assignment.parts { #expect(Double(part.milliseconds) <= ideal * 1.25) }
        // Taken in the order given (a round robin), the last part would hold the four longest.
        #expect(assignment.parts.map(\.milliseconds).max()! < 100_000)
    }

    @Test func aNotebookWithoutADurationCountsTheMean() {
        let assignment = TestShard.assign(["a.md", "b.md", "new.md"], durations: ["a.md": 10, "b.md": 20], count: 2)
        #expect(assignment.milliseconds["new.md"] == 15_000)
        #expect(assignment.estimated == ["new.md"])
        #expect(assignment.parts.map(\.notebooks) == [["b.md"], ["a.md", "new.md"]])
        // Nothing recorded: one second each, so the parts hold as many notebooks as they can.
        let none = TestShard.assign(["a.md", "b.md", "c.md", "d.md", "e.md"], durations: [:], count: 2)
        #expect(none.parts.map(\.notebooks.count) == [3, 2])
        // Durations that are no durations are estimated too.
        let odd = TestShard.assign(["a.md", "b.md", "c.md"], durations: ["a.md": 4, "b.md": -1, "c.md": .nan], count: 2)
        #expect(odd.estimated == ["b.md", "c.md"])
        #expect(odd.milliseconds == ["a.md": 4000, "b.md": 4000, "c.md": 4000])
    }

    @Test func morePartsThanNotebooksLeavesSomeEmpty() {
        let parts = TestShard.assign(["a.md", "b.md"], durations: [:], count: 4).parts
        #expect(parts.map(\.notebooks) == [["a.md"], ["b.md"], [], []])
    }

    @Test func aShardIsParsedOrRefusedWithTheReason() throws {
        #expect(try TestShard(parsing: "2/4") == TestShard(index: 2, count: 4))
        #expect(try TestShard(parsing: "1/1") == TestShard(index: 1, count: 1))
        for (text, reason) in [("0/4", "between 1 and 4"), ("5/4", "between 1 and 4"), ("2/0", "at least 1"),
                               ("2", "expected i/n"), ("a/b", "expected i/n"), ("1/2/3", "expected i/n"), ("", "expected i/n")] {
            #expect(throws: NotebookError.self) { try TestShard(parsing: text) }
            do {
                _ = try TestShard(parsing: text)
            } catch {
                #expect("\(error)".contains(reason), "\(text): \(error)")
            }
        }
    }
}

@Suite struct TestDurationsTests {
    private func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-durations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/repo/.git", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/repo/notebooks/deeper", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/repo/tests", withIntermediateDirectories: true)
        return path + "/repo"
    }

    @Test func storedDurationsAreReadBackFromTheFileBesideTheNotebooks() throws {
        let repo = try folder()
        let a = repo + "/notebooks/a.md", b = repo + "/notebooks/deeper/b.md", c = repo + "/tests/c.md"
        let written = try TestDurations.store([a: 12.34, b: 0.05, c: 7], homes: [a: repo + "/notebooks", b: repo + "/notebooks", c: repo + "/tests"])
        #expect(written.count == 2)
        // One file per folder given; a deeper notebook's entry is in the nearest file above it.
        let text = try String(contentsOfFile: repo + "/notebooks/" + TestDurations.fileName, encoding: .utf8)
        #expect(text == "{\n  \"a.md\": 12.3,\n  \"deeper/b.md\": 0.1\n}\n")
        #expect(try TestDurations.load(for: [a, b, c, repo + "/notebooks/unknown.md"]) == [a: 12.3, b: 0.1, c: 7])
        // Storing again updates its entries and keeps the others.
        try TestDurations.store([b: 3], homes: [:])
        #expect(try TestDurations.load(for: [a, b]) == [a: 12.3, b: 3])
    }

    @Test func theSearchStopsAtTheRepositoryRoot() throws {
        let repo = try folder()
        // A durations file above the repository is not the repository's.
        try "{\"repo/notebooks/a.md\": 5}".write(toFile: (repo as NSString).deletingLastPathComponent + "/" + TestDurations.fileName,
                                               atomically: true, encoding: .utf8)
        #expect(try TestDurations.load(for: [repo + "/notebooks/a.md"]).isEmpty)
        try "{\"notebooks/a.md\": 5}".write(toFile: repo + "/" + TestDurations.fileName, atomically: true, encoding: .utf8)
        #expect(try TestDurations.load(for: [repo + "/notebooks/a.md"]) == [repo + "/notebooks/a.md": 5])
    }

    @Test func aDamagedFileIsAnErrorNamingItsLine() throws {
        let repo = try folder()
        let file = repo + "/notebooks/" + TestDurations.fileName
        try "{\n  \"a.md\": 1.5,\n  \"b.md\": oops\n}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let error = try #require(throws: NotebookError.self) { try TestDurations.load(for: [repo + "/notebooks/a.md"]) }
        let diagnostic = try #require(error.diagnostics.first)
        #expect(diagnostic.file?.hasSuffix("notebooks/" + TestDurations.fileName) == true)
        #expect(diagnostic.line == 3)
        #expect(diagnostic.hint?.contains("--store-durations") == true)
        // Storing does not replace a file it cannot read: nothing in it is lost.
        #expect(throws: NotebookError.self) { try TestDurations.store([repo + "/notebooks/a.md": 2], homes: [:]) }
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("oops"))
        try "{\"a.md\": \"fast\"}".write(toFile: file, atomically: true, encoding: .utf8)
        let notANumber = try #require(throws: NotebookError.self) { try TestDurations.load(for: [repo + "/notebooks/a.md"]) }
        #expect(notANumber.description.contains("'a.md' is not a number of seconds"))
    }
}
