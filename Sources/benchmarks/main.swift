// `swift run -c release benchmarks SUITE`: each suite prints `name: value unit` lines.
import Foundation

let suites: [String: () throws -> Void] = [
    "engine": runEngineBenchmarks,
    "plot": runPlotBenchmarks,
    "mlp": runMLPBenchmarks,
    "cnn": runCNNBenchmarks,
    "modules": runModuleBenchmarks,
    "runner": runRunnerBenchmarks,
    "watch": runWatchBenchmarks,
    "large": runLargeNotebookBenchmarks,
    "compile": runCompileBenchmarks,
    "notebooks": runNotebookCacheBenchmarks,
    "cache-stress": runCacheStressBenchmarks,
    "shared-cache": runSharedCacheBenchmarks,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let suite = suites[name] else {
    FileHandle.standardError.write("usage: benchmarks \(suites.keys.sorted().joined(separator: "|"))\n".data(using: .utf8)!)
    exit(2)
}
do {
    try suite()
} catch {
    FileHandle.standardError.write("benchmarks \(name): \(error)\n".data(using: .utf8)!)
    exit(1)
}
