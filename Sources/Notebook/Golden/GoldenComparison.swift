import Foundation
import KernelProtocol

/// Compares what a cell showed with its golden outputs: text exactly, numbers within the cell's
/// tolerance (`GoldenSettings`), figures by their data (labels and titles exactly, values within
/// tolerance). Returns the differences as lines a reader can act on: what, where, expected and got.
struct GoldenComparison {
    var settings: GoldenSettings
    /// Differences beyond this many are counted, not listed.
    static let maximumListed = 8

    /// Each difference, as one or more lines; empty when the outputs match.
    func differences(expected: GoldenCell, got: GoldenCell) -> [String] {
        var found: [String] = []
        let count = max(expected.outputs.count, got.outputs.count)
        for index in 0..<count {
            let place = "output \(index + 1)"
            guard index < expected.outputs.count else {
                found.append("\(place): not in the golden outputs: \(Self.describe(got.outputs[index]))")
                continue
            }
            guard index < got.outputs.count else {
                found.append("\(place): missing: expected \(Self.describe(expected.outputs[index]))")
                continue
            }
            switch (expected.outputs[index], got.outputs[index]) {
            case (.text(let kind, let before), .text(let otherKind, let after)) where kind == otherKind:
                found += textDifferences(before, after).map { "\(place) (\(kind)), \($0)" }
            case (.figure(let before), .figure(let after)):
                found += figureDifferences(before, after, name: "figure").map { "\(place), \($0)" }
            case (.image, .image):
                break
            case (let before, let after):
                found.append("\(place): expected \(Self.describe(before)), got \(Self.describe(after))")
            }
        }
        return found
    }

    /// `got` with each output, or each line of a text output, that matches `expected`'s replaced
    /// by `expected`'s, so that recording a run again rewrites only what changed.
    func keepingMatches(of expected: GoldenCell, in got: GoldenCell) -> GoldenCell {
        var kept = got
        for index in got.outputs.indices where index < expected.outputs.count {
            switch (expected.outputs[index], got.outputs[index]) {
            case (.text(let kind, let before), .text(let otherKind, var after)) where kind == otherKind:
                for line in after.indices where line < before.count && textDifferences([before[line]], [after[line]]).isEmpty {
                    after[line] = before[line]
                }
                kept.outputs[index] = .text(kind: kind, lines: after)
            case (.figure(let before), .figure(let after)) where figureDifferences(before, after, name: "figure").isEmpty:
                kept.outputs[index] = .figure(before)
            default:
                break
            }
        }
        return kept
    }

    /// Lines compared one by one: a differing template is shown whole, a number out of tolerance is named.
    func textDifferences(_ expected: [String], _ got: [String]) -> [String] {
        var found: [String] = []
        for index in 0..<max(expected.count, got.count) {
            let where_ = "line \(index + 1)"
            guard index < expected.count else { found.append("\(where_): unexpected line\n    + \(got[index])"); continue }
            guard index < got.count else { found.append("\(where_): missing line\n    - \(expected[index])"); continue }
            let before = NumberedLine(expected[index]), after = NumberedLine(got[index])
            guard before.template == after.template, before.numbers.count == after.numbers.count else {
                found.append("\(where_): text differs\n    - \(expected[index])\n    + \(got[index])")
                continue
            }
            for number in before.numbers.indices where !settings.matches(after.numbers[number], before.numbers[number]) {
                found.append("\(where_), number \(number + 1): expected \(before.texts[number]), got \(after.texts[number]) "
                             + tolerance(after.numbers[number], before.numbers[number])
                             + "\n    - \(expected[index])\n    + \(got[index])")
                break
            }
        }
        return found
    }

