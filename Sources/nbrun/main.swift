// nbrun: run a Markdown notebook of Swift cells and write its HTML report; `nbrun test` runs
// notebooks as tests, `nbrun watch` serves a live page that re-runs on save, `nbrun cache`
// manages cached cells.
import ArgumentParser
import Notebook

struct NBRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nbrun",
        abstract: "Run Markdown notebooks of ```swift cells: HTML reports, tests, a live view.",
        discussion: """
        `nbrun NOTEBOOK.md` is `nbrun run NOTEBOOK.md`. Exit status: 0 success, 1 a cell or a test \
        failed, 2 bad usage or a bad notebook (parse, options, parameters, compile errors), 3 the \
        machine failed the run (cannot build, run or write: a full disk, a path too long), 130 interrupted.
        """,
        version: nbrunVersionString,
        subcommands: [RunCommand.self, TestCommand.self, WatchCommand.self, CacheCommand.self, DoctorCommand.self],
        defaultSubcommand: RunCommand.self)
}

NBRun.runExitingTwoOnUsageErrors()
