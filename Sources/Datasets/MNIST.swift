import Foundation

/// Which part of a data set to load.
public enum DatasetSplit: String, Sendable, CaseIterable {
    /// 60,000 samples for MNIST and Fashion-MNIST.
    case train
    /// 10,000 samples.
    case test

    /// The IDX file name prefix: "train" or "t10k".
    var filePrefix: String { self == .train ? "train" : "t10k" }
}

/// How pixel bytes 0...255 become Floats (done in the single conversion loop).
public enum PixelNormalization: Equatable, Sendable {
    /// 0...255 unchanged.
    case none
    /// byte / 255, in [0, 1].
    case unitInterval
    /// (byte / 255 - mean) / standardDeviation.
    case standardized(mean: Float, standardDeviation: Float)

    /// MNIST's usual statistics: (byte / 255 - 0.1307) / 0.3081.
    public static let mnist = PixelNormalization.standardized(mean: 0.1307, standardDeviation: 0.3081)

    /// The Float for one pixel byte, computed in Float as a user would write it.
    public func value(of byte: UInt8) -> Float {
        switch self {
        case .none: Float(byte)
        case .unitInterval: Float(byte) / 255
        case .standardized(let mean, let deviation): (Float(byte) / 255 - mean) / deviation
        }
    }
}

/// The MNIST handwritten digits (LeCun, Cortes and Burges): 28x28 grey images of
/// the digits 0-9, 60,000 for training and 10,000 for testing.
///
/// Files: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each raw or gzipped (`.gz`). Searched in order:
/// `directory` when given (and only there); else `$NBRUN_DATA/mnist`,
/// `$NBRUN_ROOT/data/mnist`, `data/mnist` in the working directory, then `data/mnist`
/// in each parent of the working directory (notebooks may run from a temporary
/// folder inside the project).
///
///     let train = try MNIST.load(split: .train)
///     train.inputs.shape   // [60000, 784], Floats in [0, 1]
///     train.labels.count   // 60000
public enum MNIST {
    /// "0" ... "9".
    public static let classNames = (0...9).map(String.init)

    /// Loads one split as (count, 784) Float inputs and labels 0-9. The pixels stay bytes until
    /// `inputs` is first read (see `LabeledDataset.inputs`); `Sequential.fit(_:)` converts per batch.
    ///
    /// - Parameters:
    ///   - split: `.train` (60,000) or `.test` (10,000).
    ///   - directory: a folder holding the files; nil to search (see `MNIST`).
    ///   - normalize: how pixels become Floats; `.unitInterval` gives [0, 1].
    /// - Throws: `DatasetError` naming the file: missing (with every place looked
    ///   at and how to get the data), wrong magic, cut short, impossible sizes,
    ///   damaged gzip, images and labels counts that differ.
    public static func load(split: DatasetSplit, directory: String? = nil,
                            normalize: PixelNormalization = .unitInterval) throws -> LabeledDataset
    {
        try IDXDataset.load(split: split, directories: searchDirectories(directory),
                            classNames: classNames, normalize: normalize)
    }

    /// The folders searched, in order, when `directory` is nil.
    public static func searchDirectories(_ directory: String? = nil) -> [String] {
        IDXDataset.searchDirectories(subfolder: "mnist", explicit: directory)
    }
}

/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28x28 grey images of clothing
/// in 10 classes, the same IDX format and sizes as MNIST.
///
/// Searched in order: `directory` when given (and only there); else
/// `$NBRUN_DATA/fashion-mnist`, `$NBRUN_ROOT/data/fashion-mnist`,
/// `data/fashion-mnist` in the working directory and its parents, then
/// `/usr/share/datasets/fashion-mnist` (Debian package `dataset-fashion-mnist`).
public enum FashionMNIST {
    /// The ten classes, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let systemDirectory = "/usr/share/datasets/fashion-mnist"

