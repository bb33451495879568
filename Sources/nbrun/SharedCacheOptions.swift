import ArgumentParser
import Foundation

/// `--cache-url URL` (or `NBRUN_CACHE_URL`): a shared cache server behind the local cache, for
/// `nbrun run` and `nbrun test` alike.
struct SharedCacheOptions: ParsableArguments {
    static let environmentVariable = "NBRUN_CACHE_URL"

    @Option(help: ArgumentHelp("""
        A shared cache server (Bazel's HTTP cache protocol: nginx with WebDAV, bazel-remote) for binaries and \
        'cache: true' cells; NBRUN_CACHE_URL sets it too. A server that is down or slow only costs a warning.
        """, valueName: "URL"))
    var cacheURL: String?

    mutating func validate() throws {
        if let problem = Self.problem(text) { throw ValidationError(problem) }
    }

    /// The option, else the environment variable; nil when neither is set (or set empty).
    private var text: (value: String, source: String)? {
        if let cacheURL { return (cacheURL, "--cache-url") }
        if let value = ProcessInfo.processInfo.environment[Self.environmentVariable], !value.isEmpty {
            return (value, Self.environmentVariable)
        }
        return nil
    }

    static func problem(_ text: (value: String, source: String)?) -> String? {
        guard let text else { return nil }
        guard let url = URL(string: text.value), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host?.isEmpty == false else {
            return "\(text.source): '\(text.value)' is not an http:// or https:// address of a cache server (e.g. http://cache.example:8080)"
        }
        return nil
    }

    /// The server's address (checked by `validate`).
    func url() -> URL? {
        text.flatMap { URL(string: $0.value) }
    }
}
