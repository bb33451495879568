import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of a file's bytes, remembered between runs the way git's index remembers that a
/// file is unchanged: beside the file's `stat` data.
///
/// The kernel library is 6 MB and hashing it took about 0.1 s in the debug tool, on every
/// run. The hash stays a content hash (the binary cache key never uses mtimes); the stat
/// data only says whether the stored hash still belongs to the file: path, device, inode,
/// size, and modification and change times in nanoseconds. A rebuilt library is a new file
/// or a rewritten one, and either changes the inode or the change time, which no program can
/// set back.
///
/// Racy writes: file times advance in clock ticks (several ms on Linux), so a file
/// rewritten within the tick it was hashed in could keep all its stat data. As git does,
/// a hash is only remembered once the file is older than `settleSeconds`: a fresh file is
/// hashed on every run until then.
enum FileDigest {
    static let settleSeconds: Double = 2

    /// The file's SHA-256 (hex), read from `memoPath` when the stat data there matches,
    /// else computed by `digest` (and stored there when the file has settled). `memoPath` nil:
    /// always computed.
    static func sha256(ofFileAt path: String, memoPath: String?, now: Date = Date(),
                       digest compute: (String) throws -> String = sha256(ofFileAt:)) throws -> String {
        guard let memoPath, let identity = identity(of: path) else { return try compute(path) }
        if let text = try? String(contentsOfFile: memoPath, encoding: .utf8) {
            let lines = text.split(separator: "\n")
            if lines.count == 2, lines[0] == identity.line, lines[1].count == 64,
               lines[1].allSatisfy({ $0.isHexDigit }) {
                return String(lines[1])
            }
        }
        let digest = try compute(path)
        // Remember it only if the file has settled and did not change while it was read.
        let newest = max(identity.modified, identity.changed)
        if now.timeIntervalSince1970 - newest >= settleSeconds, self.identity(of: path)?.line == identity.line {
            let directory = (memoPath as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? "\(identity.line)\n\(digest)\n".write(toFile: memoPath, atomically: true, encoding: .utf8)
        }
        return digest
    }

    /// `path dev ino size mtime_ns ctime_ns` of a regular file, and its times in seconds.
    static func identity(of path: String) -> (line: String, modified: Double, changed: Double)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return ("\(absolute)\t\(info.st_dev) \(info.st_ino) \(info.st_size) \(modified) \(changed)",
                Double(modified) / 1e9, Double(changed) / 1e9)
    }

    /// SHA-256 (hex) of the file's bytes.
    static func sha256(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw NotebookError(file: path, "cannot read the kernel library")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().hex
    }
}

extension SHA256Digest {
    /// The digest as 64 lowercase hex digits, as the caches name things.
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
