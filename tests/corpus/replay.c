/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay (issue #7). The checked-in corpora (fuzz/corpus/<harness>/,
 * afl-cmin + afl-tmin output of the fuzzing campaigns, ~thousands of files)
 * are regression tests: each harness's directory replays in ONE Criterion
 * test, in-process and in sorted order, through the same body as the fuzzers
 * (tests/corpus/body_*.c). One test per file cost a worker fork and an LSan
 * pass per file (> 10 minutes for the campaign corpora); in-process the
 * whole corpus takes seconds. Crash reproducers (fuzz/repro/<harness>/, a
 * few files) stay one test each so that each finding is named in the result.
 *
 * A failing input is always named:
 *  - an oracle violation (the harness calls abort()), a crash or, in the
 *    ASan+UBSan build, a sanitizer report: a signal handler / the sanitizer
 *    death callback prints "corpus: failing input: <path>" on stderr before
 *    the worker dies (Criterion then reports the test as crashed);
 *  - a hang: a per-input alarm (REPLAY_INPUT_SECONDS) prints the path and
 *    aborts, before the whole test's Criterion timeout;
 *  - a leak (ASan build): LSan runs after every input whose replay left the
 *    heap bigger than before it (the cheap test the ioctl harness uses too),
 *    and the assertion names the file.
 *
 * FUZZ_DIR overrides the location of fuzz/ (default: ./fuzz, make runs the
 * suite from the repository root).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/harness_ioctl.h"
#include "fuzz/harness_mmio.h"
#include "tests/common/test_util.h"

#ifdef IOMMU_TEST_HAVE_LSAN
#include <sanitizer/common_interface_defs.h>
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* Far above any input's replay time in the slowest (coverage, -O0) build;
 * a hang is an input the fuzzers would have reported as one. */
#define REPLAY_INPUT_SECONDS 20
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const harnesses[] = { "mmio_vtd", "mmio_amdvi", "mmio_smmuv3", "ioctl" };
#define NHARNESS (sizeof(harnesses) / sizeof(harnesses[0]))

struct replay_case {
    char harness[16];
    char path[768];
};

/* The input being replayed, for the paths that cannot return to Criterion. */
static char current[768];

static const char *fuzz_dir(void)
{
    const char *d = getenv("FUZZ_DIR");

    return d && *d ? d : "fuzz";
}

/* Async-signal-safe: write(2) only. */
static void say(const char *what)
{
    size_t n = strnlen(current, sizeof(current));

    if (!n)
        return;
    if (write(STDERR_FILENO, what, strlen(what)) < 0 || write(STDERR_FILENO, current, n) < 0 ||
        write(STDERR_FILENO, "\n", 1) < 0)
        return;
}

static void on_death(void)
{
    say("corpus: failing input: ");
}

/* SA_RESETHAND: the re-raised signal takes its default action (the worker
 * dies and Criterion reports the crash). */
static void on_signal(int sig)
{
    on_death();
    raise(sig);
}

static void on_alarm(int sig)
{
    (void)sig;
    say("corpus: input hung (> " STR(REPLAY_INPUT_SECONDS) " s): ");
    current[0] = 0;   /* the abort below is not a second finding */
    abort();
}

static void install_handlers(void)
{
    struct sigaction sa;
    static const int sigs[] = {
        SIGABRT,   /* the harness oracles */
#ifndef IOMMU_TEST_HAVE_LSAN
        /* In the sanitizer build ASan owns these and reports through the
         * death callback below. */
        SIGSEGV, SIGBUS, SIGFPE, SIGILL,
#endif
    };

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    sa.sa_flags = 0;
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
#ifdef IOMMU_TEST_HAVE_LSAN
    /* ASan and UBSan (-fno-sanitize-recover) reports end in Die(). */
    __sanitizer_set_death_callback(on_death);
#endif
}

/* The bytes of one corpus file in an exact-size heap buffer (like the
 * fuzzers' buffers: ASan sees any read past the input); NULL, with *why
 * set, if it is not a readable regular file. */
