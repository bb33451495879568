import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// nginx serving Bazel's HTTP cache protocol from a temporary folder (WebDAV's PUT, files
/// as they are), on 127.0.0.1, started and stopped by a test: the kind of server a team points
/// `--cache-url` at. `scripts/setup test-deps` installs Debian's nginx.
final class NginxCacheServer {
    /// Where nginx is, or nil (then the tests that need it are skipped, saying so).
    static let executable: String? = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let missing = "nginx is not installed (scripts/setup test-deps installs Debian's nginx)"

    let folder: String
    /// The objects, as nginx keeps them: `cas/<sha256>` and `ac/<key>` under it.
    var store: String { folder + "/store" }
    let port: UInt16
    private var process: Process?

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-nginx-\(UUID().uuidString)").path
        for sub in ["store", "body", "logs"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        port = try Self.freePort()
        // Started as root, nginx's worker would write as "nobody": it writes as the test does.
        let user = getuid() == 0 ? "user \(String(cString: getpwuid(getuid()).pointee.pw_name)) \(String(cString: getgrgid(getgid()).pointee.gr_name));\n" : ""
        let configuration = """
        \(user)daemon off;
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/logs/error.log warn;
        events { worker_connections 64; }
        http {
            access_log \(folder)/logs/access.log;
            client_body_temp_path \(folder)/body;
            proxy_temp_path \(folder)/body;
            fastcgi_temp_path \(folder)/body;
            uwsgi_temp_path \(folder)/body;
            scgi_temp_path \(folder)/body;
            client_max_body_size 0;
            server {
                listen 127.0.0.1:\(port);
                root \(folder)/store;
                location / {
                    dav_methods PUT;
                    create_full_put_path on;
                    dav_access user:rw;
                }
            }
        }

        """
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts nginx and returns once it accepts connections (or throws, with its error log).
    func start() throws {
        let executable = try Self.executable ?? { throw ServerError(Self.missing) }()
        // With its master process: a lone worker would keep the signal mask it inherits from
        // the test (SIGTERM blocked), where the master waits for signals with none blocked.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Wait for the event itself (a connection accepted); the deadline only fails the test.
        let deadline = Date().addingTimeInterval(30)
        while !Self.accepts(port: port) {
            if !process.isRunning || Date() > deadline {
                let log = (try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? ""
                stop()
                throw ServerError("nginx did not start on 127.0.0.1:\(port): \(log)")
            }
            usleep(10_000)
        }
    }

    /// Stops nginx (SIGTERM, then waits for it to exit; SIGKILL if it has not within a minute,
    /// which only keeps a broken test from hanging).
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    /// The objects the server holds under `kind` (`cas` or `ac`), by name.
    func objects(_ kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store + "/" + kind)) ?? []).sorted()
    }

    /// Requests nginx answered, as `METHOD /path STATUS` (its access log).
    func requests() -> [String] {
        let log = (try? String(contentsOfFile: folder + "/logs/access.log", encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { line in
            // 127.0.0.1 - - [date] "GET /cas/... HTTP/1.1" 200 ...
            let parts = line.split(separator: "\"")
            guard parts.count >= 3 else { return nil }
            let request = parts[1].split(separator: " ")
            let status = parts[2].split(separator: " ").first ?? ""
            return request.count >= 2 ? "\(request[0]) \(request[1]) \(status)" : nil
        }
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A port nothing listens on now (the kernel's choice for port 0).
    static func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ServerError("bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    static func accepts(port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}

/// A server that takes connections and never answers: a cache server that hangs.
final class SilentServer {
    let port: UInt16
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw NginxCacheServer.ServerError("socket: \(String(cString: strerror(errno)))") }
        var address = NginxCacheServer.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Connections wait in the backlog, accepted by the kernel and never read.
        guard bound == 0, listen(descriptor, 64) == 0 else {
            close(descriptor)
            throw NginxCacheServer.ServerError("cannot listen: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    deinit { close(descriptor) }
}
