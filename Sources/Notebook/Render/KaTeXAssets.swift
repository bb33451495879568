import Foundation

/// KaTeX from Debian's `libjs-katex`, inlined into a report so math renders offline.
///
/// The stylesheet's fonts become `data:` URLs (woff2 only: every browser that runs
/// KaTeX reads it), so the report needs nothing beside it.
struct KaTeXAssets {
    var script: String
    var stylesheet: String

    static let directory = "/usr/share/javascript/katex"

    /// Loads the files; nil when `libjs-katex` is not installed.
    static func load(from directory: String = directory) -> KaTeXAssets? {
        let fileManager = FileManager.default
        guard let scriptData = fileManager.contents(atPath: directory + "/katex.min.js"),
              let cssData = fileManager.contents(atPath: directory + "/katex.min.css"),
              let script = String(data: scriptData, encoding: .utf8),
              var css = String(data: cssData, encoding: .utf8) else { return nil }
        // src:url(fonts/X.woff2) format('woff2'),url(fonts/X.woff) format('woff'),url(fonts/X.ttf) format('truetype')
        var result = ""
        var rest = Substring(css)
        while let start = rest.range(of: "src:url(fonts/") {
            result += rest[..<start.lowerBound]
            let afterURL = rest[start.upperBound...]
            guard let close = afterURL.firstIndex(of: ")") else { break }
            let file = String(afterURL[..<close])
            let end = afterURL[close...].firstIndex(where: { $0 == ";" || $0 == "}" }) ?? afterURL.endIndex
            if let font = fileManager.contents(atPath: directory + "/fonts/" + file) {
                result += "src:url(data:font/woff2;base64,\(font.base64EncodedString())) format('woff2')"
            } else {
                result += "src:url(fonts/\(file))"
            }
            rest = afterURL[end...]
        }
        result += rest
        // KaTeX colours a formula it cannot read with a style attribute, which the report's policy
        // does not apply (it allows only the page's own stylesheets): the same colour from here.
        css = result + "\n.katex-error{color:#cc0000}"
        return KaTeXAssets(script: script.replacingOccurrences(of: "</script", with: "<\\/script"), stylesheet: css)
    }

    /// Renders every `.math` element in place; errors show the TeX in red, not a blank.
    static let renderScript = """
    document.querySelectorAll('.math').forEach(function (element) {
      katex.render(element.textContent, element, {displayMode: element.classList.contains('display'), throwOnError: false});
    });
    """
}
