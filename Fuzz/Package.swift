// swift-tools-version:5.4
// nbrun's fuzz targets: libFuzzer harnesses for the parsers that read user or file input.
// Build and run them with `make fuzz` (scripts/fuzz); see README.md here.
//
// The package builds nbrun's own modules again, from the same sources (`nbrun-sources` is a
// link to ../Sources), with libFuzzer's coverage and AddressSanitizer on them alone: the
// dependencies (swift-syntax, Yams, swift-crypto) are built normally, which keeps the build
// short. The module graph below mirrors ../Package.swift for the modules the harnesses use.
//
// Tools version 5.4 on purpose: from 5.5 SwiftPM renames an executable's `main` so tests can
// link it, and a harness has no `main` of its own (libFuzzer's is used).
import PackageDescription

/// Our modules: coverage for libFuzzer, AddressSanitizer, optimised (no `assert` is used, so
/// every check of a debug build is kept; the engine's release build drops them with -Ounchecked).
let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-O"])]
/// A harness: the same, without a `main` (libFuzzer's calls `LLVMFuzzerTestOneInput`).
let harness: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-O", "-parse-as-library"])]
let linkFuzzer: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

func source(_ module: String) -> String { "nbrun-sources/" + module }

let package = Package(
    name: "nbrun-fuzz",
    platforms: [.macOS("13.0")],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: source("COpenBLAS"), pkgConfig: "openblas"),
        .systemLibrary(name: "CMark", path: source("CMark"), pkgConfig: "libcmark-gfm"),
        .systemLibrary(name: "CZlib", path: source("CZlib"), pkgConfig: "zlib"),
        .target(name: "CChildProcess", path: source("CChildProcess")),

        .target(name: "TensorCore", dependencies: ["COpenBLAS"], path: source("TensorCore"), swiftSettings: instrumented),
        .target(name: "Autodiff", dependencies: ["TensorCore"], path: source("Autodiff"), swiftSettings: instrumented),
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib"], path: source("Datasets"), swiftSettings: instrumented),
        .target(name: "NeuralNetwork", dependencies: ["Autodiff", "Datasets"], path: source("NeuralNetwork"), exclude: ["NeuralNetwork.docc"],
                swiftSettings: instrumented),
        .target(name: "KernelProtocol", path: source("KernelProtocol"), swiftSettings: instrumented),
        .target(name: "Notebook", dependencies: [
            "KernelProtocol",
            "CMark",
            "CChildProcess",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "SwiftSyntax", package: "swift-syntax"),
            .product(name: "SwiftParser", package: "swift-syntax"),
        ], path: source("Notebook"), swiftSettings: instrumented),

        // One executable per parser; each defines `LLVMFuzzerTestOneInput`.
        .executableTarget(name: "FuzzNotebook", dependencies: ["Notebook"], path: "Harnesses/FuzzNotebook",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
        .executableTarget(name: "FuzzIDX", dependencies: ["Datasets"], path: "Harnesses/FuzzIDX",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["NeuralNetwork"], path: "Harnesses/FuzzSafeTensors",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
        .executableTarget(name: "FuzzModel", dependencies: ["NeuralNetwork"], path: "Harnesses/FuzzModel",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
        .executableTarget(name: "FuzzCacheManifest", dependencies: ["KernelProtocol", "Notebook"],
                          path: "Harnesses/FuzzCacheManifest", swiftSettings: harness, linkerSettings: linkFuzzer),
        .executableTarget(name: "FuzzDiagnostics", dependencies: ["Notebook"], path: "Harnesses/FuzzDiagnostics",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
        // Runs nbrun itself (built by the main package) on generated notebooks: the cell cache's differential check.
        .executableTarget(name: "FuzzCacheState", dependencies: ["Notebook"], path: "Harnesses/FuzzCacheState",
                          swiftSettings: harness, linkerSettings: linkFuzzer),
    ],
    swiftLanguageVersions: [.v5]
)
