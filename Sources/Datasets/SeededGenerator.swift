import Foundation

/// A small, fast, seeded random number generator (SplitMix64).
///
/// Every random choice in Datasets (shuffles, splits, synthetic data) draws from
/// one of these so that a seed fixes the result on every platform and Swift
/// version (the standard library's `shuffle(using:)` does not promise a stable
/// algorithm, so Datasets uses its own Fisher-Yates and bounded draws below).
///
/// Algorithm: SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
/// number generators", OOPSLA 2014), the generator Java's `SplittableRandom` uses
/// and the usual seeder of xoshiro. Not cryptographic.
///
/// It can be swapped for TensorCore's generator once that exists: the APIs that
/// take a generator are generic over `RandomNumberGenerator`.
///
///     var generator = SeededGenerator(seed: 42)
///     let x = generator.nextFloat()   // in [0, 1)
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// A uniform Float in [0, 1) from the top 24 bits of one draw.
    mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform Float in [low, high).
    mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire, "Fast random
    /// integer generation in an interval", 2019), written out so the sequence is
    /// fixed by this file and not by the standard library.
    mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:): bound must be positive, got \(bound)")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A standard normal Float (Box-Muller transform; one of the pair is used).
    mutating func nextGaussian() -> Float {
        // u1 in (0, 1] so that log(u1) is finite.
        let u1 = Double(next() >> 11 + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// The indices 0..<count in a random order (Fisher-Yates, Durstenfeld's
    /// in-place form), fixed by the generator's state.
    mutating func permutation(of count: Int) -> [Int] {
        var indices = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            indices.swapAt(i, j)
            i -= 1
        }
        return indices
    }
}
