/* SPDX-License-Identifier: MIT */
/*
 * Dispatch cost of the mock /dev/iommu: ns/op of IOMMU_OPTION GET
 * (RLIMIT_MODE) -- size word, struct copy-in, val64 write-back: three user
 * accesses -- measured
 *   1. in process, through mockfd_ioctl();
 *   2. through the LD_PRELOAD shim: this program re-executes itself with
 *      LD_PRELOAD=<build>/libmockfd-preload.so and calls plain open() and
 *      ioctl(), as an unmodified program would;
 *   3. as a baseline, a raw ioctl() system call on /dev/null (FIONREAD, which
 *      /dev/null rejects: the cheapest real ioctl round trip).
 * Prints numbers beside the targets; never passes or fails on time.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "mockfd/mockfd.h"

#define CHILD_FLAG "--shim-child"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef int (*ioctl_fn)(int, unsigned long, void *);

static int via_mockfd(int fd, unsigned long req, void *arg)
{
    return mockfd_ioctl(fd, req, arg);
}

static int via_libc(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg);
}

/* Best of 5 runs of n calls, in ns/op. */
static double measure(ioctl_fn fn, int fd, unsigned long req, void *arg, long n, int expect_ok)
{
    double best = 1e30;

    for (int run = 0; run < 5; run++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            int rc = fn(fd, req, arg);
            if (expect_ok && rc != 0) {
                fprintf(stderr, "dispatch bench: ioctl failed: %s\n", strerror(errno));
                exit(1);
            }
        }
        double per = (now_ns() - t0) / (double)n;
        if (per < best)
            best = per;
    }
    return best;
}

static struct iommu_option opt_get(void)
{
    struct iommu_option o;
    memset(&o, 0, sizeof(o));
    o.size = sizeof(o);
    o.option_id = IOMMU_OPTION_RLIMIT_MODE;
    o.op = IOMMU_OPTION_OP_GET;
    return o;
}

/* The re-executed child: plain open()/ioctl(), intercepted by the shim. */
static int shim_child(void)
{
    struct iommu_option o = opt_get();
    char link[64], target[128];
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        printf("shim       : n/a (open /dev/iommu: %s)\n", strerror(errno));
        return 0;
    }
    /* The mock hands out eventfds; anything else means the shim was not in
     * effect and we would be timing something else. */
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    if (!strstr(target, "eventfd")) {
        printf("shim       : n/a (/dev/iommu is not the mock: %s)\n", target);
        return 0;
    }
    double ns = measure(via_libc, fd, IOMMU_OPTION, &o, 2000000, 1);
    printf("shim       : %7.1f ns/op   (target <= 80 ns)   IOMMU_OPTION GET via LD_PRELOAD ioctl()\n", ns);
    close(fd);
    return 0;
}

static void run_shim(const char *argv0)
{
    char exe[PATH_MAX], lib[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n <= 0) {
        printf("shim       : n/a (no /proc/self/exe)\n");
        return;
    }
    exe[n] = '\0';
    /* build/bench/dispatch -> build/libmockfd-preload.so */
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(lib, sizeof(lib), "%s/libmockfd-preload.so", exe);
    if (access(lib, R_OK) != 0) {
        printf("shim       : n/a (%s not built)\n", lib);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        execl("/proc/self/exe", argv0, CHILD_FLAG, (char *)NULL);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        printf("shim       : n/a (child failed)\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], CHILD_FLAG) == 0)
        return shim_child();

    struct iommu_option o = opt_get();
    int fd = mockfd_open();
    if (fd < 0) {
        perror("mockfd_open");
        return 1;
    }
    double ns = measure(via_mockfd, fd, IOMMU_OPTION, &o, 2000000, 1);
    printf("in-process : %7.1f ns/op   (target <= 50 ns)   IOMMU_OPTION GET via mockfd_ioctl()\n", ns);
    mockfd_close(fd);

    run_shim(argv[0]);

    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int avail;
    if (null >= 0) {
        ns = measure(via_libc, null, FIONREAD, &avail, 1000000, 0);
        printf("raw syscall: %7.1f ns/op   (baseline)          ioctl(/dev/null, FIONREAD)\n", ns);
        close(null);
    }
    return 0;
}
