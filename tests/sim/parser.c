/* SPDX-License-Identifier: MIT */
/*
 * iommu-sim's command line and parser (contract.md §3): exit status 0 / 1 /
 * 2, file:line on parse errors, nothing runs before the whole file parsed,
 * --help, --trace=json, --fail-nth. Runs the real binary (build/iommu-sim,
 * or build-asan/iommu-sim in the sanitizer build) on inline scenarios via
 * posix_spawn; the scenarios' own golden traces are checked by make
 * sim-golden.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/test_util.h"

extern char **environ;

#ifdef IOMMU_TEST_HAVE_LSAN
#define SIM "build-asan/iommu-sim"
#else
#define SIM "build/iommu-sim"
#endif

struct result {
    int status;
    char out[65536];
    char err[8192];
};

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, len - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Run iommu-sim with args, the scenario text (if any) as the last file. */
static void run(struct result *r, const char *scenario, const char *a1, const char *a2)
{
    char scn[] = "/tmp/simtest-scn-XXXXXX", out[] = "/tmp/simtest-out-XXXXXX",
         err[] = "/tmp/simtest-err-XXXXXX";
    const char *argv[6];
    int n = 0, fd, st;
    posix_spawn_file_actions_t fa;
    pid_t pid;

    cr_assert_eq(access(SIM, X_OK), 0, "%s not built (make %s)", SIM, SIM);
    argv[n++] = SIM;
    if (a1)
        argv[n++] = a1;
    if (a2)
        argv[n++] = a2;
    if (scenario) {
        fd = mkstemp(scn);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, scenario, strlen(scenario)), (ssize_t)strlen(scenario));
        close(fd);
        argv[n++] = scn;
    }
    argv[n] = NULL;
    close(mkstemp(out));
    close(mkstemp(err));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_TRUNC, 0);
    cr_assert_eq(posix_spawn(&pid, SIM, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "iommu-sim died (signal %d)", WTERMSIG(st));
    r->status = WEXITSTATUS(st);
    slurp(out, r->out, sizeof(r->out));
    slurp(err, r->err, sizeof(r->err));
    unlink(out);
    unlink(err);
    if (scenario) {
        /* errors name the file: make them comparable */
        char *p;

        while ((p = strstr(r->err, scn)))
            memcpy(p, "/tmp/simtest-scn-XXXXXX", strlen(scn));
        unlink(scn);
    }
}

static struct result R;

Test(sim, all_expects_hold_exit_0)
{
    run(&R, "ioas = IOAS_ALLOC\nexpect errno=0\nexpect out_ioas_id=1\n"
            "DESTROY id=ioas\nexpect errno=0\nDESTROY id=ioas\nexpect errno=ENOENT\n",
        NULL, NULL);
    cr_assert_eq(R.status, 0, "out: %s err: %s", R.out, R.err);
    cr_assert(strstr(R.out, "IOMMU_IOAS_ALLOC = 0 -> out_ioas_id=ioas"), "%s", R.out);
    cr_assert(strstr(R.out, "IOMMU_DESTROY id=1 = -1 ENOENT"), "%s", R.out);
}

Test(sim, failed_expect_exit_1_with_file_line)
{
    run(&R, "ioas = IOAS_ALLOC\n# comment\nexpect errno=ENOENT\nexpect out_ioas_id=1\n", NULL, NULL);
    cr_assert_eq(R.status, 1);
    cr_assert(strstr(R.out, ":3: expect errno=ENOENT: got 0 (success)"), "%s",
              R.out);
    /* the run goes on after a failed expect */
    cr_assert(strstr(R.out, "expect out_ioas_id == ioas: ok"), "%s", R.out);
}

Test(sim, quiet_prints_only_failures)
{
    run(&R, "ioas = IOAS_ALLOC\nexpect errno=0\nexpect out_ioas_id=2\n", "--quiet", NULL);
    cr_assert_eq(R.status, 1);
    cr_assert(!strstr(R.out, "IOMMU_IOAS_ALLOC"), "%s", R.out);
    cr_assert(strstr(R.out, "FAIL ") && strstr(R.out, ":3: expect out_ioas_id == 2: got ioas"),
              "%s", R.out);
}

Test(sim, unknown_statement_exit_2_file_line)
{
    run(&R, "ioas = IOAS_ALLOC\n\nFROBNICATE ioas_id=1\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, "/tmp/simtest-scn-XXXXXX:3: error: unknown statement or ioctl "
                            "'FROBNICATE'"), "%s", R.err);
}

