import FlyingSocks
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The live page's front door: it listens on 127.0.0.1, reads each request's head within
/// fixed limits (`RequestHeadReader`), answers it by `AccessPolicy`, and passes only the
/// requests the policy lets through to the page's server (FlyingFox, on a Unix socket in a
/// folder only this user can open), as a short head it writes itself.
///
/// It stands in front of FlyingFox because FlyingFox reads a request's lines in time quadratic
/// in their length, without a limit (a 100 KB header field held a core for a minute), and has
/// no read timeout nor connection cap; none of that is configurable. Here, every connection
/// gets `Limits.headTimeout` to send its head, at most `Limits.maxWaiting` wait at once (the
/// oldest is closed for a new one, so idle connections cannot keep a real request out), and a
/// refusal costs one pass over at most 32 KB.
///
/// Sockets are FlyingSocks' (FlyingFox's own socket layer): non-blocking, one task per
/// connection, woken by epoll.
final class ConnectionGate: @unchecked Sendable {
    struct Limits: Sendable {
        /// How long a connection may take to send its whole head (a slow client, or one that
        /// sends nothing, is closed).
        var headTimeout: TimeInterval = 10
        /// Connections sending their head (or being refused) at once; beyond, the oldest is closed.
        var maxWaiting = 128
        /// Connections passed to the server at once (pages being sent, open pages' sockets).
        var maxForwarded = 64
        /// After a refusal, the rest of what the client sends is read and dropped, up to this
        /// long and this much: closing a socket with unread bytes resets the connection, and
        /// the client can lose the answer.
        var drainTimeout: TimeInterval = 2
        var drainBytes = 1 << 20
    }

    private let backend: sockaddr_un
    private let limits: Limits
    private let refusals: RefusalLog
    private let pool: any AsyncSocketPool = SocketPool.make()
    private let connections: ConnectionTable
    private var listener: AsyncSocket?
    private var tasks: [Task<Void, Never>] = []

    /// - Parameters:
    ///   - backend: the Unix socket the page's server listens on.
    ///   - refusals: where a line goes for each refused request.
    init(backend: sockaddr_un, limits: Limits = Limits(), refusals: RefusalLog) {
        self.backend = backend
        self.limits = limits
        self.refusals = refusals
        connections = ConnectionTable(maxWaiting: limits.maxWaiting, maxForwarded: limits.maxForwarded)
    }

