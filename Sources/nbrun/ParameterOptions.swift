import ArgumentParser

/// `-p name=value`, repeated: front-matter parameters set from the command line, parsed here
/// for every command (their names and types are checked against the notebook later).
struct ParameterOptions: ParsableArguments {
    @Option(name: .short, help: ArgumentHelp("Set a front-matter parameter.", valueName: "name=value"))
    var parameter: [String] = []

    mutating func validate() throws {
        for item in parameter where !item.contains("=") || item.hasPrefix("=") {
            throw ValidationError("-p takes name=value, got '\(item)'")
        }
    }

    /// The name/value pairs, in the order given.
    var pairs: [(name: String, value: String)] {
        parameter.map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }
}
