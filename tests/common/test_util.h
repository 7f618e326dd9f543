/* Shared helpers for the Criterion suites. */
#ifndef IOMMU_EMU_TEST_UTIL_H
#define IOMMU_EMU_TEST_UTIL_H

#include <criterion/criterion.h>

/* Criterion does not fail a test on an LSan leak (peers.md §4.4): run the
 * recoverable leak check inside the test body and fail on a report. */
#if defined(__SANITIZE_ADDRESS__)
#define IOMMU_TEST_HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IOMMU_TEST_HAVE_LSAN 1
#endif
#endif

#ifdef IOMMU_TEST_HAVE_LSAN
int __lsan_do_recoverable_leak_check(void);
#define ASSERT_NO_LEAKS() \
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "LeakSanitizer reported a leak")
#else
#define ASSERT_NO_LEAKS() do { } while (0)
#endif

#endif
