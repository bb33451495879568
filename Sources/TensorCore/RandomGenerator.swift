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
/// Derived draws (fixed algorithms, so also reproducible):
/// - `nextUniform()`: the top 24 bits of one draw times 2^-24, in [0, 1).
/// - `nextNormal()`: Box-Muller on two draws (53-bit uniforms, computed in Double),
///   using the cosine branch only, so every normal costs exactly two draws.
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
        var splitMix = seed
        var words: [UInt64] = []
        for _ in 0..<4 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
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

    /// A uniform value in [0, 1) from the top 24 bits of one draw.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal value (mean 0, standard deviation 1) by Box-Muller.
    public mutating func nextNormal() -> Float {
        let u1 = 1.0 - Double(next() >> 11) * 0x1p-53  // in (0, 1]: log is finite
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2.0 * Foundation.log(u1)).squareRoot() * Foundation.cos(2.0 * Double.pi * u2))
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
