import Testing
@testable import Datasets

@Suite struct MiniBatchesTests {
    /// x row i is [i, i + 0.5]; y is i, so a batch shows which samples it holds.
    func numbered(_ count: Int) -> (Tensor, Tensor) {
        (Tensor((0..<count).flatMap { [Float($0), Float($0) + 0.5] }, shape: [count, 2]),
         Tensor((0..<count).map(Float.init), shape: [count]))
    }

    @Test(arguments: [false, true]) func everySampleOncePerEpoch(shuffle: Bool) {
        let (x, y) = numbered(103)
        let batches = MiniBatches(x: x, y: y, batchSize: 10, shuffle: shuffle, seed: 7)
        #expect(batches.count == 11)
        var seen: [Int] = []
        var sizes: [Int] = []
        for (bx, by) in batches {
            #expect(bx.shape == [by.shape[0], 2])
            for (row, label) in by.scalars.enumerated() {
                #expect(bx.scalars[row * 2] == label && bx.scalars[row * 2 + 1] == label + 0.5)   // x and y stay paired
                seen.append(Int(label))
            }
            sizes.append(by.shape[0])
        }
        #expect(sizes == Array(repeating: 10, count: 10) + [3])
        #expect(seen.sorted() == Array(0..<103))
        #expect((seen == Array(0..<103)) == !shuffle)
    }

    @Test func dropLastDropsThePartialBatch() {
        let (x, y) = numbered(25)
        let batches = MiniBatches(x: x, y: y, batchSize: 10, seed: 1, dropLast: true)
        #expect(batches.count == 2)
        #expect(Array(batches).map { $0.y.shape[0] } == [10, 10])
        // Exactly divisible: nothing is dropped.
        #expect(Array(MiniBatches(x: x, y: y, batchSize: 5, dropLast: true)).count == 5)
    }

    @Test func reproducibleForASeedAndDifferentPerEpoch() {
        let (x, y) = numbered(50)
        func order(seed: UInt64, epoch: Int) -> [Float] {
            MiniBatches(x: x, y: y, batchSize: 8, seed: seed, epoch: epoch).flatMap { $0.y.scalars }
        }
        #expect(order(seed: 3, epoch: 0) == order(seed: 3, epoch: 0))
        #expect(order(seed: 3, epoch: 0) != order(seed: 3, epoch: 1))
        #expect(order(seed: 3, epoch: 0) != order(seed: 4, epoch: 0))
        // Iterating twice gives the same batches.
        let batches = MiniBatches(x: x, y: y, batchSize: 8, seed: 9)
        #expect(batches.flatMap { $0.y.scalars } == batches.flatMap { $0.y.scalars })
    }

    @Test func acceptsAnyRandomNumberGenerator() {
        let (x, y) = numbered(20)
        var first = SeededGenerator(seed: 5), second = SeededGenerator(seed: 5)
        let a = MiniBatches(x: x, y: y, batchSize: 4, using: &first)
        let b = MiniBatches(x: x, y: y, batchSize: 4, using: &second)
        #expect(a.order == b.order && a.order.sorted() == Array(0..<20))
    }

    @Test func datasetBatchesWithOneHotTargets() {
        let dataset = SyntheticData.blobs(countPerClass: 10, classes: 3, seed: 2)
        let batches = Array(dataset.batches(size: 8, seed: 1, oneHot: true))
        #expect(batches.count == 4)
        #expect(batches[0].x.shape == [8, 2] && batches[0].y.shape == [8, 3])
        #expect(batches.last!.y.shape == [6, 3])
        #expect(batches.allSatisfy { batch in batch.y.scalars.reduce(0, +) == Float(batch.y.shape[0]) })
    }
}
