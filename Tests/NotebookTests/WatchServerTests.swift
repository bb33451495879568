import FlyingSocks
import Foundation
import Testing
@testable import Notebook
@testable import NotebookWatch

/// `nbrun watch`'s server, over real sockets: the page, which shows a notebook's output, is
/// served to the request with the token, and to nothing else: another host name, another
/// origin's WebSocket, no token, a request line or header too long, a client too slow. Each
/// refusal is a 403 (or a closed connection) without the output, and a line on the terminal.
///
/// Each test runs `nbrun watch` as a user does, in its own process (in this one, tests that
/// block the few threads Swift's tasks share would stall the server's tasks too).
@Suite(.serialized) struct WatchServerTests {
    static let secret = "SECRET-OUTPUT-8d1f"
    /// One folder for the suite's servers: the notebook is compiled once, then its binary reused.
    static let folder: String = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-server-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? "```swift\nprint(\"\(secret)\")\n```\n".write(toFile: folder + "/live.md", atomically: true, encoding: .utf8)
        return folder
    }()

    /// `nbrun watch live.md --port 0`, once its first run printed the output.
    final class Server {
        let process = Process()
        let url: String
        let port: UInt16
        private let log: String

        init(_ arguments: [String] = []) throws {
            let folder = WatchServerTests.folder
            let name = UUID().uuidString
            log = folder + "/\(name).stderr"
            let output = folder + "/\(name).stdout"
            _ = try EndToEnd.kernel()
            process.executableURL = URL(fileURLWithPath: try #require(EndToEnd.nbrunExecutable(), "nbrun is not built beside the tests"))
            process.arguments = ["watch", "live.md", "--port", "0", "-o", "out"] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            for path in [log, output] { FileManager.default.createFile(atPath: path, contents: nil) }
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try process.run()
            let printed = try Self.wait(for: "the URL") { (try? String(contentsOfFile: output, encoding: .utf8)).flatMap { $0.contains("\n") ? $0 : nil } }
            url = String(try #require(printed.split(separator: " ").first { $0.hasPrefix("http://") }))
            port = try #require(UInt16(url.split(separator: ":")[2].prefix { $0.isNumber }))
            let log = self.log
            _ = try Self.wait(for: "the first run") { (try? String(contentsOfFile: log, encoding: .utf8)).flatMap { $0.contains("live.md: 1 passed") ? $0 : nil } }
        }

        deinit {
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
        }

        /// The terminal's lines about refused requests.
        var refusals: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(" refused ") }
        }

        var terminal: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// `found()`'s value once it has one; fails after 5 minutes (a compile on a busy machine).
        static func wait<Value>(for what: String, _ found: () -> Value?) throws -> Value {
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline {
                if let value = found() { return value }
                usleep(10_000)
            }
            throw WatchError("nbrun watch did not get to \(what) within 300 s")
        }

        var token: String { String(url.split(separator: "=").last ?? "") }
        var cookie: String { "Cookie: nbrun-watch-\(port)=\(token)" }

        /// Sends `head` (CRLF line ends added) and returns all that comes back until the server closes.
        func request(_ lines: [String]) throws -> String {
            let connection = try TestClient(port: port)
            defer { connection.close() }
            connection.send(lines.joined(separator: "\r\n") + "\r\n\r\n")
            return connection.read()
        }

        func get(_ fields: [String], target: String = "/", host: String? = nil) throws -> String {
            try request(["GET \(target) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")"] + fields)
        }

        func webSocket(origin: String?, host: String? = nil, _ fields: [String]) throws -> String {
            try get(fields + ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
                    + (origin.map { ["Origin: \($0)"] } ?? []), target: "/events", host: host)
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
        let socket = try TestClient(port: server.port)
        defer { socket.close() }
        socket.send("GET /events HTTP/1.1\r\nHost: localhost:\(server.port)\r\n\(server.cookie)\r\nUpgrade: websocket\r\n"
                          + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          + "Origin: http://localhost:\(server.port)\r\n\r\n")
        let upgraded = socket.read { $0.contains(Self.secret) }
        #expect(upgraded.hasPrefix("HTTP/1.1 101") && upgraded.contains(Self.secret))
        #expect(server.refusals.isEmpty, "\(server.refusals)")
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
        let lines = server.refusals
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
        let lines = server.refusals
        #expect(lines.contains { $0.contains("a request line longer than 8 KB") } && lines.contains { $0.contains("longer than 32 KB") },
                "\(lines)")
        #expect(lines.allSatisfy { $0.count < 400 }, "a refusal line repeats the request: \(lines)")
    }

    /// A client that sends part of a head and stops is closed when its time (10 s) is up; 300
    /// idle connections do not keep an ordinary request out; nothing reads the output.
    @Test func slowAndIdleConnectionsDoNotHoldTheServer() throws {
        let server = try Server()
        let slow = try TestClient(port: server.port)
        defer { slow.close() }
        slow.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\(server.cookie)\r\n")
        let answer = slow.read()  // returns when the server closes the connection
        #expect(!answer.contains(Self.secret))
        #expect(server.refusals.contains { $0.contains("not complete within 10 s") && $0.hasSuffix("(closed)") }, "\(server.refusals)")

        var idle: [TestClient] = []
        for index in 0..<300 {
            let connection = try TestClient(port: server.port)
            if index % 2 == 0 { connection.send("GET / HTTP/1.1\r\n") }
            idle.append(connection)
        }
        #expect(try server.get([server.cookie]).contains(Self.secret))
        idle.forEach { $0.close() }
    }

    @Test func withoutATokenThePageIsServedButHostsAreStillChecked() throws {
        let server = try Server(["--no-token"])
        #expect(!server.url.contains("token"))
        #expect(server.terminal.contains("warning: --no-token"))
        #expect(try server.get([]).contains(Self.secret))
        let foreign = try server.get([], host: "evil.example:\(server.port)")
        #expect(foreign.hasPrefix("HTTP/1.1 403") && !foreign.contains(Self.secret))
        let socket = try server.webSocket(origin: "http://evil.example", [])
        #expect(socket.hasPrefix("HTTP/1.1 403") && !socket.contains(Self.secret))
    }
}

/// A blocking connection to 127.0.0.1 (FlyingSocks' `Socket`), each read limited to 60 s as a
/// safety net (a test that would wait longer fails).
struct TestClient {
    let socket: Socket

    init(port: UInt16) throws {
        socket = try Socket(domain: AF_INET, type: .stream)
        var limit = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(socket.file.rawValue, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        try socket.connect(to: sockaddr_in.inet(ip4: "127.0.0.1", port: port))
    }

    /// Sends what the server takes: after refusing a request it may close before all of it came.
    func send(_ text: String) {
        let data = Data(text.utf8)
        var sent = data.startIndex
        while sent < data.endIndex, let next = try? socket.write(data, from: sent) { sent = next }
    }

    /// What arrives until the server closes, or until `enough` says so.
    func read(until enough: (String) -> Bool = { _ in false }) -> String {
        var received: [UInt8] = []
        while !enough(String(decoding: received, as: UTF8.self)), let bytes = try? socket.read(atMost: 65536) {
            received += bytes
        }
        return String(decoding: received, as: UTF8.self)
    }

    func close() {
        try? socket.close()
    }
}
