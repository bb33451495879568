import Yams

/// The YAML block between `---` lines at the very top of a notebook.
///
/// Known keys: `title`; `params` (a mapping of name to int, float, bool or string);
/// cell-option defaults, either at the top level (`echo: false`) or under `execute:`
/// (Quarto's spelling); and metadata shown in the header (`author`, `date`, `subtitle`,
/// `description`). Any other key is an error at its line, so a typo is not ignored.
struct FrontMatter {
    var title: String?
    var metadata: [String: String] = [:]
    var parameters: [Parameter] = []
    var defaults = CellOptions()

    static let metadataKeys = ["author", "date", "subtitle", "description"]

    /// Splits `text` into front matter YAML and Markdown.
    ///
    /// The Markdown keeps its line numbers: the front matter's lines become empty lines.
    /// Returns `nil` YAML when the file does not start with `---`. Blank lines before it are
    /// allowed (as R Markdown does); the YAML then starts with as many empty lines, so its line
    /// numbers stay those of the `.md` minus one.
    static func split(_ text: String) -> (yaml: String?, markdown: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { !$0.trimmingWhitespace().isEmpty }),
              lines[start].trimmingWhitespace() == "---" else { return (nil, text) }
        guard let end = lines.indices.dropFirst(start + 1).first(where: {
            let line = lines[$0].trimmingWhitespace()
            return line == "---" || line == "..."
        }) else { return (nil, text) }
        let yaml = (Array(repeating: "", count: start) + lines[(start + 1)..<end].map(String.init)).joined(separator: "\n")
        for index in 0...end { lines[index] = "" }
        return (yaml, lines.joined(separator: "\n"))
    }

    /// Reads the YAML of a front matter that starts at `.md` line 1 (the `---`).
    static func parse(_ yaml: String, path: String) throws -> FrontMatter {
        var frontMatter = FrontMatter()
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            // Yams counts lines from the line after the opening `---`: one less than the `.md`.
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let while_ = context.map { " (\($0.text) that starts at line \($0.mark.line + 1))" } ?? ""
                throw NotebookError(file: path, line: mark.line + 1, column: mark.column,
                                    "front matter is not valid YAML: \(problem)\(while_)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw NotebookError(file: path, line: context.mark.line + 1,
                                    "front matter is not valid YAML: the key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")) appears more than once in the mapping that starts here")
            default:
                throw NotebookError(file: path, line: 1, "front matter is not valid YAML: \(Self.firstLine(of: error))")
            }
        } catch {
            throw NotebookError(file: path, line: 1, "front matter is not valid YAML: \(Self.firstLine(of: error))")
        }
        guard let root else { return frontMatter }
        guard case .mapping(let mapping) = root else {
            throw NotebookError(file: path, line: Self.line(of: root), "front matter must be a mapping of keys to values")
        }
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            let line = Self.line(of: keyNode)
            switch key {
            case "title":
                frontMatter.title = try Self.scalarText(valueNode, key: key, path: path)
            case _ where metadataKeys.contains(key):
                frontMatter.metadata[key] = try Self.scalarText(valueNode, key: key, path: path)
            case "params":
                frontMatter.parameters = try Self.parameters(valueNode, path: path)
            case "execute":
                guard case .mapping(let options) = valueNode else {
                    throw NotebookError(file: path, line: line, "'execute' must be a mapping of cell options")
                }
                for (optionKey, optionValue) in options {
                    try frontMatter.setDefault(optionKey, optionValue, path: path)
                }
            case _ where CellOptions.keys.contains(key):
                try frontMatter.setDefault(keyNode, valueNode, path: path)
            default:
                throw NotebookError(file: path, line: line, "unknown front matter key '\(key)'",
                                    hint: "known keys: title, params, execute, \(metadataKeys.joined(separator: ", ")), and the cell options \(CellOptions.keys.joined(separator: ", "))")
            }
        }
        return frontMatter
    }

    private mutating func setDefault(_ keyNode: Node, _ valueNode: Node, path: String) throws {
        let key = keyNode.string ?? ""
        let line = Self.line(of: keyNode)
        if key == "label" {
            throw NotebookError(file: path, line: line, "'label' names one cell: set it in the cell with '//| label: name'")
        }
        let text = try Self.scalarText(valueNode, key: key, path: path)
        do {
            try defaults.set(key, to: text)
        } catch let problem as CellOptions.Problem {
            throw NotebookError(file: path, line: line, problem.message, hint: problem.hint)
        }
    }

    private static func parameters(_ node: Node, path: String) throws -> [Parameter] {
        guard case .mapping(let mapping) = node else {
            throw NotebookError(file: path, line: line(of: node), "'params' must be a mapping of names to values")
        }
        var parameters: [Parameter] = []
        for (keyNode, valueNode) in mapping {
            let name = keyNode.string ?? ""
            let line = line(of: keyNode)
            guard isSwiftIdentifier(name) else {
                throw NotebookError(file: path, line: line, "parameter name '\(name)' is not a Swift identifier")
            }
            guard case .scalar(let scalar) = valueNode else {
                throw NotebookError(file: path, line: line, "parameter '\(name)' must be a number, true/false or a string")
            }
            let value: Parameter.Value
            if scalar.style != .plain {
                value = .string(scalar.string)
            } else if let int = Parameter.Value.integer(scalar.string) {
                value = .int(int)
            } else if let bool = valueNode.bool, ["true", "false", "True", "False", "TRUE", "FALSE"].contains(scalar.string) {
                value = .bool(bool)
            } else if let double = valueNode.float, double.isFinite {
                value = .double(double)
            } else if scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null" {
                throw NotebookError(file: path, line: line, "parameter '\(name)' has no value",
                                    hint: "give it a default value: a number, true/false or a string")
            } else {
                value = .string(scalar.string)
            }
            parameters.append(Parameter(name: name, value: value, line: line))
        }
        return parameters
    }

    private static func scalarText(_ node: Node, key: String, path: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw NotebookError(file: path, line: line(of: node), "'\(key)' must be a single value")
        }
        return scalar.string
    }

    /// The `.md` line of a node: YAML line 1 is the line after the opening `---`.
    private static func line(of node: Node) -> Int {
        (node.mark?.line ?? 0) + 1
    }

    private static func firstLine(of error: Error) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }

    static func isSwiftIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
            && !swiftKeywords.contains(name)
    }

    private static let swiftKeywords: Set<String> = [
        "let", "var", "func", "class", "struct", "enum", "protocol", "extension", "import", "return", "if", "else",
        "for", "while", "repeat", "switch", "case", "default", "break", "continue", "in", "is", "as", "true", "false",
        "nil", "self", "Self", "super", "init", "deinit", "throw", "throws", "try", "catch", "do", "guard", "defer",
        "where", "static", "public", "private", "internal", "fileprivate", "open", "operator", "typealias", "associatedtype",
        "subscript", "inout", "Any", "await", "async",
    ]
}
