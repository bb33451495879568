import Foundation

/// A printed line as golden outputs compare it: its text with each number replaced by a
/// placeholder (compared exactly), and the numbers (compared within tolerance).
///
/// A number is a decimal written as Swift and C print them (`-0.25`, `3`, `1.5e-03`), not glued to
/// a letter before it (`conv2d`, `x1` are text). A number followed by a unit of time (`2.3 s`,
/// `15ms`, `4 min`) or by a rate (`812 samples/s`) is a timing: its placeholder says so and it is
/// never compared, so that the seconds an epoch took do not fail a run.
struct NumberedLine: Equatable {
    /// The line with `#` for each number and `<time>` for each timing.
    var template: String
    var numbers: [Double]
    /// The numbers as written, for messages.
    var texts: [String]

    static let numberPlaceholder = "#"
    static let timingPlaceholder = "<time>"

    private static let pattern = try! NSRegularExpression(pattern: #"""
        (?<![\p{L}\p{N}_.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\
        (\s?(?:ns|µs|us|ms|s|sec|secs|seconds?|min|minutes?|h|hours?)(?![\p{L}\p{N}_])|\s?[\p{L}_]*/s(?![\p{L}\p{N}_]))?
        """#.replacingOccurrences(of: "\\\n", with: ""), options: [])

    init(_ line: String) {
        var template = "", numbers: [Double] = [], texts: [String] = []
        let text = line as NSString
        var last = 0
        for match in Self.pattern.matches(in: line, range: NSRange(location: 0, length: text.length)) {
            template += text.substring(with: NSRange(location: last, length: match.range.location - last))
            let written = text.substring(with: match.range)
            if match.range(at: 1).location != NSNotFound {
                template += Self.timingPlaceholder
            } else if let value = Double(written) {
                template += Self.numberPlaceholder
                numbers.append(value)
                texts.append(written)
            } else {
                template += written
            }
            last = match.range.location + match.range.length
        }
        template += text.substring(from: last)
        self.template = template
        self.numbers = numbers
        self.texts = texts
    }
}
