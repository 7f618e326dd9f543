/* Shared helpers for the Criterion suites. */
#ifndef IOMMU_EMU_TEST_UTIL_H
#define IOMMU_EMU_TEST_UTIL_H

#include <errno.h>
#include <string.h>

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

/* A call returning 0 / -1 + errno (an ioctl, a mockfd_* call) that must fail
 * with errno e, or must succeed; the message names the call and the errno. */
#define EXPECT_ERR(e, call)                                                              \
    do {                                                                                 \
        errno = 0;                                                                       \
        int rc__ = (call);                                                               \
        cr_assert_eq(rc__, -1, "%s: expected failure, got %d", #call, rc__);          \
        cr_assert_eq(errno, (e), "%s: errno %d (%s), expected %d (%s)", #call, errno, \
                     strerror(errno), (e), strerror(e));                                 \
    } while (0)
#define EXPECT_OK(call)                                                                  \
    do {                                                                                 \
        errno = 0;                                                                       \
        int rc__ = (call);                                                               \
        cr_assert_eq(rc__, 0, "%s: rc %d errno %d (%s)", #call, rc__, errno,            \
                     strerror(errno));                                                   \
    } while (0)

#endif
