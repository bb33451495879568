// libFuzzer harness: swiftc's diagnostics mapped back onto a notebook's `.md` lines
// (`CompilerDiagnostics.parse`) and printed as the error the user sees. The input is the
// compiler's output; when it holds a NUL byte, what comes before it is the notebook instead of
// the built-in one. A crash, a sanitizer report or a hang is a finding.
import Foundation
@testable import Notebook

private let notebookPath = "nb/fuzz.md"
private let generatedPath = "/tmp/cache/build/nb_fuzz.swift"

/// Cells with options, an `error: true` cell, a cell ending in a never-returning call (the
/// display wrapper's column shift), a `try` (its mark), a cell in a list item.
private let defaultNotebookText = """
---
title: Fuzz
params:
  n: 3
---
# Diagnostics

```swift
//| label: first
let a = 1; a + "s"
var total = 0
for i in 0..<n { total += try risky(i) }
```

```swift
//| error: true
let value = try risky()
```

- a list item

  ```swift
  print(value)
  fatalError("x")
  ```

```swift
print(total)
```
"""

private let defaultNotebook = try! NotebookParser.parse(defaultNotebookText, path: notebookPath)
private let defaultProgram = try! ProgramGenerator.generate(defaultNotebook)
nonisolated(unsafe) private var lastNotebook: (text: String, notebook: Notebook?, program: GeneratedProgram?)?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiagnostics(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    var notebook = defaultNotebook, program = defaultProgram
    var output = data
    if let nul = data.firstIndex(of: 0) {
        output = data[(nul + 1)...]
        let text = String(decoding: data[..<nul], as: UTF8.self)
        // Generating is slow (swift-syntax parses every cell) and libFuzzer often mutates only
        // the compiler's output: the last notebook's program is kept.
        if let last = lastNotebook, last.text == text {
            (notebook, program) = (last.notebook ?? defaultNotebook, last.program ?? defaultProgram)
        } else if text.utf8.lazy.filter({ $0 == UInt8(ascii: "[") }).count > 12 {
            // swift-syntax takes time exponential in nested `[` (Fuzz/Known/diagnostics): known,
            // not nbrun's, so such notebooks are not generated.
        } else {
            let parsed = try? NotebookParser.parse(text, path: notebookPath)
            let generated = parsed.flatMap { try? ProgramGenerator.generate($0) }
            lastNotebook = (text, generated == nil ? nil : parsed, generated)
            if let parsed, let generated { (notebook, program) = (parsed, generated) }
        }
    }
    // The runner reads swiftc's output as UTF-8 with replacement characters.
    let text = String(decoding: output, as: UTF8.self)
    let diagnostics = CompilerDiagnostics.parse(text, program: program, notebook: notebook, generatedPath: generatedPath,
                                                keptPath: "/tmp/cache/build/nb_fuzz.kept.swift")
    for diagnostic in diagnostics { _ = diagnostic.description }
    if !diagnostics.isEmpty { _ = NotebookError(diagnostics).description }
    return 0
}
