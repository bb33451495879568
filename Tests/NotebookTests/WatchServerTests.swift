import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Notebook
@testable import NotebookWatch

/// `nbrun watch`'s server, over real sockets: a page holding a notebook's output is served to
/// the request with the token, and to nothing else: another host name, another origin's
/// WebSocket, no token, a request line or header too long, a client too slow. Each refusal is a
/// 403 (or a closed connection) without the output, and a line on the terminal.
@Suite(.serialized) struct WatchServerTests {
    static let secret = "SECRET-OUTPUT-8d1f"

    /// A server whose page shows `secret` as a cell's output (no notebook is run: the page's
    /// state is set as a run would).
    final class Server: @unchecked Sendable {
        let session: WatchSession
        let port: UInt16
        let url: String
        let lines = TestLines()
        private let folder: String

        init(requiresToken: Bool = true, limits: ConnectionGate.Limits = ConnectionGate.Limits()) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-server-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/live.md"
            try "```swift\nprint(1)\n```\n".write(toFile: path, atomically: true, encoding: .utf8)
            session = WatchSession(path: path, options: RunOptions(), port: 0, requiresToken: requiresToken)
            session.gateLimits = limits
            let lines = self.lines
            session.log = { lines.add($0) }
            url = try session.start()
            port = UInt16(url.split(separator: ":")[2].prefix { $0.isNumber })!
            let notebook = try NotebookParser.parse(fileAt: path)
            session.page.runStarted(notebook)
            session.page.cellEnded(CellResult(cellIndex: 0, status: .passed, outputs: [.stdout(WatchServerTests.secret + "\n")]))
        }

        var token: String { String(url.split(separator: "=").last ?? "") }
        var cookie: String { "Cookie: nbrun-watch-\(port)=\(token)" }