    func figureDifferences(_ expected: FigureData, _ got: FigureData, name: String) -> [String] {
        var found: [String] = []
        let figure = expected.title.isEmpty ? name : "\(name) \"\(expected.title)\""
        func text(_ what: String, _ before: String?, _ after: String?) {
            if before != after { found.append("\(figure): \(what): expected \(quote(before)), got \(quote(after))") }
        }
        func texts(_ what: String, _ before: [String]?, _ after: [String]?) {
            guard before != after else { return }
            guard let before, let after, before.count == after.count else {
                found.append("\(figure): \(what): expected \(before.map { "\($0.count)" } ?? "none"), got \(after.map { "\($0.count)" } ?? "none")")
                return
            }
            let index = before.indices.first { before[$0] != after[$0] }!
            found.append("\(figure): \(what)[\(index)]: expected \(quote(before[index])), got \(quote(after[index]))")
        }
        func numbers(_ what: String, _ before: [Double]?, _ after: [Double]?) {
            guard let before, let after else {
                if (before == nil) != (after == nil) { found.append("\(figure): \(what): expected \(before == nil ? "none" : "values"), got \(after == nil ? "none" : "values")") }
                return
            }
            guard before.count == after.count else {
                found.append("\(figure): \(what): expected \(before.count) values, got \(after.count)")
                return
            }
            let wrong = before.indices.filter { !settings.matches(after[$0], before[$0]) }
            guard let first = wrong.first else { return }
            found.append("\(figure): \(what)[\(first)]: expected \(JSONValue.format(before[first])), got \(JSONValue.format(after[first])) "
                         + tolerance(after[first], before[first]) + (wrong.count > 1 ? "; \(wrong.count) values differ" : ""))
        }
        func count(_ what: String, _ before: Int?, _ after: Int?) {
            if before != after { found.append("\(figure): \(what): expected \(before.map(String.init) ?? "none"), got \(after.map(String.init) ?? "none")") }
        }
        text("title", expected.title, got.title)
        text("x label", expected.xLabel, got.xLabel)
        text("y label", expected.yLabel, got.yLabel)
        if expected.series.count != got.series.count {
            found.append("\(figure): expected \(expected.series.count) series, got \(got.series.count)")
        } else {
            for (before, after) in zip(expected.series, got.series) {
                let series = "\(before.kind) \(quote(before.name))"
                text("a series' kind", before.kind, after.kind)
                text("\(series): name", before.name, after.name)
                count("\(series): points", before.count, after.count)
                numbers("\(series): x", before.x, after.x)
                numbers("\(series): y", before.y, after.y)
                numbers("\(series): edges", before.edges, after.edges)
                numbers("\(series): minimum, mean, maximum", before.summary, after.summary)
                texts("\(series): categories", before.categories, after.categories)
                numbers("\(series): points per class", before.classCounts?.map(Double.init), after.classCounts?.map(Double.init))
            }
        }
        if expected.matrix != nil || got.matrix != nil {
            let before = expected.matrix, after = got.matrix
            count("matrix rows", before?.rows, after?.rows)
            count("matrix columns", before?.columns, after?.columns)
            texts("row labels", before?.rowLabels, after?.rowLabels)
            texts("column labels", before?.columnLabels, after?.columnLabels)
            if before?.rows == after?.rows, before?.columns == after?.columns {
                numbers(before?.blockRows == nil ? "matrix values" : "matrix block means", before?.values, after?.values)
            }
        }
        if expected.images != nil || got.images != nil {
            let before = expected.images, after = got.images
            count("images", before?.count, after?.count)
            count("image side", before?.side, after?.side)
            texts("captions", before?.captions, after?.captions)
            if before?.highlighted != after?.highlighted { found.append("\(figure): highlighted images differ") }
            if let before, let after, before.blocks.count == after.blocks.count {
                for image in before.blocks.indices {
                    numbers("image \(image) block means", before.blocks[image], after.blocks[image])
                }
            }
        }
        if expected.regions != nil || got.regions != nil {
            let before = expected.regions, after = got.regions
            count("region classes", before?.classCount, after?.classCount)
            numbers("share of each class' region", before?.shares, after?.shares)
        }
        let panels = (expected.panels ?? [], got.panels ?? [])
        if panels.0.count != panels.1.count {
            found.append("\(figure): expected \(panels.0.count) panels, got \(panels.1.count)")
        } else {
            for (index, pair) in zip(panels.0, panels.1).enumerated() {
                found += figureDifferences(pair.0, pair.1, name: "panel \(index + 1)").map { "\(figure), \($0)" }
            }
        }
        return found
    }

    /// "(|difference| 0.02 > tolerance 0.0012: rtol 0.001, atol 1e-06)"
    private func tolerance(_ got: Double, _ expected: Double) -> String {
        let allowed = settings.atol + settings.rtol * abs(expected)
        return "(|difference| \(JSONValue.format(abs(got - expected))) > \(JSONValue.format(allowed)): rtol \(JSONValue.format(settings.rtol)), atol \(JSONValue.format(settings.atol)))"
    }

    private func quote(_ text: String?) -> String { text.map { "\"\($0)\"" } ?? "none" }

    static func describe(_ output: GoldenCell.Output) -> String {
        switch output {
        case .text(let kind, let lines): return "\(kind) \"\(lines.first ?? "")\"\(lines.count > 1 ? " (\(lines.count) lines)" : "")"
        case .figure(let data): return data.title.isEmpty ? "a figure" : "figure \"\(data.title)\""
        case .image: return "an image"
        }
    }
}
