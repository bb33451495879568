import Foundation
import Testing
@testable import Notebook

/// nbrun killed (SIGKILL) at seeded random points of its work, or run on a full disk, then run
/// normally: no process of the killed run is left after a second, the report is the old one or
/// the new one, whole (its page complete, every file it links to there, and the same as a full
/// run's), and the next runs are right, restoring the cached cell included.
///
/// `swift test` runs `NBRUN_FAULT_KILLS` faults (default 9: one of each kind), seeded by
/// `NBRUN_FAULT_SEED`; the acceptance run is `NBRUN_FAULT_KILLS=50 swift test --filter
/// FaultInjectionTests`, which also kills at random moments (after a seeded delay) and prints
/// what each fault did.
@Suite(.serialized) struct FaultInjectionTests {
    /// Where nbrun is stopped.
    enum Fault: String, CaseIterable {
        /// SIGKILL while swift-frontend compiles the notebook (a recompile is forced).
        case compile
        /// SIGKILL while the program runs a cell (one that waits to be killed).
        case run
        /// The notebook program kills nbrun (and so itself) once the cached cell's entry is
        /// written, before it is renamed into place; nbrun kills itself once entries are stored,
        /// before the cache is trimmed.
        case cacheCommit = "cache.commit", cacheEvict = "cache.evict"
        /// nbrun kills itself once the first new file beside the page is in place, once the
        /// page is written under its temporary name, once it is in place (old files not removed).
        case reportFile = "report.file", reportPage = "report.page", reportPrune = "report.prune"
        /// No kill: the disk has only a few kilobytes left for the run.
        case diskFull
        /// SIGKILL after a seeded delay (stress runs only: it waits a time, not an event).
        case anytime
    }

    /// The notebook: a value from the `run` parameter, a cached cell, a figure (written beside
    /// the page with `--no-embed`) and a cell that, with `hold: 1`, signals and waits to be killed.
    /// A variant after the first has a cell that takes swiftc a few seconds, to be killed in.
    static func notebook(variant: Int) -> String {
        let padding = variant == 0 ? "" : "```swift\n//| label: padding\n"
            + (0..<300).map { "_ = [\($0), \(variant)].map { $0 * 2 }.reduce(0, +)" }.joined(separator: "\n") + "\n```\n"
        return """
        ---
        title: Faults
        params:
          run: 0
          hold: 0
        ---

        # Faults

        Each run shows its own values and figure.

        ```swift
        //| label: values
        let values = (0..<200).map { Float($0 % 50) * Float(run + 1) }
        print("run", run)
        ```

        ```swift
        //| label: total
        //| cache: true
        let total = values.reduce(0, +)
        print("total", total)
        ```

        ```swift
        //| label: figure
        Figure(title: "run \\(run)").line(values)
        ```

        ```swift
        //| label: hold
        import Foundation
        if hold == 1 {
            FileManager.default.createFile(atPath: "holding-\\(run)", contents: nil)
            while true { usleep(1_000) }
        }
        print("done") // variant \(variant)
        ```

        \(padding)
        """
    }

    /// A report as found: its page and the files the page links to (nil: missing).
    struct Snapshot: Equatable {
        var html: String?
        var files: [String: Data?] = [:]

        init(folder: String, name: String) {
            html = try? String(contentsOfFile: "\(folder)/\(name).html", encoding: .utf8)
            for piece in (html ?? "").components(separatedBy: "src=\"").dropFirst() {
                guard let end = piece.firstIndex(of: "\"") else { continue }
                let link = String(piece[..<end])
                guard !link.hasPrefix("data:") else { continue }
                files[link] = FileManager.default.contents(atPath: folder + "/" + (link.removingPercentEncoding ?? link))
            }
        }

        /// Its page is complete and every file it links to is there.
        var isWhole: Bool { (html?.hasSuffix("</html>\n") ?? false) && files.values.allSatisfy { $0 != nil } }

        /// The page without what differs between two runs of the same notebook: times, the run's
        /// header, cache marks.
        var content: String? {
            html.map { html in
                var text = html
                for pattern in [#"<span class="time">[^<]*</span>"#, #" <span class="badge cached"[^>]*>cached</span>"#,
                                #"<div class="cache-info">[^<]*</div>\n"#, #"<header class="run[^"]*">[\s\S]*?</header>"#] {
                    text = text.replacingOccurrences(of: pattern, with: "", options: .regularExpression)
                }
                return text
            }
        }
    }

