import FlyingFox
import FlyingSocks
import Foundation
import Notebook

/// `nbrun watch`: serves a live page of a notebook on 127.0.0.1, runs the notebook on every save
/// (cached cells restored, not run again), and pushes what happens to open pages over a
/// WebSocket as it happens: cells running, their output line by line, training progress and
/// loss curves, figures, and compile errors at their cells with the other cells' last outputs
/// greyed as stale. A new save stops a run in progress and starts another. A crash of the
/// notebook program is a failed cell, never the server's end.
///
/// Only its user sees the page: `ConnectionGate` takes every connection, refuses what
/// `AccessPolicy` does not allow (another host name, another origin's WebSocket, no token) and
/// what is too long or too slow, and passes the rest to the page's server, FlyingFox, which
/// listens on a Unix socket in a folder only this user can open. Changes come from inotify
/// (`FileWatcher`).
public final class WatchSession: @unchecked Sendable {
    public let path: String
    private var options: RunOptions
    private let port: UInt16
    private let token: AccessToken?
    private let page: LivePage
    private let clients = Clients()
    private var server: HTTPServer?
    private var gate: ConnectionGate?
    private var socketFolder: String?
    private let changed = Flag()
    private let stopped = Flag()
    private let stopping = NSLock()
    private var hasStopped = false
    /// Gets a line for the terminal after each run (`05:01:12 nb.md: 5 passed, 0 failed in 0.41 s`),
    /// with the errors that stopped a build before it.
    public var log: @Sendable (String) -> Void = { _ in }
    /// Lines about refused requests, a few at most every 10 s, to `log`.
    private var refusals: RefusalLog!

    /// - Parameters:
    ///   - options: how each run goes (parameters, output folder); its callbacks are set here.
    ///   - port: 0 for any free port.
    ///   - requiresToken: `false` (`--no-token`) serves the page to any local program that asks
    ///     with the right host name; the page still refuses other hosts and origins.
    public init(path: String, options: RunOptions, port: UInt16, requiresToken: Bool = true) {
        self.path = path
        self.options = options
        self.port = port
        token = requiresToken ? AccessToken() : nil
        page = LivePage(name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension)
        refusals = RefusalLog { [weak self] line in self?.log(line) }
    }

