/*
 * The LD_PRELOAD shim end to end: unmodified programs (our example
 * iommufd_probe and standard tools) run with and without
 * LD_PRELOAD=build/libmockfd-preload.so.
 *
 * Children are always the PLAIN build/ shim and example, also from the ASan
 * suite: an ASan-instrumented shim cannot be preloaded into a program that
 * was not built with ASan. Tests run from the repository root.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHIM /* overridable for running the suite against another build */
#define SHIM "build/libmockfd-preload.so"
#endif
#ifndef PROBE
#define PROBE "build/examples/iommufd_probe"
#endif
#ifndef DIRTY_ROUND
#define DIRTY_ROUND "build/examples/dirty_round"
#endif

static char out[1 << 16];

/* Runs argv (argv[0] a path, or a name looked up in PATH) with a minimal
 * environment plus `extra` (may be NULL), optionally with the shim preloaded;
 * stdout+stderr land in out[]. Returns the exit status, or -1 if the child
 * did not exit. */
static int run_env(char *const argv[], bool preload, const char *extra)
{
    static char shim_abs[PATH_MAX];
    char ld[PATH_MAX + 16];
    char *envp[5] = { (char *)"PATH=/usr/bin:/bin", (char *)"LC_ALL=C", NULL, NULL, NULL };
    int nenv = 2;
    posix_spawn_file_actions_t fa;
    int pipefd[2], status;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    if (preload) {
        cr_assert_not_null(realpath(SHIM, shim_abs),
                           "%s missing (make build/libmockfd-preload.so)", SHIM);
        snprintf(ld, sizeof(ld), "LD_PRELOAD=%s", shim_abs);
        envp[nenv++] = ld;
    }
    if (extra)
        envp[nenv++] = (char *)extra;
    cr_assert_eq(pipe(pipefd), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawn_file_actions_addclose(&fa, pipefd[1]);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    cr_assert_eq(rc, 0, "spawn %s: %s", argv[0], strerror(rc));
    while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0)
            len += (size_t)n;
    close(pipefd[0]);
    out[len] = 0;
    while (waitpid(pid, &status, 0) < 0)
        cr_assert_eq(errno, EINTR);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(char *const argv[], bool preload)
{
    return run_env(argv, preload, NULL);
}

static void expect_out(const char *what)
{
    cr_expect_not_null(strstr(out, what), "output lacks \"%s\":\n%s", what, out);
}

static void require_probe(void)
{
    cr_assert_eq(access(PROBE, X_OK), 0, "%s missing (make %s)", PROBE, PROBE);
}

Test(shim, probe_runs_against_the_mock)
{
    char *argv[] = { (char *)"timeout", (char *)"60", (char *)PROBE, NULL };

    require_probe();
    int rc = run(argv, true);
    expect_out("open /dev/iommu: ok");
    expect_out("IOMMU_IOAS_ALLOC: ok ioas_id=");
    expect_out("IOMMU_IOAS_IOVA_RANGES: ok");
    expect_out("IOMMU_OPTION(HUGE_PAGES, GET): ok val64=1");
    expect_out("IOMMU_IOAS_MAP: ok iova=");
    expect_out("IOMMU_IOAS_UNMAP: ok length=0x");
    expect_out("IOMMU_DESTROY: ok");
    expect_out("close: ok");
    expect_out("ALL OK");
    cr_expect_eq(rc, 0, "probe exit %d:\n%s", rc, out);
}

/* Without the shim the same program must fail: there is no /dev/iommu here
 * (if the machine has a real one the comparison is meaningless: skip). */
Test(shim, probe_fails_without_the_shim)
{
    char *argv[] = { (char *)"timeout", (char *)"60", (char *)PROBE, NULL };

    require_probe();
    if (access("/dev/iommu", F_OK) == 0)
        cr_skip_test("this machine has a real /dev/iommu");
    int rc = run(argv, false);
    cr_expect_eq(rc, 1, "probe exit %d:\n%s", rc, out);
    expect_out("open /dev/iommu: FAILED: No such file or directory (errno 2)");
}

/* read() on a mock fd goes to the mock: /dev/iommu has no read method, which
 * Linux reports as EINVAL; without the shim the open itself fails. (head
 * reads the fd it opened; dd and shell redirections dup2() it first: see
 * dup_then_read_is_routed_to_the_mock.) timeout: a read that wrongly
 * reached the underlying eventfd would block forever. */
Test(shim, read_is_routed_to_the_mock)
{
    char *argv[] = { (char *)"timeout", (char *)"20", (char *)"head", (char *)"-c",
                     (char *)"16", (char *)"/dev/iommu", NULL };

    int rc = run(argv, true);
    cr_expect_eq(rc, 1, "head exit %d:\n%s", rc, out);
    expect_out("error reading '/dev/iommu': Invalid argument");
    if (access("/dev/iommu", F_OK) != 0) {
        rc = run(argv, false);
        cr_expect_eq(rc, 1);
        expect_out("cannot open '/dev/iommu' for reading: No such file or directory");
    }
}

/* dup2/fcntl(F_DUPFD) of a mock fd share the mock file (mockfd_dup_fd): dd
 * opens if= and dup2()s it onto fd 0, then closes the original; the shell's
 * "exec 7<" moves the fd with F_DUPFD and "<&7" dup2()s it onto 0 for the
 * builtin read. Each read must reach the mock (EINVAL), never the bare
 * eventfd left behind (which would block: timeout). */
Test(shim, dup_then_read_is_routed_to_the_mock)
{
    char *dd[] = { (char *)"timeout", (char *)"20", (char *)"dd", (char *)"if=/dev/iommu",
                   (char *)"bs=16", (char *)"count=1", NULL };
    char *sh[] = { (char *)"timeout", (char *)"20", (char *)"sh", (char *)"-c",
                   (char *)"exec 7</dev/iommu; read x <&7; echo read=$?; exec 7<&-; echo ok", NULL };

    int rc = run(dd, true);
    cr_expect_eq(rc, 1, "dd exit %d:\n%s", rc, out);
    expect_out("dd: error reading '/dev/iommu': Invalid argument");
    rc = run(sh, true);
    cr_expect_eq(rc, 0, "sh exit %d:\n%s", rc, out);
    expect_out("read=1");
    expect_out("ok");
}

/* The VFIO cdev path reaches mockfd_device_open(), never the filesystem:
 * on a platform with one device (MOCKFD_PLATFORM, contract §2) the shell can
 * open /dev/vfio/devices/vfio0, and vfio1 does not exist. */
Test(shim, vfio_cdev_path_is_routed_to_the_mock)
{
    char *argv[] = { (char *)"timeout", (char *)"20", (char *)"sh", (char *)"-c",
                     (char *)": < /dev/vfio/devices/vfio0 && echo opened", NULL };
    char *argv1[] = { (char *)"timeout", (char *)"20", (char *)"sh", (char *)"-c",
                      (char *)": < /dev/vfio/devices/vfio1 && echo opened", NULL };
    const char *plat = "MOCKFD_PLATFORM=vtd:0x10";

    int rc = run_env(argv, true, plat);
    cr_expect_eq(rc, 0, "open of device 0 failed (exit %d):\n%s", rc, out);
    expect_out("opened");
    rc = run_env(argv1, true, plat);
    cr_expect_neq(rc, 0, "device 1 of a one-device platform opened:\n%s", out);
    if (access("/dev/vfio/devices/vfio0", F_OK) != 0) {
        rc = run_env(argv, false, plat);
        cr_expect_neq(rc, 0);
        expect_out("cannot open /dev/vfio/devices/vfio0: No such file");
    }
}

/* open(O_CREAT) must forward the variadic mode: the shell creates the file
 * with 0666 & ~umask through the shim's open. */
Test(shim, creat_mode_is_forwarded)
{
    char dir[] = "/tmp/shim_mode_XXXXXX";
    char path[64];
    struct stat st;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f", dir);
    static const struct { const char *umask; unsigned mode; } cases[] = {
        { "022", 0644 }, { "0", 0666 }, { "077", 0600 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char script[128];
        snprintf(script, sizeof(script), "umask %s; : > %s", cases[i].umask, path);
        char *argv[] = { (char *)"timeout", (char *)"20", (char *)"sh", (char *)"-c",
                         script, NULL };
        cr_expect_eq(run(argv, true), 0, "%s:\n%s", script, out);
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 0777, cases[i].mode, "umask %s: mode %o, want %o",
                     cases[i].umask, st.st_mode & 0777, cases[i].mode);
        unlink(path);
    }
    rmdir(dir);
}

/* ioctl/read/write/close on ordinary fds pass through unchanged: a tool's
 * output is identical with and without the shim. */
Test(shim, other_fds_pass_through)
{
    static char plain[sizeof(out)];
    char *stty[] = { (char *)"timeout", (char *)"20", (char *)"stty", (char *)"-F",
                     (char *)"/dev/null", NULL };
    char *cat[] = { (char *)"timeout", (char *)"20", (char *)"cat",
                    (char *)"tests/shim/path.c", NULL };

    int rc_plain = run(stty, false);
    memcpy(plain, out, sizeof(out));
    int rc_shim = run(stty, true);
    cr_expect_eq(rc_shim, rc_plain);
    cr_expect_str_eq(out, plain);
    cr_expect_not_null(strstr(out, "Inappropriate ioctl for device"), "%s", out);

    rc_plain = run(cat, false);
    memcpy(plain, out, sizeof(out));
    rc_shim = run(cat, true);
    cr_expect_eq(rc_plain, 0);
    cr_expect_eq(rc_shim, 0);
    cr_expect_str_eq(out, plain);
    cr_expect_gt(strlen(out), 100u);
}

/* The README's "Dirty tracking under the shim" example, exactly as the
 * README runs it: an ordinary program (libc + uapi headers) that reaches
 * the device's DMA through the weak mockfd_device_dma the shim exports.
 * Device writes at pages 1, 4..5 (200 bytes across the boundary) and 9;
 * the CPU's own store to page 12 is not tracked; the harvest clears. Then
 * the same with both fds moved by dup2/F_DUPFD and the originals closed;
 * without the shim the program stops at the open. */
Test(shim, dirty_round_example)
{
    char *argv[] = { (char *)"timeout", (char *)"60", (char *)DIRTY_ROUND, NULL };
    char *argv_dup[] = { (char *)"timeout", (char *)"60", (char *)DIRTY_ROUND,
                         (char *)"--dup", NULL };
    const char *plat = "MOCKFD_PLATFORM=vtd:0x10";

    cr_assert_eq(access(DIRTY_ROUND, X_OK), 0, "%s missing (make %s)", DIRTY_ROUND, DIRTY_ROUND);
    int rc = run_env(argv, true, plat);
    cr_expect_eq(rc, 0, "dirty_round exit %d:\n%s", rc, out);
    expect_out("device wrote 200 bytes at iova 0x104fa0");
    expect_out("dirty bitmap (page 0..15): 0100110001000000\n");
    expect_out("after the clear:            0000000000000000\n");
    rc = run_env(argv_dup, true, plat);
    cr_expect_eq(rc, 0, "dirty_round --dup exit %d:\n%s", rc, out);
    expect_out("moved to fds 40 (device) and 50 (iommufd)");
    expect_out("dirty bitmap (page 0..15): 0100110001000000\n");
    if (access("/dev/iommu", F_OK) != 0) {
        rc = run_env(argv, false, plat);
        cr_expect_eq(rc, 1);
        expect_out("open /dev/vfio/devices/vfio0: No such file or directory");
    }
}
