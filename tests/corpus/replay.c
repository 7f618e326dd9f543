/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay (issue #7): every checked-in corpus file
 * (fuzz/corpus/<harness>/) and crash reproducer (fuzz/repro/<harness>/) runs
 * through the same harness body as the fuzzers, one Criterion test each, in
 * the plain and the ASan+UBSan build. A file that crashes, trips an oracle
 * (abort) or leaks fails its test. The directories are enumerated at run
 * time, so adding a file adds a test without touching this source.
 *
 * FUZZ_DIR overrides the location of fuzz/ (default: ./fuzz, make runs the
 * suite from the repository root).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/harness_ioctl.h"
#include "fuzz/harness_mmio.h"
#include "tests/common/test_util.h"

static const char *const harnesses[] = { "mmio_vtd", "mmio_amdvi", "mmio_smmuv3", "ioctl" };
#define NHARNESS (sizeof(harnesses) / sizeof(harnesses[0]))

struct replay_case {
    char harness[16];
    char path[768];
};

static const char *fuzz_dir(void)
{
    const char *d = getenv("FUZZ_DIR");

    return d && *d ? d : "fuzz";
}

static void free_params(struct criterion_test_params *p)
{
    cr_free(p->params);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const struct replay_case *)a)->path, ((const struct replay_case *)b)->path);
}

/* Files of fuzz/<kind>/<harness>/, appended to *v (cr_realloc'd: the
 * parameters cross into Criterion's worker processes). */
static void collect(const char *kind, struct replay_case **v, size_t *n, size_t *cap)
{
    for (size_t h = 0; h < NHARNESS; h++) {
        char dir[256];
        struct dirent *de;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/%s/%s", fuzz_dir(), kind, harnesses[h]);
        d = opendir(dir);
        if (!d)
            continue;
        while ((de = readdir(d))) {
            struct replay_case *c;

            if (de->d_name[0] == '.' || !strcmp(de->d_name, "README.md"))
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

static void run_file(const struct replay_case *c)
{
    static uint8_t buf[1 << 20];
    FILE *f = fopen(c->path, "rb");
    size_t len;

    cr_assert(f, "cannot open %s", c->path);
    len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cr_log_info("%s: %s (%zu bytes)", c->harness, c->path, len);
    if (!strcmp(c->harness, "ioctl")) {
        fuzz_ioctl_one(buf, len);   /* aborts (test crashes) on an oracle violation */
    } else {
        enum emu_model m = fuzz_mmio_model(c->harness + 5);

        cr_assert(m, "unknown harness %s", c->harness);
        cr_expect_geq(fuzz_mmio_one(m, buf, len), 0, "%s: model could not be created", c->path);
    }
    ASSERT_NO_LEAKS();
}

ParameterizedTestParameters(corpus, replay)
{
    struct replay_case *v = NULL;
    size_t n = 0, cap = 0;

    collect("corpus", &v, &n, &cap);
    if (n)
        qsort(v, n, sizeof(*v), name_cmp);
    return cr_make_param_array(struct replay_case, v, n, free_params);
}

/* A reproducer of a hang must fail, not stall make test. */
ParameterizedTest(struct replay_case *c, corpus, replay, .timeout = 30)
{
    run_file(c);
}

/* Crash reproducers: one test each; they fail until the owner fixes the
 * bug, and then keep it fixed. */
ParameterizedTestParameters(corpus, repro)
{
    struct replay_case *v = NULL;
    size_t n = 0, cap = 0;

    collect("repro", &v, &n, &cap);
    if (n)
        qsort(v, n, sizeof(*v), name_cmp);
    return cr_make_param_array(struct replay_case, v, n, free_params);
}

ParameterizedTest(struct replay_case *c, corpus, repro, .timeout = 30)
{
    run_file(c);
}

/* Every harness has a checked-in corpus: an empty directory would make the
 * replay above vacuous for that harness. */
Test(corpus, every_harness_has_a_corpus)
{
    for (size_t h = 0; h < NHARNESS; h++) {
        size_t n = 0;
        char dir[256];
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/corpus/%s", fuzz_dir(), harnesses[h]);
        d = opendir(dir);
        cr_assert(d, "missing corpus directory %s", dir);
        for (struct dirent *de; (de = readdir(d));)
            n += de->d_name[0] != '.';
        closedir(d);
        cr_expect_gt(n, 0, "empty corpus %s", dir);
    }
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
