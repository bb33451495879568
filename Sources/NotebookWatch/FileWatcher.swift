import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells when a file is saved, through Linux's inotify on its folder (editors that save by
/// writing a new file and renaming it over the old one are seen too). Changes arriving together
/// (an editor's write, rename and attribute change) are coalesced into one.
final class FileWatcher: @unchecked Sendable {
    private let descriptor: Int32
    private let name: String

    /// Watches `path`'s folder for changes to `path`.
    ///
    /// - Throws: `WatchError` naming the folder when inotify cannot watch it.
    init(path: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        name = url.lastPathComponent
        descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw WatchError("cannot start inotify: \(String(cString: strerror(errno)))") }
        let folder = url.deletingLastPathComponent().path
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | IN_MODIFY)
        guard inotify_add_watch(descriptor, folder, mask) >= 0 else {
            close(descriptor)
            throw WatchError("cannot watch the folder \(folder): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Waits up to `timeout` seconds for the file to change; true when it did. After the first
    /// change, waits until `quiet` seconds pass without another before returning.
    func waitForChange(timeout: Double, quiet: Double = 0.05) -> Bool {
        guard wait(timeout) else { return false }
        while wait(quiet) {}
        return true
    }

    /// True when an event for the file arrived within `seconds`.
    private func wait(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var relevant = false
        while !relevant {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, min(remaining, 0.2) * 1000)))
            guard ready > 0 else { continue }
            relevant = readEvents()
        }
        return true
    }

    /// Reads the pending events; true when one is about the file.
    private func readEvents() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var relevant = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (length, eventName) = buffer.withUnsafeBytes { raw -> (Int, String) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = raw[nameStart..<min(nameStart + Int(event.len), count)].prefix { $0 != 0 }
                    return (Int(event.len), String(decoding: nameBytes, as: UTF8.self))
                }
                if eventName == name { relevant = true }
                offset += MemoryLayout<inotify_event>.size + length
            }
        }
        return relevant
    }
}

/// A problem starting or running `nbrun watch`.
public struct WatchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
