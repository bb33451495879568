import Foundation

/// `nbrun test --shard i/n`: the i-th of n parts of a suite of notebooks, so that n CI machines
/// (a job matrix) each run one part and a CI system merges their JUnit files.
///
/// Every machine computes the assignment on its own, so it must be the same everywhere: it is a
/// pure function of the notebooks' paths and their recorded durations (`TestDurations`, a file
/// committed beside the notebooks, the same in every checkout of a commit), never of the order
/// the notebooks were found in, the clock or the machine. Durations are whole milliseconds, so
/// that the sums compared are exact on any machine. Each notebook is in exactly one part.
///
/// The parts are balanced by longest processing time first (Graham, 1969): the notebooks from
/// the longest to the shortest, each given to the part with the least time so far. Its longest
/// part is at most 4/3 of the best possible one. A notebook without a recorded duration counts
/// the mean of those recorded (as pytest-split does), or one second when none is.
public struct TestShard: Sendable, Equatable {
    /// 1-based.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (1...count).contains(index), "a shard is i/n with 1 <= i <= n")
        self.index = index
        self.count = count
    }

    /// `i/n`, as given to `--shard`.
    ///
    /// - Throws: `NotebookError` saying what is expected.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw NotebookError("--shard '\(text)': expected i/n, such as 2/4 (the second of four parts)")
        }
        guard count >= 1 else { throw NotebookError("--shard '\(text)': the number of parts must be at least 1") }
        guard (1...count).contains(index) else {
            throw NotebookError("--shard '\(text)': the part must be between 1 and \(count)")
        }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// One part of an assignment.
    public struct Part: Sendable, Equatable {
        /// In the order they were given.
        public var notebooks: [String]
        /// The sum of their durations, recorded or estimated.
        public var milliseconds: Int64
    }

    /// The whole assignment: every part, and which notebooks had no recorded duration.
    public struct Assignment: Sendable, Equatable {
        public var parts: [Part]
        /// Milliseconds counted for each notebook.
        public var milliseconds: [String: Int64]
        /// Notebooks without a recorded duration (counted at the estimate).
        public var estimated: Set<String>

        public var totalMilliseconds: Int64 { parts.reduce(0) { $0 + $1.milliseconds } }
    }

    /// Assigns `notebooks` to `count` parts, balanced by `durations` (seconds, by path; missing,
    /// negative or non-finite ones are estimated).
    public static func assign(_ notebooks: [String], durations: [String: Double], count: Int) -> Assignment {
        precondition(count >= 1, "at least one part")
        var unique: [String] = []
        var seen = Set<String>()
        for path in notebooks where seen.insert(path).inserted { unique.append(path) }

        var recorded: [String: Int64] = [:]
        for path in unique {
            if let seconds = durations[path], seconds.isFinite, seconds >= 0, seconds < 1e9 {
                recorded[path] = Int64((seconds * 1000).rounded())
            }
        }
        let estimate: Int64 = recorded.isEmpty ? 1000 : recorded.values.reduce(0, +) / Int64(recorded.count)
        var milliseconds: [String: Int64] = [:]
        for path in unique { milliseconds[path] = recorded[path] ?? estimate }

        // Longest first; equal durations by path, so that the order they were found in does not matter.
        let order = unique.sorted { (milliseconds[$0]!, $1) > (milliseconds[$1]!, $0) }
        var totals = Array(repeating: Int64(0), count: count)
        var chosen: [String: Int] = [:]
        for path in order {
            var part = 0
            for candidate in 1..<count where totals[candidate] < totals[part] { part = candidate }
            chosen[path] = part
            totals[part] += milliseconds[path]!
        }
        let parts = (0..<count).map { part in
            Part(notebooks: unique.filter { chosen[$0] == part }, milliseconds: totals[part])
        }
        return Assignment(parts: parts, milliseconds: milliseconds, estimated: Set(unique.filter { recorded[$0] == nil }))
    }

    /// The notebooks of this shard, in the order given.
    public func select(_ notebooks: [String], durations: [String: Double]) -> [String] {
        Self.assign(notebooks, durations: durations, count: count).parts[index - 1].notebooks
    }
}
