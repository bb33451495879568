// nbrun: run a Markdown notebook of Swift cells and write its HTML report;
// `nbrun test` runs notebooks as tests, `nbrun cache` manages cached cells.
import Notebook

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "test": TestCommand.runExitingTwoOnUsageErrors(Array(arguments.dropFirst()))
case "cache": CacheCommand.runExitingTwoOnUsageErrors(Array(arguments.dropFirst()))
default: NBRunCommand.runExitingTwoOnUsageErrors()
}
