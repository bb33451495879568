import Foundation
import KernelProtocol

/// The render stage for Jupyter: an executed notebook -> an nbformat 4.5 `.ipynb` file, which
/// JupyterLab, VS Code and GitHub's viewer open with every output in place.
///
/// Prose becomes Markdown cells, as written (Jupyter renders its `$math$` itself) but for its
/// inline expressions, which become their values (`InlineValues.fillMarkdown`); each Swift
/// cell a code cell with its whole source (its `//|` option lines included, as Quarto keeps
/// them), an `execution_count` when it ran, and its outputs in the order they happened: printed
/// text as `stream`, figures as `display_data` with `image/png`, other display items as
/// `display_data` with `text/plain` (and `text/html` for a table or markup), the cell's last
/// display item, when it is its last output, as the cell's `execute_result` (Jupyter's place for
/// the value of the last expression), and a failure as `error` with its traceback. `echo: false`
/// and `output: false` hide the source or outputs (`jupyter.source_hidden`, `outputs_hidden`);
/// nbrun's facts (the run's, each cell's status, time and cache facts) are in `nbrun` metadata.
public enum JupyterNotebook {
    /// The file's bytes: JSON, keys sorted, one space indents as Jupyter writes them.
    public static func render(_ document: ExecutedNotebook) -> Data {
        var cells: [[String: Any]] = []
        var executionCount = 0
        var markdownNumber = 0
        let inlineValues = InlineValues(document: document)
        for block in document.blocks {
            switch block {
            case .prose(let prose):
                guard !prose.markdown.isEmpty else { continue }
                markdownNumber += 1
                cells.append(["cell_type": "markdown", "id": "markdown-\(markdownNumber)", "metadata": [String: Any](),
                              "source": inlineValues.fillMarkdown(prose.markdown)])
            case .cell(let executed):
                cells.append(codeCell(executed, path: document.path, executionCount: &executionCount))
            }
        }
        var facts: [String: Any] = [
            "notebook": HTMLReport.displayPath(document.path),
            "date": KernelCoding.formatDate(document.run.date),
            "seconds": document.run.seconds,
            "swift": document.run.swiftVersion,
            "nbrun": document.run.nbrunVersion,
            "cores": document.run.cores,
            "binary_reused": document.run.binaryReused,
            "interrupted": document.run.interrupted,
            "result": document.verdict.summary,
            "parameters": Dictionary(document.parameters.map { ($0.name, $0.value.text) }, uniquingKeysWith: { $1 }),
        ]
        if let engine = document.run.engine { facts["engine"] = engine }
        if let commit = document.run.gitCommit { facts["git_commit"] = commit }
        if !document.metadata.isEmpty { facts["front_matter"] = document.metadata }
        var metadata: [String: Any] = [
            "kernelspec": ["name": "swift", "display_name": "Swift", "language": "swift"],
            "language_info": ["name": "swift", "file_extension": ".swift", "mimetype": "text/x-swift",
                              "version": swiftVersionNumber(document.run.swiftVersion)],
            "nbrun": facts,
        ]
        if let title = document.title { metadata["title"] = title }
        if let author = document.metadata["author"] { metadata["authors"] = [["name": author]] }
        let notebook: [String: Any] = ["nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells]
        // Every value above is a string, number, boolean, array or dictionary of them.
        let data = try! JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return data + Data("\n".utf8)
    }

    static func codeCell(_ executed: ExecutedNotebook.ExecutedCell, path: String, executionCount: inout Int) -> [String: Any] {
        let cell = executed.cell
        let result = executed.result
        let ran = result.map { [.passed, .failed, .expectedError].contains($0.status) && $0.error?.kind != .compile } ?? false
        var count: Any = NSNull()
        if ran {
            executionCount += 1
            count = executionCount
        }
        var outputs: [[String: Any]] = []
        // Inline values are shown in the prose, not as the cell's outputs.
        let items = (result?.outputs ?? []).filter { !$0.isInlineValue }
        for (position, output) in items.enumerated() {
            switch output {
            case .stdout(let text):
                outputs.append(["output_type": "stream", "name": "stdout", "text": text])
            case .stderr(let text):
                outputs.append(["output_type": "stream", "name": "stderr", "text": text])
            case .display(let item):
                var (data, metadata) = bundle(item)
                if position == items.count - 1, ran, !data.keys.contains("image/png") {
                    outputs.append(["output_type": "execute_result", "execution_count": count, "data": data, "metadata": metadata])
                } else {
                    if data["text/plain"] == nil { data["text/plain"] = "<figure>" }
                    outputs.append(["output_type": "display_data", "data": data, "metadata": metadata])
                }
            }
        }
        if let result, let error = result.error {
            var traceback = ["\(error.title(expected: result.status == .expectedError)): \(error.message)"]
            if let line = error.line {
                traceback.append("at \(HTMLReport.displayPath(path)):\(line)")
                if let source = error.sourceLine { traceback.append("\(line) | \(source)") }
            }
            if let details = error.details { traceback += details.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            outputs.append(["output_type": "error", "ename": error.title(expected: result.status == .expectedError),
                            "evalue": error.message, "traceback": traceback])
        }
        var facts: [String: Any] = ["status": (result?.status ?? .notRun).rawValue, "line": cell.displayLine]
        if let label = cell.options.label { facts["label"] = label }
        if let result, ran { facts["seconds"] = result.seconds }
        if let result, result.cached {
            facts["cached"] = true
            if let key = result.cacheKey { facts["cache_key"] = key }
            if let stored = result.cacheStored { facts["cache_stored"] = KernelCoding.formatDate(stored) }
        }
        if let note = result?.cacheNote { facts["cache_note"] = note }
        var metadata: [String: Any] = ["nbrun": facts]
        var jupyter: [String: Any] = [:]
        if !cell.options.echo { jupyter["source_hidden"] = true }
        if !cell.options.output { jupyter["outputs_hidden"] = true }
        if !jupyter.isEmpty { metadata["jupyter"] = jupyter }
        if !cell.options.eval { metadata["tags"] = ["eval-false"] }
        return ["cell_type": "code", "id": "cell-\(cell.index + 1)", "metadata": metadata, "execution_count": count,
                "source": cell.source, "outputs": outputs]
    }

    /// A display item as a MIME bundle and its metadata.
    static func bundle(_ item: DisplayItem) -> (data: [String: Any], metadata: [String: Any]) {
        switch item {
        case .text(let text):
            return (["text/plain": text], [:])
        case .png(let bytes, let width, _):
            return (["image/png": bytes.base64EncodedString(), "text/plain": "<figure>"],
                    width.map { ["image/png": ["width": $0]] } ?? [:])
        case .table(let headers, let rows):
            var html = "<table>\n"
            if !headers.isEmpty { html += "<thead><tr>" + headers.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n" }
            html += "<tbody>\n"
            for row in rows { html += "<tr>" + row.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>\n" }
            html += "</tbody>\n</table>"
            let plain = ([headers].filter { !$0.isEmpty } + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n")
            return (["text/html": html, "text/plain": plain], [:])
        case .html(let markup):
            // The report's allow-list applies here too: a viewer may trust the file.
            let safe = HTMLSanitizer().sanitize(markup)
            return (["text/html": safe, "text/plain": HTML.stripTags(safe)], [:])
        case .inline(_, _, let value):
            return (["text/plain": value], [:])
        }
    }

    /// `6.3` from `Swift version 6.3 (swift-6.3-RELEASE)`; the line itself when it has no number.
    static func swiftVersionNumber(_ versionLine: String) -> String {
        guard let range = versionLine.range(of: #"[0-9]+(\.[0-9]+)+"#, options: .regularExpression) else { return versionLine }
        return String(versionLine[range])
    }
}
