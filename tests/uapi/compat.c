/*
 * Compatibility of uapi/linux/iommufd.h with the system's older
 * /usr/include/linux/iommufd.h, when the system has one (Debian 12 does not:
 * then 0 items are compared and the test says so). Every ioctl number and
 * enum value the system header defines must be identical in ours, every field
 * offset too, and every struct may only have grown (appended fields).
 */
#include "tests/uapi/compat.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *kind_name(int k)
{
    static const char *const names[] = { "ioctl", "enum", "sizeof", "offsetof" };
    return (k >= 0 && k < 4) ? names[k] : "?";
}

Test(uapi_compat, system_header)
{
    size_t n = 0;

    for (const char *const *m = uapi_compat_missing; *m; m++)
        cr_expect_fail("%s: in the system header but not in ours", *m);

    for (; uapi_compat_sys[n].name; n++) {
        const struct compat_item *s = &uapi_compat_sys[n];
        const struct compat_item *o = &uapi_compat_ours[n];

        cr_assert_not_null(o->name, "tables differ in length");
        cr_assert_str_eq(s->name, o->name);
        if (s->kind == COMPAT_K_SIZE)
            cr_expect_geq(o->value, s->value, "sizeof(struct %s): ours %llu < system %llu",
                          s->name, o->value, s->value);
        else
            cr_expect_eq(o->value, s->value, "%s %s: ours %#llx, system %#llx",
                         kind_name(s->kind), s->name, o->value, s->value);
    }
    cr_assert_null(uapi_compat_ours[n].name, "tables differ in length");

    if (!uapi_compat_sys_header)
        cr_log_info("uapi compat: no system linux/iommufd.h; compared 0 items");
    else
        cr_log_info("uapi compat: compared %zu items against %s", n,
                    uapi_compat_sys_header);
}

/* gen_compat.sh itself, on a hand-written older-style fixture: it must find
 * the ioctls (also across a line continuation), the enum values, the struct
 * fields, skip __reserved, and report what ours lacks. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = 0;
    return buf;
}

Test(uapi_compat, generator_on_fixture)
{
    char out[] = "/tmp/uapi_compat_gen_XXXXXX";
    int fd = mkstemp(out);
    cr_assert_geq(fd, 0);
    close(fd);

    char *argv[] = { (char *)"bash", (char *)"tests/uapi/gen_compat.sh",
                     (char *)"tests/uapi/fixtures/old_iommufd.h",
                     (char *)"uapi/linux/iommufd.h", out, NULL };
    pid_t pid;
    int status;
    cr_assert_eq(posix_spawnp(&pid, "bash", NULL, NULL, argv, environ), 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "generator failed");

    const char *txt = slurp(out);
    unlink(out);
    static const char *const want[] = {
        "#define UAPI_COMPAT_SYS_HEADER \"tests/uapi/fixtures/old_iommufd.h\"",
        "COMPAT_IOCTL(IOMMU_DESTROY)",
        "COMPAT_IOCTL(IOMMU_GET_HW_INFO)",
        "COMPAT_ENUM(IOMMUFD_CMD_IOAS_ALLOC)",
        "COMPAT_ENUM(IOMMUFD_CMD_GET_HW_INFO)",
        "COMPAT_SIZE(iommu_hw_info)",
        "COMPAT_OFF(iommu_hw_info, out_data_type)",
        "COMPAT_OFF(iommu_destroy, id)",
        "COMPAT_MISSING(\"IOCTL IOMMU_FIXTURE_ONLY\")",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(txt, want[i]), "generator output lacks %s", want[i]);
    cr_expect_null(strstr(txt, "__reserved"), "reserved fields must be skipped");
    cr_expect_null(strstr(txt, "COMPAT_IOCTL(IOMMU_FIXTURE_ONLY)"));
}

/* No system header: an empty list, and the test above then compares 0. */
Test(uapi_compat, generator_without_header)
{
    char out[] = "/tmp/uapi_compat_gen_XXXXXX";
    int fd = mkstemp(out);
    cr_assert_geq(fd, 0);
    close(fd);

    char *argv[] = { (char *)"bash", (char *)"tests/uapi/gen_compat.sh",
                     (char *)"/nonexistent/linux/iommufd.h",
                     (char *)"uapi/linux/iommufd.h", out, NULL };
    pid_t pid;
    int status;
    cr_assert_eq(posix_spawnp(&pid, "bash", NULL, NULL, argv, environ), 0);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "generator failed");

    const char *txt = slurp(out);
    unlink(out);
    cr_expect_null(strstr(txt, "COMPAT_"), "items generated without a header");
}