    /// Loads one split as (count, 784) Float inputs and labels 0-9; see `MNIST.load`.
    public static func load(split: DatasetSplit, directory: String? = nil,
                            normalize: PixelNormalization = .unitInterval) throws -> LabeledDataset
    {
        try IDXDataset.load(split: split, directories: searchDirectories(directory),
                            classNames: classNames, normalize: normalize)
    }

    /// The folders searched, in order, when `directory` is nil.
    public static func searchDirectories(_ directory: String? = nil) -> [String] {
        IDXDataset.searchDirectories(subfolder: "fashion-mnist", explicit: directory, fallbacks: [systemDirectory])
    }
}

/// Finding and loading a pair of IDX images/labels files (MNIST's layout).
enum IDXDataset {
    static func searchDirectories(subfolder: String, explicit: String?, fallbacks: [String] = [],
                                  environment: [String: String] = ProcessInfo.processInfo.environment,
                                  workingDirectory: String = FileManager.default.currentDirectoryPath) -> [String]
    {
        if let explicit { return [explicit] }
        var directories: [String] = []
        if let data = environment["NBRUN_DATA"], !data.isEmpty {
            directories.append(join(data, subfolder))
        }
        if let root = environment["NBRUN_ROOT"], !root.isEmpty {
            directories.append(join(join(root, "data"), subfolder))
        }
        // data/<subfolder> here, then in each parent up to the root.
        var folder = URL(fileURLWithPath: workingDirectory).standardizedFileURL
        while true {
            directories.append(join(join(folder.path, "data"), subfolder))
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path || folder.path == "/" { break }
            folder = parent
        }
        directories += fallbacks
        var seen = Set<String>()
        return directories.filter { seen.insert($0).inserted }
    }

    /// The path of `name` or `name.gz` in `directory`, the raw file first.
    static func locate(_ name: String, in directory: String) -> String? {
        for candidate in [join(directory, name), join(directory, name + ".gz")] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            FileAccess.record(.absent, candidate)
        }
        return nil
    }

    static func load(split: DatasetSplit, directories: [String], classNames: [String],
                     normalize: PixelNormalization) throws -> LabeledDataset
    {
        let imagesName = "\(split.filePrefix)-images-idx3-ubyte"
        let labelsName = "\(split.filePrefix)-labels-idx1-ubyte"
        // The first folder holding the images file must also hold the labels.
        guard let (directory, imagesPath) = directories.lazy
            .compactMap({ directory in locate(imagesName, in: directory).map { (directory, $0) } }).first
        else {
            throw DatasetError(file: imagesName + "(.gz)",
                               kind: .missingFile(searched: directories.map { join($0, imagesName) + "(.gz)" }))
        }
        guard let labelsPath = locate(labelsName, in: directory) else {
            throw DatasetError(file: labelsName + "(.gz)",
                               kind: .missingFile(searched: [join(directory, labelsName) + "(.gz)"]))
        }

        let images = try IDX.readImages(atPath: imagesPath)
        let labelBytes = try IDX.readLabels(atPath: labelsPath)
        guard images.count == labelBytes.count else {
            throw DatasetError(file: "\(imagesPath) and \(labelsPath)",
                               kind: .countMismatch(images: images.count, labels: labelBytes.count))
        }
        if let bad = labelBytes.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError(file: labelsPath, kind: .labelOutOfRange(
                index: bad, label: Int(labelBytes[bad]), classCount: classNames.count))
        }
        // inputs is (count, rows * columns), kept as the decompressed file's bytes (no copy) and
        // a 256-entry table: Floats are made per mini-batch, or all at once on reading `inputs`
        // (the same table lookup `images.scalars(_:)` does, so the same values).
        let features = images.rows * images.columns
        let table = (0...255).map { normalize.value(of: UInt8($0)) }
        let bytes = ByteRows(bytes: images.storage, start: images.payloadOffset, rows: images.count,
                             width: features, table: table)
        return LabeledDataset(storage: .bytes(bytes), rows: images.count, features: features,
                              labels: labelBytes.map(Int.init), classNames: classNames,
                              sampleShape: [images.rows, images.columns])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
