import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension KernelLocation {
    /// What the engine runs on (its BLAS library, kernel set and threads), asked of the built
    /// kernel library itself: it is loaded into this process, which runs its load-time choice
    /// of BLAS kernels exactly as a notebook program would, with this process's environment.
    ///
    /// - Throws: `NotebookError` when the library cannot be loaded or does not answer.
    public func engineDescription() throws -> String {
        guard let library = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw NotebookError("cannot load the notebook kernel \(libraryPath): \(reason)",
                                hint: "rebuild it with `swift build -c release --product NotebookKernel`")
        }
        // Not closed: a Swift runtime library cannot be unloaded, and the process ends soon.
        guard let symbol = dlsym(library, "nbrun_engine_description") else {
            throw NotebookError("the notebook kernel \(libraryPath) does not describe its engine (built by an older nbrun)",
                                hint: "rebuild it with `swift build -c release --product NotebookKernel`")
        }
        typealias Describe = @convention(c) () -> UnsafeMutablePointer<CChar>?
        guard let text = unsafeBitCast(symbol, to: Describe.self)() else { return "unknown" }
        defer { free(text) }
        return String(cString: text)
    }
}