Test(sim, parse_error_before_anything_runs)
{
    /* line 4 is wrong: nothing of lines 1-3 may have run or printed */
    run(&R, "ioas = IOAS_ALLOC\nexpect errno=0\nIOAS_ALLOC\nMAP ioas_id=ioas lenght=4096\n",
        NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert_eq(R.out[0], '\0', "printed: %s", R.out);
    cr_assert(strstr(R.err, ":4: error: iommu_ioas_map has no field 'lenght'"), "%s", R.err);
}

Test(sim, bad_values_and_symbols)
{
    run(&R, "MAP ioas_id=nosuch\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, ":1: error: IOMMU_IOAS_MAP: bad value 'nosuch' for ioas_id"), "%s",
              R.err);
    run(&R, "ioas = IOAS_ALLOC\nMAP ioas_id=ioas flags=FIXED_IOVA|NOTAFLAG\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, ":2: error:"), "%s", R.err);
    run(&R, "expect errno=ENOTANERRNO\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, ":1: error: expect errno=NAME"), "%s", R.err);
    run(&R, "device d0 = nosuchiommu 0x10\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, ":1: error: 'nosuchiommu' is not an iommu"), "%s", R.err);
    run(&R, "buffer b = 3000\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, ":1: error: buffer size must be a multiple of 4K"), "%s", R.err);
}

Test(sim, usage_errors_exit_2)
{
    run(&R, NULL, NULL, NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, "usage: iommu-sim"), "%s", R.err);
    run(&R, NULL, "--no-such-option", "x.scn");
    cr_assert_eq(R.status, 2);
    run(&R, NULL, "/nonexistent/file.scn", NULL);
    cr_assert_eq(R.status, 2);
    cr_assert(strstr(R.err, "/nonexistent/file.scn"), "%s", R.err);
}

Test(sim, help_documents_the_language)
{
    run(&R, NULL, "--help", NULL);
    cr_assert_eq(R.status, 0);
    cr_assert(strstr(R.out, "expect errno="));
    cr_assert(strstr(R.out, "mmio IOMMU read REG|OFFSET"));
    cr_assert(strstr(R.out, "--fail-sweep"));
}

Test(sim, uapi_tables_cover_every_struct)
{
    run(&R, NULL, "--self-check", NULL);
    cr_assert_eq(R.status, 0, "%s", R.err);
}

Test(sim, json_lines)
{
    run(&R, "ioas = IOAS_ALLOC\nexpect errno=0\n", "--trace=json", NULL);
    cr_assert_eq(R.status, 0);
    cr_assert(strstr(R.out, "{\"line\":1,\"ev\":\"ioctl\",\"name\":\"IOMMU_IOAS_ALLOC\""), "%s",
              R.out);
    for (char *p = R.out; *p; p = strchr(p, '\n') + 1) {
        cr_assert_eq(*p, '{', "not a JSON line: %s", p);
        if (!strchr(p, '\n'))
            break;
    }
}

Test(sim, no_host_addresses_in_the_trace)
{
    /* register decodes (IRO=0x50 ...) would trip the crude 0x5 check: the
     * probe's mmio is checked by the second run */
    run(&R, "trace -mmio\niommu v = vtd\ndevice d = v 0x10\nbuffer b = 8K\nidev = BIND d\n"
            "ioas = IOAS_ALLOC\n"
            "MAP ioas_id=ioas flags=READABLE|WRITEABLE user_va=b+0x1000 length=4K\n"
            "let iova = iova\nhwpt = HWPT_ALLOC dev_id=idev pt_id=ioas\nATTACH d pt_id=hwpt\n"
            "dma d write iova=iova len=4 pattern=1\ntrace +table\n"
            "walk d iova=iova\n", NULL, NULL);
    cr_assert_eq(R.status, 0, "%s %s", R.out, R.err);
    cr_assert(strstr(R.out, "user_va=b+0x1000"), "%s", R.out);
    cr_assert(strstr(R.out, "-> b+0x1000"), "%s", R.out);
    cr_assert(!strstr(R.out, "0x7f") && !strstr(R.out, "0x5"), "host address leaked: %s", R.out);
    /* the driver's probe programs its tables: symbolic, shifted fields too */
    run(&R, "iommu v = vtd\niommu s = smmuv3\n", NULL, NULL);
    cr_assert_eq(R.status, 0, "%s %s", R.out, R.err);
    cr_assert(strstr(R.out, "IQA(0x90) <- tbl0|0x801 [QS=1 DW=1 IQA=tbl0>>12]"), "%s", R.out);
    cr_assert(strstr(R.out, "RTA=tbl1>>12"), "%s", R.out);
    cr_assert(strstr(R.out, "STRTAB_BASE(0x80) <- tbl"), "%s", R.out);
    cr_assert(!strstr(R.out, "0x7f") && !strstr(R.out, "0x5f"), "host address leaked: %s", R.out);
}

/* The drivers' interrupt handlers' log lines: traced under the faulting
 * dma, asserted by `expect log`; a statement that logs nothing clears them. */
Test(sim, expect_log)
{
    static const char base[] =
        "trace -mmio\niommu v = vtd\ndevice d = v 0x10\nidev = BIND d\n"
        "ioas = IOAS_ALLOC\nATTACH d pt_id=ioas\ndma d read iova=0x3000 len=4\n"
        "expect errno=EFAULT\n";
    char scn[1024];

    snprintf(scn, sizeof(scn), "%s%s", base,
             "expect log \"fault addr 0x3000 [fault reason\"\n"
             "expect log DMAR: DRHD: handling fault status reg 2\n"
             "say the log of the dma is still the last one\nexpect log \"[DMA Read NO_PASID]\"\n"
             "ioas2 = IOAS_ALLOC\nexpect log none\n");
    run(&R, scn, NULL, NULL);
    cr_assert_eq(R.status, 0, "%s %s", R.out, R.err);
    cr_assert(strstr(R.out, "  log v: DMAR: [DMA Read NO_PASID] Request device [00:02.0] fault "
                            "addr 0x3000"), "%s", R.out);
    /* a line that is not there, and none where there are lines: exit 1 */
    snprintf(scn, sizeof(scn), "%s%s", base, "expect log \"fault addr 0x4000\"\nexpect log none\n");
    run(&R, scn, NULL, NULL);
    cr_assert_eq(R.status, 1, "%s", R.out);
    cr_assert(strstr(R.out, ":9: expect log \"fault addr 0x4000\": not among the 2 lines logged"),
              "%s", R.out);
    cr_assert(strstr(R.out, ":10: expect log none: got 2 lines"), "%s", R.out);
    /* JSON: a log event with the text */
    run(&R, base, "--trace=json", NULL);
    cr_assert(strstr(R.out, "\"ev\":\"log\",\"iommu\":\"v\",\"text\":\"DMAR: [DMA Read"), "%s",
              R.out);
    /* usage */
    run(&R, "expect log\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
    run(&R, "expect log \"unbalanced\n", NULL, NULL);
    cr_assert_eq(R.status, 2);
}

Test(sim, size_override_tail_and_guard)
{
    run(&R, "IOAS_ALLOC size=8\nexpect errno=EINVAL\nIOAS_ALLOC tail=00 00 01\nexpect errno=E2BIG\n"
            "IOAS_ALLOC size=0 guard\nexpect errno=EFAULT\na = IOAS_ALLOC size=12 guard\n"
            "expect errno=0\n", NULL, NULL);
    cr_assert_eq(R.status, 0, "%s %s", R.out, R.err);
    cr_assert(strstr(R.out, "IOMMU_IOAS_ALLOC size=0xf tail=00,00,01 = -1 E2BIG"), "%s", R.out);
}

Test(sim, fail_nth_reports_the_failing_call)
{
    run(&R, "a = IOAS_ALLOC\nb = IOAS_ALLOC\n", "--fail-nth=1", NULL);
    cr_assert(strstr(R.out, "fail-nth 1: "), "%s", R.out);
    cr_assert(strstr(R.out, ": ok"), "%s", R.out);
    cr_assert_eq(R.status, 0);
    run(&R, "a = IOAS_ALLOC\nb = IOAS_ALLOC\n", "--fail-sweep", NULL);
    cr_assert_eq(R.status, 0, "%s", R.out);
    cr_assert(strstr(R.out, "0 violations"), "%s", R.out);
}

/* MOCKFD_RECORD: an unmodified program's ioctls become a scenario that
 * replays to the same errnos. */
Test(sim, record_then_replay)
{
    const char *prog = "build/examples/iommufd_probe";
    char rec[] = "/tmp/simtest-rec-XXXXXX";
    char env0[64], env1[4200], cwd[4096];
    char *envp[4] = { env0, env1, "MOCKFD_PLATFORM=vtd:0x10", NULL };
    char *argv[] = { (char *)prog, NULL };
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st;

    if (access(prog, X_OK) || access("build/libmockfd-preload.so", R_OK))
        cr_skip_test("%s or the preload shim not built", prog);
    cr_assert(getcwd(cwd, sizeof(cwd)));
    snprintf(env1, sizeof(env1), "LD_PRELOAD=%s/build/libmockfd-preload.so", cwd);
    close(mkstemp(rec));
    snprintf(env0, sizeof(env0), "MOCKFD_RECORD=%s", rec);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    cr_assert_eq(posix_spawn(&pid, prog, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    slurp(rec, R.out, sizeof(R.out));
    cr_assert(strstr(R.out, "iommu iommu0 = vtd\ndevice dev0 = iommu0 0x10\n"), "%s", R.out);
    cr_assert(strstr(R.out, "IOMMU_IOAS_ALLOC\nexpect errno=0\nlet ioas1 = out_ioas_id\n"), "%s",
              R.out);
    run(&R, NULL, "--quiet", rec);
    unlink(rec);
    cr_assert_eq(R.status, 0, "replay: %s %s", R.out, R.err);
}
