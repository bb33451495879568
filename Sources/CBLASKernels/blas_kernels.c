#define _GNU_SOURCE
#include "blas_kernels.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);

static nbrun_blas_choice choice;

const nbrun_blas_choice *nbrun_blas_kernel_choice(void) { return &choice; }
const char *nbrun_blas_core_name(void) { return openblas_get_corename(); }
const char *nbrun_blas_config(void) { return openblas_get_config(); }

int nbrun_blas_core_level(const char *name) {
    // OpenBLAS 0.3.x names (gotoblas_corename), by the widest vectors their sgemm kernels use.
    static const char *avx512[] = {"skylakex", "cooperlake", "sapphirerapids", 0};
    static const char *avx2[] = {"haswell", "zen", "excavator", 0};
    static const char *avx[] = {"sandybridge", "bulldozer", "piledriver", "steamroller", 0};
    const char **sets[] = {avx, avx2, avx512};
    if (!name) return 0;
    for (int level = 3; level >= 1; level--) {
        for (const char **n = sets[level - 1]; *n; n++) {
            if (strcasecmp(name, *n) == 0) return level;
        }
    }
    return 0;
}

/// What the CPU and the operating system let a program use (see `cpuLevel`).
static int cpu_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int avx = (c >> 28) & 1, fma = (c >> 12) & 1, osxsave = (c >> 27) & 1;
    if (!avx || !osxsave) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    // XCR0: bits 1-2 are SSE and AVX state, bits 5-7 the AVX-512 opmask and ZMM registers.
    if ((lo & 0x6) != 0x6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 1;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    if (avx512 && (lo & 0xE0) == 0xE0) return 3;
    if (avx2 && fma) return 2;
    return 1;
#else
    return 0;
#endif
}

/// The kernel set that serves a CPU of `level` on every x86 vendor OpenBLAS supports.
static const char *best_core(int level) {
    return level >= 3 ? "SkylakeX" : level == 2 ? "Haswell" : 0;
}

__attribute__((constructor))
static void nbrun_choose_blas_kernels(void) {
    const char *detected = openblas_get_corename();
    strncpy(choice.detected, detected ? detected : "", sizeof choice.detected - 1);
    choice.cpuLevel = cpu_level();
    const char *user = getenv("OPENBLAS_CORETYPE");
    choice.fromEnvironment = user != 0 && user[0] != 0;
    // The switch exists only in DYNAMIC_ARCH builds; looked up rather than linked, so the engine
    // also links against a library built for one CPU (where there is nothing to switch).
    void (*quit)(void) = 0, (*init)(void) = 0;
    Dl_info info;
    // In the library that defines openblas_get_corename: when the engine itself was loaded with
    // RTLD_LOCAL (dlopen), OpenBLAS's symbols are not in the global scope RTLD_DEFAULT searches.
    if (dladdr((void *)openblas_get_corename, &info) && info.dli_fname) {
        void *library = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (library) {
            quit = (void (*)(void))dlsym(library, "gotoblas_dynamic_quit");
            init = (void (*)(void))dlsym(library, "gotoblas_dynamic_init");
            dlclose(library);   // RTLD_NOLOAD took a reference; the library stays loaded
        }
    }
    choice.dynamicArch = quit != 0 && init != 0;
    if (choice.fromEnvironment || !choice.dynamicArch) return;
    const char *target = best_core(choice.cpuLevel);
    if (!target || nbrun_blas_core_level(detected) >= choice.cpuLevel) return;
    // Runs before main, before any BLAS call: OpenBLAS's own constructor has chosen the kernel
    // table and started its (idle) threads, which read the table only when given work.
    // gotoblas_dynamic_init reads OPENBLAS_CORETYPE and sets the table's blocking parameters.
    setenv("OPENBLAS_CORETYPE", target, 1);
    quit();
    init();
    unsetenv("OPENBLAS_CORETYPE");   // the environment stays as the user left it, for children
    const char *now = openblas_get_corename();
    if (now && nbrun_blas_core_level(now) > nbrun_blas_core_level(detected)) {
        strncpy(choice.upgraded, now, sizeof choice.upgraded - 1);
    } else if (!now || strcasecmp(now, choice.detected) != 0) {
        // The library did not take the set (not built in): back to its own choice.
        quit();
        init();
    }
}
