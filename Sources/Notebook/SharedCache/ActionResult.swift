import Crypto
import Foundation

/// What a key stands for on a shared cache: the output files of an "action", each named by the
/// SHA-256 and size of its content (Bazel's `ActionResult` of the Remote Execution API, the part
/// of it nbrun uses), stored under `/ac/<key>` while the contents are under `/cas/<sha256>`.
///
/// It travels as the protobuf's JSON form: bazel-remote checks what is put under `/ac/` and takes
/// and gives JSON when asked (`Content-Type`/`Accept: application/json`); nginx's WebDAV and
/// S3-style stores keep it as it is.
public struct ActionResult: Codable, Sendable, Equatable {
    public var outputFiles: [OutputFile]

    public init(outputFiles: [OutputFile]) {
        self.outputFiles = outputFiles
    }

    public struct OutputFile: Codable, Sendable, Equatable {
        /// Relative, `/`-separated.
        public var path: String
        public var digest: Digest
        public var isExecutable: Bool

        public init(path: String, digest: Digest, isExecutable: Bool = false) {
            self.path = path
            self.digest = digest
            self.isExecutable = isExecutable
        }

        enum CodingKeys: String, CodingKey { case path, digest, isExecutable }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            path = try container.decode(String.self, forKey: .path)
            digest = try container.decode(Digest.self, forKey: .digest)
            // proto3 JSON leaves a false out.
            isExecutable = try container.decodeIfPresent(Bool.self, forKey: .isExecutable) ?? false
        }
    }

    /// A content's SHA-256 (lowercase hex) and size.
    public struct Digest: Codable, Sendable, Equatable, Hashable {
        public var hash: String
        public var sizeBytes: Int64

        public init(hash: String, sizeBytes: Int64) {
            self.hash = hash
            self.sizeBytes = sizeBytes
        }

        public init(of data: Data) {
            self.init(hash: SHA256.hash(data: data).hex, sizeBytes: Int64(data.count))
        }

        enum CodingKeys: String, CodingKey { case hash, sizeBytes }

        // proto3 JSON writes an int64 as a string; a zero size is left out.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            hash = try container.decode(String.self, forKey: .hash)
            if let text = try? container.decodeIfPresent(String.self, forKey: .sizeBytes) {
                guard let size = Int64(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .sizeBytes, in: container, debugDescription: "not a size: \(text)")
                }
                sizeBytes = size
            } else {
                sizeBytes = try container.decodeIfPresent(Int64.self, forKey: .sizeBytes) ?? 0
            }
            guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), sizeBytes >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .hash, in: container, debugDescription: "not a SHA-256 digest: \(hash)")
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(hash, forKey: .hash)
            try container.encode(String(sizeBytes), forKey: .sizeBytes)
        }
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(self)) ?? Data()
    }
}
