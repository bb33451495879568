import Foundation

/// The golden stage of `nbrun test`, between the document and the render stages: it records what
/// each cell showed in the notebook's golden file (`--update-golden`), or compares the run with
/// it and fails each cell that differs, its diff as the cell's error, so that the report, the
/// terminal and JUnit show it. A notebook without a golden file is left as it is.
public enum GoldenOutputs {
    public enum Mode: String, Sendable, CaseIterable {
        /// Compare with the golden file when there is one.
        case compare
        /// Write the golden file from this run (when every cell passed).
        case update
    }

    /// `document` as `mode` leaves it: cells that differ failed, and notes on the golden file in
    /// `goldenNotes`.
    ///
    /// - Throws: `EnvironmentError` when the golden file cannot be written.
    public static func apply(_ mode: Mode, to document: inout ExecutedNotebook) throws {
        switch mode {
        case .compare: compare(&document)
        case .update: try update(&document)
        }
    }

    /// The settings a cell's outputs are compared with (its own over the front matter's).
    static func settings(_ cell: Cell) -> GoldenSettings { cell.options.golden ?? GoldenSettings() }

    /// Cells whose outputs are recorded and compared: those that ran to their end and are not ignored.
    private static func compared(_ executed: ExecutedNotebook.ExecutedCell) -> CellResult? {
        guard let result = executed.result, result.status == .passed || result.status == .expectedError,
              !settings(executed.cell).isIgnored else { return nil }
        return result
    }

    static func compare(_ document: inout ExecutedNotebook) {
        let path = GoldenFile.path(for: document.path)
        guard FileManager.default.fileExists(atPath: path) else { return }
        let cells = document.cells
        let keys = GoldenCell.keys(cells.map(\.cell))
        let update = "nbrun test --update-golden \(document.path)"
        let golden: GoldenFile
        do {
            golden = try GoldenFile.read(path)
        } catch {
            if let first = cells.first(where: { compared($0) != nil }) {
                fail(&document, first.cell, "\(error)")
            }
            return
        }
        var expected: [String: GoldenCell] = [:]
        for cell in golden.cells where expected[cell.key] == nil { expected[cell.key] = cell }
        for (executed, key) in zip(cells, keys) {
            guard let result = compared(executed) else { continue }
            let cell = executed.cell
            guard let recorded = expected[key] else {
                fail(&document, cell, """
                    \(path) holds no outputs for \(cell.name) (it is new, or its code changed since they were recorded): \
                    check its output, then run \(update)
                    """)
                continue
            }
            let settings = settings(cell)
            let got = GoldenCell(key: key, cell: cell, result: result, settings: settings)
            let differences = GoldenComparison(settings: settings).differences(expected: recorded, got: got)
            guard !differences.isEmpty else { continue }
            // The first difference's first line is the message's (JUnit's failure message, the
            // terminal's line); its other lines and the other differences follow, indented.
            var lines = differences[0].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var message = "output differs from \(path)"
                + (differences.count > 1 ? " (\(differences.count) differences)" : "") + ": \(lines.removeFirst())"
            for line in lines { message += "\n" + line }
            for difference in differences.dropFirst().prefix(GoldenComparison.maximumListed - 1) {
                message += "\n  " + difference
            }
            if differences.count > GoldenComparison.maximumListed {
                message += "\n  and \(differences.count - GoldenComparison.maximumListed) more differences"
            }
            message += "\n  (if the new output is right: \(update))"
            fail(&document, cell, message)
        }
        let orphans = golden.cells.filter { !keys.contains($0.key) }
        if !orphans.isEmpty {
            document.goldenNotes.append("""
                \(path) holds outputs of \(orphans.count) cell\(orphans.count == 1 ? "" : "s") the notebook no longer has \
                (\(orphans.map { "\"\($0.firstLine)\"" }.joined(separator: "; "))): removed, or their code changed; \
                run \(update)
                """)
        }
    }

    static func update(_ document: inout ExecutedNotebook) throws {
        let path = GoldenFile.path(for: document.path)
        guard document.verdict.succeeded else {
            document.goldenNotes.append("\(path) not written: a cell failed (golden outputs record a passing run)")
            return
        }
        let cells = document.cells
        let keys = GoldenCell.keys(cells.map(\.cell))
        // What still matches the file's outputs is kept as it was written: recording again
        // changes only the lines and figures that changed, not a timing or a last digit.
        var previous: [String: GoldenCell] = [:]
        for cell in (try? GoldenFile.read(path))?.cells ?? [] where previous[cell.key] == nil { previous[cell.key] = cell }
        let golden = GoldenFile(cells: zip(cells, keys).compactMap { executed, key in
            compared(executed).map { result in
                let settings = settings(executed.cell)
                let cell = GoldenCell(key: key, cell: executed.cell, result: result, settings: settings)
                return previous[key].map { GoldenComparison(settings: settings).keepingMatches(of: $0, in: cell) } ?? cell
            }
        })
        do {
            let text = try golden.yaml(notebook: (document.path as NSString).lastPathComponent)
            try ReportWriter.writeWhole(Data(text.utf8), to: path)
        } catch {
            throw EnvironmentError("cannot write the golden outputs \(path): \(EnvironmentError.reason(error))")
        }
        document.goldenNotes.append("golden outputs of \(golden.cells.count) cell\(golden.cells.count == 1 ? "" : "s") written to \(path)")
    }

    private static func fail(_ document: inout ExecutedNotebook, _ cell: Cell, _ message: String) {
        guard let position = document.blocks.firstIndex(where: { if case .cell(let c) = $0 { return c.cell.index == cell.index } else { return false } }),
              case .cell(var executed) = document.blocks[position], var result = executed.result else { return }
        result.status = .failed
        result.error = CellError(kind: .golden, message: message, line: cell.displayLine)
        executed.result = result
        document.blocks[position] = .cell(executed)
    }
}
