/* Part B: the selftest-style program (examples/selftest_style.c) passes
 * under the LD_PRELOAD shim. Paths are relative to the repository root (the
 * cwd of `make check-*`); the plain build of the program and the shim is
 * used from the ASan suite too (an ASan runtime cannot be preloaded into a
 * non-ASan program). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "build/examples/selftest_style"
#define SHIM "build/libmockfd-preload.so"

static int run(const char *cmd, unsigned *passed, unsigned *failed, bool *closing)
{
    char line[512];
    FILE *p = popen(cmd, "r");
    int st;

    cr_assert_not_null(p);
    *closing = false;
    while (fgets(line, sizeof(line), p))
        if (sscanf(line, "# %u passed, %u failed", passed, failed) == 2)
            *closing = true;
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(st_b_prog, passes_under_shim, .timeout = 120)
{
    unsigned passed = 0, failed = 0;
    bool closing;
    int rc;

    cr_assert_eq(access(PROG, X_OK), 0, "%s not built (make all)", PROG);
    cr_assert_eq(access(SHIM, R_OK), 0, "%s not built", SHIM);
    /* The ASan runtime of this test binary must not leak into the child. */
    rc = run("env -u LD_PRELOAD -u ASAN_OPTIONS LD_PRELOAD=" SHIM " " PROG " 2>&1",
             &passed, &failed, &closing);
    cr_assert(closing, "no closing line");
    cr_assert_eq(failed, 0, "%u selftest-style tests failed", failed);
    cr_assert_geq(passed, 30);
    cr_assert_eq(rc, 0);
}

/* Without the shim there is no /dev/iommu (on a host without iommufd):
 * the same program must report failures, so the test above can fail. */
Test(st_b_prog, fails_without_shim, .timeout = 120)
{
    unsigned passed = 0, failed = 0;
    bool closing;
    int rc;

    if (access("/dev/iommu", F_OK) == 0)
        cr_skip_test("host has a real /dev/iommu");
    cr_assert_eq(access(PROG, X_OK), 0);
    rc = run("env -u LD_PRELOAD " PROG " 2>&1", &passed, &failed, &closing);
    cr_assert(closing);
    cr_assert_gt(failed, 0);
    cr_assert_neq(rc, 0);
}
