import FlyingSocks
import Foundation
import Testing
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
        func request(_ lines: [String]) async throws -> String {
            let connection = try await TestClient(port: port)
            defer { connection.close() }
            await connection.send(lines.joined(separator: "\r\n") + "\r\n\r\n")
            return await connection.read()
        }

        func get(_ fields: [String], target: String = "/", host: String? = nil) async throws -> String {
            try await request(["GET \(target) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")"] + fields)
        }

        func webSocket(origin: String?, host: String? = nil, _ fields: [String]) async throws -> String {
            try await get(fields + ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
                          + (origin.map { ["Origin: \($0)"] } ?? []), target: "/events", host: host)
        }

        deinit {
            session.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func thePageAndItsSocketWithTheTokenAndNothingWithout() async throws {
        let server = try Server()
        // The token in the URL: a cookie, and a redirect to the plain URL.
        let entered = try await server.get(["Sec-Fetch-Site: none"], target: "/?token=\(server.token)")
        #expect(entered.hasPrefix("HTTP/1.1 303"))
        #expect(entered.contains("Set-Cookie: nbrun-watch-\(server.port)=\(server.token); Path=/; HttpOnly; SameSite=Strict"))
        #expect(entered.contains("Location: /\r\n") && !entered.contains(Self.secret))
        // With the cookie: the page, then the socket's first message, both with the output.
        let page = try await server.get([server.cookie])
        #expect(page.hasPrefix("HTTP/1.1 200") && page.contains(Self.secret))
        #expect(page.contains("X-Frame-Options: DENY") || page.contains("x-frame-options: DENY"))
        let socket = try await TestClient(port: server.port)
        defer { socket.close() }
        await socket.send("GET /events HTTP/1.1\r\nHost: localhost:\(server.port)\r\n\(server.cookie)\r\nUpgrade: websocket\r\n"
                          + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          + "Origin: http://localhost:\(server.port)\r\n\r\n")
        let upgraded = await socket.read { $0.contains(Self.secret) }
        #expect(upgraded.hasPrefix("HTTP/1.1 101") && upgraded.contains(Self.secret))
        #expect(server.lines.all.isEmpty, "\(server.lines.all)")
    }

    @Test func foreignHostsNoTokenAndForeignOriginsGet403AndNoOutput() async throws {
        let server = try Server()
        let port = server.port
        var answers: [String: String] = [:]
        answers["foreign Host"] = try await server.get([server.cookie], host: "evil.example:\(port)")
        answers["foreign Host with the token"] = try await server.get([], target: "/?token=\(server.token)", host: "evil.example:\(port)")
        answers["no token"] = try await server.get([])
        answers["wrong token"] = try await server.get([], target: "/?token=\(String(repeating: "0", count: 48))")
        answers["wrong cookie"] = try await server.get(["Cookie: nbrun-watch-\(port)=\(String(repeating: "0", count: 48))"])
        answers["socket without the token"] = try await server.webSocket(origin: "http://127.0.0.1:\(port)", [])
        answers["socket from another origin"] = try await server.webSocket(origin: "http://evil.example", [server.cookie])
        answers["socket from another port"] = try await server.webSocket(origin: "http://127.0.0.1:\(port &+ 1)", [server.cookie])
        answers["socket for another host"] = try await server.webSocket(origin: "http://evil.example:\(port)", host: "evil.example:\(port)",
                                                                  [server.cookie])
        answers["socket without an origin"] = try await server.webSocket(origin: nil, [server.cookie])
        answers["POST"] = try await server.request(["POST / HTTP/1.1", "Host: 127.0.0.1:\(port)", server.cookie, "Content-Length: 0"])
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
    @Test func longRequestLinesAndHeadersAreRefused() async throws {
        let server = try Server()
        let line = try await server.request(["GET /?" + String(repeating: "a", count: 64 * 1024) + " HTTP/1.1", "Host: 127.0.0.1:\(server.port)",
                                       server.cookie])
        let header = try await server.get([server.cookie, "X-Long: " + String(repeating: "b", count: 100 * 1024)])
        for answer in [line, header] {
            #expect(answer.hasPrefix("HTTP/1.1 403 Forbidden"), "\(answer.prefix(200))")
            #expect(!answer.contains(Self.secret))
        }
        #expect(try await server.get([server.cookie]).contains(Self.secret))
        let lines = server.lines.all
        #expect(lines.contains { $0.contains("a request line longer than 8 KB") } && lines.contains { $0.contains("longer than 32 KB") },
                "\(lines)")
        #expect(lines.allSatisfy { $0.count < 400 }, "a refusal line repeats the request: \(lines)")
    }

    /// A client that sends part of a head and stops is closed when its time is up; 300 idle
    /// connections do not keep an ordinary request out; nothing reads the output.
    @Test func slowAndIdleConnectionsDoNotHoldTheServer() async throws {
        var limits = ConnectionGate.Limits()
        limits.headTimeout = 1
        let server = try Server(limits: limits)
        let slow = try await TestClient(port: server.port)
        defer { slow.close() }
        await slow.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(server.port)\r\n\(server.cookie)\r\n")
        let answer = await slow.read()  // returns when the server closes the connection
        #expect(!answer.contains(Self.secret))
        #expect(server.lines.all.contains { $0.contains("not complete within 1 s") && $0.hasSuffix("(closed)") }, "\(server.lines.all)")

        var idle: [TestClient] = []
        for index in 0..<300 {
            let connection = try await TestClient(port: server.port)
            if index % 2 == 0 { await connection.send("GET / HTTP/1.1\r\n") }
            idle.append(connection)
        }
        #expect(try await server.get([server.cookie]).contains(Self.secret))
        idle.forEach { $0.close() }
    }

    @Test func withoutATokenThePageIsServedButHostsAreStillChecked() async throws {
        let server = try Server(requiresToken: false)
        #expect(!server.url.contains("token"))
        #expect(try await server.get([]).contains(Self.secret))
        let foreign = try await server.get([], host: "evil.example:\(server.port)")
        #expect(foreign.hasPrefix("HTTP/1.1 403") && !foreign.contains(Self.secret))
        let socket = try await server.webSocket(origin: "http://evil.example", [])
        #expect(socket.hasPrefix("HTTP/1.1 403") && !socket.contains(Self.secret))
    }
}

/// A connection to 127.0.0.1, on FlyingSocks' sockets (those the server uses).
struct TestClient {
    let socket: AsyncSocket

    init(port: UInt16) async throws {
        socket = try await AsyncSocket.connected(to: sockaddr_in.inet(ip4: "127.0.0.1", port: port))
    }

    /// Sends what the server takes: after refusing a request it may close before all of it came.
    func send(_ text: String) async {
        try? await socket.write(Data(text.utf8))
    }

    /// What arrives until the server closes, or until `enough` says so.
    func read(until enough: (String) -> Bool = { _ in false }) async -> String {
        var received: [UInt8] = []
        while !enough(String(decoding: received, as: UTF8.self)), let bytes = try? await socket.read(atMost: 4096) {
            received += bytes
        }
        return String(decoding: received, as: UTF8.self)
    }

    func close() {
        try? socket.close()
    }
}
