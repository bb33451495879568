import ArgumentParser
import Foundation
import Notebook

extension ParsableCommand {
    /// Parses `arguments` (the process's own when nil) and runs the command, like `main()`,
    /// except that usage errors exit with nbrun's status 2 rather than ArgumentParser's 64.
    static func runExitingTwoOnUsageErrors(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            exit(withError: nil)
        } catch {
            if exitCode(for: error) == .success || error is ExitCode { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(ExitStatus.usage)
        }
    }
}
