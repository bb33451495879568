import ArgumentParser
import Foundation
import Notebook
import NotebookWatch

/// `nbrun watch NOTEBOOK.md [-p name=value]... [--port N] [-o DIR] [--no-token]`: a live page that re-runs on save.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Serve a live page of a notebook on 127.0.0.1 and run it again on every save.",
        discussion: """
        The page updates itself: cells show as running, their output appears as it is printed, training \
        shows its progress and loss curve, compile errors appear at their cells. Cached cells are restored, \
        not run again. Ctrl-C stops. Exit status: 0 when stopped, 2 for bad usage.

        Only you see the page: the URL printed carries a secret token, new for each run of nbrun watch, \
        which your browser keeps in a cookie after the first visit. Requests without it, for another host \
        name (DNS rebinding), WebSockets from other pages, and requests too long or too slow are refused \
        with 403 and a line here.
        """)

    @Argument(help: "The notebook (.md).")
    var notebook: String

    @OptionGroup var parameters: ParameterOptions

    @Option(help: ArgumentHelp("The port to serve on (0: any free port).", valueName: "N"))
    var port: UInt16 = 8642

    @Option(name: .short, help: ArgumentHelp("Folder for the report and the cache.", valueName: "DIR"))
    var output: String = "output"

    @Flag(name: .customLong("no-token"),
          help: "Serve the page without a token: any program on this machine can then read it (other sites still cannot).")
    var noToken = false

    func run() throws {
        var options = RunOptions()
        options.outputDirectory = output
        options.parameters = parameters.pairs
        options.handlesInterrupts = false
        let session = WatchSession(path: notebook, options: options, port: port, requiresToken: !noToken)
        session.log = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let url: String
        do {
            url = try session.start()
        } catch {
            FileHandle.standardError.write(Data("nbrun watch: \(error)\n".utf8))
            throw ExitCode(ExitStatus.usage)
        }
        if noToken {
            FileHandle.standardError.write(Data("""
            nbrun watch: warning: --no-token: any program or user on this machine can read the page, \
            the notebook's output included; web pages from other sites still cannot.\n
            """.utf8))
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
        // `stop` returns once the stop that Ctrl-C started is done (the server's files removed).
        do { try session.watch() } catch { session.stop(); throw error }
        session.stop()
        FileHandle.standardError.write(Data("nbrun watch: stopped\n".utf8))
    }
}
