import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Notebook

/// `nbrun test --shard i/n` as CI runs it: the repository's own suite split four ways by its
/// committed durations, and small suites run shard by shard with their JUnit files merged.
@Suite(.serialized) struct ShardCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let suite = ["notebooks", "Tests/Notebooks"]

    /// The example notebooks and the test notebooks, by the durations committed beside them:
    /// every notebook has one, each is in exactly one of four parts, and the longest part is
    /// within 1.25 of a quarter of the whole (from the recorded durations, not from a clock).
    @Test func theRepositorysSuiteSplitsFourWaysWithinAQuarterOfTheIdeal() throws {
        let notebooks = try Self.notebooks()
        #expect(notebooks.count >= 12)
        let durations = try TestDurations.load(for: notebooks)
        #expect(Set(durations.keys) == Set(notebooks), "without a recorded duration: \(Set(notebooks).subtracting(durations.keys).sorted())")
        let assignment = TestShard.assign(notebooks, durations: durations, count: 4)
        let all = assignment.parts.flatMap(\.notebooks)
        #expect(all.sorted() == notebooks.sorted(), "each notebook in exactly one part")
        let ideal = Double(assignment.totalMilliseconds) / 4
        let longest = Double(assignment.parts.map(\.milliseconds).max() ?? 0)
        #expect(longest <= ideal * 1.25, "longest part \(longest / 1000) s, ideal \(ideal / 1000) s: \(assignment.parts)")
    }

    /// What each of four machines would run (`--list` runs nothing): the same parts as above,
    /// together the whole suite, once.
    @Test func eachShardListsItsPartAndTogetherTheyAreTheSuite() throws {
        let notebooks = try Self.notebooks().map { String($0.dropFirst(Self.repository.count + 1)) }
        var listed: [String] = []
        for index in 1...4 {
            let result = try EndToEnd.nbrun(["test", "--shard", "\(index)/4", "--list"] + Self.suite, in: Self.repository)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("shard \(index)/4:"), "\(result.stderr)")
            listed += result.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        }
        #expect(listed.sorted() == notebooks.sorted())
    }

    /// Three shards of five small notebooks, each writing its JUnit file: each notebook runs in
    /// one shard, and the files merged list every notebook once, every one passing.
    @Test func shardsRunTheirPartsAndTheirJUnitFilesMerge() throws {
        let folder = try EndToEnd.temporaryDirectory()
        let names = ["a.md", "b.md", "c.md", "d.md", "deeper/e.md"]
        for (index, name) in names.enumerated() {
            let path = folder + "/suite/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "```swift\nlet n = \(index + 1)\ncheck(n * n == \((index + 1) * (index + 1)), \"squares\")\nprint(\"notebook \(index)\")\n```\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        // Recorded: a takes as long as the four others together.
        try "{\"a.md\": 40, \"b.md\": 10, \"c.md\": 10, \"d.md\": 10, \"deeper/e.md\": 10}"
            .write(toFile: folder + "/suite/" + TestDurations.fileName, atomically: true, encoding: .utf8)
        var ran: [[String]] = []
        var suites: [String] = []
        for index in 1...3 {
            let junit = folder + "/junit-\(index).xml"
            let result = try EndToEnd.nbrun(["test", "--shard", "\(index)/3", "--junit", junit, "-o", folder + "/out", "suite"], in: folder)
            #expect(result.status == 0, "shard \(index): \(result.stdout) \(result.stderr)")
            ran.append(result.stdout.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.map { String($0.split(separator: " ")[1]) })
            let xml = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(xml.contains(#"<testsuites name="nbrun shard \#(index)/3""#))
            suites += try JUnitSuites.names(in: junit)
        }
        // The longest alone; the four others two by two.
        #expect(ran == [["suite/a.md"], ["suite/b.md", "suite/d.md"], ["suite/c.md", "suite/deeper/e.md"]])
        #expect(suites.sorted() == names.map { "suite/" + $0 }.sorted())
    }

    /// `--store-durations` writes each notebook's time beside it, one sorted line each, and a
    /// shard then reads it.
    @Test func storedDurationsAreWhatTheNextShardingReads() throws {
        let folder = try EndToEnd.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder + "/suite", withIntermediateDirectories: true)
        for name in ["one.md", "two.md"] {
            try "```swift\nprint(\"\(name)\")\n```\n".write(toFile: folder + "/suite/" + name, atomically: true, encoding: .utf8)
        }
        let result = try EndToEnd.nbrun(["test", "--store-durations", "-o", folder + "/out", "suite"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("durations recorded in suite/\(TestDurations.fileName)"), "\(result.stderr)")
        let recorded = try TestDurations.read(folder + "/suite/" + TestDurations.fileName)
        #expect(Set(recorded.keys) == ["one.md", "two.md"])
        #expect(recorded.values.allSatisfy { $0 > 0 })
        let listed = try EndToEnd.nbrun(["test", "--shard", "1/1", "--list", "suite"], in: folder)
        #expect(!listed.stdout.contains("estimated"), "\(listed.stdout)")
        #expect(listed.stdout.split(separator: "\n").count == 2)
    }

    /// Recording durations from a shard would change the parts of the shards run after it in the
    /// same checkout (one notebook run twice, another never): refused before anything runs.
    @Test func durationsAreNotRecordedFromAShard() throws {
        let folder = try EndToEnd.temporaryDirectory()
        try "```swift\nprint(1)\n```\n".write(toFile: folder + "/a.md", atomically: true, encoding: .utf8)
        let result = try EndToEnd.nbrun(["test", "--shard", "1/2", "--store-durations", "-o", folder + "/out", "a.md"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--store-durations records a whole run: run it without --shard"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/" + TestDurations.fileName))
    }

    @Test func aBadShardIsRefusedBeforeAnythingRuns() throws {
        let folder = try EndToEnd.temporaryDirectory()
        try "```swift\nprint(1)\n```\n".write(toFile: folder + "/a.md", atomically: true, encoding: .utf8)
        let result = try EndToEnd.nbrun(["test", "--shard", "5/4", "-o", folder + "/out", "a.md"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--shard '5/4': the part must be between 1 and 4"), "\(result.stderr)")
        #expect(!result.stdout.contains("PASS"))
    }

    /// The suite's notebooks, by absolute path.
    static func notebooks() throws -> [String] {
        try NotebookTestRunner.discover(suite.map { repository + "/" + $0 })
    }
}

/// The `<testsuite>` names of a JUnit file, as a CI system merging several reads them.
final class JUnitSuites: NSObject, XMLParserDelegate {
    private var names: [String] = []

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if element == "testsuite" { names.append(attributes["name"] ?? "") }
    }

    static func names(in path: String) throws -> [String] {
        let parser = try #require(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let delegate = JUnitSuites()
        parser.delegate = delegate
        #expect(parser.parse(), "\(path) is well-formed XML")
        return delegate.names
    }
}
