import Foundation

/// A problem with a data file: it is missing, not an IDX file, cut short, or
/// inconsistent. The description names the file, says what was wrong and how to
/// fix it.
///
///     do { let train = try MNIST.load(split: .train) }
///     catch let error as DatasetError { print(error) }   // file, problem, hint
public struct DatasetError: Error, CustomStringConvertible, LocalizedError, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// None of the searched places held the file.
        /// `searched` lists every path looked at, in order.
        case missingFile(searched: [String])
        /// The file exists but could not be read (permissions, a directory, ...).
        case unreadable(reason: String)
        /// The first four bytes are not the expected IDX magic number.
        case wrongMagic(expected: UInt32, found: UInt32)
        /// The header promises more bytes than the file holds. `payload` names
        /// what was short ("pixel", "label").
        case truncated(payload: String, expected: Int, found: Int)
        /// The header's sizes are impossible (overflow, or far more than the file holds).
        case absurdSize(dimensions: [Int])
        /// The gzip stream is cut short or corrupt.
        case corruptGzip(reason: String)
        /// A label is outside 0..<classCount.
        case labelOutOfRange(index: Int, label: Int, classCount: Int)
        /// The images and labels files disagree on the number of samples.
        case countMismatch(images: Int, labels: Int)
    }

    /// The file concerned (for `missingFile`, the file name that was looked for).
    public var file: String
    public var kind: Kind

    public init(file: String, kind: Kind) {
        self.file = file
        self.kind = kind
    }

    /// How to get a missing data set; shown with every error.
    static let dataHint = "Get the data with `make data` (or `scripts/fetch-data`) from the nbrun repository, or set NBRUN_DATA to a folder holding mnist/ and fashion-mnist/."

    public var description: String {
        switch kind {
        case .missingFile(let searched):
            let places = searched.map { "  - \($0)" }.joined(separator: "\n")
            return "\(file): not found. Looked in:\n\(places)\n\(Self.dataHint)"
        case .unreadable(let reason):
            return "\(file): cannot be read: \(reason)."
        case .wrongMagic(let expected, let found):
            let foundName = found == IDX.imagesMagic || found == IDX.labelsMagic ? " (an IDX \(Self.kindName(magic: found)) file)" : ""
            return "\(file): not an IDX \(Self.kindName(magic: expected)) file: magic number is \(Self.hex(found))\(foundName), expected \(Self.hex(expected)). Check that the file is the one named (images or labels, train or t10k) and not damaged. \(Self.dataHint)"
        case .truncated(let payload, let expected, let found):
            return "\(file): file is cut short: expected \(expected) bytes of \(payload) data, found \(found). Download it again. \(Self.dataHint)"
        case .absurdSize(let dimensions):
            let text = dimensions.map(String.init).joined(separator: " x ")
            return "\(file): header gives impossible sizes \(text); the file is corrupt or not an IDX file. \(Self.dataHint)"
        case .corruptGzip(let reason):
            return "\(file): gzip data is damaged: \(reason). Download it again. \(Self.dataHint)"
        case .labelOutOfRange(let index, let label, let classCount):
            return "\(file): label \(index) is \(label), outside 0..<\(classCount); the file is damaged or belongs to another data set. \(Self.dataHint)"
        case .countMismatch(let images, let labels):
            return "\(file): \(images) images but \(labels) labels; the images and labels files come from different sets or one is damaged. \(Self.dataHint)"
        }
    }

    public var errorDescription: String? { description }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    static func kindName(magic: UInt32) -> String {
        switch magic {
        case IDX.imagesMagic: "images"
        case IDX.labelsMagic: "labels"
        default: "data"
        }
    }
}