    /// Listens on 127.0.0.1:`port` (0: any free port) and serves; returns the port.
    func start(port: UInt16, token: AccessToken?) async throws -> UInt16 {
        try await pool.prepare()
        let socket = try Socket(domain: AF_INET)
        try socket.setValue(true, for: .localAddressReuse)
        Self.closeOnExec(socket)
        try socket.bind(to: sockaddr_in.inet(ip4: "127.0.0.1", port: port))
        try socket.listen()
        guard case .ip4(_, let bound) = try socket.sockname() else { throw WatchError("the server has no address") }
        let policy = AccessPolicy(port: bound, token: token)
        let listener = try AsyncSocket(socket: socket, pool: pool)
        self.listener = listener
        let pool = self.pool
        tasks = [
            Task { try? await pool.run() },
            Task { await self.accept(on: listener, policy: policy) },
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 100_000_000)
                    self.connections.endExpired(now: DispatchTime.now().uptimeNanoseconds)
                }
            },
        ]
        return bound
    }

    /// Stops listening and closes every connection.
    func stop() async {
        guard tasks.count == 3 else { return }
        tasks[1].cancel()
        _ = await tasks[1].value
        tasks[2].cancel()
        for task in connections.endAll() { await task.value }
        try? listener?.close()
        tasks[0].cancel()
    }

    private func accept(on listener: AsyncSocket, policy: AccessPolicy) async {
        while !Task.isCancelled {
            do {
                let client = try await listener.accept()
                Self.closeOnExec(client.socket)
                let id = connections.add(deadline: deadline(after: limits.headTimeout))
                connections.attach(id, Task { await self.serve(client, id: id, policy: policy) })
            } catch {
                if Task.isCancelled { return }
                // Out of file descriptors (EMFILE): close the oldest waiting connection, and
                // give it a moment before accepting again.
                connections.endOldestWaiting()
                try? await Task.sleep(nanoseconds: 10_000_000)
            }
        }
    }

    private func serve(_ client: AsyncSocket, id: Int, policy: AccessPolicy) async {
        defer {
            try? client.close()
            connections.remove(id)
        }
        var reader = RequestHeadReader()
        var progress = RequestHeadReader.Progress.incomplete
        do {
            while progress == .incomplete {
                progress = reader.add(try await read(client, atMost: 16 * 1024))
            }
        } catch {
            // Closed by the client, or ended here: a connection that sent part of a head and no
            // more is told on the terminal; one that sent nothing (a browser's spare connection) is not.
            if reader.hasStarted, let ending = connections.ending(id), ending != .stopped {
                refusals.refused(reader.start, ending == .timedOut
                    ? "the request was not complete within \(Int(limits.headTimeout)) s" : "too many connections waiting; the oldest was closed",
                                 answer: "closed")
            }
            return
        }
        switch progress {
        case .refused(let reason):
            await refuse(client, id: id, request: reader.start, reason: reason)
        case .complete(let head, let rest):
            let request = "\(head.method) \(head.target)"
            switch policy.decide(head) {
            case .refused(let reason):
                await refuse(client, id: id, request: request, reason: reason)
            case .notFound:
                try? await client.write(Self.response("404 Not Found", body: "Not found.\n"))
            case .enter(let redirect):
                let cookie = "\(policy.cookieName)=\(policy.token?.text ?? ""); Path=/; HttpOnly; SameSite=Strict"
                try? await client.write(redirect
                    ? Self.response("303 See Other", headers: ["Location: /", "Set-Cookie: \(cookie)"])
                    : Self.response("200 OK", headers: ["Set-Cookie: \(cookie)", "Content-Security-Policy: default-src 'none'"],
                                    type: "text/html", body: Self.reloadPage))
            case .page:
                await forward(client, id: id, head: Self.pageHead, rest: [], bothWays: false)
            case .events:
                guard let key = head.single("sec-websocket-key") else { return }
                await forward(client, id: id, head: Self.eventsHead(key: key), rest: rest, bothWays: true)
            }
        case .incomplete:
            break
        }
    }

    /// Answers 403, and reads what the client still sends until it closes (or the time or
    /// byte limit), so that the answer is not lost to a reset.
    private func refuse(_ client: AsyncSocket, id: Int, request: String, reason: String) async {
        refusals.refused(request, reason)
        connections.setDraining(id, deadline: deadline(after: limits.drainTimeout))
        let body = "Forbidden: nbrun watch refused this request (\(RefusalLog.shown(reason))).\n"
        guard (try? await client.write(Self.response("403 Forbidden", body: body))) != nil else { return }
        shutdown(client.socket.file.rawValue, Int32(SHUT_WR))
        var drained = 0
        while drained < limits.drainBytes, let bytes = try? await read(client, atMost: 64 * 1024) { drained += bytes.count }
    }

    /// Passes a request to the server, as `head` and `rest`, and its answer back; with
    /// `bothWays` (a WebSocket), what the client sends too, until either side closes.
    private func forward(_ client: AsyncSocket, id: Int, head: String, rest: [UInt8], bothWays: Bool) async {
        guard connections.forward(id) else {
            try? await client.write(Self.response("503 Service Unavailable", body: "Too many open connections.\n"))
            return
        }
        guard let server = try? await AsyncSocket.connected(to: backend, pool: pool) else {
            try? await client.write(Self.response("503 Service Unavailable", body: "The page's server is not running.\n"))
            return
        }
        Self.closeOnExec(server.socket)
        defer { try? server.close() }
        guard (try? await server.write(Data(head.utf8) + Data(rest))) != nil else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.copy(from: server, to: client) }
            if bothWays { group.addTask { await self.copy(from: client, to: server) } }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func copy(from source: AsyncSocket, to destination: AsyncSocket) async {
        while let bytes = try? await read(source, atMost: 64 * 1024), (try? await destination.write(Data(bytes))) != nil {}
    }

    /// What `socket` has to read, at most `count` bytes, waiting for some (FlyingSocks' own
    /// `read(atMost:)` stops at 4 KB: a 100 KB request would take 25 waits instead of 2).
    private func read(_ socket: AsyncSocket, atMost count: Int) async throws -> [UInt8] {
        while true {
            try Task.checkCancellation()
            do {
                return try socket.socket.read(atMost: count)
            } catch SocketError.blocked {
                try await pool.suspendSocket(socket.socket, untilReadyFor: .read)
            }
        }
    }

    private func deadline(after seconds: TimeInterval) -> UInt64 {
        DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    }

    /// Child processes (swiftc, the notebook's program) must not inherit the server's sockets:
    /// a copy would keep a connection open after it is closed here.
    private static func closeOnExec(_ socket: Socket) {
        _ = fcntl(socket.file.rawValue, F_SETFD, FD_CLOEXEC)
    }

    // MARK: What is sent

    /// The request for the page, as the server gets it (keep-alive off: each request comes through here).
    static let pageHead = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

    static func eventsHead(key: String) -> String {
        "GET /events HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// Shown after a visit with the token from another site: it reloads the page at its plain
    /// URL, a navigation of the page's own, which carries the cookie.
    static let reloadPage = """
    <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/">\
    <title>nbrun watch</title></head><body><p><a href="/">Open the live page</a></p></body></html>

    """

    static func response(_ status: String, headers: [String] = [], type: String = "text/plain", body: String = "") -> Data {
        let lines = ["HTTP/1.1 \(status)"] + headers + [
            "Content-Type: \(type); charset=utf-8", "Content-Length: \(body.utf8.count)", "Connection: close",
            "Cache-Control: no-store", "X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer",
        ]
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }
}
