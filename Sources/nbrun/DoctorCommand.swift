import ArgumentParser
import Foundation
import Notebook

/// `nbrun doctor`: what nbrun runs with on this machine, for bug reports and for checking a
/// setup: its version, the Swift toolchain, the kernel library and its identity in cache keys,
/// and what the engine computes on (BLAS library, version, kernel set, threads).
///
/// Exit status: 0 when everything was found, 2 when something is missing (it says what).
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the toolchain, the kernel and the BLAS kernels the engine runs on.",
        discussion: "Exit status: 0 when everything was found, 2 when something is missing.")

    func run() throws {
        print("nbrun: \(nbrunVersionString)")
        var missing = false
        do {
            print("swift: \(try Toolchain.detect().version)")
        } catch {
            print("swift: not found: \(error)")
            missing = true
        }
        do {
            let kernel = try KernelLocation.locate()
            print("kernel: \(kernel.libraryPath)")
            // What a shared cache matches the kernel on: machines with the same swift line above share
            // binaries and cell entries when this line is the same too.
            let identity = try KernelIdentity(libraryAt: kernel.libraryPath)
            print("kernel identity: \(identity.digest) (\(identity.sources.map { "built from sources \($0)" } ?? "of its mapped sections: it names no sources"))")
            print("BLAS: \(try kernel.engineDescription())")
        } catch {
            print("kernel: \(error)")
            missing = true
        }
        if missing { throw ExitCode(2) }
    }
}
