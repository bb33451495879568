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
    /// numbers stay those of the `.md` minus one. Only the lines up to the closing `---` are read.
    ///
    /// - Throws: `NotebookError` at the opening `---` when it is followed by YAML (not by a blank
    ///   line, which makes it a horizontal rule) but no closing `---` or `...` comes before the
    ///   end or before a code fence: the YAML would otherwise be read as prose, and its params
    ///   be "not in scope" in every cell.
    static func split(_ text: String, path: String) throws -> (yaml: String?, markdown: String) {
        // Lines one at a time from the start, as `split(separator: "\n")` would cut them: most
        // notebooks are decided on their first line, and nothing past the first fence is read.
        var lines: [Substring] = []
        var rest = Substring(text)
        var atEnd = false  // the last line read had no newline after it
        func read() -> Substring? {
            guard !atEnd else { return nil }
            if let newline = rest.firstIndex(of: "\n") {
                lines.append(rest[..<newline])
                rest = rest[rest.index(after: newline)...]
            } else {
                lines.append(rest)
                rest = rest[rest.endIndex...]
                atEnd = true
            }
            return lines.last
        }
        var start: Int?
        while let line = read() {
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            if trimmed == "---" { start = lines.count - 1 }
            break
        }
        guard let start else { return (nil, text) }
        var end: Int?
        var fenceLine: Int?
        while let line = read() {
            let trimmed = line.trimmingWhitespace()
            if trimmed == "---" || trimmed == "..." { end = lines.count - 1; break }
            if line.hasPrefix("```") || line.hasPrefix("~~~") { fenceLine = lines.count; break }
        }
        guard let end else {
            // A `---` then a blank line (or nothing) is a horizontal rule: no front matter.
            if lines.count <= start + 1 || lines[start + 1].trimmingWhitespace().isEmpty { return (nil, text) }
            var message = "the front matter that starts here has no closing '---'"
            if let fenceLine { message += " before the code fence at line \(fenceLine)" }
            throw NotebookError(file: path, line: start + 1, message,
                                hint: "end the front matter with a line '---' (or put a blank line after the first '---' if it is a horizontal rule)")
        }
        let yaml = (Array(repeating: "", count: start) + lines[(start + 1)..<end].map(String.init)).joined(separator: "\n")
        // The front matter's lines become empty lines, and the rest is kept as it was.
        let markdown = atEnd ? String(repeating: "\n", count: end) : String(repeating: "\n", count: end + 1) + rest
        return (yaml, markdown)
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
            case "golden" where valueNode.mapping != nil:
                frontMatter.defaults.golden = try Self.goldenSettings(valueNode, path: path)
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

    /// `golden: {rtol: X, atol: X, ignore: true, ignore-lines: [patterns]}`.
    private static func goldenSettings(_ node: Node, path: String) throws -> GoldenSettings {
        var settings = GoldenSettings()
        for (keyNode, valueNode) in node.mapping ?? [:] {
            let key = keyNode.string ?? ""
            do {
                switch key {
                case "rtol", "atol":
                    try settings.setTolerance(key, try scalarText(valueNode, key: "golden: \(key)", path: path))
                case "ignore":
                    guard let ignored = valueNode.bool else { throw CellOptions.Problem("golden: ignore needs true or false") }
                    settings.ignored = ignored
                case "ignore-lines":
                    let patterns = valueNode.sequence.map { $0.compactMap(\.string) } ?? valueNode.string.map { [$0] } ?? []
                    for pattern in patterns { try GoldenSettings.checkPattern(pattern) }
                    settings.ignoredLines = patterns
                default:
                    throw CellOptions.Problem("golden: unknown setting '\(key)'", hint: GoldenSettings.hint)
                }
            } catch let problem as CellOptions.Problem {
                throw NotebookError(file: path, line: line(of: keyNode), problem.message, hint: problem.hint)
            }
        }
        return settings
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
