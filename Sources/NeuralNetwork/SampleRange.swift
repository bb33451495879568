/// Consecutive samples of another source, without copying them: how `fit(_:validationSplit:)`
/// holds out the last samples of a dataset (a byte-backed MNIST stays bytes).
struct SampleRange<Base: BatchSource>: BatchSource {
    let base: Base
    let range: Range<Int>

    init(_ base: Base, _ range: Range<Int>) {
        engineCheck(range.lowerBound >= 0 && range.upperBound <= base.sampleCount,
                    "SampleRange: \(range) is outside the \(base.sampleCount) samples")
        self.base = base
        self.range = range
    }

    var sampleCount: Int { range.count }

    func batch<Rows: Collection>(rows: Rows) -> (x: Tensor, y: Tensor) where Rows.Element == Int {
        engineCheck(rows.allSatisfy { $0 >= 0 && $0 < range.count }, "SampleRange.batch: a row is outside 0..<\(range.count)")
        return base.batch(rows: rows.map { $0 + range.lowerBound })
    }
}
