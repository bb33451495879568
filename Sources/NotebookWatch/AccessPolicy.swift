import Foundation

/// Who may see the live page: what `nbrun watch` answers to a request's head, before anything
/// of the notebook is read. The rules are those of Jupyter's server and Vite's dev server:
///
/// - the `Host` must name the address the server listens on (`127.0.0.1:PORT`, or
///   `localhost:PORT`): a site whose name an attacker pointed at 127.0.0.1 (DNS rebinding) sends
///   its own name, and is refused;
/// - a secret token, printed in the URL, must come with the request, in the URL the first time
///   (answered with a cookie and a redirect to the plain URL) and in the cookie afterwards. The
///   cookie is `HttpOnly` and `SameSite=Strict`: no script reads it, no other site's request
///   carries it;
/// - a WebSocket's `Origin` must be the page's own (`http://` and the `Host`): pages of other
///   origins, including another port of 127.0.0.1 (which browsers send the cookie to, as the same
///   site), cannot open the socket.
///
/// Only `GET` without a body is served, at `/` (the page) and `/events` (its WebSocket).
struct AccessPolicy: Sendable {
    let port: UInt16
    /// `nil` with `--no-token`: the host and origin rules still hold.
    let token: AccessToken?

    enum Decision: Equatable {
        /// The page.
        case page
        /// The page's WebSocket.
        case events
        /// The token came in the URL: set the cookie, then show the page at the plain URL, by a
        /// redirect, or by a page that reloads itself there when a redirect would lose the
        /// cookie (a visit from another site: a `SameSite=Strict` cookie is not sent on a
        /// redirect that started there).
        case enter(redirect: Bool)
        case notFound
        case refused(String)
    }

    /// The cookie holding the token. Browsers share cookies between the ports of a host, so its
    /// name carries the port: two `nbrun watch` on one machine keep their own.
    var cookieName: String { "nbrun-watch-\(port)" }

    /// The names the server answers to.
    var hosts: [String] { ["127.0.0.1:\(port)", "localhost:\(port)"] + (port == 80 ? ["127.0.0.1", "localhost"] : []) }

    func decide(_ head: RequestHead) -> Decision {
        guard head.method == "GET" else { return .refused("method \(head.method) is not served") }
        let length = head.values("content-length")
        guard head.values("transfer-encoding").isEmpty, length.allSatisfy({ $0 == "0" }) else {
            return .refused("a request with a body")
        }
        let hostFields = head.values("host")
        guard hostFields.count == 1, let host = hostFields.first.map({ $0.lowercased() }), hosts.contains(host) else {
            let named = hostFields.isEmpty ? "no Host" : "Host \(hostFields.joined(separator: ", "))"
            return .refused("\(named) is not this server (\(hosts[0]) or \(hosts[1]))")
        }
        let origin = head.values("origin")
        let ownOrigin = "http://" + host
        if !origin.isEmpty, origin != [ownOrigin] {
            return .refused("Origin \(origin.joined(separator: ", ")) is not the page's own (\(ownOrigin))")
        }
        var entering = false
        if let token {
            let given = head.queryValues("token")
            if !given.isEmpty {
                guard given.count == 1, token.matches(given[0]) else { return .refused("a wrong token in the URL") }
                entering = true
            } else if !head.cookies(cookieName).contains(where: { token.matches($0) }) {
                return .refused("no token: open the URL nbrun watch printed")
            }
        }
        switch head.path {
        case "/":
            guard entering else { return .page }
            // Sent by Chromium and Firefox: `none` when the user opened the URL, `same-origin`
            // from the page itself. Older browsers send nothing, and carry the cookie.
            let site = head.single("sec-fetch-site")
            return .enter(redirect: site == nil || site == "none" || site == "same-origin")
        case "/events":
            guard head.lists("upgrade", "websocket"), head.lists("connection", "upgrade") else {
                return .refused("/events without a WebSocket upgrade")
            }
            guard !origin.isEmpty else { return .refused("a WebSocket without an Origin") }
            // RFC 6455's handshake: the key is 16 bytes in base64 (passed on to the server as it is).
            guard let key = head.single("sec-websocket-key"), Data(base64Encoded: key)?.count == 16,
                  head.single("sec-websocket-version") == "13" else {
                return .refused("a malformed WebSocket handshake")
            }
            return .events
        default:
            return .notFound
        }
    }
}
