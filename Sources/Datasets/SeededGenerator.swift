import Foundation

/// The generator every random choice in Datasets draws from (shuffles, splits, synthetic data),
/// so that a seed fixes the result on every platform and Swift version: TensorCore's
/// `SplitMix64`, with TensorCore's own Fisher-Yates (`permutation(of:)`), bounded draws
/// (`nextIndex(below:)`), uniform (`nextUniform`) and normal (`nextNormal`) values.
///
///     var generator = SeededGenerator(seed: 42)
///     let x = generator.nextUniform()   // in [0, 1)
public typealias SeededGenerator = SplitMix64
