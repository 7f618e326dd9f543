/* The platform services the drivers get (mockfd/core/platform.c): table
 * blocks naturally aligned in absolute guest-physical terms (driver.h), and
 * what the lazy MOCKFD_PLATFORM load says when it fails. */
#include <stdio.h>

#include "e2e_util.h"
#include <criterion/redirect.h>
#include "mockfd/core/device.h"
#include "mockfd/core/mockfd_internal.h"

static const struct mfd_platform_ops *plat_ops(void)
{
    int iommu = mockfd_platform_add_iommu("vtd"), dev;
    struct mfd_pdev *pd;

    cr_assert_geq(iommu, 0);
    dev = mockfd_platform_add_device(iommu, 0x10);
    cr_assert_geq(dev, 0);
    pd = mfd_platform_device(dev);
    cr_assert_not_null(pd);
    return pd->unit->plat;
}

static void check_block(const struct mfd_platform_ops *p, uint64_t gpa, uint64_t size)
{
    const uint8_t *b = (const uint8_t *)(uintptr_t)gpa;
    uint64_t i;

    cr_assert_neq(gpa, 0, "alloc %#llx", (unsigned long long)size);
    cr_assert_eq(gpa & (size - 1), 0, "block of %#llx at %#llx is not naturally aligned",
                 (unsigned long long)size, (unsigned long long)gpa);
    for (i = 0; i < size; i += 4096) {
        cr_assert_eq(p->table_ptr(gpa + i), (const uint64_t *)(uintptr_t)(gpa + i));
        cr_assert_eq(b[i], 0);
        cr_assert_eq(b[i + 4095], 0);
    }
}

/* Mixed sizes so that every large block follows a small one (the bump
 * pointer is never aligned by accident), then the same again from the free
 * lists, dirtied in between: still aligned and zeroed. */
Test(e2e_platform, table_alloc_natural_alignment)
{
    static const uint64_t sizes[] = { 4096, 65536, 4096, 2u << 20, 8192, 8u << 20, 16384,
                                      32768, 4096, 1u << 20, 131072, 4096, 4u << 20 };
    const size_t n = sizeof(sizes) / sizeof(sizes[0]);
    const struct mfd_platform_ops *p = plat_ops();
    uint64_t gpa[sizeof(sizes) / sizeof(sizes[0])];
    size_t i, round;

    for (round = 0; round < 2; round++) {
        for (i = 0; i < n; i++) {
            gpa[i] = p->table_alloc(sizes[i]);
            check_block(p, gpa[i], sizes[i]);
        }
        for (i = 0; i < n; i++) {
            memset((void *)(uintptr_t)gpa[i], 0xa5, sizes[i]);
            p->table_free(gpa[i], sizes[i]);
        }
    }
    /* beyond the largest order (8 MiB): refused, not misaligned */
    cr_assert_eq(p->table_alloc(16u << 20), 0);
    /* not pool memory: no host view */
    cr_assert_null(p->table_ptr(4096));
}

/* A driver whose probe allocates fails with the allocation (fault
 * injection stands in for an unmappable pool under `ulimit -v`): the
 * message names the default it tried and why, and the next call retries. */
Test(e2e_platform, default_failure_names_default, .init = cr_redirect_stderr)
{
    int d;

    unsetenv("MOCKFD_PLATFORM");
    mfd_fail_nth_set(1);
    cr_assert_eq(mockfd_device_open(0), -1);
    mfd_fail_nth_set(0);
    d = mockfd_device_open(0);
    cr_assert_geq(d, 0, "the lazy load is retried after a failure that built nothing");
    cr_assert_eq(mockfd_close(d), 0);
    fflush(stderr);
    cr_assert_stderr_eq_str("mockfd: MOCKFD_PLATFORM unset and the default \"vtd:0x10\" failed: "
                            "Cannot allocate memory\n");
}

Test(e2e_platform, bad_env_message, .init = cr_redirect_stderr)
{
    setenv("MOCKFD_PLATFORM", "nosuch:0x10", 1);
    cr_assert_eq(mockfd_device_open(0), -1);
    cr_assert_eq(mockfd_device_open(0), -1, "still no platform");
    fflush(stderr);
    cr_assert_stderr_eq_str("mockfd: bad MOCKFD_PLATFORM \"nosuch:0x10\": Invalid argument\n");
}
