import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A shared cache server, spoken to as Bazel's HTTP remote cache is: `GET`/`PUT /cas/<sha256>`
/// for contents, `GET`/`PUT /ac/<key>` for what a key stands for (`ActionResult`). nginx with
/// WebDAV, bazel-remote and S3-style gateways all serve it.
///
/// The server is a help, never a need: every content read is checked against its SHA-256 and
/// size (a damaged object is a miss, with a warning), and a server that does not answer within
/// the time limit (`NBRUN_CACHE_TIMEOUT`, seconds, default 5) or refuses the connection is not
/// asked again in this process: the run goes on with the local cache and says so once.
/// Uploads put each object whole in one `PUT`, and a key is written only once every object it
/// names is on the server.
public final class CacheServer: @unchecked Sendable {
    /// `http://host:port/prefix`.
    public let url: URL
    /// Seconds without an answer before a request is given up.
    public let timeout: Double
    private let session: URLSession
    private let lock = NSLock()
    private var unreachable = false
    private var notes: [String] = []

    public static let timeoutVariable = "NBRUN_CACHE_TIMEOUT"
    public static let defaultTimeout = 5.0

    public init(url: URL, timeout: Double = CacheServer.defaultTimeout) {
        self.url = url
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 12
        // Every read goes to the server: a copy kept in memory would hide what is there now.
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// The time limit from `NBRUN_CACHE_TIMEOUT`.
    ///
    /// - Throws: `NotebookError` for a value that is not a positive number of seconds.
    public static func timeout(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let text = environment[timeoutVariable]?.trimmingWhitespace(), !text.isEmpty else { return defaultTimeout }
        guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
            throw NotebookError("\(timeoutVariable) must be a positive number of seconds, got '\(text)'")
        }
        return seconds
    }

    /// What went wrong, in order, each said once.
    public var warnings: [String] {
        lock.lock(); defer { lock.unlock() }
        return notes
    }

    /// Whether the server stopped answering in this process (then nothing more is asked of it).
    public var isUnreachable: Bool {
        lock.lock(); defer { lock.unlock() }
        return unreachable
    }

    func warn(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        if !notes.contains(message) { notes.append(message) }
    }

    // MARK: The protocol

    /// The content named by `digest`, checked; nil when the server does not have it, cannot be
    /// reached, or holds something else under that name (warned).
    func content(_ digest: ActionResult.Digest) -> Data? {
        guard let (status, data) = request("GET", "cas/\(digest.hash)") else { return nil }
        guard status == 200 else {
            if status != 404 { warn("the shared cache answered GET /cas/\(digest.hash.prefix(12))… with HTTP \(status): not used") }
            return nil
        }
        let actual = ActionResult.Digest(of: data)
        guard actual == digest else {
            warn("the shared cache's object /cas/\(digest.hash.prefix(12))… is damaged (\(data.count) bytes whose SHA-256 is "
                + "\(actual.hash.prefix(12))…, expected \(digest.sizeBytes) bytes): not used")
            return nil
        }
        return data
    }

    /// What `key` stands for; nil when the server has nothing under it, cannot be reached, or
    /// holds something unreadable there (warned).
    func actionResult(_ key: String) -> ActionResult? {
        guard let (status, data) = request("GET", "ac/\(key)", accept: "application/json") else { return nil }
        guard status == 200 else {
            if status != 404 { warn("the shared cache answered GET /ac/\(key.prefix(12))… with HTTP \(status): not used") }
            return nil
        }
        do {
            return try JSONDecoder().decode(ActionResult.self, from: data)
        } catch {
            warn("the shared cache's entry /ac/\(key.prefix(12))… cannot be read (\(data.count) bytes, not an action result): not used")
            return nil
        }
    }

    /// Puts `data` under its SHA-256, unless the server has it already; nil when it could not.
    func store(_ data: Data) -> ActionResult.Digest? {
        let digest = ActionResult.Digest(of: data)
        // Large contents are often there already (the same entry stored by another machine).
        if data.count > 64 << 10, let (status, _) = request("HEAD", "cas/\(digest.hash)"), status == 200 { return digest }
        guard let (status, _) = request("PUT", "cas/\(digest.hash)", body: data, contentType: "application/octet-stream") else { return nil }
        guard (200..<300).contains(status) else {
            warn("the shared cache refused PUT /cas/\(digest.hash.prefix(12))… (HTTP \(status)): nothing stored there")
            return nil
        }
        return digest
    }

    /// Puts `result` under `key` (its contents must be on the server already).
    @discardableResult
    func store(_ result: ActionResult, key: String) -> Bool {
        guard let (status, _) = request("PUT", "ac/\(key)", body: result.json(), contentType: "application/json") else { return false }
        guard (200..<300).contains(status) else {
            warn("the shared cache refused PUT /ac/\(key.prefix(12))… (HTTP \(status)): nothing stored there")
            return false
        }
        return true
    }

    /// One request; nil when the server could not be reached (it is then not asked again).
    private func request(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil,
                         accept: String? = nil) -> (status: Int, data: Data)? {
        if isUnreachable { return nil }
        var request = URLRequest(url: url.appendingPathComponent(path))
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        let answer = Answer()
        let task = session.dataTask(with: request) { data, response, error in
            answer.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
        }
        task.resume()
        // URLSession's own limits end the task; this one only guards against a task that never ends.
        if answer.done.wait(timeout: .now() + timeout * 12 + 5) == .timedOut { task.cancel() }
        let (data, status, error) = answer.value
        guard let status, error == nil else {
            let reason = error.map { ($0 as NSError).localizedDescription } ?? "no answer"
            lock.lock()
            let first = !unreachable
            unreachable = true
            lock.unlock()
            if first {
                warn("the shared cache \(url.absoluteString) did not answer (\(reason)): this run uses the local cache only")
            }
            return nil
        }
        return (status, data ?? Data())
    }

    /// A request's outcome, set on URLSession's queue.
    private final class Answer: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var stored: (Data?, Int?, Error?) = (nil, nil, nil)

        func set(data: Data?, status: Int?, error: Error?) {
            lock.lock()
            stored = (data, status, error)
            lock.unlock()
            done.signal()
        }

        var value: (Data?, Int?, Error?) {
            lock.lock(); defer { lock.unlock() }
            return stored
        }
    }
}
