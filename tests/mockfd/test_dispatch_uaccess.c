/* uaccess: bad user pointers give EFAULT, never a crash, in both the signal
 * mode and the process_vm_* fallback (MOCKFD_UACCESS=syscall). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mockfd/core/mockfd_internal.h"
#include "tests/common/test_util.h"

static long pg;

/* [ro page][rw page][none page]: returns the rw page. */
static unsigned char *layout(void)
{
    unsigned char *p;

    pg = sysconf(_SC_PAGESIZE);
    p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(p, MAP_FAILED);
    memset(p, 0, 3 * pg);
    cr_assert_eq(mprotect(p, pg, PROT_READ), 0);
    cr_assert_eq(mprotect(p + 2 * pg, pg, PROT_NONE), 0);
    return p + pg;
}

static void check_all(void)
{
    unsigned char *rw = layout(), *ro = rw - pg, *none = rw + pg;
    unsigned char k[256];
    uint64_t u;

    /* NULL page, kernel half, wrapping ranges: refused untouched. */
    cr_assert_eq(mfd_copy_from_user(k, 0, 8), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(k, 4095, 1), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(k, 0xffff800000001000ull, 8), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(k, 0x0000800000000000ull, 8), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(k, 0x00007ffffffffff8ull, 16), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(k, UINT64_MAX - 3, 8), -EFAULT);
    cr_assert_eq(mfd_copy_to_user(0, k, 8), -EFAULT);
    cr_assert_eq(mfd_clear_user(0xffffffffffff0000ull, 8), -EFAULT);
    cr_assert_eq(mfd_check_zeroed_user(16, 8), -EFAULT);
    /* Zero-length accesses never fault, as in the kernel. */
    cr_assert_eq(mfd_copy_from_user(k, 0, 0), 0);
    cr_assert_eq(mfd_copy_to_user(mfd_uptr(none), k, 0), 0);
    cr_assert_eq(mfd_check_zeroed_user(0, 0), 0);

    /* Unmapped page; straddling from rw into it at every offset. */
    cr_assert_eq(mfd_copy_from_user(k, mfd_uptr(none), 1), -EFAULT);
    for (int off = 1; off <= 17; off++) {
        cr_assert_eq(mfd_copy_from_user(k, mfd_uptr(none - off), (size_t)off + 1), -EFAULT, "off %d", off);
        cr_assert_eq(mfd_copy_from_user(k, mfd_uptr(none - off), (size_t)off), 0, "off %d", off);
        cr_assert_eq(mfd_copy_to_user(mfd_uptr(none - off), k, (size_t)off + 1), -EFAULT);
        cr_assert_eq(mfd_clear_user(mfd_uptr(none - off), (size_t)off + 1), -EFAULT);
        cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(none - off), (size_t)off + 1), -EFAULT);
        cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(none - off), (size_t)off), 0);
    }
    /* Read-only page: readable, not writable (also straddling into it). */
    cr_assert_eq(mfd_copy_from_user(&u, mfd_uptr(ro), 8), 0);
    cr_assert_eq(mfd_copy_to_user(mfd_uptr(ro), &u, 8), -EFAULT);
    cr_assert_eq(mfd_copy_to_user(mfd_uptr(rw - 3), &u, 8), -EFAULT);
    cr_assert_eq(mfd_clear_user(mfd_uptr(ro + 100), 1), -EFAULT);

    /* Contents: unaligned copies of every length, both ways. */
    for (int i = 0; i < 256; i++)
        k[i] = (unsigned char)(i * 7 + 1);
    for (size_t off = 0; off < 9; off++) {
        for (size_t len = 0; len < 70; len++) {
            unsigned char back[256];
            memset(rw, 0xee, 200);
            cr_assert_eq(mfd_copy_to_user(mfd_uptr(rw + off), k, len), 0);
            for (size_t i = 0; i < 200; i++)
                cr_assert_eq(rw[i], i >= off && i < off + len ? k[i - off] : 0xee);
            memset(back, 0, sizeof(back));
            cr_assert_eq(mfd_copy_from_user(back, mfd_uptr(rw + off), len), 0);
            cr_assert_eq(memcmp(back, k, len), 0);
            cr_assert_eq(mfd_clear_user(mfd_uptr(rw + off), len), 0);
            for (size_t i = 0; i < 200; i++)
                cr_assert_eq(rw[i], i >= off && i < off + len ? 0 : 0xee);
        }
    }
    /* check_zeroed: E2BIG at the first non-zero byte, any position. */
    memset(rw, 0, pg);
    for (size_t pos = 0; pos < 100; pos++) {
        rw[pos] = 0x10;
        for (size_t start = 0; start <= pos && start < 9; start++)
            cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(rw + start), 100 - start), -E2BIG);
        cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(rw + pos + 1), 50), 0);
        rw[pos] = 0;
    }
    /* Non-zero before the unmapped page wins over the fault: E2BIG; the
     * fault before any non-zero byte: EFAULT (scan order of the kernel). */
    rw[pg - 40] = 1;
    cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(rw + pg - 64), 128), -E2BIG);
    rw[pg - 40] = 0;
    rw[pg - 1] = 1;
    cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(rw + pg - 9), 64), -E2BIG);
    rw[pg - 1] = 0;
    cr_assert_eq(mfd_check_zeroed_user(mfd_uptr(rw + pg - 64), 128), -EFAULT);

    /* copy_struct_from_user. */
    unsigned char s[16];
    memset(rw, 0, pg);
    rw[0] = 5;
    memset(s, 0x77, sizeof(s));
    cr_assert_eq(mfd_copy_struct_from_user(s, 16, mfd_uptr(rw), 4), 0);
    cr_assert_eq(s[0], 5);
    for (int i = 4; i < 16; i++)
        cr_assert_eq(s[i], 0, "zero-extended");
    cr_assert_eq(mfd_copy_struct_from_user(s, 16, mfd_uptr(rw), 4000), 0);
    rw[3999] = 1;
    cr_assert_eq(mfd_copy_struct_from_user(s, 16, mfd_uptr(rw), 4000), -E2BIG);
    cr_assert_eq(mfd_copy_struct_from_user(s, 16, mfd_uptr(rw + pg - 8), 16), -EFAULT);
    cr_assert_eq(mfd_copy_struct_from_user(s, 16, mfd_uptr(rw + pg - 16), 17), -EFAULT);

    munmap(ro, 3 * pg);
}

