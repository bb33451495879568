import Foundation

/// Reads what a running cell has printed so far from its output files, for live views.
struct OutputTail {
    let directory: String
    private var offsets: [String: UInt64] = [:]
    private var partial: [String: [UInt8]] = [:]

    init(directory: String) {
        self.directory = directory
    }

    /// Passes on the new text of cell `index`'s stdout and stderr: whole lines only unless `whole`.
    mutating func flush(_ index: Int, whole: Bool, _ deliver: (Int, Bool, String) -> Void) {
        for isError in [false, true] {
            let path = "\(directory)/cell-\(index).\(isError ? "stderr" : "stdout")"
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let offset = offsets[path] ?? 0
            try? handle.seek(toOffset: offset)
            let fresh = (try? handle.read(upToCount: 1 << 20)) ?? nil
            var bytes = partial[path, default: []] + [UInt8](fresh ?? Data())
            offsets[path] = offset + UInt64(fresh?.count ?? 0)
            var cut = bytes.count
            if !whole {
                guard let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
                    partial[path] = bytes
                    continue
                }
                cut = newline + 1
            }
            partial[path] = Array(bytes[cut...])
            bytes.removeSubrange(cut...)
            if !bytes.isEmpty { deliver(index, isError, String(decoding: bytes, as: UTF8.self)) }
        }
    }
}
