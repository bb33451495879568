import Foundation

/// Reads swiftc's `-diagnostic-style llvm` output and maps it onto the notebook.
///
/// Messages inside cells already name the `.md` file (the `#sourceLocation` directives);
/// their columns are corrected for the display wrapper. Messages against the generated
/// file (code swiftc saw between cells) are moved to the `.md` line of the cell around or
/// before them; the excerpt is replaced by that `.md` line.
enum CompilerDiagnostics {
    /// - Parameter keptPath: a copy of the generated file that outlives the build, named
    ///   instead of `generatedPath` in messages about nbrun's own lines.
    static func parse(_ output: String, program: GeneratedProgram, notebook: Notebook, generatedPath: String,
                      keptPath: String? = nil) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var excerpt: [Substring] = []
        func finishExcerpt() {
            if !diagnostics.isEmpty, diagnostics[diagnostics.count - 1].excerpt == nil, !excerpt.isEmpty {
                diagnostics[diagnostics.count - 1].excerpt = excerpt.joined(separator: "\n")
            }
            excerpt = []
        }
        var skipping = false
        var aboutCacheWrapper: [Bool] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if let diagnostic = parseHeadline(line) {
                finishExcerpt()
                skipping = isAboutDisplayWrapper(diagnostic, program: program, notebook: notebook)
                if skipping { continue }
                aboutCacheWrapper.append(isAboutCacheWrapper(diagnostic, program: program, generatedPath: generatedPath))
                diagnostics.append(map(diagnostic, program: program, notebook: notebook, generatedPath: generatedPath,
                                       keptPath: keptPath))
            } else if line.hasPrefix("error: ") || line.hasPrefix("<unknown>:0: error:") {
                finishExcerpt()
                // Driver summaries ("emit-module command failed") add nothing to located errors.
                continue
            } else if !diagnostics.isEmpty, !skipping {
                excerpt.append(line)
            }
        }
        finishExcerpt()
        let shown = foldingLibraryNotes(droppingCacheWrapperEchoes(diagnostics, aboutCacheWrapper: aboutCacheWrapper, notebook: notebook),
                                        notebook: notebook, keptPath: keptPath)
        return shown.map { diagnostic in
            var diagnostic = endOfCell(diagnostic, notebook: notebook)
            diagnostic.excerpt = diagnostic.excerpt?.trimmingCharacters(in: .newlines)
            if diagnostic.excerpt?.isEmpty == true { diagnostic.excerpt = nil }
            return diagnostic
        }
    }

    /// swiftc reports what a cell leaves unfinished (`let x = 1 +`) at the line after its code,
    /// the fence, and quotes nbrun's own `#sourceLocation()` there: the cell's last line instead,
    /// with its text.
    static func endOfCell(_ diagnostic: Diagnostic, notebook: Notebook) -> Diagnostic {
        guard diagnostic.file == notebook.path, let line = diagnostic.line,
              let cell = notebook.cells.first(where: { line > $0.line && line <= $0.line + $0.lineCount }),
              cell.sourceLine(atMarkdownLine: line)?.trimmingCharacters(in: .whitespaces).isEmpty ?? true else { return diagnostic }
        let lines = cell.source.split(separator: "\n", omittingEmptySubsequences: false)
        guard let last = lines.lastIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }), last >= cell.optionLineCount else {
            return diagnostic
        }
        var moved = diagnostic
        moved.line = cell.line + last
        moved.column = lines[last].count + 1
        moved.excerpt = String(lines[last]) + "\n" + String(repeating: " ", count: lines[last].count) + "^"
        return moved
    }

    /// A cached cell's statements run in a closure handed to the kernel's
    /// `NotebookCache.cell(_:names:_:)`. swiftc checks the closure alone, so an error in the cell
    /// is reported at its line; but the closure's type is then unknown, and swiftc also complains
    /// about the wrapper's lines ("converting non-escaping value...", "generic parameter 'each T'
    /// could not be inferred", with a note into the kernel's source), or gives up on a later use
    /// ("failed to produce diagnostic for expression"): echoes of the real error, dropped when
    /// there is one. (A wrapper error alone would be nbrun's fault: it is shown at the cell, with
    /// a hint.) The note into the kernel's source is dropped in any case.
    static func droppingCacheWrapperEchoes(_ diagnostics: [Diagnostic], aboutCacheWrapper: [Bool], notebook: Notebook) -> [Diagnostic] {
        func isWrapperNote(_ index: Int) -> Bool {
            index < diagnostics.count && diagnostics[index].severity == .note
                && diagnostics[index].message.hasPrefix("in call to function 'cell(")
        }
        func isEcho(_ index: Int) -> Bool {
            aboutCacheWrapper[index] || isWrapperNote(index) || isWrapperNote(index + 1)
                || diagnostics[index].message.hasPrefix("failed to produce diagnostic for expression")
        }
        let hasRealError = diagnostics.indices.contains { diagnostics[$0].severity == .error && !isEcho($0) }
        var kept: [Diagnostic] = []
        for (index, diagnostic) in diagnostics.enumerated() {
            if isWrapperNote(index) { continue }
            if isEcho(index) {
                if hasRealError || diagnostic.severity != .error { continue }
                var shown = diagnostic
                shown.hint = "swiftc says this of the code nbrun puts around a 'cache: true' cell; with 'cache: false' the "
                    + "cell's own error may show instead"
                kept.append(shown)
                continue
            }
            kept.append(diagnostic)
        }
        return kept
    }

    /// Notes swiftc places in the engine's (or the standard library's) sources ("'Dense' has been
    /// explicitly marked unavailable here", "candidate has non-matching type") point into files the
    /// notebook's author does not have, by the paths of the machine that built the kernel: they are
    /// dropped. The one such note that helps says what a protocol requires: it becomes the hint of
    /// the conformance error it follows, and a second conformance error at the same place (to a
    /// protocol the first refines: `Module` after `Layer`) goes, so a layer missing its call reads
    /// "type 'Scale' does not conform to protocol 'Layer'", hint "Layer requires function
    /// 'callAsFunction' with type '(Variable) -> Variable'". swiftc's "add stubs for conformance"
    /// goes too: nbrun applies no fix-its.
    static func foldingLibraryNotes(_ diagnostics: [Diagnostic], notebook: Notebook, keptPath: String?) -> [Diagnostic] {
        func conformance(_ message: String) -> (type: String, protocol: String)? {
            let parts = message.split(separator: "'", omittingEmptySubsequences: false)
            guard message.hasPrefix("type '"), parts.count == 5, parts[2] == " does not conform to protocol " else { return nil }
            return (String(parts[1]), String(parts[3]))
        }
        var kept: [Diagnostic] = []
        var firstConformance: [String: Int] = [:]
        var lastError: Int?
        for diagnostic in diagnostics {
            if diagnostic.severity == .note {
                if let file = diagnostic.file, file != notebook.path, file != keptPath {
                    if diagnostic.message.hasPrefix("protocol requires "), let target = lastError,
                       let (type, name) = conformance(kept[target].message) {
                        let requirement = "\(name) requires \(diagnostic.message.dropFirst("protocol requires ".count)): add it to \(type)"
                        kept[target].hint = kept[target].hint.map { $0 + "; " + requirement } ?? requirement
                    }
                    continue
                }
                if diagnostic.message == "add stubs for conformance" { continue }
                kept.append(diagnostic)
                continue
            }
            if diagnostic.severity == .error, let (type, _) = conformance(diagnostic.message) {
                let place = "\(diagnostic.file ?? ""):\(diagnostic.line ?? 0):\(diagnostic.column ?? 0):\(type)"
                if let first = firstConformance[place] {
                    lastError = first
                    continue
                }
                firstConformance[place] = kept.count
            }
            lastError = diagnostic.severity == .error ? kept.count : nil
            kept.append(diagnostic)
        }
        return kept
    }

    /// A diagnostic on one of the lines the generator writes around a cached cell.
    static func isAboutCacheWrapper(_ diagnostic: Diagnostic, program: GeneratedProgram, generatedPath: String) -> Bool {
        guard let line = diagnostic.line, let file = diagnostic.file else { return false }
        return (file == generatedPath || generatedPath.hasSuffix(file)) && program.cacheWrapperLines.contains(line)
    }

    /// A cell whose last expression never returns (`fatalError(...)`, `exit(1)`) is wrapped in
    /// `_nbDisplayLast(...)`, which swiftc then says "will never be executed" (and notes why):
    /// about nbrun's wrapper, not the notebook's code.
    static func isAboutDisplayWrapper(_ diagnostic: Diagnostic, program: GeneratedProgram, notebook: Notebook) -> Bool {
        guard diagnostic.severity != .error, diagnostic.file == notebook.path, let line = diagnostic.line,
              let column = diagnostic.column else { return false }
        if diagnostic.severity == .warning, diagnostic.message == "will never be executed" {
            return program.columnShifts.contains { $0.markdownLine == line && $0.fromColumn == column }
        }
        if diagnostic.severity == .note, diagnostic.message == "a call to a never-returning function" {
            return program.columnShifts.contains { $0.markdownLine == line && $0.fromColumn + $0.width == column }
        }
        return false
    }

    /// `path:line:col: severity: message`.
    static func parseHeadline(_ line: Substring) -> Diagnostic? {
        for severity in [Diagnostic.Severity.error, .warning, .note] {
            guard let marker = line.range(of: ": \(severity.rawValue): ") else { continue }
            let location = line[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            guard location.count >= 3, let lineNumber = Int(location[location.count - 2]),
                  let column = Int(location[location.count - 1]) else { continue }
            let file = location.dropLast(2).joined(separator: ":")
            return Diagnostic(file: file, line: lineNumber, column: column, severity: severity,
                              message: String(line[marker.upperBound...]))
        }
        return nil
    }

    private static func map(_ diagnostic: Diagnostic, program: GeneratedProgram, notebook: Notebook, generatedPath: String,
                            keptPath: String?) -> Diagnostic {
        var mapped = diagnostic
        guard let line = diagnostic.line else { return mapped }
        if diagnostic.severity == .error, diagnostic.message.hasPrefix("invalid redeclaration of '") {
            mapped.hint = "all cells share one scope, so a name is declared once per notebook: "
                + "declare it with 'var' and assign it again in later cells, or choose another name"
        }
        if diagnostic.message.hasPrefix("cannot find '"), diagnostic.message.hasSuffix("' in scope") {
            let name = String(diagnostic.message.dropFirst("cannot find '".count).dropLast("' in scope".count))
            if let cell = notebook.cells.first(where: { $0.options.error && CellSymbols(source: $0.displaySource).valueNames.contains(name) }) {
                mapped.hint = "'\(name)' is declared in the 'error: true' cell at line \(cell.line), whose names are local to it: "
                    + "declare it in a cell without 'error: true'"
            }
        }
        if diagnostic.file == notebook.path {
            mapped.column = diagnostic.column.map { program.markdownColumn($0, line: line) }
            if let excerpt = sourceLine(notebook, line) { mapped.excerpt = caretExcerpt(excerpt, column: mapped.column) }
        } else if diagnostic.file == generatedPath || diagnostic.file.map({ generatedPath.hasSuffix($0) }) == true {
            if let place = program.markdownLine(forGeneratedLine: line) {
                mapped.file = notebook.path
                mapped.line = place.line
                mapped.column = nil
                mapped.excerpt = sourceLine(notebook, place.line)
            } else {
                // Before the first cell: nbrun's own lines (imports, parameters).
                mapped.file = keptPath ?? diagnostic.file
                if diagnostic.message.contains("module") {
                    mapped.hint = "the kernel build looks incomplete: rebuild it with `swift build -c release --product NotebookKernel`"
                }
            }
        }
        return mapped
    }

    private static func sourceLine(_ notebook: Notebook, _ line: Int) -> String? {
        for cell in notebook.cells {
            if let text = cell.sourceLine(atMarkdownLine: line) { return text }
        }
        return notebook.inlineExpressions.first { $0.line == line }?.lineText
    }

    private static func caretExcerpt(_ line: String, column: Int?) -> String {
        guard let column, column >= 1 else { return line }
        let prefix = line.utf8.prefix(column - 1)
        let padding = String(decoding: prefix, as: UTF8.self).map { $0 == "\t" ? "\t" : " " as Character }
        return line + "\n" + String(padding) + "^"
    }
}