Test(uaccess, signal_mode)
{
    unsetenv("MOCKFD_UACCESS");
    cr_assert_eq(mfd_uaccess_init(), MFD_UACCESS_SIGNAL);
    check_all();
    ASSERT_NO_LEAKS();
}

Test(uaccess, syscall_mode)
{
    setenv("MOCKFD_UACCESS", "syscall", 1);
    cr_assert_eq(mfd_uaccess_init(), MFD_UACCESS_SYSCALL);
    check_all();
    ASSERT_NO_LEAKS();
}

/* The lazy init also works without an explicit call. */
Test(uaccess, lazy_init)
{
    unsetenv("MOCKFD_UACCESS");
    uint32_t v = 0;
    cr_assert_eq(mfd_copy_from_user(&v, 0, 4), -EFAULT);
    cr_assert_eq(mfd_copy_from_user(&v, 4096 * 4, 4), -EFAULT);
    cr_assert_eq(mfd_uaccess_init(), MFD_UACCESS_SIGNAL);
}

/* A fault outside our guarded copies reaches the handler that was installed
 * before ours (chaining), and ours keeps working afterwards. */
static sigjmp_buf test_jb;
static volatile int test_handler_hits;

static void test_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    test_handler_hits++;
    siglongjmp(test_jb, 1);
}

Test(uaccess, chains_foreign_faults)
{
    struct sigaction sa;
    unsigned char *none;

    unsetenv("MOCKFD_UACCESS");
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = test_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGSEGV, &sa, NULL), 0);
    cr_assert_eq(mfd_uaccess_init(), MFD_UACCESS_SIGNAL);

    none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(none, MAP_FAILED);
    for (int round = 0; round < 3; round++) {
        uint64_t k;
        cr_assert_eq(mfd_copy_from_user(&k, mfd_uptr(none), 8), -EFAULT);
        if (sigsetjmp(test_jb, 1) == 0) {
            (void)*(volatile unsigned char *)none;
            cr_assert_fail("no fault");
        }
        cr_assert_eq(test_handler_hits, round + 1);
    }
    munmap(none, 4096);
}

/* Concurrent guarded copies from several threads fault independently. */
static void *fault_loop(void *arg)
{
    unsigned char *rw = arg;
    uint64_t k;
    for (int i = 0; i < 20000; i++) {
        if (mfd_copy_from_user(&k, mfd_uptr(rw + 4096 - 4), 8) != -EFAULT)
            return (void *)1;
        if (mfd_copy_from_user(&k, mfd_uptr(rw), 8) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(uaccess, threads)
{
    unsigned char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pthread_t t[4];
    void *r;

    unsetenv("MOCKFD_UACCESS");
    cr_assert_neq(p, MAP_FAILED);
    cr_assert_eq(mprotect(p + 4096, 4096, PROT_NONE), 0);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, fault_loop, p), 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(pthread_join(t[i], &r), 0);
        cr_assert_null(r);
    }
    munmap(p, 8192);
}

/* A fault outside any guarded copy is not swallowed: with no previous
 * handler the process dies of SIGSEGV as usual; under ASan the chained
 * runtime handler reports it and exits with ASan's exit code (1). */
#if defined(__SANITIZE_ADDRESS__)
#define FOREIGN_FAULT_OUTCOME .exit_code = 1
#else
#define FOREIGN_FAULT_OUTCOME .signal = SIGSEGV
#endif
Test(uaccess, foreign_fault_keeps_default_action, FOREIGN_FAULT_OUTCOME)
{
    unsetenv("MOCKFD_UACCESS");
    cr_assert_eq(mfd_uaccess_init(), MFD_UACCESS_SIGNAL);
    unsigned char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(none, MAP_FAILED);
    uint64_t k;
    cr_assert_eq(mfd_copy_from_user(&k, mfd_uptr(none), 8), -EFAULT);
    (void)*(volatile unsigned char *)none;
    cr_assert_fail("survived a wild access");
}
