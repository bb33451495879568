import Foundation

/// How long each notebook took when `nbrun test --store-durations` last ran it: the weights
/// `--shard` balances its parts by.
///
/// They live beside the notebooks, in a small file committed with them (`nbrun-durations.json`,
/// one line per notebook, sorted, seconds to a tenth), not in the cache: every CI machine of a
/// run must compute the same parts, so every one must read the same durations, and a file of the
/// commit being tested is the same in every checkout of it, whereas a cache is filled and read
/// by the machines at different moments (and a shard that read newer durations than another
/// would run a notebook twice, or none). Being a file of the repository, it changes only when
/// someone records and commits new durations, and the change is reviewed like any other.
///
/// A notebook's durations file is `nbrun-durations.json` in its folder or the nearest folder
/// above that has one, up to the repository's root (the folder holding `.git`); paths in it are
/// relative to its folder. `--store-durations` updates that file, or creates one in the folder
/// given on the command line.
public enum TestDurations {
    public static let fileName = "nbrun-durations.json"

    /// The recorded durations of `notebooks`, in seconds, by path as given (those without one
    /// are left out).
    ///
    /// - Throws: `NotebookError` naming a durations file that cannot be read.
    public static func load(for notebooks: [String]) throws -> [String: Double] {
        var files: [String: [String: Double]] = [:]
        var durations: [String: Double] = [:]
        for notebook in notebooks {
            guard let file = file(for: notebook) else { continue }
            if files[file] == nil { files[file] = try read(file) }
            if let seconds = files[file]?[relative(notebook, to: folder(of: file))] { durations[notebook] = seconds }
        }
        return durations
    }

    /// Records each notebook's duration (seconds, by path as given) in its durations file,
    /// creating one in `homes[notebook]` (a folder) where there is none. Other notebooks' entries
    /// are kept. Each file is replaced whole.
    ///
    /// - Returns: the files written.
    /// - Throws: `NotebookError` for a durations file that cannot be read (it is left as it is),
    ///   `EnvironmentError` for one that cannot be written.
    @discardableResult
    public static func store(_ seconds: [String: Double], homes: [String: String]) throws -> [String] {
        var updates: [String: [String: Double]] = [:]
        for (notebook, value) in seconds {
            guard let file = file(for: notebook) ?? homes[notebook].map({ ($0.isEmpty ? "." : $0) + "/" + fileName }) else { continue }
            updates[file, default: [:]][relative(notebook, to: folder(of: file))] = (value * 10).rounded() / 10
        }
        var written: [String] = []
        for (file, entries) in updates.sorted(by: { $0.key < $1.key }) {
            var all = FileManager.default.fileExists(atPath: file) ? try read(file) : [:]
            all.merge(entries) { $1 }
            do {
                try ReportWriter.writeWhole(encode(all), to: file)
            } catch {
                throw EnvironmentError("cannot write the durations file \(file): \(EnvironmentError.reason(error))")
            }
            written.append(file)
        }
        return written
    }

    /// One entry per line, sorted: a change of one notebook's time is a one-line diff.
    static func encode(_ durations: [String: Double]) -> Data {
        var text = "{\n"
        let lines = durations.sorted { $0.key < $1.key }.map { key, value in
            "  " + jsonString(key) + ": " + String(format: "%.1f", value)
        }
        text += lines.joined(separator: ",\n")
        text += lines.isEmpty ? "}\n" : "\n}\n"
        return Data(text.utf8)
    }

    private static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// - Throws: `NotebookError` naming the file and what is wrong with it.
    static func read(_ file: String) throws -> [String: Double] {
        let hint = "fix it, or delete it and record new durations with `nbrun test --store-durations`"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw NotebookError(file: file, "cannot read this durations file", hint: hint)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? EnvironmentError.reason(error)
            throw NotebookError(file: file, line: errorLine(detail, in: data), "this durations file is not valid JSON: \(detail)", hint: hint)
        }
        guard let entries = object as? [String: Any] else {
            throw NotebookError(file: file, "expected an object of notebook paths and seconds, such as {\"backprop.md\": 12.5}", hint: hint)
        }
        var durations: [String: Double] = [:]
        for (key, value) in entries {
            guard let number = value as? NSNumber, number.doubleValue.isFinite, number.doubleValue >= 0 else {
                throw NotebookError(file: file, "the duration of '\(key)' is not a number of seconds", hint: hint)
            }
            durations[key] = number.doubleValue
        }
        return durations
    }

    /// The line Foundation's message points at: it says "around line 3, column 5" on some
    /// platforms and "around character 27" (a byte offset) on others.
    static func errorLine(_ detail: String, in data: Data) -> Int? {
        func number(after word: String) -> Int? {
            detail.range(of: word + #" \d+"#, options: .regularExpression).flatMap { Int(detail[$0].dropFirst(word.count + 1)) }
        }
        if let line = number(after: "line") { return line }
        guard let offset = number(after: "character"), offset <= data.count else { return nil }
        return data.prefix(offset).filter { $0 == UInt8(ascii: "\n") }.count + 1
    }

    /// The durations file that holds `notebook`'s entry: the nearest `nbrun-durations.json` from
    /// its folder up to the repository's root; nil when there is none.
    static func file(for notebook: String) -> String? {
        var folder = (absolute(notebook) as NSString).deletingLastPathComponent
        let fileManager = FileManager.default
        while true {
            let candidate = folder + "/" + fileName
            if fileManager.fileExists(atPath: candidate) { return displayPath(candidate) }
            if fileManager.fileExists(atPath: folder + "/.git") || folder == "/" || folder.isEmpty { return nil }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    /// `path` relative to `folder` (both made absolute), or `path` itself when it is not inside.
    static func relative(_ path: String, to folder: String) -> String {
        let full = absolute(path), base = absolute(folder)
        if base == "/" { return String(full.dropFirst()) }
        return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full
    }

    private static func folder(of file: String) -> String {
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Relative to the working directory when inside it, as messages name files.
    private static func displayPath(_ path: String) -> String {
        let here = absolute(FileManager.default.currentDirectoryPath)
        return path.hasPrefix(here + "/") ? String(path.dropFirst(here.count + 1)) : path
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }
}
