#define _GNU_SOURCE
#include "child_process.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
/// close_range's flag to mark the range close-on-exec rather than close it (linux/close_range.h).
enum { CLOSE_RANGE_CLOEXEC_FLAG = 1 << 2 };
#endif

/// Descriptors above every one a child is given: the parent's are moved here first, so that
/// giving one never overwrites another still to be given.
enum { first_free_descriptor = 64 };
/// More descriptors than any child is given.
enum { max_descriptors = 16 };

/// Marks close-on-exec every descriptor from 3 up that `keep` (count of them) does not list,
/// by ranges (close_range, a system call: async-signal-safe). Where the kernel lacks it (before
/// Linux 5.11) the descriptors stay as they were.
static void close_other_descriptors(const int *keep, int count) {
#if defined(__linux__) && defined(SYS_close_range)
    unsigned int from = 3;
    for (;;) {
        // The lowest kept descriptor at or above `from`, if any.
        unsigned int next = ~0U;
        for (int i = 0; i < count; i++) {
            if (keep[i] >= 0 && (unsigned int)keep[i] >= from && (unsigned int)keep[i] < next) next = (unsigned int)keep[i];
        }
        if (next == ~0U) {
            syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC_FLAG);
            return;
        }
        if (next > from) syscall(SYS_close_range, from, next - 1, CLOSE_RANGE_CLOEXEC_FLAG);
        from = next + 1;
    }
#else
    (void)keep;
    (void)count;
#endif
}

/// In the child, between fork and exec: only async-signal-safe calls (the parent has other
/// threads, whose locks may be held in this copy of it).
static void become_child(const char *path, char *const argv[], char *const envp[],
                         const int *child_descriptors, const int *parent_descriptors, int count,
                         int death_signal, int new_process_group, pid_t parent, int report) {
    struct sigaction default_action;
    default_action.sa_handler = SIG_DFL;
    default_action.sa_flags = 0;
    sigemptyset(&default_action.sa_mask);
    for (int signal_number = 1; signal_number < NSIG; signal_number++) {
        sigaction(signal_number, &default_action, NULL);
    }
#if defined(__linux__)
    if (death_signal != 0) {
        if (prctl(PR_SET_PDEATHSIG, death_signal) != 0) goto failed;
        // The parent may have died before the line above: then no signal will come.
        if (getppid() != parent) _exit(127);
    }
#else
    (void)death_signal;
    (void)parent;
#endif
    if (new_process_group && setpgid(0, 0) != 0) goto failed;
    int moved[max_descriptors];
    for (int i = 0; i < count; i++) {
        moved[i] = fcntl(parent_descriptors[i], F_DUPFD_CLOEXEC, first_free_descriptor);
        if (moved[i] < 0) goto failed;
    }
    for (int standard = 0; standard <= 2; standard++) {
        int listed = 0;
        for (int i = 0; i < count; i++) listed |= child_descriptors[i] == standard;
        if (listed) continue;
        int null_device = open("/dev/null", standard == 0 ? O_RDONLY : O_WRONLY);
        if (null_device < 0) goto failed;
        if (null_device != standard) {
            if (dup2(null_device, standard) < 0) goto failed;
            close(null_device);
        }
    }
    for (int i = 0; i < count; i++) {
        // dup2 leaves the copy without close-on-exec.
        if (dup2(moved[i], child_descriptors[i]) < 0) goto failed;
    }
    // Every other descriptor closes at exec: the parent's sockets and files that were opened
    // without close-on-exec (a library's listening socket, say) would otherwise live on in the
    // child, keeping a connection or a port open until the child ends.
    close_other_descriptors(child_descriptors, count);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, envp);
failed:;
    int error = errno;
    ssize_t written;
    do { written = write(report, &error, sizeof error); } while (written < 0 && errno == EINTR);
    _exit(127);
}

int nbrun_spawn(const char *path, char *const argv[], char *const envp[],
                const int *child_descriptors, const int *parent_descriptors, int descriptor_count,
                int death_signal, int new_process_group, pid_t *pid) {
    // The child tells why it could not exec on this pipe; a successful exec closes it.
    if (descriptor_count < 0 || descriptor_count > max_descriptors) return EINVAL;
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return errno;
    // No handler of the parent's may run in the child before it resets them.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        become_child(path, argv, envp, child_descriptors, parent_descriptors, descriptor_count,
                     death_signal, new_process_group, parent, report[1]);
    }
    int fork_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(report[1]);
    if (child < 0) {
        close(report[0]);
        return fork_error;
    }
    int error = 0;
    ssize_t count;
    do { count = read(report[0], &error, sizeof error); } while (count < 0 && errno == EINTR);
    close(report[0]);
    if (count == (ssize_t)sizeof error) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        return error;
    }
    *pid = child;
    return 0;
}
