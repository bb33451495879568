#pragma once
#include <sys/types.h>

/// Starts `path` (a path, not searched in PATH) as a child process, the way posix_spawn does,
/// with what posix_spawn cannot set:
///
/// - `death_signal` (Linux): the signal the kernel sends the child when the thread that started
///   it ends, however it ends (SIGKILL included), so the child cannot outlive nbrun
///   (prctl PR_SET_PDEATHSIG, set between fork and exec); 0 for none;
/// - `new_process_group`: the child leads a process group of its own (out of reach of the
///   terminal's Ctrl-C).
///
/// The child gets `parent_descriptors[i]` as its descriptor `child_descriptors[i]`; its 0, 1 and 2
/// not listed are /dev/null. Every signal has its default action in the child and none is
/// blocked. Returns 0 and the child's pid in `pid`, or the errno of what failed (exec included).
int nbrun_spawn(const char *path, char *const argv[], char *const envp[],
                const int *child_descriptors, const int *parent_descriptors, int descriptor_count,
                int death_signal, int new_process_group, pid_t *pid);
