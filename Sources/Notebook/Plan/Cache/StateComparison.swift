import KernelProtocol

/// The differential check: the state a restored run leaves after each cell against a full run's.
///
/// Both runs send, after every cell, the content digest of every value the notebook has bound
/// and of the engine's state (`ValueDigest`, `EnvironmentKey.stateTrace`). A restore is exact
/// when the restored run's digests equal the full run's, value by value and cell by cell. Values
/// the kernel marks as computed from run-to-run differences (the clock, the system's random
/// numbers) are not compared, nor values it cannot see into (closures).
enum StateComparison {
    struct Difference: Equatable, CustomStringConvertible {
        /// 0-based cell index.
        var cell: Int
        var name: String
        var detail: String
        var description: String { "after cell \(cell + 1), '\(name)' \(detail)" }
    }

    /// The first value that differs, in cell order (then in the order values were bound); nil
    /// when every compared value is the same.
    static func firstDifference(full: [[ValueDigest]?], restored: [[ValueDigest]?]) -> Difference? {
        for (cell, (expected, found)) in zip(full, restored).enumerated() {
            guard let expected else { continue }
            guard let found else {
                return Difference(cell: cell, name: "(state)", detail: "is missing from the restored run")
            }
            let byName = Dictionary(found.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for value in expected {
                guard let other = byName[value.name] else {
                    return Difference(cell: cell, name: value.name, detail: "is bound in the full run, not in the restored one")
                }
                if value.nondeterministic != nil || other.nondeterministic != nil { continue }
                guard let digest = value.digest, let otherDigest = other.digest else { continue }
                if digest != otherDigest {
                    return Difference(cell: cell, name: value.name, detail: "differs from the full run's (content \(otherDigest.prefix(12)) "
                        + "instead of \(digest.prefix(12)))")
                }
            }
            if let extra = found.first(where: { value in !expected.contains { $0.name == value.name } }) {
                return Difference(cell: cell, name: extra.name, detail: "is bound in the restored run, not in the full one")
            }
        }
        return nil
    }
}