static uint8_t *load(const char *path, size_t *len, const char **why)
{
    struct stat st;
    uint8_t *buf = NULL;
    FILE *f = fopen(path, "rb");

    *why = "cannot open";
    if (!f)
        return NULL;
    *why = "not a regular file of at most 1 MiB";
    if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size <= (1 << 20)) {
        *len = (size_t)st.st_size;
        buf = malloc(*len ? *len : 1);
        *why = "short read";
        if (buf && fread(buf, 1, *len, f) != *len) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* Replays one file through harness h; returns false (after a Criterion
 * failure naming the file) if the input failed without killing the worker. */
static bool replay_one(const char *h, const char *path)
{
    enum emu_model m = strcmp(h, "ioctl") ? fuzz_mmio_model(h + 5) : 0;
    const char *why;
    uint8_t *buf;
    size_t len = 0;
    long ops = 0;
#ifdef IOMMU_TEST_HAVE_LSAN
    size_t heap_before = __sanitizer_get_current_allocated_bytes();
#endif

    snprintf(current, sizeof(current), "%s", path);
    alarm(REPLAY_INPUT_SECONDS);   /* from the open on: a FIFO would block it */
    buf = load(path, &len, &why);
    if (buf) {
        if (!strcmp(h, "ioctl"))
            fuzz_ioctl_one(buf, len);   /* aborts on an oracle violation */
        else
            ops = m ? fuzz_mmio_one(m, buf, len) : -1;
        free(buf);
    }
    alarm(0);
    current[0] = 0;
    if (!buf) {
        cr_expect_fail("%s: %s", path, why);
        return false;
    }
    if (ops < 0) {
        cr_expect_fail("%s: harness %s could not create its model", path, h);
        return false;
    }
#ifdef IOMMU_TEST_HAVE_LSAN
    /* A full LSan scan costs milliseconds; an input that did not grow the
     * heap cannot have leaked. */
    if (__sanitizer_get_current_allocated_bytes() > heap_before &&
        __lsan_do_recoverable_leak_check()) {
        cr_expect_fail("%s: LeakSanitizer reported a leak (report above)", path);
        return false;
    }
#endif
    return true;
}

static int not_hidden(const struct dirent *de)
{
    return de->d_name[0] != '.' && strcmp(de->d_name, "README.md");
}

/* Every file of fuzz/corpus/<h>/ in sorted order, stopping at the first
 * failure. An empty or missing directory fails: it would make the replay
 * vacuous for that harness. */
static void replay_corpus(const char *h)
{
    struct dirent **list;
    char dir[256], path[768];
    int n, i;

    install_handlers();
    snprintf(dir, sizeof(dir), "%s/corpus/%s", fuzz_dir(), h);
    n = scandir(dir, &list, not_hidden, alphasort);
    cr_assert(n >= 0, "missing corpus directory %s", dir);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (!replay_one(h, path))
            break;
    }
    for (int k = 0; k < n; k++)
        free(list[k]);
    free(list);
    cr_expect_gt(n, 0, "empty corpus %s", dir);
    if (i == n)
        cr_log_info("%s: %d inputs replayed", h, n);
    ASSERT_NO_LEAKS();
}

/* The whole directory in one worker. No Criterion .timeout: the per-input
 * alarm catches hangs and names the input (and with Criterion 2.4.1 a
 * .timeout on these tests made the runner leak 48 bytes under --jobs 2, an
 * LSan failure of the whole suite at exit). */
#define CORPUS_TEST(h) \
    Test(corpus, h) { replay_corpus(#h); }
CORPUS_TEST(mmio_vtd)
CORPUS_TEST(mmio_amdvi)
CORPUS_TEST(mmio_smmuv3)
CORPUS_TEST(ioctl)

/* ---- crash reproducers: one test each ----------------------------------------- */

static void free_params(struct criterion_test_params *p)
{
    cr_free(p->params);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct replay_case *)a)->path, ((const struct replay_case *)b)->path);
}

/* Files of fuzz/repro/<harness>/ (cr_realloc'd: the parameters cross into
 * Criterion's worker processes). */
static void collect_repro(struct replay_case **v, size_t *n, size_t *cap)
{
    for (size_t h = 0; h < NHARNESS; h++) {
        char dir[256];
        struct dirent *de;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/repro/%s", fuzz_dir(), harnesses[h]);
        d = opendir(dir);
        if (!d)
            continue;
        while ((de = readdir(d))) {
            struct replay_case *c;

            if (!not_hidden(de))
                continue;
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 64;
                /* cr_realloc(NULL, ...) is not malloc in Criterion 2.4. */
                *v = *v ? cr_realloc(*v, *cap * sizeof(**v)) : cr_malloc(*cap * sizeof(**v));
                cr_assert(*v, "out of Criterion shared memory");
            }
            c = &(*v)[(*n)++];
            memset(c, 0, sizeof(*c));
            snprintf(c->harness, sizeof(c->harness), "%s", harnesses[h]);
            snprintf(c->path, sizeof(c->path), "%s/%s", dir, de->d_name);
        }
        closedir(d);
    }
}

/* They fail until the owner fixes the bug, and then keep it fixed. */
ParameterizedTestParameters(corpus, repro)
{
    struct replay_case *v = NULL;
    size_t n = 0, cap = 0;

    collect_repro(&v, &n, &cap);
    if (n)
        qsort(v, n, sizeof(*v), name_cmp);
    return cr_make_param_array(struct replay_case, v, n, free_params);
}

/* A reproducer of a hang must fail, not stall make test. */
ParameterizedTest(struct replay_case *c, corpus, repro, .timeout = 30)
{
    install_handlers();
    cr_log_info("%s: %s", c->harness, c->path);
    replay_one(c->harness, c->path);
    ASSERT_NO_LEAKS();
}

/* The name and verb lookups the replay and the seed generator rely on. */
Test(corpus, harness_names)
{
    cr_expect_eq(fuzz_mmio_model("vtd"), EMU_VTD);
    cr_expect_eq(fuzz_mmio_model("amdvi"), EMU_AMDVI);
    cr_expect_eq(fuzz_mmio_model("smmuv3"), EMU_SMMUV3);
    cr_expect_eq(fuzz_mmio_model("nope"), 0);
    cr_expect_gt(fuzz_ioctl_nverbs(), 40u);
    cr_expect_geq(fuzz_ioctl_verb("IOAS_MAP"), 0);
    cr_expect_eq(fuzz_ioctl_verb("NOPE"), -1);
}
