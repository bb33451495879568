import Foundation
import Testing
@testable import Notebook

/// Opens a real report in headless Chromium (Debian's `chromium`), when it is installed:
/// math must come out rendered by KaTeX and the page must log nothing to the console.
@Suite(.serialized, .enabled(if: installedChromium != nil,
                              "Chromium is not installed: `scripts/setup test-deps` (which `make test` runs) installs it"))
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

    /// A report built from hostile prose (event handlers, `javascript:` links, raw tags that run
    /// script) is loaded: no handler may run, and KaTeX must still render under the page's policy.
    /// Each handler would add an element named after it to the page.
    @Test func hostileProseRunsNothingAndMathStillRenders() throws {
        let hostile = ProseSafetyTests.hostile
            .replacingOccurrences(of: #"alert\('([a-z-]+)'\)?"#, with: "document.body.appendChild(document.createElement('pwned-$1'))",
                                  options: .regularExpression)
            .replacingOccurrences(of: "alert(1)", with: "document.body.appendChild(document.createElement('pwned-quoted'))")
        #expect(!hostile.contains("alert('"))
        let (run, html) = try EndToEnd.run("Math: $e^{i\\pi} + 1 = 0$ and $$\\int_0^1 x\\,dx$$\n\n" + hostile)
        #expect(run.exitCode == 0)
        #expect(html.contains("pwned-svg"))  // the hostile text is in the page, as text
        let (dom, _) = try Self.load(try #require(run.reportPath))
        let ran = dom.components(separatedBy: "<pwned-").dropFirst().map { $0.prefix { $0 != ">" } }
        #expect(ran.isEmpty, "handlers ran: \(ran)")
        // No element kept a script URL or a handler (text showing the hostile tags is fine).
        let markup = dom.replacingOccurrences(of: #"<(script|style)\b[\s\S]*?</\1>"#, with: "", options: .regularExpression)
        for tag in ProseSafetyTests.tags(markup) {
            for (name, value) in tag.attributes {
                #expect(!name.hasPrefix("on"), "\(tag.text)")
                #expect(!value.lowercased().contains("javascript:"), "\(tag.text)")
            }
        }
        let renderedMath = dom.components(separatedBy: "<span class=\"katex\">").count - 1
        #expect(renderedMath >= 2, "KaTeX did not render under the policy")
        #expect(!dom.contains("class=\"katex-error\""))
    }

    /// Figures written beside the report (`--no-embed`) are the report's own files: the policy lets them load.
    @Test func figuresBesideTheReportLoadUnderThePolicy() throws {
        let (run, _) = try EndToEnd.run("Math $x^2$.\n\n```swift\nlet x = Tensor.linspace(0, 1, count: 5)\nFigure(title: \"f\").line(x, x)\n```\n") {
            $0.embedFigures = false
        }
        #expect(run.exitCode == 0)
        let (dom, log) = try Self.load(try #require(run.reportPath))
        #expect(dom.contains("src=\"nb_files/cell-1-figure-1-"))
        let console = log.split(separator: "\n").filter { $0.contains(":CONSOLE") || $0.contains("Content Security Policy") }
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
