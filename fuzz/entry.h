/* SPDX-License-Identifier: MIT */
/*
 * Fuzzer entry points shared by every harness. The harness source defines
 *
 *   static void fuzz_setup(void);                         once per process
 *   static void fuzz_one(const uint8_t *data, size_t len); one input
 *
 * and includes this file last. It provides
 *  - LLVMFuzzerInitialize / LLVMFuzzerTestOneInput (libFuzzer, OSS-Fuzz,
 *    ClusterFuzzLite, AFL++'s libAFLDriver), always;
 *  - unless FUZZ_LIBFUZZER is defined, a main() in AFL++ persistent mode with
 *    shared-memory test cases and deferred init (peers.md §3.1: setup before
 *    __AFL_INIT, the buffer pointer taken after it, the length read at the top
 *    of each iteration). Built with a plain compiler, the same main() replays
 *    the files named on the command line (or stdin) once each: the triage
 *    tool for reproducers.
 */
#ifndef IOMMU_EMU_FUZZ_ENTRY_H
#define IOMMU_EMU_FUZZ_ENTRY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one(data, size);
    return 0;   /* libFuzzer: values other than 0 and -1 are reserved */
}

#ifndef FUZZ_LIBFUZZER
#define FUZZ_MAX_INPUT (1u << 20)

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();

int main(void)
{
    unsigned char *buf;

    fuzz_setup();
    __AFL_INIT();
    buf = __AFL_FUZZ_TESTCASE_BUF;
    /* 1000 iterations per fork: the AFL++ docs' recommended starting point. */
    while (__AFL_LOOP(1000)) {
        size_t len = __AFL_FUZZ_TESTCASE_LEN;

        fuzz_one(buf, len);
    }
    return 0;
}
#else
/* Plain build: replay files (or stdin) once each. */
static int replay_stream(FILE *f, const char *name)
{
    static uint8_t buf[FUZZ_MAX_INPUT];
    size_t len = fread(buf, 1, sizeof(buf), f);

    if (ferror(f)) {
        perror(name);
        return 1;
    }
    fuzz_one(buf, len);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;

    fuzz_setup();
    if (argc < 2)
        return replay_stream(stdin, "stdin");
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");

        if (!f) {
            perror(argv[i]);
            rc = 1;
            continue;
        }
        rc |= replay_stream(f, argv[i]);
        fclose(f);
    }
    return rc;
}
#endif /* __AFL_FUZZ_TESTCASE_LEN */
#endif /* FUZZ_LIBFUZZER */

#endif
