import ArgumentParser
import Foundation
import Notebook
import NotebookWatch

/// `nbrun watch NOTEBOOK.md [-p name=value]... [--port N] [-o DIR]`: a live page that re-runs on save.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Serve a live page of a notebook on 127.0.0.1 and run it again on every save.",
        discussion: """
        The page updates itself: cells show as running, their output appears as it is printed, training \
        shows its progress and loss curve, compile errors appear at their cells. Cached cells are restored, \
        not run again. Ctrl-C stops. Exit status: 0 when stopped, 2 for bad usage.
        """)

    @Argument(help: "The notebook (.md).")
    var notebook: String

    @OptionGroup var parameters: ParameterOptions

    @Option(help: ArgumentHelp("The port to serve on (0: any free port).", valueName: "N"))
    var port: UInt16 = 8642

    @Option(name: .short, help: ArgumentHelp("Folder for the report and the cache.", valueName: "DIR"))
    var output: String = "output"

    func run() throws {
        var options = RunOptions()
        options.outputDirectory = output
        options.parameters = parameters.pairs
        options.handlesInterrupts = false
        let session = WatchSession(path: notebook, options: options, port: port)
        session.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let url: String
        do {
            url = try session.start()
        } catch {
            FileHandle.standardError.write(Data("nbrun watch: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        print("watching \(notebook): open \(url)   (Ctrl-C stops)")
        fflush(stdout)
        // Ctrl-C (or SIGTERM, SIGHUP) is taken for the whole session: it stops the run in
        // progress and the server, and the command ends normally.
        InterruptWatch.reset()
        let interruption = InterruptWatch.install()
        defer { interruption.remove() }
        Thread.detachNewThread {
            while !interruption.fired { usleep(50_000) }
            session.stop()
        }
        try session.watch()
        FileHandle.standardError.write(Data("nbrun watch: stopped\n".utf8))
    }
}
