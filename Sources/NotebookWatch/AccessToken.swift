import Foundation

/// The secret that lets a browser see the live page, as Jupyter's token: new for every
/// `nbrun watch`, printed in the URL it shows, then kept in a cookie. 24 bytes (192 bits) from
/// the system's cryptographic generator (`getrandom` on Linux), written as 48 hex digits.
struct AccessToken: Sendable, Equatable {
    let text: String

    init() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        text = bytes.map { String(format: "%02x", $0) }.joined()
    }

    init(text: String) {
        self.text = text
    }

    /// Whether `candidate` is the token, in time that does not depend on where they first differ
    /// (so that timing the answers cannot reveal the token a byte at a time). Only the length,
    /// which is no secret, ends the comparison early.
    func matches(_ candidate: some StringProtocol) -> Bool {
        let expected = Array(text.utf8), given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}