    /// Starts the server; returns the page's URL (with the token) once it listens.
    ///
    /// - Throws: `WatchError` when the port cannot be used or the notebook's folder watched.
    public func start() throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { throw WatchError("\(path): no such file") }
        // The page's server listens where only this user can connect: a socket in a new folder of mode 0700.
        var template = Array((FileManager.default.temporaryDirectory.path + "/nbrun-watch-XXXXXX").utf8CString)
        guard let folder = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else {
            throw WatchError("cannot create a folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
        }
        socketFolder = folder
        let backend = sockaddr_un.unix(path: folder + "/page.sock")
        let server = HTTPServer(address: backend, timeout: 60, logger: .disabled)
        self.server = server
        let gate = ConnectionGate(backend: backend, refusals: refusals)
        self.gate = gate
        let page = self.page, clients = self.clients, port = self.port, token = self.token
        let result = Blocking<Result<UInt16, Error>>()
        Task {
            await server.appendRoute("GET /events", to: .webSocket(LiveSocket(page: page, clients: clients)))
            await server.appendRoute("GET /") { _ in
                HTTPResponse(statusCode: .ok, headers: Self.pageHeaders, body: Data(page.page().utf8))
            }
            let running = Task { try await server.run() }
            do {
                try await server.waitUntilListening(timeout: 5)
                result.set(.success(try await gate.start(port: port, token: token)))
            } catch {
                running.cancel()
                let failure = (try? await running.value).map { _ in error } ?? error
                result.set(.failure(WatchError("cannot serve on 127.0.0.1:\(port): \(Self.describe(failure))")))
            }
        }
        let listening: UInt16
        do {
            listening = try result.wait().get()
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        return "http://127.0.0.1:\(listening)/" + (token.map { "?token=\($0.text)" } ?? "")
    }

    private static func describe(_ error: Error) -> String {
        guard case SocketError.failed(_, let number, let message) = error else { return "\(error)" }
        return number == EADDRINUSE ? "\(message) (--port 0 picks a free port)" : message
    }

    /// The page's headers: never stored, never shown in another site's frame, no address sent
    /// to the sites its links lead to.
    private static let pageHeaders: [HTTPHeader: String] = [
        .contentType: "text/html; charset=utf-8",
        HTTPHeader("Cache-Control"): "no-store",
        HTTPHeader("Content-Security-Policy"): "frame-ancestors 'none'",
        HTTPHeader("X-Frame-Options"): "DENY",
        HTTPHeader("X-Content-Type-Options"): "nosniff",
        HTTPHeader("Referrer-Policy"): "no-referrer",
        .connection: "close",
    ]

    /// Runs the notebook now and after every save, until `stop()` (Ctrl-C).
    public func watch() throws {
        let watcher = try FileWatcher(path: path)
        let pump = Thread { [self] in
            while !stopped.isSet {
                for message in page.takeChanges() { clients.send(message.json) }
                refusals.flush()
                usleep(40_000)
            }
        }
        pump.start()
        Thread.detachNewThread { [self] in
            while !stopped.isSet {
                if watcher.waitForChange(timeout: 0.25) { changed.set() }
            }
        }
        while !stopped.isSet {
            changed.clear()
            runOnce()
            while !stopped.isSet && !changed.isSet { usleep(20_000) }
        }
    }

    /// Stops watching and serving (the run in progress is stopped). A second call returns once
    /// the first is done.
    public func stop() {
        stopping.lock(); defer { stopping.unlock() }
        guard !hasStopped else { return }
        hasStopped = true
        stopped.set()
        changed.set()
        clients.finish()
        let done = DispatchSemaphore(value: 0)
        let gate = self.gate, server = self.server
        Task {
            await gate?.stop()
            await server?.stop(timeout: 1)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 3)
        refusals.flush(all: true)
        if let socketFolder { try? FileManager.default.removeItem(atPath: socketFolder) }
    }

    /// One run: parse, show the new structure with earlier outputs greyed, then compile and run.
    private func runOnce() {
        let started = Date()
        let name = (path as NSString).lastPathComponent
        func report(_ outcome: String, details: String? = nil) {
            let formatter = DateFormatter()
            formatter.dateFormat = "HH:mm:ss"
            let time = formatter.string(from: started)
            log((details.map { $0 + "\n" } ?? "") + "\(time) \(name): \(outcome)")
        }
        let parsed: Notebook
        do {
            parsed = try NotebookParser.parse(fileAt: path)
        } catch let error as NotebookError {
            page.failedToBuild(error, notebook: nil, startedAt: started)
            report("not run: the errors above", details: error.description)
            return
        } catch {
            page.setStatus(.failed, "\(error)")
            report("not run: \(error)")
            return
        }
        page.runStarted(parsed, at: started)
        var options = self.options
        let page = self.page, changed = self.changed, stopped = self.stopped
        options.onEvent = { event in
            if case .begin(let index) = event { page.cellStarted(index) }
            page.event(event)
        }
        options.onOutput = { index, isError, text in page.output(index, isError: isError, text) }
        options.onCellEnd = { result in page.cellEnded(result) }
        options.shouldStop = { changed.isSet || stopped.isSet }
        options.progress = nil
        do {
            let run = try runNotebook(path: path, options: options)
            page.runEnded(run)
            report(run.verdict.summary + String(format: " in %.2f s", run.document.run.seconds))
        } catch let error as NotebookError {
            page.failedToBuild(error, notebook: parsed)
            report("not run: the errors above", details: error.description)
        } catch is NotebookInterrupted {
            page.setStatus(.stale, "stopped")
            report("stopped (saved again, or Ctrl-C)")
        } catch {
            page.setStatus(.failed, "\(error)")
            report("failed: \(error)")
        }
    }
}

/// The open pages' WebSockets: each gets every update; a page that connects gets the whole
/// page first, so it is current whenever it connects.
private struct LiveSocket: WSMessageHandler {
    let page: LivePage
    let clients: Clients

    func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
        let (stream, continuation) = AsyncStream<WSMessage>.makeStream()
        let id = clients.add(continuation)
        for message in page.current() { continuation.yield(.text(message.json)) }
        Task {
            for await message in client {
                if case .close = message { break }
            }
            clients.remove(id)
        }
        return stream
    }
}

/// Connected pages, to broadcast to.
final class Clients: @unchecked Sendable {
    private let lock = NSLock()
    private var continuations: [Int: AsyncStream<WSMessage>.Continuation] = [:]
    private var next = 0

    func add(_ continuation: AsyncStream<WSMessage>.Continuation) -> Int {
        lock.lock(); defer { lock.unlock() }
        next += 1
        continuations[next] = continuation
        return next
    }

    func remove(_ id: Int) {
        lock.lock(); defer { lock.unlock() }
        continuations.removeValue(forKey: id)?.finish()
    }

    func send(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        for continuation in continuations.values { continuation.yield(.text(text)) }
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return continuations.count
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        for continuation in continuations.values { continuation.finish() }
        continuations = [:]
    }
}

/// A flag set from one thread and read from others.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
    func clear() { lock.lock(); value = false; lock.unlock() }
}

/// A value handed from an async task to a waiting thread.
private final class Blocking<Value>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var value: Value?
    func set(_ value: Value) { self.value = value; semaphore.signal() }
    func wait() -> Value { semaphore.wait(); return value! }
}
