import Foundation
import Testing
@testable import NotebookWatch

/// What `nbrun watch` lets through, decided on a request's head alone; how it reads the head
/// (within limits, refusing as soon as one is passed); the token; the terminal's lines.
@Suite struct AccessPolicyTests {
    static let token = AccessToken(text: String(repeating: "ab", count: 24))
    static let policy = AccessPolicy(port: 8642, token: token)

    static func head(_ fields: [(String, String)]) -> RequestHead { head("/", fields) }

    static func head(_ target: String, method: String = "GET", _ fields: [(String, String)]) -> RequestHead {
        RequestHead(method: method, target: target, version: "HTTP/1.1",
                    fields: fields.map { RequestHead.Field(name: $0.0.lowercased(), value: $0.1) })
    }

    static let cookie = ("Cookie", "other=1; nbrun-watch-8642=\(token.text)")
    static let webSocket = [("Upgrade", "websocket"), ("Connection", "keep-alive, Upgrade"),
                            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13")]

    @Test func thePageAndItsSocketWithTheCookie() {
        #expect(Self.policy.decide(Self.head([("Host", "127.0.0.1:8642"), Self.cookie])) == .page)
        #expect(Self.policy.decide(Self.head([("Host", "LOCALHOST:8642"), Self.cookie])) == .page)
        #expect(Self.policy.decide(Self.head("/events", [("Host", "127.0.0.1:8642"), ("Origin", "http://127.0.0.1:8642"), Self.cookie]
                                                 + Self.webSocket)) == .events)
        #expect(Self.policy.decide(Self.head("/favicon.ico", [("Host", "127.0.0.1:8642"), Self.cookie])) == .notFound)
    }

    @Test func theTokenInTheURLSetsTheCookieAndRedirectsWhenTheCookieWillCome() {
        let url = "/?token=\(Self.token.text)"
        #expect(Self.policy.decide(Self.head(url, [("Host", "127.0.0.1:8642")])) == .enter(redirect: true))
        #expect(Self.policy.decide(Self.head(url, [("Host", "127.0.0.1:8642"), ("Sec-Fetch-Site", "none")])) == .enter(redirect: true))
        // From a link on another site, a redirect would arrive without the SameSite=Strict cookie.
        #expect(Self.policy.decide(Self.head(url, [("Host", "127.0.0.1:8642"), ("Sec-Fetch-Site", "cross-site")])) == .enter(redirect: false))
    }

    @Test func foreignHostsAreRefusedTokenOrNot() {
        for host in ["evil.example:8642", "127.0.0.1:8643", "127.0.0.1", "localhost", "127.0.0.1:8642.evil.example", ""] {
            guard case .refused(let reason) = Self.policy.decide(Self.head("/?token=\(Self.token.text)", [("Host", host), Self.cookie])) else {
                Issue.record("Host \(host) was let through"); continue
            }
            #expect(reason.contains("is not this server"))
        }
        let twice = Self.head([("Host", "127.0.0.1:8642"), ("Host", "evil.example"), Self.cookie])
        #expect(Self.policy.decide(twice) != .page)
        #expect(Self.policy.decide(Self.head([Self.cookie])) != .page)
    }

    @Test func noTokenOrAWrongOneIsRefused() {
        let host = ("Host", "127.0.0.1:8642")
        let wrong = String(repeating: "ab", count: 23) + "ac"
        for fields in [[host], [host, ("Cookie", "nbrun-watch-8642=\(wrong)")], [host, ("Cookie", "nbrun-watch-8643=\(Self.token.text)")]] {
            guard case .refused = Self.policy.decide(Self.head(fields)) else { Issue.record("\(fields) was let through"); continue }
        }
        for url in ["/?token=\(wrong)", "/?token=", "/?token=\(Self.token.text)&token=\(wrong)", "/events?token=\(wrong)"] {
            guard case .refused = Self.policy.decide(Self.head(url, [host, Self.cookie])) else { Issue.record("\(url) was let through"); continue }
        }
    }

    @Test func aWebSocketFromAnotherOriginIsRefused() {
        let base = [("Host", "127.0.0.1:8642"), Self.cookie] + Self.webSocket
        for origin in ["http://evil.example", "http://127.0.0.1:8643", "http://localhost:8642", "null", "https://127.0.0.1:8642"] {
            guard case .refused(let reason) = Self.policy.decide(Self.head("/events", base + [("Origin", origin)])) else {
                Issue.record("Origin \(origin) was let through"); continue
            }
            #expect(reason.contains("not the page's own"))
        }
        guard case .refused = Self.policy.decide(Self.head("/events", base)) else { Issue.record("no Origin was let through"); return }
    }

    @Test func onlyGetWithoutABodyIsServed() {
        let fields = [("Host", "127.0.0.1:8642"), Self.cookie]
        guard case .refused = Self.policy.decide(Self.head("/", method: "POST", fields)),
              case .refused = Self.policy.decide(Self.head(fields + [("Content-Length", "5")])),
              case .refused = Self.policy.decide(Self.head(fields + [("Transfer-Encoding", "chunked")])) else {
            Issue.record("a method other than GET, or a body, was let through"); return
        }
    }

    @Test func withoutATokenHostsAndOriginsStillHold() {
        let open = AccessPolicy(port: 8642, token: nil)
        #expect(open.decide(Self.head([("Host", "127.0.0.1:8642")])) == .page)
        guard case .refused = open.decide(Self.head([("Host", "evil.example:8642")])),
              case .refused = open.decide(Self.head("/events", [("Host", "127.0.0.1:8642"), ("Origin", "http://evil.example")] + Self.webSocket)) else {
            Issue.record("--no-token let a foreign host or origin through"); return
        }
    }

    // MARK: Reading the head

    @Test func aHeadIsReadWholeOrInPieces() {
        let text = "GET /events?token=x HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Two:  a b \r\ncookie: c=1\r\n\r\nrest"
        var whole = RequestHeadReader()
        let expected = RequestHead(method: "GET", target: "/events?token=x", version: "HTTP/1.1", fields: [
            .init(name: "host", value: "127.0.0.1:1"), .init(name: "x-two", value: "a b"), .init(name: "cookie", value: "c=1"),
        ])
        #expect(whole.add(Array(text.utf8)) == .complete(expected, rest: Array("rest".utf8)))
        var pieces = RequestHeadReader()
        var progress = RequestHeadReader.Progress.incomplete
        for byte in text.utf8.prefix(text.utf8.count - 4) {
            #expect(progress == .incomplete)
            progress = pieces.add([byte])
        }
        #expect(progress == .complete(expected, rest: []))
        #expect(expected.queryValues("token") == ["x"] && expected.path == "/events")
    }

    /// A 64 KB request line is refused once 8 KB of it came, a 100 KB header field once the head
    /// passes 32 KB: what follows is never looked at.
    @Test func longLinesAreRefusedAsSoonAsTheyPassTheLimit() {
        var reader = RequestHeadReader()
        let line = Array(("GET /?" + String(repeating: "a", count: 64 * 1024) + " HTTP/1.1\r\n").utf8)
        var given = 0
        var progress = RequestHeadReader.Progress.incomplete
        while progress == .incomplete, given < line.count {
            progress = reader.add(line[given..<min(given + 1024, line.count)])
            given += 1024
        }
        #expect(progress == .refused(RequestHeadReader.requestLineTooLong))
        #expect(given <= RequestHeadReader.maxRequestLineBytes + 2048)

        var headerReader = RequestHeadReader()
        _ = headerReader.add(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Long: ".utf8))
        given = 0
        progress = .incomplete
        while progress == .incomplete, given < 100 * 1024 {
            progress = headerReader.add([UInt8](repeating: 0x61, count: 1024))
            given += 1024
        }
        #expect(progress == .refused(RequestHeadReader.headTooLarge))
        #expect(given <= RequestHeadReader.maxHeadBytes + 1024)
    }

    @Test func malformedHeadsAreRefused() {
        for text in ["GET / HTTP/2\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET http://x/ HTTP/1.1\r\n\r\n", "G\u{1}T / HTTP/1.1\r\n\r\n",
                     "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", "GET / HTTP/1.1\r\n: a\r\n\r\n",
                     "GET / HTTP/1.1\r\n" + String(repeating: "A: b\r\n", count: 101) + "\r\n"] {
            var reader = RequestHeadReader()
            guard case .refused = reader.add(Array(text.utf8)) else { Issue.record("accepted \(text.debugDescription)"); continue }
        }
    }

    // MARK: The token and the terminal

    @Test func tokensAreLongRandomAndComparedWhole() {
        let first = AccessToken(), second = AccessToken()
        #expect(first != second)
        #expect(first.text.count == 48 && first.text.allSatisfy(\.isHexDigit))
        #expect(first.matches(first.text))
        #expect(!first.matches(first.text.dropLast()) && !first.matches(first.text + "0") && !first.matches(""))
        #expect(!first.matches(String(first.text.dropLast()) + (first.text.last == "0" ? "1" : "0")))
    }

    @Test func refusalLinesAreFewAndTheRestCounted() {
        let clock = TestClock()
        let lines = TestLines()
        let log = RefusalLog(burst: 5, interval: 10, now: { clock.now }, write: { lines.add($0) })
        for index in 0..<1000 { log.refused("GET /\(index)", "no token") }
        #expect(lines.all.count == 5)
        log.flush()
        #expect(lines.all.count == 5)
        clock.advance(10)
        log.flush()
        #expect(lines.all.count == 6 && lines.all[5].contains("refused 995 more requests"))
        log.refused("GET /\u{1B}[2J\u{202E}", String(repeating: "x", count: 500))
        let last = lines.all.last ?? ""
        #expect(!last.contains("\u{1B}") && last.contains("\\u{1b}") && !last.contains("\u{202E}") && last.count < 300)
    }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}

final class TestLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func add(_ line: String) { lock.withLock { lines.append(line) } }
}