    /// A deterministic generator for the seeded choices (SplitMix64).
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func faultsLeaveNoProcessAndAWholeReport() throws {
        let environment = ProcessInfo.processInfo.environment
        let count = Int(environment["NBRUN_FAULT_KILLS"] ?? "") ?? 9
        let seed = UInt64(environment["NBRUN_FAULT_SEED"] ?? "") ?? 29
        var random = SeededRandom(state: seed)
        let stress = count > 9
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var reason = ""
        let disk = SmallDisk.mountIfPossible(bytes: 96 << 20, reason: &reason)
        if disk == nil { print("fault injection: no tmpfs (\(reason)): the full-disk faults are left out") }
        let output = (disk?.path ?? folder) + "/out"
        var variant = 0
        try Self.notebook(variant: variant).write(toFile: folder + "/faults.md", atomically: true, encoding: .utf8)
        func nbrun(_ run: Int, _ extra: [String] = [], environment: [String: String] = [:]) throws -> BackgroundRun {
            try BackgroundRun(["faults.md", "-o", output, "--no-embed", "-p", "run=\(run)"] + extra, in: folder, environment: environment)
        }
        let first = try nbrun(0)
        try #require(first.finish() == 0, "\(first.stderr)")
        var previous = Snapshot(folder: output, name: "faults")
        try #require(previous.isWhole)

        var kinds = Fault.allCases.filter { $0 != .anytime && (disk != nil || $0 != .diskFull) }
        if stress { kinds.append(.anytime) }
        var outcomes: [String] = []
        for iteration in 1...count {
            // Each kind once first, then at random.
            let fault = iteration <= kinds.count - (stress ? 1 : 0) ? kinds[iteration - 1] : kinds.randomElement(using: &random)!
            var what = fault.rawValue
            let killed: BackgroundRun
            switch fault {
            case .compile:
                variant += 1  // a new program: it must be compiled
                try Self.notebook(variant: variant).write(toFile: folder + "/faults.md", atomically: true, encoding: .utf8)
                killed = try nbrun(iteration)
                let compiling = Faults.wait(upTo: 300) {
                    Faults.processes(tagged: killed.tag, named: "swift-frontend").contains { $0.arguments.contains("-c") } || !killed.isRunning
                }
                if compiling && killed.isRunning { killed.killNow() } else { what += " (missed: the compile ended first)" }
            case .run:
                killed = try nbrun(iteration, ["-p", "hold=1"])
                let holding = Faults.wait(upTo: 300) { FileManager.default.fileExists(atPath: folder + "/holding-\(iteration)") || !killed.isRunning }
                #expect(holding && killed.isRunning, "the holding cell did not start: \(killed.stderr)")
                killed.killNow()
            case .cacheCommit, .cacheEvict, .reportFile, .reportPage, .reportPrune:
                killed = try nbrun(iteration, environment: ["NBRUN_FAULT_KILL": fault.rawValue])
                let status = killed.finish()
                if status != 128 + SIGKILL { what += " (missed: exit \(status))" }
            case .diskFull:
                let left = [8, 32, 128, 512, 2048].randomElement(using: &random)! << 10
                try disk!.fill(leaving: left)
                killed = try nbrun(iteration)
                let status = killed.finish()
                disk!.empty()
                what += " (\(left >> 10) KiB left: exit \(status))"
                #expect([0, 1, ExitStatus.environment].contains(status), "\(what): \(killed.stderr)")
            case .anytime:
                let delay = Double.random(in: 0...2.5, using: &random)
                killed = try nbrun(iteration)
                usleep(UInt32(delay * 1_000_000))  // the moment to inject the fault at, not a wait for an event
                what += String(format: " (after %.2f s)", delay)
                killed.killNow()
            }
            let left = Faults.waitUntilGone(tagged: killed.tag)
            #expect(left.isEmpty, "\(what): still running \(Faults.orphanDeadline) s after nbrun ended: \(left.map { "\($0.pid) \($0.name)" })")

            let found = Snapshot(folder: output, name: "faults")
            let recovery = try nbrun(iteration)
            let status = recovery.finish()
            #expect(status == 0, "\(what): the next run failed: \(recovery.stderr)")
            let current = Snapshot(folder: output, name: "faults")
            #expect(current.isWhole && current.html?.contains("<pre class=\"stdout\">run \(iteration)\n</pre>") == true,
                    "\(what): the next run's report")
            #expect(current.html?.contains("<pre class=\"stdout\">total \(Float(4900 * (iteration + 1)))\n</pre>") == true,
                    "\(what): the next run's total")
            // Whole, and the old report untouched or the new one as a full run makes it.
            let state: String
            if found == previous {
                state = "old report"
            } else if found.isWhole, found.content == current.content, found.files == current.files {
                state = "new report"
            } else if fault == .diskFull, found.isWhole, found.html?.contains("run \(iteration)") == true {
                state = "new report of the full-disk run"
            } else {
                state = "MIXED OR BROKEN report"
                Issue.record("\(what): the report is neither the old one nor a whole new one: whole \(found.isWhole), files \(found.files.mapValues { $0?.count })")
            }
            // The cache is right after the fault: the next run restores the cached cell.
            let again = try nbrun(iteration)
            #expect(again.finish() == 0, "\(what): \(again.stderr)")
            let restored = again.stderr.contains("total (cache hit)")
            #expect(restored, "\(what): the cached cell was not restored: \(again.stderr)")
            #expect(Snapshot(folder: output, name: "faults").content == current.content, "\(what): a restored run shows something else")
            outcomes.append("\(iteration). \(what): \(left.isEmpty ? "no process left" : "\(left.count) processes LEFT"), \(state), next run \(status == 0 ? "right" : "WRONG"), cache \(restored ? "restored" : "NOT restored")")
            previous = Snapshot(folder: output, name: "faults")
        }
        print("fault injection, seed \(seed), \(count) faults:\n" + outcomes.joined(separator: "\n"))
    }
}
