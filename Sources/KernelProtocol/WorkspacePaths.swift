import Foundation

/// Paths as cache keys and entries hold them: relative to the folders a run is set in, so that
/// an entry stored in one checkout means the same files in another (a second clone, another CI
/// machine), and is checked against those files there.
///
/// The folders are the data folder (`NBRUN_DATA`), the repository (`NBRUN_ROOT`) and the working
/// directory nbrun runs in. A path inside one of them is written `$NAME/rest` (the innermost
/// folder first; on a tie, in that order), any other path stays absolute. How the folders lie
/// relative to each other (`signature`) is part of every cell's key: where they lie alike, a
/// path written one way names the file that the same code looks for on both machines.
public struct WorkspacePaths: Sendable, Equatable {
    public struct Root: Sendable, Equatable {
        public var name: String
        /// Absolute, standardized, without a trailing slash.
        public var path: String
    }

    /// The folders, in the order ties are broken.
    public var roots: [Root]

    public init(roots: [Root]) {
        self.roots = roots
    }

    /// The folders of this process: `NBRUN_DATA` and `NBRUN_ROOT` when set, and the working directory.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment,
                               workingDirectory: String = FileManager.default.currentDirectoryPath) -> WorkspacePaths {
        var roots: [Root] = []
        for name in ["NBRUN_DATA", "NBRUN_ROOT"] {
            if let value = environment[name], !value.isEmpty {
                roots.append(Root(name: name, path: standardized(value, base: workingDirectory)))
            }
        }
        roots.append(Root(name: "PWD", path: standardized(workingDirectory, base: "/")))
        return WorkspacePaths(roots: roots)
    }

    /// `path` (absolute) as `$NAME/rest` when it is inside a root, else as it is.
    public func portable(_ path: String) -> String {
        let full = Self.standardized(path, base: "/")
        var best: Root?
        for root in roots where full == root.path || full.hasPrefix(root.path == "/" ? "/" : root.path + "/") {
            if best == nil || root.path.count > best!.path.count { best = root }
        }
        guard let best else { return path }
        let rest = full.dropFirst(best.path == "/" ? 1 : best.path.count)
        return "$" + best.name + (rest.isEmpty ? "" : (rest.hasPrefix("/") ? String(rest) : "/" + rest))
    }

    /// The absolute path a `portable` path names here: a path of a root this process does not
    /// have stays as it is (a relative path, which names no file of the entry's).
    public func resolve(_ path: String) -> String {
        guard path.hasPrefix("$") else { return path }
        let name = path.dropFirst().prefix { $0 != "/" }
        guard let root = roots.first(where: { $0.name == name }) else { return path }
        let rest = path.dropFirst(1 + name.count)
        return root.path == "/" && rest.hasPrefix("/") ? String(rest) : root.path + rest
    }

    /// Which roots are set and where each lies relative to the others, for keys.
    public var signature: String {
        roots.map { root in
            let others = WorkspacePaths(roots: roots.filter { $0.name != root.name })
            let place = others.portable(root.path)
            return "\(root.name)=\(place.hasPrefix("$") ? place : "(elsewhere)")"
        }.joined(separator: " ")
    }

    /// Absolute, with `.`, `..` and repeated slashes removed and symbolic links kept: a path as
    /// a program names it (Foundation's `standardizingPath` resolves links of existing paths).
    static func standardized(_ path: String, base: String) -> String {
        let full = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
