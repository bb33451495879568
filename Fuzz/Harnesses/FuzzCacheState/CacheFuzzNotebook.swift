import Foundation

/// A small notebook made from fuzzer bytes, mixing the ways a cell cache goes stale (code that
/// runs inside a cached cell without being written in it, engine-wide settings, values that are
/// not a function of their code, files, object state the digest could skip, where the code is),
/// and one edit of it: a second version, or changed files, or another parameter.
///
/// Each pattern is a few cells with its own names (`_<n>`), two small numbers from the bytes
/// (`A`, `B`), and prints only what a full run would print the same way (a drawn number is
/// checked, not printed). The same bytes always make the same notebook.
struct CacheFuzzNotebook {
    /// The first version and the edited one, with `FILES` for the folder of files.
    var first: String
    var second: String
    /// Files (by name) in `FILES` before the first run.
    var files: [String: String] = [:]
    /// Files changed after the first run (nil removes one).
    var edits: [String: String?] = [:]
    /// `-p k=` of each run.
    var firstParameter = 1
    var secondParameter = 1
    /// What the bytes chose, for the record of a finding.
    var description: String

    private struct Pattern {
        var name: String
        /// Cells: code and whether it is cached. `#A`, `#B` are the knobs; `_N` the instance.
        var cells: [(code: String, cached: Bool)]
        var files: [String: String] = [:]
    }

    private static let patterns: [Pattern] = [
        Pattern(name: "observer", cells: [
            ("var changes_N = 0\nvar level_N = 0 { didSet { changes_N += 1 } }\nfunc raise_N() { level_N += #B }", false),
            ("level_N = #A\nraise_N()", true),
            ("print(level_N, changes_N)", false),
        ]),
        Pattern(name: "closure variable", cells: [
            ("var total_N = 0\nvar step_N: () -> Void = { }", false),
            ("step_N = { total_N += #A }", false),
            ("step_N()\nstep_N()", true),
            ("print(total_N)", false),
        ]),
        Pattern(name: "subscript", cells: [
            ("var reads_N = 0\nstruct Grid_N { let k: Int; subscript(row: Int) -> Int { reads_N += 1; return row * k } }\nlet grid_N = Grid_N(k: #A)", false),
            ("let sum_N = grid_N[2] + grid_N[#B]", true),
            ("print(sum_N, reads_N)", false),
        ]),
        Pattern(name: "layer the engine calls", cells: [
            ("""
            var calls_N = 0
            var gain_N: Float = #A
            final class Spy_N: Layer {
                var isTraining = true
                var namedParameters: [(String, Variable)] { [] }
                func callAsFunction(_ x: Variable) -> Variable { calls_N += 1; return x * gain_N }
            }
            let model_N = Sequential([Spy_N()], inputShape: [2])
            """, false),
            ("gain_N = #B", false),
            ("let out_N = model_N.predict(Tensor([[1, 2]]), batchSize: 1).scalars", true),
            ("print(out_N, calls_N)", false),
        ]),
        Pattern(name: "gradient recording", cells: [
            ("let weight_N = Variable(Tensor([1, 2]), requiresGrad: true)\nGradientMode.isEnabled = #A % 2 == 0", false),
            ("let recorded_N = !(weight_N * 2).isLeaf\nGradientMode.isEnabled = #B % 2 == 0", true),
            ("print(recorded_N, (weight_N * 3).isLeaf)\nGradientMode.isEnabled = true", false),
        ]),
        Pattern(name: "drawn values", cells: [
            ("import Foundation\nlet seed_N = Int.random(in: 0..<1_000_000) + #A\nlet stamp_N = Date().timeIntervalSince1970\nvar letters_N: [String: Int] = [:]\nfor (offset, letter) in \"abcdefghij\".enumerated() { letters_N[String(letter)] = offset * #B }\nlet order_N = Array(letters_N.keys)", false),
            ("let twice_N = seed_N * 2\nlet copy_N = stamp_N\nlet first_N = order_N[0]", true),
            ("print(twice_N == seed_N * 2, copy_N == stamp_N, first_N == order_N[0])", false),
        ]),
        Pattern(name: "file read with try?", cells: [
            ("let text_N = (try? readTextFile(\"FILES/text_N.txt\")) ?? \"none\"\nlet length_N = text_N.count + #A", true),
            ("print(text_N, length_N)", false),
        ], files: ["text_N.txt": "#B"]),
        Pattern(name: "checkpoint read and written back", cells: [
            ("let previous_N = (try? SafeTensors.read(from: \"FILES/count_N.safetensors\"))?.tensors[\"n\"]?.scalars[0] ?? 0\nlet count_N = previous_N + #A\ntry SafeTensors.write([\"n\": Tensor([count_N])], to: \"FILES/count_N.safetensors\")", true),
            ("print(count_N)", false),
        ]),
        Pattern(name: "layer property outside its configuration", cells: [
            ("""
            final class Shift_N: SavableLayer {
                var isTraining = true
                var shift: Float = 0
                let width: Int
                var namedParameters: [(String, Variable)] { [] }
                var configuration: Int { width }
                init(configuration: Int) { width = configuration }
                func callAsFunction(_ x: Variable) -> Variable { x + shift }
            }
            let layer_N = Shift_N(configuration: 2)
            """, false),
            ("layer_N.shift = #A", false),
            ("layer_N.shift += #B\nlet moved_N = layer_N(Variable(Tensor([1, 1]))).value.scalars", true),
            ("print(layer_N.shift, moved_N)", false),
        ]),
        Pattern(name: "line literal", cells: [
            ("let line_N = #line + #A", true),
            ("print(line_N)", false),
        ]),
        Pattern(name: "training", cells: [
            ("RandomGenerator.seedGlobal(#A)\nlet data_N = SyntheticData.twoMoons(count: 40)\nlet net_N = Sequential([Linear(2, 4), ReLU(), Linear(4, 2)], inputShape: [2])\nnet_N.compile(optimizer: Adam(learningRate: 0.05), loss: .crossEntropy)", false),
            ("let history_N = try net_N.fit(x: data_N.inputs, y: data_N.labelsTensor, batchSize: 10, epochs: #B % 3 + 1, verbose: false)", true),
            ("let more_N = try net_N.fit(x: data_N.inputs, y: data_N.labelsTensor, batchSize: 10, epochs: 1, verbose: false)\nprint(history_N.loss.count, more_N.loss.map(\\.bitPattern))", false),
        ]),
        Pattern(name: "parameter", cells: [
            ("let scaled_N = k * #A", true),
            ("print(scaled_N)", false),
        ]),
        Pattern(name: "random generator", cells: [
            ("RandomGenerator.seedGlobal(#A)", false),
            ("let draw_N = Tensor.randomNormal(shape: [3]).scalars", true),
            ("print(draw_N.map(\\.bitPattern), Tensor.randomNormal(shape: [2]).scalars.map(\\.bitPattern))", false),
        ]),
        Pattern(name: "description print calls", cells: [
            ("var described_N = 0\nstruct Tag_N: CustomStringConvertible { let k: Int; var description: String { described_N += k; return \"tag\" } }\nlet tag_N = Tag_N(k: #A)", false),
            ("print(tag_N)", true),
            ("print(described_N)", false),
        ]),
        Pattern(name: "figure defaults", cells: [
            ("Figure.defaultWidth = 600 + #A\nlet width_N = Figure.defaultWidth", true),
            ("print(width_N, Figure(title: \"t\").width)\nFigure.defaultWidth = 640", false),
        ]),
    ]