        /// Sends `head` (CRLF line ends added) and returns all that comes back until the server closes.
        func request(_ lines: [String]) throws -> String {
            let connection = try RawConnection(port: port)
            connection.send(Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8))
            return connection.readToEnd()
        }

        func get(_ fields: [String], target: String = "/", host: String? = nil) throws -> String {
            try request(["GET \(target) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")"] + fields)
        }

        func webSocket(origin: String?, host: String? = nil, _ fields: [String]) throws -> String {
            try get(fields + ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
                    + (origin.map { ["Origin: \($0)"] } ?? []), target: "/events", host: host)
        }

        deinit {
            session.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func thePageAndItsSocketWithTheTokenAndNothingWithout() throws {
        let server = try Server()
        // The token in the URL: a cookie, and a redirect to the plain URL.
        let entered = try server.get(["Sec-Fetch-Site: none"], target: "/?token=\(server.token)")
        #expect(entered.hasPrefix("HTTP/1.1 303"))
        #expect(entered.contains("Set-Cookie: nbrun-watch-\(server.port)=\(server.token); Path=/; HttpOnly; SameSite=Strict"))
        #expect(entered.contains("Location: /\r\n") && !entered.contains(Self.secret))
        // With the cookie: the page, then the socket's first message, both with the output.
        let page = try server.get([server.cookie])
        #expect(page.hasPrefix("HTTP/1.1 200") && page.contains(Self.secret))
        #expect(page.contains("X-Frame-Options: DENY") || page.contains("x-frame-options: DENY"))
        let socket = try RawConnection(port: server.port)
        socket.send(Data(("GET /events HTTP/1.1\r\nHost: localhost:\(server.port)\r\n\(server.cookie)\r\nUpgrade: websocket\r\n"
                          + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          + "Origin: http://localhost:\(server.port)\r\n\r\n").utf8))
        let upgraded = socket.read { $0.contains(Self.secret) }
        #expect(upgraded.hasPrefix("HTTP/1.1 101") && upgraded.contains(Self.secret))
        #expect(server.lines.all.isEmpty, "\(server.lines.all)")
    }

    @Test func foreignHostsNoTokenAndForeignOriginsGet403AndNoOutput() throws {
        let server = try Server()
        let port = server.port
        var answers: [String: String] = [:]
        answers["foreign Host"] = try server.get([server.cookie], host: "evil.example:\(port)")
        answers["foreign Host with the token"] = try server.get([], target: "/?token=\(server.token)", host: "evil.example:\(port)")
        answers["no token"] = try server.get([])
        answers["wrong token"] = try server.get([], target: "/?token=\(String(repeating: "0", count: 48))")
        answers["wrong cookie"] = try server.get(["Cookie: nbrun-watch-\(port)=\(String(repeating: "0", count: 48))"])
        answers["socket without the token"] = try server.webSocket(origin: "http://127.0.0.1:\(port)", [])
        answers["socket from another origin"] = try server.webSocket(origin: "http://evil.example", [server.cookie])
        answers["socket from another port"] = try server.webSocket(origin: "http://127.0.0.1:\(port &+ 1)", [server.cookie])
        answers["socket for another host"] = try server.webSocket(origin: "http://evil.example:\(port)", host: "evil.example:\(port)",
                                                                  [server.cookie])
        answers["socket without an origin"] = try server.webSocket(origin: nil, [server.cookie])
        answers["POST"] = try server.request(["POST / HTTP/1.1", "Host: 127.0.0.1:\(port)", server.cookie, "Content-Length: 0"])
        for (what, answer) in answers {
            #expect(answer.hasPrefix("HTTP/1.1 403 Forbidden"), "\(what): \(answer.prefix(200))")
            #expect(!answer.contains(Self.secret), "\(what) read the output")
            #expect(!answer.contains("101 Switching"), "\(what) opened the socket")
        }
        // One line each on the terminal (the first five; the rest counted when 10 s are over).
        let lines = server.lines.all
        #expect(lines.count == 5 && lines.allSatisfy { $0.contains(" refused ") && $0.hasSuffix("(403)") }, "\(lines)")
        #expect(lines.contains { $0.contains("Host evil.example:\(port) is not this server") }, "\(lines)")
    }

    /// A 64 KB request line and a 100 KB header field are refused (whatever their content,
    /// after at most 8 KB and 32 KB); the next ordinary request is answered.
    @Test func longRequestLinesAndHeadersAreRefused() throws {
        let server = try Server()
        let line = try server.request(["GET /?" + String(repeating: "a", count: 64 * 1024) + " HTTP/1.1", "Host: 127.0.0.1:\(server.port)",
                                       server.cookie])
        let header = try server.get([server.cookie, "X-Long: " + String(repeating: "b", count: 100 * 1024)])
        for answer in [line, header] {
            #expect(answer.hasPrefix("HTTP/1.1 403 Forbidden"), "\(answer.prefix(200))")
            #expect(!answer.contains(Self.secret))
        }
        #expect(try server.get([server.cookie]).contains(Self.secret))
        let lines = server.lines.all
        #expect(lines.contains { $0.contains("a request line longer than 8 KB") } && lines.contains { $0.contains("longer than 32 KB") },
                "\(lines)")
        #expect(lines.allSatisfy { $0.count < 400 }, "a refusal line repeats the request: \(lines)")
    }

    /// A client that sends part of a head and stops is closed when its time is up; 300 idle
    /// connections do not keep an ordinary request out; nothing reads the output.
    @Test func slowAndIdleConnectionsDoNotHoldTheServer() throws {
        var limits = ConnectionGate.Limits()
        limits.headTimeout = 1
        let server = try Server(limits: limits)
        let slow = try RawConnection(port: server.port)
        slow.send(Data("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\(server.cookie)\r\n".utf8))
        let answer = slow.readToEnd()  // returns when the server closes the connection
        #expect(!answer.contains(Self.secret))
        #expect(server.lines.all.contains { $0.contains("not complete within 1 s") }, "\(server.lines.all)")

        var idle: [RawConnection] = []
        for index in 0..<300 {
            let connection = try RawConnection(port: server.port)
            if index % 2 == 0 { connection.send(Data("GET / HTTP/1.1\r\n".utf8)) }
            idle.append(connection)
        }
        #expect(try server.get([server.cookie]).contains(Self.secret))
        idle.removeAll()
    }

    @Test func withoutATokenThePageIsServedButHostsAreStillChecked() throws {
        let server = try Server(requiresToken: false)
        #expect(!server.url.contains("token"))
        #expect(try server.get([]).contains(Self.secret))
        let foreign = try server.get([], host: "evil.example:\(server.port)")
        #expect(foreign.hasPrefix("HTTP/1.1 403") && !foreign.contains(Self.secret))
        let socket = try server.webSocket(origin: "http://evil.example", [])
        #expect(socket.hasPrefix("HTTP/1.1 403") && !socket.contains(Self.secret))
    }
}

/// A plain blocking TCP connection to 127.0.0.1, with a 60 s limit on each read and write as a
/// safety net (a test that would wait longer fails).
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var limit = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw WatchError("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Sends what it can: a server that refused a request may close before all of it is sent.
    func send(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { return }
                sent += count
            }
        }
    }

    /// What arrives until the server closes (or `enough` says so, or 60 s pass without a byte).
    func read(until enough: (String) -> Bool = { _ in false }) -> String {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !enough(String(decoding: received, as: UTF8.self)) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: received, as: UTF8.self)
    }

    func readToEnd() -> String { read() }
}
