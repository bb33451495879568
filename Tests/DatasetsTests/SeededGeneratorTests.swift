import Testing
@testable import Datasets

@Suite struct SeededGeneratorTests {
    /// SplitMix64 from seed 0 (reference values of the published algorithm).
    @Test func matchesSplitMix64() {
        var generator = SeededGenerator(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func boundedDrawsAndPermutations() {
        var generator = SeededGenerator(seed: 1)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[generator.nextIndex(below: 7)] += 1 }
        #expect(counts.allSatisfy { (850...1150).contains($0) })
        let permutation = generator.permutation(of: 100)
        #expect(permutation.sorted() == Array(0..<100) && permutation != Array(0..<100))
        #expect((0..<1000).allSatisfy { _ in (0..<1).contains(generator.nextUniform()) })
    }

    @Test func gaussianMoments() {
        var generator = SeededGenerator(seed: 2)
        let samples = (0..<20000).map { _ in generator.nextNormal() }
        let mean = samples.reduce(0, +) / 20000
        let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}
