internal import CBLASKernels

/// The BLAS library the engine's products run on, and which of its kernel sets it uses.
///
/// OpenBLAS carries kernels for many CPUs and picks one set when it loads. On a CPU newer than
/// the library it falls back to a generic SSE3 set, several times slower (Debian's 0.3.21 on an
/// AVX-512 Xeon: 30 GFLOP/s instead of 220 for a 2048^3 sgemm). When the engine loads, it
/// checks the CPU (CPUID) and, when the library's choice is below what the CPU supports,
/// switches to the best set the library has (`SkylakeX` for AVX-512, `Haswell` for AVX2 with
/// FMA). An `OPENBLAS_CORETYPE` set in the environment always wins.
///
///     print(BLASLibrary.current)
///     // OpenBLAS 0.3.21, SkylakeX kernels (chosen by nbrun: OpenBLAS picked Prescott), 2 threads
public struct BLASLibrary: Sendable, Equatable, CustomStringConvertible {
    /// How the kernel set in use was chosen.
    public enum Choice: String, Sendable, Equatable {
        /// OpenBLAS's own detection, already the best for this CPU.
        case library
        /// The engine switched from OpenBLAS's choice (`detectedKernels`) to a better set.
        case upgraded
        /// `OPENBLAS_CORETYPE` in the environment.
        case environment
    }

    /// The library and its version, e.g. "OpenBLAS 0.3.21".
    public var version: String
    /// The kernel set products run on now, e.g. "SkylakeX".
    public var kernels: String
    /// The set OpenBLAS picked by itself when it loaded.
    public var detectedKernels: String
    public var choice: Choice
    /// The widest vector instructions this CPU and system allow: "AVX-512", "AVX2+FMA", "AVX" or "SSE".
    public var cpuFeatures: String
    /// The same as a level: 3 AVX-512, 2 AVX2 with FMA, 1 AVX, 0 older (as `level(ofKernels:)`).
    public var cpuLevel: Int
    /// Whether the library can switch kernel sets (built with DYNAMIC_ARCH).
    public var switchable: Bool
    /// The threads a large product is split over (`Parallelism.blasThreads`), each running a
    /// single-threaded sgemm on its rows.
    public var threads: Int

    /// The library as this process runs it.
    public static var current: BLASLibrary {
        let record = nbrun_blas_kernel_choice()!.pointee
        let config = String(cString: nbrun_blas_config())
        // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64": the first two words.
        let version = config.split(separator: " ").prefix(2).joined(separator: " ")
        let choice: Choice = record.fromEnvironment != 0 ? .environment : (cString(record.upgraded).isEmpty ? .library : .upgraded)
        let level = Int(max(0, min(3, record.cpuLevel)))
        return BLASLibrary(version: version, kernels: String(cString: nbrun_blas_core_name()), detectedKernels: cString(record.detected),
                           choice: choice, cpuFeatures: ["SSE", "AVX", "AVX2+FMA", "AVX-512"][level], cpuLevel: level,
                           switchable: record.dynamicArch != 0, threads: Parallelism.blasThreads)
    }

    /// The level of vector instructions a kernel set uses (3 AVX-512, 2 AVX2, 1 AVX, 0 older).
    public static func level(ofKernels name: String) -> Int { Int(nbrun_blas_core_level(name)) }

    /// One line for reports and `--version`.
    public var description: String {
        let how: String
        switch choice {
        case .library: how = "chosen by OpenBLAS for this CPU's \(cpuFeatures)"
        case .upgraded: how = "chosen by nbrun for this CPU's \(cpuFeatures): OpenBLAS picked \(detectedKernels)"
        case .environment: how = "from OPENBLAS_CORETYPE"
        }
        return "\(version), \(kernels) kernels (\(how)), \(threads) thread\(threads == 1 ? "" : "s")"
    }
}

/// A fixed-size C char array (imported as a tuple) as a String.
private func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
