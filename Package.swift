// swift-tools-version:6.0
// nbrun: a notebook runner for Swift, and the neural-network engine its notebooks call.
// Dependencies point one way (see docs/architecture.md): C modules <- TensorCore <- Autodiff <-
// NeuralNetwork <- Optimizers; Datasets (on TensorCore) beside Autodiff: NeuralNetwork's training
// loop reads any BatchSource (TensorCore), which datasets adopt; Plotting beside them, and
// ModelDiagrams (Plotting's diagrams of NeuralNetwork's models) on both; NotebookKernel re-exports
// all of it for generated notebook programs; Notebook and nbrun are the tool.
import Foundation
import PackageDescription

let engineSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

/// The engine is built on the machine it runs on (scripts/setup), so the hand-vectorised kernels
/// (TensorCore's direct convolution, Adam's update) use AVX2 and FMA when this CPU has them, as `-march=native`
/// would; NBRUN_PORTABLE=1 turns that off (for a build copied to other machines).
let hostHasAVX2AndFMA: Bool = {
    #if os(Linux) && arch(x86_64)
    if ProcessInfo.processInfo.environment["NBRUN_PORTABLE"] == "1" { return false }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let names = Set(flags.split(separator: " ").map(String.init))
    return names.contains("avx2") && names.contains("fma")
    #else
    return false
    #endif
}()

let vectorSettings: [SwiftSetting] = engineSettings + (hostHasAVX2AndFMA
    ? [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"]), .define("NBRUN_FMA")] : [])

let package = Package(
    name: "nbrun",
    platforms: [.macOS(.v13)],
    products: [
        // Generated notebook programs link against this dynamic library (built -c release).
        .library(name: "NotebookKernel", type: .dynamic, targets: ["NotebookKernel"]),
        .executable(name: "nbrun", targets: ["nbrun"]),
        .executable(name: "benchmarks", targets: ["benchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        // `make docs`: the engine's API reference, built by DocC from the doc comments.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian packages named in `providers`).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CGD", pkgConfig: "gdlib", providers: [.apt(["libgd-dev"])]),
        .systemLibrary(name: "CMark", pkgConfig: "libcmark-gfm", providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Starting child processes that die with nbrun (what posix_spawn cannot set up).
        .target(name: "CChildProcess"),

        // Picks OpenBLAS's best kernel set for this CPU when the engine loads (see its header).
        .target(name: "CBLASKernels", dependencies: ["COpenBLAS"], linkerSettings: [.linkedLibrary("dl")]),

        // The engine.
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CBLASKernels"], swiftSettings: vectorSettings),
        .target(name: "Autodiff", dependencies: ["TensorCore"], swiftSettings: engineSettings),
        .target(name: "NeuralNetwork", dependencies: ["Autodiff"], swiftSettings: engineSettings),
        .target(name: "Optimizers", dependencies: ["NeuralNetwork"], swiftSettings: vectorSettings),
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib"], swiftSettings: engineSettings),
        .target(name: "Plotting", dependencies: ["CGD", "TensorCore"], swiftSettings: engineSettings),
        // Schematics of the engine's models drawn with Plotting's `Diagram`: a `Sequential`'s
        // layers, a variable's recorded graph, the LSTM cell, a neuron. Its own target so that
        // Plotting stays free of the engine and the diagrams are tested without the kernel.
        .target(name: "ModelDiagrams", dependencies: ["Plotting", "NeuralNetwork"], swiftSettings: engineSettings),
        // The contract between the tool and the programs it generates: events, display items,
        // the cache manifest, the program plan. Dependency-free; both sides import it.
        .target(name: "KernelProtocol"),
        // Named by its file name, not by the path it was linked at (gold's default), so that a
        // notebook binary finds it in another clone. KernelSourceIdentity writes the hash of the
        // sources it is built from into it, its identity in cache keys; NBRUN_FMA says there
        // whether the engine was built with FMA.
        .target(name: "NotebookKernel",
                dependencies: ["KernelProtocol", "TensorCore", "Autodiff", "NeuralNetwork", "Optimizers", "Datasets", "Plotting",
                               "ModelDiagrams"],
                swiftSettings: hostHasAVX2AndFMA ? [.define("NBRUN_FMA")] : [],
                linkerSettings: [.unsafeFlags(["-Xlinker", "-soname=libNotebookKernel.so"], .when(configuration: .release))],
                plugins: ["KernelSourceIdentity"]),
        .plugin(name: "KernelSourceIdentity", capability: .buildTool()),

        // The tool.
        .target(name: "Notebook", dependencies: [
            "KernelProtocol",
            "CMark",
            "CChildProcess",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftSyntax", package: "swift-syntax"),
            .product(name: "SwiftParser", package: "swift-syntax"),
        ]),
        // `nbrun watch`: the live page's server (FlyingFox, behind a gate on FlyingSocks, its
        // socket layer) and the file watcher.
        .target(name: "NotebookWatch", dependencies: [
            "Notebook",
            .product(name: "FlyingFox", package: "FlyingFox"),
            .product(name: "FlyingSocks", package: "FlyingFox"),
        ]),
        .executableTarget(name: "nbrun", dependencies: [
            "Notebook",
            "NotebookWatch",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "benchmarks",
                          dependencies: ["TensorCore", "Autodiff", "NeuralNetwork", "Optimizers", "Datasets", "Plotting", "COpenBLAS"],
                          swiftSettings: engineSettings),

        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "COpenBLAS"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "Optimizers", "Datasets"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "CGD", "ModelDiagrams"], resources: [.copy("Golden")]),
        .testTarget(name: "NotebookTests", dependencies: ["Notebook", "NotebookWatch", .product(name: "FlyingSocks", package: "FlyingFox")]),
    ],
    swiftLanguageModes: [.v5]
)
