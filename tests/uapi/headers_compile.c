/*
 * The uapi headers must compile standalone with -Iuapi, as C11 and as C++,
 * with the project's warning flags, and a later #include of the system's
 * (older) header of the same name must be a no-op (same include guard).
 *
 * This translation unit itself is the C11 check of "all three together, in
 * both orders, plus the system header afterwards". The tests below compile
 * each header alone, first in its translation unit, with the C and C++
 * compilers at run time (tests run from the repo root).
 */
#include <iommufd_test.h>
#include <linux/vfio.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#if defined(__has_include)
#if __has_include("/usr/include/linux/vfio.h")
#include "/usr/include/linux/vfio.h" /* must be swallowed by the guard */
#endif
#if __has_include("/usr/include/linux/iommufd.h")
#include "/usr/include/linux/iommufd.h"
#endif
#endif

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Our definitions won, not the system header's (which lacks these). */
Test(uapi_headers, ours_shadow_system)
{
    cr_expect_eq(sizeof(struct vfio_device_bind_iommufd), 24u);
    cr_expect_eq(sizeof(struct vfio_device_info), 24u);
    cr_expect_eq(IOMMU_HW_QUEUE_ALLOC, 0x3b94);
}

/* Runs argv with stdout (and with quiet also stderr) on /dev/null; returns
 * the exit status, or -1 if it could not be started / was killed. */
static int run_q(char *const argv[], bool quiet)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run(char *const argv[])
{
    return run_q(argv, false);
}

static bool have_tool(const char *tool)
{
    char *argv[] = { (char *)tool, (char *)"--version", NULL };
    return run_q(argv, true) == 0;
}

/* Writes "#include <hdr>\n<extra>" to a temp file with suffix sfx. */
static void write_src(char *path, size_t len, const char *sfx, const char *hdr,
                      const char *extra)
{
    snprintf(path, len, "/tmp/uapi_hdr_XXXXXX%s", sfx);
    int fd = mkstemps(path, (int)strlen(sfx));
    cr_assert_geq(fd, 0, "mkstemps: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, "#include <%s>\n%s\n", hdr, extra);
    fclose(f);
}

static const char *const headers[] = {
    "linux/iommufd.h", "linux/vfio.h", "iommufd_test.h",
};

/* A use of something from the header, so -fsyntax-only sees real code. */
static const char *use_of(const char *hdr)
{
    if (!strcmp(hdr, "linux/vfio.h"))
        return "int f(void); int f(void) { static struct vfio_device_bind_iommufd b;"
               " return (int)sizeof(b) + (int)VFIO_DEVICE_BIND_IOMMUFD; }";
    if (!strcmp(hdr, "iommufd_test.h"))
        return "int f(void); int f(void) { static struct iommu_test_cmd c;"
               " return (int)sizeof(c) + (int)IOMMU_TEST_CMD; }";
    return "int f(void); int f(void) { static struct iommu_hw_info i;"
           " return (int)sizeof(i) + (int)IOMMU_GET_HW_INFO; }";
}

/* -Wpedantic only for C: C++ has no flexible array members, which the kernel
 * headers (and ours) use; C++ users build them without -Wpedantic. */
static void compile_each(const char *compiler, const char *std, const char *sfx,
                         bool pedantic)
{
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char path[64];
        write_src(path, sizeof(path), sfx, headers[i], use_of(headers[i]));
        char *argv[] = { (char *)compiler, (char *)std, (char *)"-Wall",
                         (char *)"-Wextra", (char *)"-Werror", (char *)"-Wshadow",
                         (char *)(pedantic ? "-Wpedantic" : "-Wall"), (char *)"-Iuapi",
                         (char *)"-fsyntax-only", path, NULL };
        int rc = run(argv);
        unlink(path);
        cr_expect_eq(rc, 0, "%s %s: <%s> does not compile standalone (rc %d)",
                     compiler, std, headers[i], rc);
    }
}

Test(uapi_headers, standalone_c11)
{
    cr_assert(have_tool("cc"), "no C compiler 'cc' on PATH");
    compile_each("cc", "-std=c11", ".c", true);
}

Test(uapi_headers, standalone_cxx)
{
    if (!have_tool("c++"))
        cr_skip_test("no C++ compiler 'c++' on PATH");
    compile_each("c++", "-std=c++11", ".cc", false);
    compile_each("c++", "-std=c++17", ".cc", false);
}

/* Negative control: the harness must be able to fail. A header that does not
 * exist, or code that breaks a layout assert, must not compile. */
Test(uapi_headers, harness_detects_breakage)
{
    cr_assert(have_tool("cc"), "no C compiler 'cc' on PATH");
    char path[64];
    write_src(path, sizeof(path), ".c", "linux/iommufd.h",
              "_Static_assert(sizeof(struct iommu_hw_info) == 32, \"old size\");");
    char *argv[] = { (char *)"cc", (char *)"-std=c11", (char *)"-Iuapi",
                     (char *)"-fsyntax-only", path, NULL };
    int rc = run_q(argv, true);
    unlink(path);
    cr_expect_neq(rc, 0, "a wrong layout assertion compiled");
}
