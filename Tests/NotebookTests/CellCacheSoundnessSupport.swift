import Foundation
import Testing
@testable import Notebook

/// One way a restored run could leave the program otherwise than a full run: a notebook run
/// once (storing its cached cells), then a second version of it (restoring what it can), both in
/// the same folder, compared with a full run of the second version that uses no cache: what
/// every cell prints and shows, and the content of every value after every cell (the
/// differential check of `nbrun test --rerun`).
///
/// `DIR` in a notebook stands for a folder of files it reads and writes. The full run gets its
/// own copy of that folder, as the restoring run found it, so a notebook that changes its
/// files (a checkpoint read and written back) meets the same files in both.
struct CacheCase: CustomTestStringConvertible, Sendable {
    var name: String
    var first: String
    var second: String
    /// Files in `DIR` before the first run, by name.
    var files: [String: String] = [:]
    /// Files of `DIR` changed between the runs (nil removes one).
    var between: [String: String?] = [:]
    /// The cell that must be restored in the second run (the case is about what a restore
    /// leaves), or nil when it may run (the case is about a restore that must not happen).
    var restoredCell: Int?

    var testDescription: String { name }

    /// `replacing` makes the second version: the first occurrence of each key in the first
    /// version replaced by its value.
    init(_ name: String, first: String, replacing: [String: String] = [:], files: [String: String] = [:],
         between: [String: String?] = [:], restoredCell: Int? = nil) {
        self.name = name
        self.first = first
        var second = first
        for (old, new) in replacing {
            guard let range = second.range(of: old) else { preconditionFailure("\(name): no '\(old)' to replace") }
            second.replaceSubrange(range, with: new)
        }
        self.second = second
        self.files = files
        self.between = between
        self.restoredCell = restoredCell
    }
}

enum CacheDifferential {
    struct Outcome {
        var restoring: NotebookRun
        var full: NotebookRun
    }

    /// Runs the case and checks the restoring run against the full one: every cell passes in
    /// both, prints and shows the same, and (when the case says so) the cell was restored.
    @discardableResult
    static func check(_ testCase: CacheCase, sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let directory = try EndToEnd.temporaryDirectory()
        let files = directory + "/files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        for (name, text) in testCase.files { try text.write(toFile: "\(files)/\(name)", atomically: true, encoding: .utf8) }
        func run(_ markdown: String, filesAt folder: String, in directory: String, cache: Bool) throws -> NotebookRun {
            try EndToEnd.run(markdown.replacingOccurrences(of: "DIR", with: folder), in: directory) { options in
                options.writeReport = false
                options.reuseBinaries = cache
                options.stateTrace = true
            }.0
        }
        let first = try run(testCase.first, filesAt: files, in: directory, cache: true)
        #expect(first.exitCode == 0, "first run: \(first.failedCells.map { $0.error.map { "\($0)" } ?? "" })", sourceLocation: sourceLocation)
        for (name, text) in testCase.between {
            if let text {
                try text.write(toFile: "\(files)/\(name)", atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(atPath: "\(files)/\(name)")
            }
        }
        let fullDirectory = try EndToEnd.temporaryDirectory()
        try FileManager.default.copyItem(atPath: files, toPath: fullDirectory + "/files")
        let restoring = try run(testCase.second, filesAt: files, in: directory, cache: true)
        let full = try run(testCase.second, filesAt: fullDirectory + "/files", in: fullDirectory, cache: false)
        #expect(full.exitCode == 0, "full run: \(full.failedCells.map { $0.error.map { "\($0)" } ?? "" })", sourceLocation: sourceLocation)
        #expect(restoring.exitCode == 0, "restoring run: \(restoring.failedCells.map { $0.error.map { "\($0)" } ?? "" })",
                sourceLocation: sourceLocation)
        for (restored, ran) in zip(restoring.results, full.results) where restored.outputs != ran.outputs {
            let what = "cell \(restored.cellIndex + 1)\(restored.cached ? " (restored)" : ""): \(restored.outputs) in the restoring run, "
                + "\(ran.outputs) in the full run; note: \(restored.cacheNote ?? "none")"
            Issue.record(Comment(rawValue: what), sourceLocation: sourceLocation)
        }
        // The differential check: every value the notebook bound, after every cell, as in the full run.
        let difference = StateComparison.firstDifference(full: full.results.map(\.state), restored: restoring.results.map(\.state))
        #expect(difference == nil, "\(difference.map(\.description) ?? "")", sourceLocation: sourceLocation)
        #expect(restoring.results.allSatisfy { $0.state != nil } || !testCase.second.contains("cache: true"), sourceLocation: sourceLocation)
        if let cell = testCase.restoredCell {
            #expect(restoring.results[cell].cached, "cell \(cell + 1) was not restored: \(restoring.results[cell].cacheNote ?? "no note")",
                    sourceLocation: sourceLocation)
        }
        return Outcome(restoring: restoring, full: full)
    }
}
