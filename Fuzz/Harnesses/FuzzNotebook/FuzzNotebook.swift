// libFuzzer harness: a notebook file (front matter, cell options, Markdown, cells) through the
// parse stage, as `nbrun` reads it. (The program generator, which parses each cell's Swift with
// swift-syntax and costs most of the time, is fuzzed by FuzzDiagnostics with its notebooks.) Parse errors are expected; a
// crash, a sanitizer report, a hang or an error of another kind is a finding.
import Foundation
@testable import Notebook

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNotebook(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    // What `NotebookParser.parse(fileAt:)` does with the bytes it read: a NUL or bytes that are
    // not UTF-8 refuse the file before anything is parsed.
    guard !data.contains(0), let text = String(data: data, encoding: .utf8) else { return 0 }
    let notebook: Notebook
    do {
        notebook = try NotebookParser.parse(text, path: "fuzz.md")
    } catch let error as NotebookError {
        _ = error.description
        return 0
    } catch {
        fatalError("the parser threw \(type(of: error)), not a NotebookError: \(error)")
    }
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    for (index, cell) in notebook.cells.enumerated() {
        precondition(cell.index == index, "cell \(index) is numbered \(cell.index)")
        precondition(cell.line >= 1 && cell.line <= lineCount, "cell \(index) starts at line \(cell.line) of \(lineCount)")
        precondition(cell.optionLineCount <= cell.lineCount, "cell \(index) has more option lines than lines")
        _ = cell.displaySource
    }
    return 0
}
