import ArgumentParser
import Foundation
import Notebook

/// `nbrun cache list [-o DIR]` and `nbrun cache clear [NOTEBOOK] [-o DIR]`: the stored
/// results of `cache: true` cells under `<DIR>/.cache/cells`.
///
/// Exit status: 0 done, 2 bad usage or a cache that cannot be read or changed.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or clear the stored results of 'cache: true' cells.",
        discussion: "Exit status: 0 when done, 2 for bad usage.",
        subcommands: [List.self, Clear.self])

    func run() throws {
        throw ValidationError("say what to do: nbrun cache list, or nbrun cache clear [NOTEBOOK]")
    }

    struct Location: ParsableArguments {
        @Option(name: .short, help: ArgumentHelp("The report folder whose .cache to use.", valueName: "DIR"))
        var output: String = "output"

        var cache: CellCache { CellCache(directory: output + "/.cache") }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per entry: notebook, cell, size, when stored, when last used.")

        @Argument(help: "Only this notebook's entries.")
        var notebook: String?

        @OptionGroup var location: Location

        func run() throws {
            let wanted = notebook.map(CellCache.absolutePath)
            let entries = location.cache.entries().filter { wanted == nil || $0.notebook == wanted }
            if entries.isEmpty {
                print("no cached cells in \(location.cache.cellsDirectory)")
                return
            }
            let rows = entries.map { entry in
                [CacheCommand.display(entry.notebook), entry.readable ? entry.cellName : "(unreadable)",
                 CacheCommand.size(entry.bytes), CacheCommand.date(entry.stored),
                 entry.readable ? CacheCommand.date(entry.lastUsed) : "-", String(entry.key.prefix(12))]
            }
            let headers = ["NOTEBOOK", "CELL", "SIZE", "STORED", "LAST USED", "KEY"]
            var widths = headers.map(\.count)
            for row in rows { for (column, text) in row.enumerated() { widths[column] = max(widths[column], text.count) } }
            for row in [headers] + rows {
                print(row.enumerated().map { column, text in
                    column == 2 ? String(repeating: " ", count: widths[column] - text.count) + text
                                : text + String(repeating: " ", count: widths[column] - text.count)
                }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            let total = entries.reduce(Int64(0)) { $0 + $1.bytes }
            print("\(entries.count) entr\(entries.count == 1 ? "y" : "ies"), \(CacheCommand.size(total))")
        }
    }

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove every entry, or those of one notebook.")

        @Argument(help: "Only this notebook's entries.")
        var notebook: String?

        @OptionGroup var location: Location

        func run() throws {
            do {
                let removed = try location.cache.clear(notebook: notebook)
                let total = removed.reduce(Int64(0)) { $0 + $1.bytes }
                print("removed \(removed.count) entr\(removed.count == 1 ? "y" : "ies") (\(CacheCommand.size(total)))")
            } catch {
                FileHandle.standardError.write(Data("nbrun cache clear: \(error)\n".utf8))
                throw ExitCode(ExitStatus.usage)
            }
        }
    }

    static func display(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
