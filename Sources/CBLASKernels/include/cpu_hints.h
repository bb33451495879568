#pragma once

/// Tells the core this thread spins waiting (x86 `pause`): the waiting loop then takes less of
/// the core from its sibling hyperthread and power, and leaves the loop sooner when the wait ends.
static inline void nbrun_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