    init(_ bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        let count = 1 + Int(reader.next()) % 3
        var chosen: [(pattern: Pattern, a: Int, b: Int)] = []
        for _ in 0..<count {
            chosen.append((Self.patterns[Int(reader.next()) % Self.patterns.count], 1 + Int(reader.next()) % 5, 1 + Int(reader.next()) % 5))
        }
        // The edit: 0 none, 1 knob A, 2 knob B, 3 prose above a cell, 4 a file, 5 the parameter.
        let edit = Int(reader.next()) % 6
        let target = Int(reader.next()) % count
        let cellChoice = Int(reader.next())
        var secondKnobs = chosen.map { ($0.a, $0.b) }
        var prose: Int?
        firstParameter = 1 + Int(reader.next()) % 3
        secondParameter = firstParameter
        var what = "edit: "
        switch edit {
        case 1: secondKnobs[target].0 = secondKnobs[target].0 % 5 + 1; what += "A of pattern \(target + 1)"
        case 2: secondKnobs[target].1 = secondKnobs[target].1 % 5 + 1; what += "B of pattern \(target + 1)"
        case 3: prose = cellChoice; what += "prose above a cell"
        case 4: what += "files"
        case 5: secondParameter = firstParameter % 3 + 1; what += "-p k=\(secondParameter)"
        default: what += "none"
        }
        func render(_ knobs: [(Int, Int)], prose: Int?) -> String {
            var cells: [String] = []
            for (index, choice) in chosen.enumerated() {
                for cell in choice.pattern.cells {
                    let code = cell.code.replacingOccurrences(of: "_N", with: "_\(index)")
                        .replacingOccurrences(of: "#A", with: "\(knobs[index].0)").replacingOccurrences(of: "#B", with: "\(knobs[index].1)")
                    cells.append("```swift\n" + (cell.cached ? "//| cache: true\n" : "") + code + "\n```\n")
                }
            }
            if let prose { cells.insert("Some prose,\n\nadded above.\n", at: prose % (cells.count + 1)) }
            return "---\nparams:\n  k: 1\n---\n\n" + cells.joined(separator: "\n")
        }
        first = render(chosen.map { ($0.a, $0.b) }, prose: nil)
        second = render(secondKnobs, prose: prose)
        for (index, choice) in chosen.enumerated() {
            for (name, text) in choice.pattern.files {
                let file = name.replacingOccurrences(of: "_N", with: "_\(index)")
                files[file] = text.replacingOccurrences(of: "#B", with: "\(choice.b)")
                if edit == 4, index == target {
                    // Made absent, changed, or kept.
                    edits[file] = [nil, "changed \(cellChoice)", text][cellChoice % 3]
                }
            }
            if edit == 4, index == target, choice.pattern.name == "checkpoint read and written back", cellChoice % 2 == 0 {
                edits["count_\(index).safetensors"] = .some(nil)
            }
        }
        if edit == 4, cellChoice % 4 == 3, let name = files.keys.sorted().first { files[name] = nil }
        description = chosen.enumerated().map { "\($0.offset + 1). \($0.element.pattern.name) A=\($0.element.a) B=\($0.element.b)" }
            .joined(separator: "; ") + "; \(what)"
    }
}

/// Reads bytes one at a time, zeros past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    mutating func next() -> UInt8 {
        defer { position += 1 }
        return position < bytes.count ? bytes[position] : 0
    }
}
