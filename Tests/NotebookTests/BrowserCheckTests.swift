import Foundation
import Testing
@testable import Notebook

/// Opens a real report in headless Chromium (Debian's `chromium`), when it is installed:
/// math must come out rendered by KaTeX and the page must log nothing to the console.
@Suite(.serialized, .enabled(if: installedChromium != nil, "chromium is not installed"))
struct BrowserCheckTests {
    static let chromium = installedChromium

    @Test func mathRendersAndTheConsoleStaysQuiet() throws {
        let (run, _) = try EndToEnd.run(#"""
        # Sigmoid

        The logistic function $\sigma(x) = \frac{1}{1 + e^{-x}}$ has derivative

        $$
        \sigma'(x) = \sigma(x)\,(1 - \sigma(x))
        $$

        ```swift
        let x = Tensor.linspace(-5, 5, count: 50)
        Figure(title: "sigmoid").line(x, sigmoid(x), label: "σ")
        ```
        """#)
        #expect(run.exitCode == 0)
        let report = try #require(run.reportPath)
        let (dom, log) = try Self.load(report)
        let displayMath = dom.contains("class=\"katex-display\"")
        let renderedMath = dom.components(separatedBy: "<span class=\"katex\">").count - 1
        let mathErrors = dom.contains("class=\"katex-error\"")
        let figure = dom.contains("<img alt=\"figure 1 of cell 1\" width=\"640\" src=\"data:image/png;base64,")
        #expect(displayMath)
        #expect(renderedMath == 2)
        #expect(!mathErrors)
        #expect(figure)
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "console output: \(console)")
    }

    /// The DOM after scripts ran, and Chromium's log (console messages appear as `:CONSOLE` lines).
    static func load(_ path: String) throws -> (dom: String, log: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                             "--virtual-time-budget=5000", "--dump-dom", URL(fileURLWithPath: path).absoluteString]
        let out = Foundation.Pipe(), err = Foundation.Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = ThreadSafeData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        while !errData.done { usleep(10_000) }
        return (dom, String(decoding: errData.data, as: UTF8.self))
    }
}

let installedChromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

private final class ThreadSafeData: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    private var finished = false
    var data: Data { lock.withLock { stored } }
    var done: Bool { lock.withLock { finished } }
    func set(_ data: Data) { lock.withLock { stored = data; finished = true } }
}
