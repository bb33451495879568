/// The files the engine reads, writes or looks for on a program's behalf (datasets, saved
/// models), told to an observer: the notebook kernel's cell cache keys what a cell computed on
/// the content of the files it read, keeps copies of the files it wrote, and checks that the
/// files a search passed over are still absent.
///
/// Every reading entry point of the engine calls `record(.read, path)` before it reads, whether
/// or not the file is there (a missing file is an input too: creating it changes what the read
/// gives), and every writing one calls `record(.write, path)` once it has written. Code outside
/// the engine that reads files (Foundation's `FileManager`, `Data(contentsOf:)`, POSIX `open`)
/// is not seen here.
package enum FileAccess {
    public enum Kind: Sendable, Equatable {
        /// The file is about to be read whole (it may turn out to be missing).
        case read
        /// The file was written (replaced whole).
        case write
        /// A search looked for the file and did not find it (a later file of that name would be read instead).
        case absent
    }

    /// Receives each access; nil (nobody listening) by default.
    nonisolated(unsafe) public static var observer: ((Kind, String) -> Void)?

    public static func record(_ kind: Kind, _ path: String) {
        observer?(kind, path)
    }
}
