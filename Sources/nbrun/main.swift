// nbrun: run a Markdown notebook of Swift cells and write its HTML report;
// `nbrun test` runs notebooks as tests.
import Notebook

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "test" {
    TestCommand.main(Array(arguments.dropFirst()))
} else if arguments.first == "cache" {
    CacheCommand.main(Array(arguments.dropFirst()))
} else {
    NBRunCommand.main()
}
