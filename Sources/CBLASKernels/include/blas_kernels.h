#pragma once

/// Which OpenBLAS kernel set this process runs, and how it was chosen.
///
/// OpenBLAS built with DYNAMIC_ARCH picks its kernels when it loads, from a table of the CPUs it
/// knows. A CPU newer than the library is not in the table, and the library falls back to its
/// generic SSE3 kernels ("Prescott") without a word, several times slower than the AVX-512 or
/// AVX2 kernels it also carries. A constructor in this file runs when the engine is loaded (in
/// every program that links it: notebook programs, the benchmarks, the tests, a user's own
/// package) and, when the library chose a kernel set below what the CPU supports, switches it
/// to the best one through the library's own lever, the OPENBLAS_CORETYPE variable read by
/// `gotoblas_dynamic_init`. An OPENBLAS_CORETYPE the user set is never overridden.
typedef struct {
    /// What OpenBLAS chose by itself when it loaded (its `openblas_get_corename`), e.g. "Prescott".
    char detected[32];
    /// What the engine switched to ("" when it left OpenBLAS's choice alone), e.g. "SkylakeX".
    char upgraded[32];
    /// 1 when OPENBLAS_CORETYPE was set in the environment when the engine loaded.
    int fromEnvironment;
    /// What the CPU supports, as CPUID and XGETBV report it: 3 for AVX-512 (F, BW, DQ, VL, with
    /// the operating system saving the ZMM state), 2 for AVX2 with FMA, 1 for AVX, 0 otherwise.
    int cpuLevel;
    /// 1 when the library supports switching (a DYNAMIC_ARCH build).
    int dynamicArch;
} nbrun_blas_choice;

/// The choice made when the engine loaded (the constructor's record).
const nbrun_blas_choice *nbrun_blas_kernel_choice(void);

/// The kernel set OpenBLAS runs now (`openblas_get_corename`).
const char *nbrun_blas_core_name(void);

/// OpenBLAS's build description (`openblas_get_config`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
const char *nbrun_blas_config(void);

/// The level (see `cpuLevel`) a kernel set's name needs: "SkylakeX" 3, "Haswell" 2, "Prescott" 0.
int nbrun_blas_core_level(const char *name);
