@_exported import TensorCore

// Datasets: the data the notebooks and benchmarks train on.
//
// - `IDX` reads the IDX files of MNIST and Fashion-MNIST (gzipped or raw).
// - `MNIST.load(split:)` / `FashionMNIST.load(split:)` find and load them as a
//   `LabeledDataset` (inputs are (count, 784) Float, labels are [Int]).
// - `Normalization`, `oneHot(_:classCount:)`, `MiniBatches` and
//   `LabeledDataset.split(validationFraction:seed:)` prepare data for training.
// - `SyntheticData` makes the small seeded 2-D sets (XOR, moons, spirals, blobs,
//   linearly separable) of the small notebooks.
// - `SeededGenerator` makes all of it reproducible for a seed.
