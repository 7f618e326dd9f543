/* SPDX-License-Identifier: MIT */
/*
 * Golden conformance (issue #10, docs/oracle.md): every ioctl corpus program
 * in tests/golden/corpus/ is replayed on the mock with MOCKFD_KERNEL=6.12 and
 * its result lines are compared with what the real 6.12 kernel returned for
 * the same program (tests/golden/kernel-6.12/<program>.out, recorded by
 * `make oracle-record` in the QEMU oracle). A difference fails the test
 * unless tests/golden/known-diffs.txt lists that program and call (with the
 * reason; docs/oracle.md explains each).
 */
#include "tests/common/test_util.h"
#include "tools/oracle/ioc.h"
#include "mockfd/mockfd.h"

#include <criterion/parameterized.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gparam {
    char name[64]; /* program file name without .ioc */
};

/* The repository root: the binary is ROOT/build/tests/golden (or build-asan). */
static const char *root(void)
{
    static char r[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t n;

    if (r[0])
        return r;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        snprintf(r, sizeof(r), "%s", dirname(dirname(dirname(exe))));
        if (access(r, F_OK) == 0) {
            char probe[PATH_MAX + 32];

            snprintf(probe, sizeof(probe), "%s/tests/golden/corpus", r);
            if (access(probe, F_OK) == 0)
                return r;
        }
    }
    snprintf(r, sizeof(r), "."); /* make test runs from the root */
    return r;
}

static char *slurp(const char *fmt, const char *name)
{
    char path[PATH_MAX + 128];
    FILE *f;
    char *s = NULL;
    long n;

    snprintf(path, sizeof(path), fmt, root(), name);
    f = fopen(path, "r");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (s = malloc((size_t)n + 1)) != NULL) {
        if (fread(s, 1, (size_t)n, f) != (size_t)n)
            n = 0;
        s[n] = 0;
    }
    fclose(f);
    return s;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct gparam *)a)->name, ((const struct gparam *)b)->name);
}

ParameterizedTestParameters(golden, kernel_6_12)
{
    char dir[PATH_MAX + 32];
    struct gparam *p;
    size_t n = 0, cap = 256;
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/tests/golden/corpus", root());
    p = cr_malloc(cap * sizeof(*p));
    d = opendir(dir);
    while (p && d && (e = readdir(d)) != NULL && n < cap) {
        size_t len = strlen(e->d_name);

        if (len > 4 && len < sizeof(p->name) + 4 && !strcmp(e->d_name + len - 4, ".ioc")) {
            memset(&p[n], 0, sizeof(p[n]));
            memcpy(p[n].name, e->d_name, len - 4);
            n++;
        }
    }
    if (d)
        closedir(d);
    qsort(p, n, sizeof(*p), by_name);
    return cr_make_param_array(struct gparam, p, n);
}

/* Is call `idx` of `prog` a known difference? Lines: "PROG CALL[-CALL] reason". */
static bool known(const char *list, const char *prog, int idx)
{
    char line[512];

    for (const char *s = list; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char name[64];
        int lo, hi;

        if (len >= sizeof(line))
            len = sizeof(line) - 1;
        memcpy(line, s, len);
        line[len] = 0;
        s = nl ? nl + 1 : s + len;
        if (line[0] == '#')
            continue;
        if (sscanf(line, "%63s %d-%d", name, &lo, &hi) == 3 ||
            (sscanf(line, "%63s %d", name, &lo) == 2 && (hi = lo, 1))) {
            if (!strcmp(name, prog) && idx >= lo && idx <= hi)
                return true;
        }
    }
    return false;
}

static const struct ioc_backend mock = {
    .open = mockfd_open, .ioctl = mockfd_ioctl, .close = mockfd_close,
    .read = mockfd_read, .write = mockfd_write,
};

ParameterizedTest(struct gparam *gp, golden, kernel_6_12, .timeout = 30)
{
    char *text, *want, *list, *got = NULL;
    char *ws = NULL, *gs = NULL;
    int rc, idx = 0, bad = 0;

    /* Before the first mock call: mfd_kernel_version() reads it once. */
    setenv("MOCKFD_KERNEL", "6.12", 1);
    text = slurp("%s/tests/golden/corpus/%s.ioc", gp->name);
    want = slurp("%s/tests/golden/kernel-6.12/%s.out", gp->name);
    list = slurp("%s/tests/golden/known-diffs%s.txt", "");
    cr_assert_not_null(text, "cannot read corpus program %s", gp->name);
    cr_assert_not_null(want, "no golden file for %s: run make oracle-record", gp->name);
    rc = ioc_run(&mock, text, &got);
    cr_assert_eq(rc, 0, "%s: %s", gp->name, got ? got : "(no output)");

    for (char *w = strtok_r(want, "\n", &ws), *g = strtok_r(got, "\n", &gs); w || g;
         w = strtok_r(NULL, "\n", &ws), g = strtok_r(NULL, "\n", &gs), idx++) {
        if (w && g && !strcmp(w, g)) {
            /* Not a failure (the mock may have been fixed, or this host has
             * what the entry says it lacks, e.g. CAP_SYS_RESOURCE), but the
             * list should shrink. Info, not a warning: Criterion >= 2.4
             * exits non-zero on warnings, which would fail make test on a
             * host with the capability. */
            if (known(list, gp->name, idx))
                cr_log_info("%s call %d is in known-diffs.txt but now agrees", gp->name, idx);
            continue;
        }
        if (known(list, gp->name, idx))
            continue;
        cr_log_error("%s call %d:\n  kernel: %s\n  mock:   %s", gp->name, idx,
                     w ? w : "(none)", g ? g : "(none)");
        bad++;
    }
    free(text);
    free(want);
    free(list);
    free(got);
    cr_expect_eq(bad, 0, "%s: %d call(s) differ from the 6.12 kernel (see above)", gp->name, bad);
    ASSERT_NO_LEAKS();
}

/* The known-difference list must name real programs and calls, each with a
 * reason, so that it cannot silently hide anything. */
Test(golden, known_diffs_are_well_formed)
{
    char *list = slurp("%s/tests/golden/known-diffs%s.txt", "");
    char *save = NULL;

    cr_assert_not_null(list, "tests/golden/known-diffs.txt is missing");
    for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char name[64];
        int lo, consumed = 0;
        const char *rest;
        char *prog;

        if (l[0] == '#' || l[0] == 0)
            continue;
        cr_assert(sscanf(l, "%63s %d%n", name, &lo, &consumed) == 2 && lo >= 0, "bad line: %s", l);
        rest = l + consumed;
        if (*rest == '-') {
            int hi, more = 0;

            cr_assert(sscanf(rest + 1, "%d%n", &hi, &more) == 1 && hi >= lo, "bad range: %s", l);
            rest += 1 + more;
        }
        while (*rest == ' ' || *rest == '\t')
            rest++;
        cr_assert(strlen(rest) >= 8, "no reason given: %s", l);
        prog = slurp("%s/tests/golden/corpus/%s.ioc", name);
        cr_assert_not_null(prog, "known-diffs names a program that does not exist: %s", l);
        free(prog);
    }
    free(list);
}
