import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a rendered report so that it appears whole or not at all.
///
/// The page is `DIR/NAME.html`; the files it links to (`--no-embed`'s figures, outputs too
/// long for the page) are in `DIR/NAME_files/`, each named after its content
/// (`cell-2-figure-1-3fa9c1d2.png`, from `HTMLReport`). Each file is written under a temporary
/// name and renamed into place, the page last, and only then are the files the old page used
/// and the new one does not removed. So whatever stops the write (a full disk, a kill, a power
/// cut after the renames), the folder holds the old page with all its files or the new page
/// with all of its own; a failed write removes what it wrote and throws `EnvironmentError`.
enum ReportWriter {
    /// Creates the output folder and its cache, before anything is compiled or run.
    ///
    /// - Throws: `NotebookError` naming the folder and why it cannot be written (a bad `-o`);
    ///   `EnvironmentError` when the disk is full or failing.
    static func prepare(_ directory: String, cacheDirectory: String) throws {
        guard !directory.isEmpty else {
            throw NotebookError("the report folder is empty ('-o \"\"')", hint: "give a folder with -o DIR, or leave -o out for 'output'")
        }
        var problem: (folder: String, code: Int32?, reason: String)?
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            if access(directory, W_OK) != 0 {
                problem = (directory, errno, String(cString: strerror(errno)))
            } else if access(cacheDirectory, W_OK) != 0 {
                problem = (cacheDirectory, errno, String(cString: strerror(errno)))
            }
        } catch {
            let underlying = (error as? CocoaError)?.underlying.map { $0 as NSError }
            var isFolder: ObjCBool = false
            let folderExists = FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) && isFolder.boolValue
            let existing = folderExists ? cacheDirectory : directory
            problem = (existing, underlying.map { Int32($0.code) }, EnvironmentError.reason(error))
        }
        guard let problem else { return }
        if let code = problem.code, [ENOSPC, EDQUOT, EIO, EROFS].contains(code) {
            throw EnvironmentError("cannot write the folder '\(problem.folder)': \(problem.reason)")
        }
        if problem.folder == directory {
            throw NotebookError("cannot write the report to the folder '\(directory)': \(problem.reason)",
                                hint: "choose a folder you can write with -o DIR")
        }
        throw NotebookError("cannot write nbrun's cache folder '\(problem.folder)' (built notebooks and cached cells): \(problem.reason)",
                            hint: "make it writable (or remove it), or choose another folder with -o DIR")
    }

    /// Writes `rendered` as `directory/name.html` and its files; returns the page's path.
    ///
    /// - Throws: `EnvironmentError` ("cannot write the report PATH: reason"); the old report,
    ///   if any, is then left as it was.
    static func write(_ rendered: HTMLReport.Rendered, to directory: String, name: String) throws -> String {
        let page = "\(directory)/\(name).html"
        func cannot(_ error: Error) -> EnvironmentError {
            EnvironmentError("cannot write the report \(page): \(EnvironmentError.reason(error))")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw cannot(error)
        }
        return try locked(directory, writing: page) {
            try writeLocked(rendered, page: page, directory: directory, name: name, cannot: cannot)
        }
    }

    /// Writes `data` (an `.ipynb` file) as `directory/name.ipynb`, whole or not at all; returns its path.
    ///
    /// - Throws: `EnvironmentError` ("cannot write the report PATH: reason"); the old file, if
    ///   any, is then left as it was.
    static func write(notebookFile data: Data, to directory: String, name: String) throws -> String {
        let path = "\(directory)/\(name).ipynb"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EnvironmentError("cannot write the report \(path): \(EnvironmentError.reason(error))")
        }
        return try locked(directory, writing: path) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw EnvironmentError("cannot write the report \(path): it is a folder", hint: "remove or rename the folder '\(path)'")
            }
            do {
                try writeWhole(data, to: path)
            } catch {
                throw (error as? EnvironmentError) ?? EnvironmentError("cannot write the report \(path): \(EnvironmentError.reason(error))")
            }
            return path
        }
    }

    /// Runs `body` as the folder's one writer: another run's pruning must not remove this one's
    /// files, nor its clean-up this one's temporary files.
    private static func locked<T>(_ directory: String, writing page: String, _ body: () throws -> T) throws -> T {
        let lock = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard lock >= 0 else { throw EnvironmentError.fromErrno("write the report \(page)") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 && errno == EINTR {}
        removeStaleTemporaries(in: directory)
        return try body()
    }

    private static func writeLocked(_ rendered: HTMLReport.Rendered, page: String, directory: String, name: String,
                                    cannot: (Error) -> EnvironmentError) throws -> String {
        let filesFolder = "\(directory)/\(name)_files"
        var written: [String] = []   // files new to the folder, removed again if the page cannot be written
        do {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: page, isDirectory: &isFolder), isFolder.boolValue {
                throw EnvironmentError("cannot write the report \(page): it is a folder",
                                       hint: "remove or rename the folder '\(page)'")
            }
            if !rendered.files.isEmpty {
                try FileManager.default.createDirectory(atPath: filesFolder, withIntermediateDirectories: true)
            }
            for file in rendered.files {
                let path = "\(directory)/\(file.path)"
                // Named after its content: one already there is this file, whole (it was renamed into place).
                if FileManager.default.fileExists(atPath: path) { continue }
                try writeWhole(file.data, to: path)
                written.append(path)
                FaultInjection.reach("report.file")
            }
            try writeWhole(Data(rendered.html.utf8), to: page, beforeRename: { FaultInjection.reach("report.page") })
        } catch {
            for path in written { unlink(path) }
            if rendered.files.isEmpty || (try? FileManager.default.contentsOfDirectory(atPath: filesFolder))?.isEmpty == true {
                rmdir(filesFolder)
            }
            throw (error as? EnvironmentError) ?? cannot(error)
        }
        FaultInjection.reach("report.prune")
        // The new page is in place: the files only the old one used can go.
        let kept = Set(rendered.files.map { ($0.path as NSString).lastPathComponent })
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: filesFolder)) ?? [] where !kept.contains(entry) {
            try? FileManager.default.removeItem(atPath: filesFolder + "/" + entry)
        }
        if kept.isEmpty { try? FileManager.default.removeItem(atPath: filesFolder) }
        return page
    }

    /// The prefix of temporary files in a report folder; any left there (a writer was killed)
    /// are removed by the next writer, which holds the folder's lock.
    static let temporaryPrefix = ".nbrun-"

    /// Writes `data` to a temporary file beside `path` and renames it to `path`: readers see the
    /// old file or the whole new one. The temporary name is short, so it fits where `path` does.
    static func writeWhole(_ data: Data, to path: String, beforeRename: () -> Void = {}) throws {
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        let temporary = "\(folder)/\(temporaryPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw posixError(errno) }
        var failure: Int32 = 0
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += count
            }
        }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        if failure == 0 { beforeRename() }
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw posixError(failure)
        }
    }

    private static func posixError(_ code: Int32) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(code))
    }

    /// Temporary files of writers that were stopped (the caller holds the folder's lock).
    private static func removeStaleTemporaries(in directory: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where entry.hasPrefix(temporaryPrefix) && entry.hasSuffix(".tmp") {
            unlink(directory + "/" + entry)
        }
    }
}
