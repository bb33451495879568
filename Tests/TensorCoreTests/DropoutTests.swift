import Testing
@testable import TensorCore

/// `Tensor.dropout`: the mask's draws and the product in one pass, by blocks of draws on large
/// tensors.
@Suite(.serialized) struct DropoutTests {
    /// A tensor of `count` distinct values, none zero.
    func values(_ count: Int) -> Tensor {
        Tensor((0..<count).map { Float($0 % 1000) * 0.01 + 0.5 }, shape: [count])
    }

    @Test func smallTensorsDrawAsRandomBernoulli() {
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        let x = values(dropoutBlockValues)
        let (output, mask) = Tensor.dropout(x, keep: 0.75, scale: 1 / 0.75, using: &a)
        #expect(mask == Tensor.randomBernoulli(shape: x.shape, probability: 0.75, value: 1 / 0.75, using: &b))
        #expect(output == x * mask)
        #expect(a == b)
    }

    @Test(arguments: [dropoutBlockValues + 1, 5 * dropoutBlockValues + 123])
    func largeTensorsKeepTheirShareAndMultiplyExactly(_ count: Int) {
        var generator = RandomGenerator(seed: 11)
        let x = values(count).reshaped(to: [count, 1])
        let (output, mask) = Tensor.dropout(x, keep: 0.7, scale: 2, using: &generator)
        #expect(output.shape == x.shape && mask.shape == x.shape)
        #expect(mask.scalars.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(output == x * mask)
        // 0.7 of the values kept: the standard deviation of the share is below 0.002 here.
        let kept = Double(mask.scalars.filter { $0 != 0 }.count) / Double(count)
        #expect(Swift.abs(kept - 0.7) < 0.01)
        // Both halves of each draw are used, and they are not the same bits: neighbours agree
        // about as often as independent draws do (0.7² + 0.3² = 0.58), not always.
        let pairs = stride(from: 0, to: count - 1, by: 2).map { mask.scalars[$0] == mask.scalars[$0 + 1] }
        let agreeing = Double(pairs.filter { $0 }.count) / Double(pairs.count)
        #expect(Swift.abs(agreeing - 0.58) < 0.02)
        // Each block draws from its own generator: no block repeats the first.
        let first = Array(mask.scalars[0..<1000])
        for block in 1..<(count / dropoutBlockValues) {
            #expect(Array(mask.scalars[(block * dropoutBlockValues)..<(block * dropoutBlockValues + 1000)]) != first)
        }
    }

    @Test func largeTensorsDrawTheSameOnAnyNumberOfThreadsAndAdvanceTheGeneratorOnce() {
        let saved = (Parallelism.workers, Parallelism.adaptsToLoad)
        defer { (Parallelism.workers, Parallelism.adaptsToLoad) = saved }
        Parallelism.adaptsToLoad = false
        let x = values(3 * dropoutBlockValues + 5)
        var results: [Tensor] = []
        for workers in [1, 2, 3] {
            Parallelism.workers = workers
            var generator = RandomGenerator(seed: 21)
            results.append(Tensor.dropout(x, keep: 0.5, scale: 2, using: &generator).mask)
            var expected = RandomGenerator(seed: 21)
            _ = expected.next()
            #expect(generator == expected)
        }
        #expect(results[0] == results[1] && results[1] == results[2])
        var other = RandomGenerator(seed: 22)
        #expect(Tensor.dropout(x, keep: 0.5, scale: 2, using: &other).mask != results[0])
    }
}
