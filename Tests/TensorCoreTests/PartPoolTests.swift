import Dispatch
import Foundation
import Synchronization
import Testing
@testable import TensorCore

/// The engine's worker threads (`PartPool`): every part of a job runs exactly once, before
/// `run` returns, whoever calls it and however often.
@Suite struct PartPoolTests {
    /// Many jobs in a row (the workers spin between them, or sleep and wake), each part
    /// counted once: a lost, doubled or late part shows in the counts.
    @Test func everyPartRunsExactlyOnceBeforeRunReturns() {
        let pool = PartPool(workers: 3)
        for parts in [1, 2, 3, 4, 5, 9, 64] {
            for round in 0..<400 {
                // One slot per part, written only by its part.
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
                defer { counts.deallocate() }
                counts.initialize(repeating: 0)
                pool.run(parts) { part in counts[part] += 1 }
                for part in 0..<parts {
                    #expect(counts[part] == 1, "part \(part) of \(parts), round \(round)")
                }
                // Now and then a pause long enough for the workers to go to sleep.
                if round % 100 == 99 { usleep(2_000) }
            }
        }
    }

    /// Callers on several threads at once, and a part that splits again: whoever does not get
    /// the pool runs its parts itself, and every part still runs once.
    @Test func concurrentAndNestedCallersEachGetEveryPart() {
        let pool = PartPool(workers: 1)
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 {
                pool.run(4) { _ in
                    pool.run(3) { _ in total.wrappingAdd(1, ordering: .relaxed) }
                }
            }
        }
        #expect(total.load(ordering: .relaxed) == 8 * 200 * 4 * 3)
    }

    /// The parts write their own results: the values are those of the parts run in order.
    @Test func resultsAreThoseOfThePartsRunInOrder() {
        let pool = PartPool(workers: 1)
        var values = [Int](repeating: 0, count: 1000)
        values.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            pool.run(10) { part in for i in (part * 100)..<((part + 1) * 100) { base[i] = i * i } }
        }
        #expect(values == (0..<1000).map { $0 * $0 })
    }
}
