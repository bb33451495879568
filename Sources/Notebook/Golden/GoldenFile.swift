import Foundation
import KernelProtocol
import Yams

/// A notebook's golden outputs: `NAME.golden.yaml` beside `NAME.md`, written by
/// `nbrun test --update-golden` and read by `nbrun test`. One block per cell in the notebook's
/// order, keys in a fixed order, printed lines as lines and numbers in flow lists, so that a
/// changed number is a one-line diff to review.
///
///     cells:
///     - cell: train              # the cell's label, or code- and a hash of its code
///       code: "let history = try model.fit(...)"   # its first line, for the reader
///       outputs:
///       - stdout: |-
///           epoch 1/3  loss 0.4123  accuracy 0.8812  2.1 s
///       - figure:
///           series:
///           - count: 3
///             kind: "line"
///             name: "train"
///             y: [0.4123, 0.2871, 0.221]
///           title: "Loss"
///
/// A figure's data is `FigureData` with its keys in alphabetical order; its strings are quoted and
/// its numbers are not, so that a caption "7" stays text.
struct GoldenFile: Equatable {
    var cells: [GoldenCell]

    /// The file for the notebook at `notebookPath`.
    static func path(for notebookPath: String) -> String {
        let name = (notebookPath as NSString).lastPathComponent
        let base = name.hasSuffix(".md") ? String(name.dropLast(3)) : name
        return ((notebookPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(base + ".golden.yaml")
    }

    // MARK: Writing

    func yaml(notebook: String) throws -> String {
        let blocks: [Node] = cells.map { cell in
            .mapping(Node.Mapping([
                (Self.key("cell"), Self.key(cell.key)),
                (Self.key("code"), .scalar(Node.Scalar(cell.firstLine, .implicit, .doubleQuoted))),
                (Self.key("outputs"), .sequence(Node.Sequence(cell.outputs.map(Self.node), .implicit, .block))),
            ]))
        }
        let root = Node.mapping(Node.Mapping([
            (Self.key("notebook"), .scalar(Node.Scalar(notebook, .implicit, .doubleQuoted))),
            (Self.key("cells"), .sequence(Node.Sequence(blocks, .implicit, .block))),
        ]))
        let header = """
            # Golden outputs of \(notebook): what each cell showed, written by `nbrun test --update-golden`.
            # `nbrun test` compares each run with them: text exactly, numbers within tolerance, figures by
            # their data. Review a change to this file as you would a change to the code.

            """
        return header + (try Yams.serialize(node: root, width: 100, allowUnicode: true))
    }

    private static func node(_ output: GoldenCell.Output) -> Node {
        switch output {
        case .text(let kind, let lines):
            let text = lines.joined(separator: "\n")
            return .mapping(Node.Mapping([(key(kind), .scalar(Node.Scalar(text, .implicit, lines.count > 1 ? .literal : .doubleQuoted)))]))
        case .figure(let data):
            let value = (try? JSONValue(encoding: data)) ?? .object([:])
            return .mapping(Node.Mapping([(key("figure"), value.node)]))
        case .image:
            return .mapping(Node.Mapping([(key("image"), .scalar(Node.Scalar("png", .implicit, .plain)))]))
        }
    }

    /// Plain unless it must be quoted (the emitter decides).
    private static func key(_ text: String) -> Node { .scalar(Node.Scalar(text)) }

    // MARK: Reading

    /// Reads the golden file at `path`.
    ///
    /// - Throws: `NotebookError` naming the file (and its line) when it is not golden outputs.
    static func read(_ path: String) throws -> GoldenFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NotebookError(file: path, "cannot read the golden outputs: \(EnvironmentError.reason(error))")
        }
        func bad(_ message: String, _ node: Node?) -> NotebookError {
            NotebookError(file: path, line: (node?.mark?.line).map { $0 + 1 }, message,
                          hint: "write it again with nbrun test --update-golden")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw bad("not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")", nil)
        }
        guard let root, let sequence = root["cells"]?.sequence else { throw bad("golden outputs need a list 'cells'", root) }
        var cells: [GoldenCell] = []
        for block in sequence {
            guard let key = block["cell"]?.string, let outputs = block["outputs"]?.sequence else {
                throw bad("each cell needs 'cell' (its key) and 'outputs'", block)
            }
            var read: [GoldenCell.Output] = []
            for output in outputs {
                guard let (kindNode, value) = output.mapping?.first, let kind = kindNode.string else {
                    throw bad("each output is one 'kind: value'", output)
                }
                switch kind {
                case "figure":
                    do {
                        read.append(.figure(try JSONValue(value).decoded(FigureData.self)))
                    } catch {
                        throw bad("this figure's data cannot be read: \(error)", output)
                    }
                case "image": read.append(.image)
                default:
                    guard let text = value.string else { throw bad("'\(kind)' needs text", output) }
                    read.append(.text(kind: kind, lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)))
                }
            }
            cells.append(GoldenCell(key: key, firstLine: block["code"]?.string ?? "", outputs: read))
        }
        return GoldenFile(cells: cells)
    }
}
