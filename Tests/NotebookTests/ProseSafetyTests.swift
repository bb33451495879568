import Foundation
import Testing
@testable import Notebook

/// Prose is the notebook author's Markdown, raw HTML included: what reaches the report passes an
/// allow-list of tags, attributes and URL schemes, so nothing in it can run script.
@Suite struct ProseSafetyTests {
    static let hostile = #"""
    # Heading <img src=x onerror="alert('heading')"> [h](javascript:alert('heading-link'))

    <img src="plot.png" onerror="alert('img')" alt="kept">
    <svg onload="alert('svg')"><circle r="4"/></svg>
    <details open ontoggle="alert('details')"><summary>More</summary>inside</details>

    [markdown link](javascript:alert('md')) <javascript:alert('autolink')> [data](data:text/html;base64,PHNjcmlwdD4=)
    ![markdown image](javascript:alert('img-md')) ![data image](data:image/svg+xml;base64,PHN2Zz4=)
    <a href="&#106;avascript:alert('entity')">entity</a> <a href="java&#x09;script:alert('tab')">tab</a>
    <a href=" JaVaScRiPt:alert('case')">case</a> <a href="vbscript:msgbox">vb</a> <a href=javascript:alert('bare')>bare</a>
    <A HREF="https://example.com/?a=1&amp;b=2" ONCLICK="alert('upper')" target="_blank">fine link</A>
    <iframe src="javascript:alert('iframe')"></iframe> <object data="x.swf"></object> <embed src="x.swf">
    <style>body { display: none }</style> <base href="https://evil.example/"> <link rel="stylesheet" href="x.css">
    <meta http-equiv="refresh" content="0;url=javascript:alert('meta')">
    <form action="javascript:alert('form')"><button formaction="javascript:alert('button')">b</button></form>
    <input autofocus onfocus="alert('input')"> <body onload="alert('body')"> <video src=x onerror="alert('video')"></video>
    <math><maction actiontype="statusline" xlink:href="javascript:alert('mathml')">m</maction></math>
    <div style="position:fixed;top:0" class="run passed" id="cell-1" name="querySelectorAll">styled</div>
    <span title='"><img src=x onerror=alert(1)>'>quoted</span> <img src=x onerror=alert('unclosed'

    Text after, with H<sub>2</sub>O, <kbd>Ctrl</kbd> and <mark>marks</mark>.

    ```swift
    1
    ```
    """#

    static func prose(_ notebook: Notebook) -> String {
        notebook.blocks.compactMap { block -> String? in
            if case .prose(let html) = block { return html }
            return nil
        }.joined()
    }

    struct Tag {
        var text: String
        var name: String
        var attributes: [(name: String, value: String)]
    }

    /// The tags a browser would see, read as HTML5 reads them: every `<` followed by a letter or
    /// `/`, its name, and its attributes (quoted values may hold `>`), up to the tag's `>`.
    static func tags(_ html: String) -> [Tag] {
        var tags: [Tag] = []
        let c = Array(html.unicodeScalars)
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\n" || s == "\r" || s == "\u{0C}" }
        var index = 0
        while index < c.count {
            guard c[index] == "<", index + 1 < c.count,
                  c[index + 1].properties.isAlphabetic || c[index + 1] == "/" else { index += 1; continue }
            let start = index
            var i = index + 1
            if c[i] == "/" { i += 1 }
            var name = ""
            while i < c.count, !isSpace(c[i]), c[i] != "/", c[i] != ">" { name.unicodeScalars.append(c[i]); i += 1 }
            var attributes: [(String, String)] = []
            while i < c.count, c[i] != ">" {
                if isSpace(c[i]) || c[i] == "/" { i += 1; continue }
                var attribute = ""
                repeat { attribute.unicodeScalars.append(c[i]); i += 1 } while i < c.count && !isSpace(c[i]) && c[i] != "/" && c[i] != ">" && c[i] != "="
                while i < c.count, isSpace(c[i]) { i += 1 }
                var value = ""
                if i < c.count, c[i] == "=" {
                    i += 1
                    while i < c.count, isSpace(c[i]) { i += 1 }
                    if i < c.count, c[i] == "\"" || c[i] == "'" {
                        let quote = c[i]
                        i += 1
                        while i < c.count, c[i] != quote { value.unicodeScalars.append(c[i]); i += 1 }
                        i += 1
                    } else {
                        while i < c.count, !isSpace(c[i]), c[i] != ">" { value.unicodeScalars.append(c[i]); i += 1 }
                    }
                }
                attributes.append((attribute.lowercased(), value))
            }
            var text = ""
            for scalar in c[start..<min(i + 1, c.count)] { text.unicodeScalars.append(scalar) }
            tags.append(Tag(text: text, name: name.lowercased(), attributes: attributes))
            index = i + 1
        }
        return tags
    }

    @Test func hostileRawHTMLAndLinksLoseEverythingThatRuns() throws {
        let notebook = try NotebookParser.parse(Self.hostile, path: "x.md")
        let html = Self.prose(notebook)
        let tags = Self.tags(html)
        #expect(!tags.isEmpty)
        let allowedNames: Set<String> = ["h1", "p", "img", "details", "summary", "a", "sub", "kbd", "mark", "div", "span",
                                         "br"]
        for tag in tags {
            #expect(allowedNames.contains(tag.name), "tag <\(tag.name)> reached the page: \(tag.text)")
            for (name, value) in tag.attributes {
                #expect(!name.hasPrefix("on"), "event handler: \(tag.text)")
                #expect(["href", "src", "alt", "title", "open"].contains(name), "attribute \(name) kept: \(tag.text)")
                if name == "href" || name == "src" {
                    let lower = value.lowercased()
                    #expect(!lower.contains("script:") && !lower.hasPrefix("data:") && !lower.contains("&#"), "URL: \(tag.text)")
                }
            }
        }
        // What is safe stays, written as the author wrote it.
        #expect(html.contains(#"<img src="plot.png" alt="kept" />"#))
        #expect(html.contains(#"<details open=""><summary>More</summary>inside</details>"#))
        #expect(html.contains(#"<a href="https://example.com/?a=1&amp;b=2">fine link</a>"#))
        #expect(html.contains("<a>markdown link</a>"))
        #expect(html.contains("H<sub>2</sub>O, <kbd>Ctrl</kbd> and <mark>marks</mark>."))
        #expect(html.contains(#"<span title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">quoted</span>"#))
        // Tags that are not allowed show as text, so the author sees what was not kept.
        #expect(html.contains("&lt;svg onload=&quot;alert(&#39;svg&#39;)&quot;&gt;"))
        #expect(html.contains("&lt;iframe src="))
        #expect(html.contains("Text after, with"))
    }

    /// An HTML block that ends inside a tag (`<div` then a blank line) runs on, as in a browser,
    /// to the next `>`, which is cmark's own (`<p`): the Markdown after it stays text, and
    /// `onmouseover=...` there cannot become an attribute.
    @Test func aTagLeftOpenAtTheEndOfAnHTMLBlockCannotTakeTheTextAsAttributes() throws {
        for quoted in ["onmouseover=alert(1) x>", "onmouseover=\"alert(1)\" x>"] {
            let notebook = try NotebookParser.parse("<div\n\n\(quoted)\n\n```swift\n1\n```\n", path: "x.md")
            let html = Self.prose(notebook)
            #expect(Self.tags(html).allSatisfy { $0.attributes.isEmpty }, "\(html)")
            #expect(html.contains("onmouseover="), "\(html)")
        }
    }

    /// Prose cannot close the report's own elements (`</main>`, `</div>` of the page), nor
    /// close one of its own `<div>`s twice when the browser has closed it already (a `<li>`
    /// closes the `<div>` inside an earlier `<li>`; `</h2>` closes an `<h1>` and what is in it).
    @Test func implicitlyClosedElementsAreNotClosedAgain() throws {
        for prose in ["<ul><li><div>a<li>b</div></ul>", "<dl><dt><div>a<dd>b</div></dl>", "<h1><div>a</h2>b</div>"] {
            let notebook = try NotebookParser.parse(prose + "\n\n```swift\n1\n```\n", path: "x.md")
            let html = Self.prose(notebook)
            let opens = Self.tags(html).filter { $0.text.hasPrefix("<div") }.count
            let closes = Self.tags(html).filter { $0.text == "</div>" }.count
            #expect(opens == 1 && closes == 1, "\(html)")
            let divOpen = html.range(of: "<div>")!.lowerBound, divClose = html.range(of: "</div>")!.lowerBound
            #expect(!html[divOpen..<divClose].contains("<li>b") && !html[divOpen..<divClose].contains("<dd>b"), "\(html)")
        }
    }

    /// A link inside a link ends the first, as in a browser.
    @Test func aLinkInsideALinkEndsTheFirst() throws {
        let notebook = try NotebookParser.parse("<a href=\"x\">a<a href=\"y\">b</a></a> c\n\n```swift\n1\n```\n", path: "x.md")
        #expect(Self.prose(notebook) == "<p><a href=\"x\">a</a><a href=\"y\">b</a> c</p>\n")
    }

    @Test func strayEndTagsCannotCloseTheReportsElements() throws {
        let notebook = try NotebookParser.parse("Text </div></div></main></section> more <div>open\n\n```swift\n1\n```\n\nAfter.\n", path: "x.md")
        let html = Self.prose(notebook)
        let opens = Self.tags(html).filter { $0.text.hasPrefix("<div") }.count
        let closes = Self.tags(html).filter { $0.text == "</div>" }.count
        #expect(opens == 1 && closes == 1, "\(html)")
        #expect(!html.contains("</main>") && !html.contains("</section>"))
    }

    /// `DisplayItem.html` is markup a cell hands the report: it passes the same allow-list.
    @Test func htmlDisplayItemsAreSanitisedToo() throws {
        let notebook = try NotebookParser.parse("```swift\n1\n```\n", path: "x.md")
        let result = CellResult(cellIndex: 0, status: .passed, outputs: [
            .display(.html(#"<b onclick="alert(1)">bold</b><img src=x onerror=alert(2)><script>alert(3)</script>"#)),
        ])
        let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: [result]), name: "x").render().html
        #expect(html.contains("<div class=\"display-html\"><b>bold</b><img src=\"x\" />&lt;script&gt;alert(3)&lt;/script&gt;</div>"))
    }

    /// The page says which scripts may run (KaTeX and its render call, by hash) and nothing else.
    @Test func theReportCarriesAContentSecurityPolicy() throws {
        let withMath = try NotebookParser.parse("Euler: $e^{i\\pi} + 1 = 0$\n\n```swift\n1\n```\n", path: "m.md")
        let html = HTMLReport(document: ExecutedNotebook(notebook: withMath, results: []), name: "m").render().html
        let policy = try #require(Self.policy(in: html))
        #expect(policy.contains("default-src 'none'"))
        #expect(policy.contains("base-uri 'none'"))
        #expect(policy.contains("form-action 'none'"))
        #expect(policy.contains("font-src data:"))
        #expect(policy.contains("img-src data:"))
        #expect(!policy.contains("unsafe-inline"))
        #expect(!policy.contains("unsafe-eval"))
        // The policy comes before any script or style, and each inline script is allowed by its hash.
        let metaOffset = try #require(html.range(of: "http-equiv=\"Content-Security-Policy\"")).lowerBound
        #expect(html.range(of: "<style")!.lowerBound > metaOffset)
        let scripts = Self.inline("script", in: html)
        if FileManager.default.fileExists(atPath: KaTeXAssets.directory + "/katex.min.js") {
            #expect(scripts.count == 2)
        }
        for script in scripts + Self.inline("style", in: html) {
            #expect(policy.contains("'sha256-\(Self.sha256Base64(script))'"))
        }

        // No math: no script at all.
        let plain = try NotebookParser.parse("Plain.\n\n```swift\n1\n```\n", path: "p.md")
        let plainHTML = HTMLReport(document: ExecutedNotebook(notebook: plain, results: []), name: "p").render().html
        #expect(Self.policy(in: plainHTML)?.contains("script-src 'none'") == true)
        #expect(!plainHTML.contains("<script"))

        // Figures written beside the report are the report's own files.
        let beside = HTMLReport(document: ExecutedNotebook(notebook: plain, results: []), options: .init(embedFigures: false), name: "p").render().html
        #expect(Self.policy(in: beside)?.contains("img-src 'self' data:") == true)
    }

    static func policy(in html: String) -> String? {
        guard let meta = html.range(of: "<meta http-equiv=\"Content-Security-Policy\" content=\""),
              let end = html[meta.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(html[meta.upperBound..<end]).replacingOccurrences(of: "&#39;", with: "'")
    }

    static func inline(_ element: String, in html: String) -> [String] {
        var found: [String] = []
        var rest = Substring(html)
        while let open = rest.range(of: "<\(element)>"), let close = rest[open.upperBound...].range(of: "</\(element)>") {
            found.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func sha256Base64(_ text: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys, hashlib, base64; print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())"]
        let input = Foundation.Pipe(), output = Foundation.Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        let data = Data(text.utf8)
        DispatchQueue.global().async {
            input.fileHandleForWriting.write(data)
            try? input.fileHandleForWriting.close()
        }
        let digest = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: digest, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension ProseSafetyTests {
    /// Files beside the report are linked by the notebook's name: a name that looks like a URL
    /// scheme (`javascript:x.md`) or holds `#`, `?` or `%` must still link to the file.
    @Test func filesBesideTheReportAreLinkedAsFilesWhateverTheNotebooksName() throws {
        let notebook = try NotebookParser.parse("```swift\n1\n```\n", path: "x.md")
        let result = CellResult(cellIndex: 0, status: .passed, outputs: [
            .stdout((0..<1000).map { "line \($0)" }.joined(separator: "\n")), .display(.png(Data([0x89, 0x50]))),
        ])
        for (name, encoded) in [("javascript:alert(1)", "./javascript:alert(1)"), ("a#b?c%d e", "a%23b%3Fc%25d%20e")] {
            let html = HTMLReport(document: ExecutedNotebook(notebook: notebook, results: [result]), options: .init(embedFigures: false),
                                  name: name).render().html
            let urls = Self.tags(html).flatMap { tag in tag.attributes.filter { $0.name == "href" || $0.name == "src" }.map(\.value) }
                .filter { !$0.hasPrefix("#") }
            #expect(urls.count == 2, "\(urls)")
            #expect(urls.first?.hasPrefix("\(encoded)_files/cell-1-stdout-1-") == true, "\(urls)")
            #expect(urls.last == "\(encoded)_files/" + EndToEnd.contentName("cell-1-figure-1", Data([0x89, 0x50]), extension: "png"), "\(urls)")
            for url in urls { #expect(HTMLSanitizer.urlIsAllowed(url, schemes: []), "\(url)") }
        }
    }
}
