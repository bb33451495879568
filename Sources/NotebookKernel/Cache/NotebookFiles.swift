import Foundation

/// Reads a file whole. The cell cache follows what it read: a cached cell reading a file this
/// way (directly, or through the engine's loaders such as `MNIST.load`) is run again when the
/// file's content changes, and cells computed from its values too.
///
/// - Throws: `CocoaError` naming the file when it cannot be read.
public func readFile(_ path: String) throws -> Data {
    FileAccess.record(.read, path)
    return try Data(contentsOf: URL(fileURLWithPath: path))
}

/// Reads a UTF-8 text file whole, followed by the cell cache as `readFile` is.
public func readTextFile(_ path: String) throws -> String {
    String(decoding: try readFile(path), as: UTF8.self)
}

/// The content hash of a file (32 hex digits; "absent" when there is none), for
/// `//| cache-extra: fileHash("data.csv")`: the cell's cache entry is then keyed on the file's
/// content. The file also counts as read by the cell.
public func fileHash(_ path: String) -> String {
    FileAccess.record(.read, path)
    return FileDigests.hash(ofFileAt: path)
}
