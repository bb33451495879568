import SwiftParser
import SwiftSyntax

/// Swift code to highlighted HTML, from swift-syntax's tokens (the same parser swiftc
/// uses, so the colouring cannot disagree with the compiler about what is a keyword).
///
/// Classes: `k` keyword, `s` string, `n` number, `t` type-like name (capitalised), `c`
/// comment, `a` attribute. Every piece of text is escaped.
enum SwiftHighlighter {
    static func html(_ code: String) -> String {
        let tree = Parser.parse(source: code)
        var html = ""
        for token in tree.tokens(viewMode: .sourceAccurate) {
            trivia(token.leadingTrivia, into: &html)
            let text = HTML.escape(token.text)
            if let style = style(token), !text.isEmpty {
                html += "<span class=\"\(style)\">\(text)</span>"
            } else {
                html += text
            }
            trivia(token.trailingTrivia, into: &html)
        }
        return html
    }

    private static func style(_ token: TokenSyntax) -> String? {
        switch token.tokenKind {
        case .keyword: return "k"
        case .stringSegment, .stringQuote, .multilineStringQuote, .singleQuote, .rawStringPoundDelimiter: return "s"
        case .integerLiteral, .floatLiteral: return "n"
        case .identifier(let name):
            if token.parent?.is(AttributeSyntax.self) == true || token.parent?.parent?.is(AttributeSyntax.self) == true { return "a" }
            return name.first?.isUppercase == true ? "t" : nil
        case .atSign: return "a"
        case .pound, .poundIf, .poundElse, .poundElseif, .poundEndif, .poundSourceLocation, .poundAvailable, .poundUnavailable:
            return "k"
        case .dollarIdentifier: return nil
        default: return nil
        }
    }

    private static func trivia(_ trivia: Trivia, into html: inout String) {
        for piece in trivia {
            var text = ""
            piece.write(to: &text)
            switch piece {
            case .lineComment, .blockComment, .docLineComment, .docBlockComment:
                html += "<span class=\"c\">\(HTML.escape(text))</span>"
            default:
                html += HTML.escape(text)
            }
        }
    }
}
