import Foundation

/// A seeded pseudo-random generator whose stream is identical on every run and machine.
///
/// Algorithm: xoshiro256** 1.0 (Blackman and Vigna, "Scrambled linear pseudorandom
/// number generators", 2018; reference code at prng.di.unimi.it), its 256-bit state
/// filled from the seed by SplitMix64 as the authors recommend. Not cryptographic.
///
/// The state is `Codable` and `Equatable`, so a notebook cache can save it after a
/// cell and restore it: the next draws then match an uncached run exactly.
///
/// Derived draws, shuffles and permutations (`nextUniform()`, `nextNormal()`,
/// `nextIndex(below:)`, `shuffle(_:)`, `permutation(of:)`) are written out below for any
/// `RandomNumberGenerator`, so their results are fixed by this file, never by the standard
/// library (whose `shuffle(using:)` does not promise its algorithm across Swift versions).
///
///     var generator = RandomGenerator(seed: 42)
///     let w = Tensor.randomNormal(shape: [784, 256], using: &generator)
///     RandomGenerator.seedGlobal(0)     // the default generator behind calls without `using:`
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four 64-bit words of xoshiro256** state (never all zero), for saving and restoring.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator seeded by SplitMix64 from `seed`.
    public init(seed: UInt64) {
        var splitMix = SplitMix64(seed: seed)
        (s0, s1, s2, s3) = (splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next())
    }

    /// A generator resuming from a saved `state` (four words, not all zero).
    public init(state: [UInt64]) {
        if state.count != 4 || state.allSatisfy({ $0 == 0 }) {
            engineFailure("RandomGenerator(state:): need four words, not all zero; got \(state)")
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// The default generator, used by every random function called without `using:`.
    nonisolated(unsafe) public static var global = RandomGenerator(seed: 0)

    /// Reseeds the default generator.
    public static func seedGlobal(_ seed: UInt64) {
        global = RandomGenerator(seed: seed)
    }
}

@inline(__always)
private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): the generator Java's `SplittableRandom` uses and the usual seeder of xoshiro.
/// It fills `RandomGenerator`'s state from a seed, and Datasets draws its seeded shuffles,
/// splits and synthetic sets from it (as `SeededGenerator`). Not cryptographic.
public struct SplitMix64: RandomNumberGenerator, Sendable {
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

/// The engine's draws from any generator, written out so a seed gives the same values on every
/// platform and Swift version.
extension RandomNumberGenerator {
    /// A uniform value in [0, 1) from the top 24 bits of one draw.
    @inlinable
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform value in [lowerBound, upperBound), from one `nextUniform()`.
    @inlinable
    public mutating func nextUniform(in lowerBound: Float, _ upperBound: Float) -> Float {
        lowerBound + (upperBound - lowerBound) * nextUniform()
    }

    /// A standard normal value (mean 0, standard deviation 1) by Box-Muller on two draws
    /// (53-bit uniforms, computed in Double), using the cosine branch only, so every normal
    /// costs exactly two draws.
    @inlinable
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - Double(next() >> 11) * 0x1p-53  // in (0, 1]: log is finite
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2))
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire, "Fast random integer
    /// generation in an interval", 2019).
    public mutating func nextIndex(below bound: Int) -> Int {
        if bound < 1 { engineFailure("nextIndex(below:): bound must be positive, got \(bound)") }
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

    /// Puts `values` in a random order (Fisher-Yates, Durstenfeld's in-place form, from the
    /// last position down, each swap partner drawn by `nextIndex(below:)`).
    public mutating func shuffle(_ values: inout [Int]) {
        var i = values.count - 1
        while i > 0 {
            values.swapAt(i, nextIndex(below: i + 1))
            i -= 1
        }
    }

    /// The indices 0..<count in a random order (`shuffle(_:)` of 0, 1, 2, ...).
    public mutating func permutation(of count: Int) -> [Int] {
        var indices = Array(0..<count)
        shuffle(&indices)
        return indices
    }
}
