/* SPDX-License-Identifier: MIT */
/*
 * User memory access for the mock iommufd: the kernel's copy_from_user,
 * copy_to_user, clear_user and check_zeroed_user, with the same contract: a
 * bad user pointer gives -EFAULT, never a crash (iommufd.md §2 step 2/5 and
 * §5: "EFAULT: size word unreadable; struct/array/data pointer unreadable or
 * unwritable").
 *
 * Two implementations:
 *
 *  - SIGNAL (default): the copy runs directly on the user pointer inside a
 *    guarded region. A SIGSEGV/SIGBUS handler, installed once, siglongjmp()s
 *    out of the region when the faulting thread is inside one, and chains to
 *    the previously installed handler otherwise (so ASan's own SEGV reporting
 *    and any application handler keep working). This costs a sigsetjmp per
 *    copy, not a syscall, which is what makes the ~50 ns/op dispatch target
 *    possible.
 *    The copy loops are built without sanitizer instrumentation and call no
 *    libc routine on user memory: ASan's memcpy interceptor would report a
 *    wild pointer instead of letting the access fault.
 *    CAVEAT: a program that installs its own SIGSEGV/SIGBUS handler after the
 *    first mockfd_open() (without chaining to ours) loses the EFAULT
 *    guarantee: a bad pointer then reaches its handler. The handler is
 *    installed lazily, after the ASan runtime's (which then sees it chained).
 *
 *  - SYSCALL (MOCKFD_UACCESS=syscall, or if the handler cannot be installed):
 *    process_vm_readv/process_vm_writev on our own pid. Always safe, several
 *    hundred ns per access.
 *
 * Addresses below the first page or at/above the top of the user half are
 * refused without being touched (the kernel's access_ok()).
 */
#include "mockfd_internal.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__x86_64__)
/* 4-level paging user half; the 5-level range above is only handed out on
 * explicit request (mmap hint), so treat it as the kernel half. */
#define USER_TOP 0x0000800000000000ull
#elif defined(__aarch64__)
#define USER_TOP 0x0001000000000000ull   /* 48-bit VA */
#else
#define USER_TOP ((uint64_t)UINTPTR_MAX)
#endif
#define USER_BOTTOM 4096ull              /* the NULL page */

#define NOSAN __attribute__((noinline, no_sanitize("address", "undefined")))

#if defined(__SANITIZE_ADDRESS__)
#define MFD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MFD_ASAN 1
#endif
#endif

#ifdef MFD_ASAN
void *__asan_region_is_poisoned(void *beg, size_t size);
/* The copy loops are uninstrumented; check the kernel-side buffer here so a
 * real overflow in our own code is still reported by ASan (touching the
 * first poisoned byte from instrumented code gives the usual report). */
static void kcheck(const void *p, size_t n)
{
    volatile const char *bad = __asan_region_is_poisoned((void *)p, n);
    if (bad)
        (void)*bad;
}
#else
static inline void kcheck(const void *p, size_t n) { (void)p; (void)n; }
#endif

/* access_ok(): the whole range must lie in the user half. */
static inline bool range_ok(uint64_t uptr, size_t len)
{
    return uptr >= USER_BOTTOM && uptr < USER_TOP && len <= USER_TOP - uptr;
}

/* ---- the guarded region -------------------------------------------------- */

struct uguard {
    sigjmp_buf jb;
};

static _Thread_local struct uguard *volatile cur_guard
    __attribute__((tls_model("initial-exec")));

static struct sigaction old_segv, old_bus;
static _Atomic int mode = MFD_UACCESS_UNSET;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void chain(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *o = sig == SIGBUS ? &old_bus : &old_segv;

    if (o->sa_flags & SA_SIGINFO) {
        o->sa_sigaction(sig, si, uc);
        return;
    }
    if (o->sa_handler == SIG_DFL || o->sa_handler == SIG_IGN) {
        /* Restore the default action and return: a hardware fault
         * re-executes and now kills the process the normal way (core dump
         * included); a signal sent with kill() is re-raised. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        if (si == NULL || si->si_code <= 0)
            raise(sig);
        return;
    }
    o->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    struct uguard *g = cur_guard;

    if (g) {
        /* A fault on user memory inside mfd_copy_*: report EFAULT. The
         * handler runs with SA_NODEFER, so no signal mask needs restoring
         * (sigsetjmp was called with savemask 0). */
        cur_guard = NULL;
        siglongjmp(g->jb, 1);
    }
    chain(sig, si, uc);
}

static void init(void)
{
    const char *env = getenv("MOCKFD_UACCESS");
    struct sigaction sa;

    if (env && strcmp(env, "syscall") == 0) {
        mode = MFD_UACCESS_SYSCALL;
        return;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &old_segv) != 0) {
        mode = MFD_UACCESS_SYSCALL;
        return;
    }
    if (sigaction(SIGBUS, &sa, &old_bus) != 0) {
        sigaction(SIGSEGV, &old_segv, NULL);
        mode = MFD_UACCESS_SYSCALL;
        return;
    }
    mode = MFD_UACCESS_SIGNAL;
}

enum mfd_uaccess_mode mfd_uaccess_init(void)
{
    int m = atomic_load_explicit(&mode, memory_order_acquire);

    if (m != MFD_UACCESS_UNSET)
        return (enum mfd_uaccess_mode)m;
    pthread_once(&init_once, init);
    return (enum mfd_uaccess_mode)atomic_load(&mode);
}

/* Uninstrumented loops. User-side accesses go through volatile pointers so
 * the compiler can neither merge them into a libc call nor move them. Each
 * access is naturally aligned on the user side (8, 4, 2 or 1 bytes), so it
 * never straddles a page boundary the byte-wise copy would not have touched,
 * and a 4-byte size word is one load (no store-forwarding stall when the
 * dispatcher reads it back). */
NOSAN static void raw_in(unsigned char *dst, uintptr_t src, size_t n)
{
    while (n) {
        if (!(src & 7) && n >= 8) {
            uint64_t v = *(volatile const uint64_t *)src;
            __builtin_memcpy(dst, &v, 8);
            dst += 8, src += 8, n -= 8;
        } else if (!(src & 3) && n >= 4) {
            uint32_t v = *(volatile const uint32_t *)src;
            __builtin_memcpy(dst, &v, 4);
            dst += 4, src += 4, n -= 4;
        } else if (!(src & 1) && n >= 2) {
            uint16_t v = *(volatile const uint16_t *)src;
            __builtin_memcpy(dst, &v, 2);
            dst += 2, src += 2, n -= 2;
        } else {
            *dst++ = *(volatile const unsigned char *)src++;
            n--;
        }
    }
}

NOSAN static void raw_out(uintptr_t dst, const unsigned char *src, size_t n)
{
    while (n) {
        if (!(dst & 7) && n >= 8) {
            uint64_t v;
            __builtin_memcpy(&v, src, 8);
            *(volatile uint64_t *)dst = v;
            dst += 8, src += 8, n -= 8;
        } else if (!(dst & 3) && n >= 4) {
            uint32_t v;
            __builtin_memcpy(&v, src, 4);
            *(volatile uint32_t *)dst = v;
            dst += 4, src += 4, n -= 4;
        } else if (!(dst & 1) && n >= 2) {
            uint16_t v;
            __builtin_memcpy(&v, src, 2);
            *(volatile uint16_t *)dst = v;
            dst += 2, src += 2, n -= 2;
        } else {
            *(volatile unsigned char *)dst++ = *src++;
            n--;
        }
    }
}

NOSAN static void raw_clear(uintptr_t dst, size_t n)
{
    while (n && (dst & 7)) {
        *(volatile unsigned char *)dst++ = 0;
        n--;
    }
    while (n >= 8) {
        *(volatile uint64_t *)dst = 0;
        dst += 8, n -= 8;
    }
    while (n) {
        *(volatile unsigned char *)dst++ = 0;
        n--;
    }
}

/* 1 if all zero, 0 at the first non-zero byte. Scans in order, so a non-zero
 * byte before an unmapped page is E2BIG and an unmapped page before any
 * non-zero byte is EFAULT, as the kernel's check_zeroed_user(). Plain loads
 * (a reduction is never turned into a libc call), 32 bytes per step so a
 * huge zero tail costs little. */
NOSAN static int raw_zeroed(uintptr_t p, size_t n)
{
    while (n && (p & 7)) {
        if (*(const unsigned char *)p)
            return 0;
        p++, n--;
    }
    /* 32-byte blocks start 32-aligned, so a block never spans two pages and
     * cannot fault where the in-order scan would have stopped on E2BIG. */
    while (n >= 8 && (p & 31)) {
        if (*(const uint64_t *)p)
            return 0;
        p += 8, n -= 8;
    }
    while (n >= 32) {
        const uint64_t *w = (const uint64_t *)p;
        if (w[0] | w[1] | w[2] | w[3])
            break;                 /* the word loop below finds it */
        p += 32, n -= 32;
    }
    while (n >= 8) {
        if (*(const uint64_t *)p)
            return 0;
        p += 8, n -= 8;
    }
    while (n) {
        if (*(const unsigned char *)p)
            return 0;
        p++, n--;
    }
    return 1;
}

enum op { OP_IN, OP_OUT, OP_CLEAR, OP_ZEROED };

/* Run one raw loop in a guarded region: >= 0 its result, -EFAULT on a fault. */
static int guarded(enum op op, void *k, uintptr_t u, size_t n)
{
    struct uguard g;
    int ret = 0;

    if (sigsetjmp(g.jb, 0))
        return -EFAULT;            /* cur_guard already cleared */
    cur_guard = &g;
    atomic_signal_fence(memory_order_seq_cst);
    switch (op) {
    case OP_IN:
        raw_in(k, u, n);
        break;
    case OP_OUT:
        raw_out(u, k, n);
        break;
    case OP_CLEAR:
        raw_clear(u, n);
        break;
    case OP_ZEROED:
        ret = raw_zeroed(u, n);
        break;
    }
    atomic_signal_fence(memory_order_seq_cst);
    cur_guard = NULL;
    return ret;
}

/* ---- the syscall fallback ------------------------------------------------ */

static int sys_in(void *dst, uint64_t uptr, size_t len)
{
    while (len) {
        struct iovec l = { dst, len }, r = { (void *)(uintptr_t)uptr, len };
        ssize_t got = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
        if (got <= 0)
            return -EFAULT;
        dst = (char *)dst + got, uptr += (size_t)got, len -= (size_t)got;
    }
    return 0;
}

static int sys_out(uint64_t uptr, const void *src, size_t len)
{
    while (len) {
        struct iovec l = { (void *)src, len }, r = { (void *)(uintptr_t)uptr, len };
        ssize_t got = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
        if (got <= 0)
            return -EFAULT;
        src = (const char *)src + got, uptr += (size_t)got, len -= (size_t)got;
    }
    return 0;
}

static int sys_clear(uint64_t uptr, size_t len)
{
    static const unsigned char zero[4096];

    while (len) {
        size_t n = len < sizeof(zero) ? len : sizeof(zero);
        if (sys_out(uptr, zero, n))
            return -EFAULT;
        uptr += n, len -= n;
    }
    return 0;
}

static int sys_zeroed(uint64_t uptr, size_t len)
{
    unsigned char buf[4096];

    while (len) {
        /* One page at a time: a non-zero byte in front of an unreadable page
         * must give E2BIG, not EFAULT. */
        size_t n = sizeof(buf) - (size_t)(uptr & (sizeof(buf) - 1));
        if (n > len)
            n = len;
        if (sys_in(buf, uptr, n))
            return -EFAULT;
        for (size_t i = 0; i < n; i++)
            if (buf[i])
                return 0;
        uptr += n, len -= n;
    }
    return 1;
}

/* ---- the interface ------------------------------------------------------- */

static inline bool use_signal(void)
{
    int m = atomic_load_explicit(&mode, memory_order_relaxed);

    if (__builtin_expect(m == MFD_UACCESS_UNSET, 0))
        m = mfd_uaccess_init();
    return m == MFD_UACCESS_SIGNAL;
}

int mfd_copy_from_user(void *dst, uint64_t uptr, size_t len)
{
    if (len == 0)
        return 0;
    if (!range_ok(uptr, len))
        return -EFAULT;
    kcheck(dst, len);
    if (use_signal())
        return guarded(OP_IN, dst, (uintptr_t)uptr, len);
    return sys_in(dst, uptr, len);
}

int mfd_copy_to_user(uint64_t uptr, const void *src, size_t len)
{
    if (len == 0)
        return 0;
    if (!range_ok(uptr, len))
        return -EFAULT;
    kcheck(src, len);
    if (use_signal())
        return guarded(OP_OUT, (void *)src, (uintptr_t)uptr, len);
    return sys_out(uptr, src, len);
}

int mfd_clear_user(uint64_t uptr, size_t len)
{
    if (len == 0)
        return 0;
    if (!range_ok(uptr, len))
        return -EFAULT;
    if (use_signal())
        return guarded(OP_CLEAR, NULL, (uintptr_t)uptr, len);
    return sys_clear(uptr, len);
}

int mfd_check_zeroed_user(uint64_t uptr, size_t len)
{
    int rc;

    if (len == 0)
        return 0;
    if (!range_ok(uptr, len))
        return -EFAULT;
    rc = use_signal() ? guarded(OP_ZEROED, NULL, (uintptr_t)uptr, len)
                      : sys_zeroed(uptr, len);
    if (rc < 0)
        return rc;
    return rc ? 0 : -E2BIG;
}

/* The kernel's copy_struct_from_user() (include/linux/uaccess.h), as used by
 * iommufd dispatch (iommufd.md §2 step 5): a shorter user struct is
 * zero-extended; a longer one is accepted only if the extra bytes are zero
 * (checked before the copy: unreadable -> EFAULT, non-zero -> E2BIG), with
 * no upper bound on usize. */
int mfd_copy_struct_from_user(void *dst, size_t ksize, uint64_t uptr, size_t usize)
{
    size_t size = ksize < usize ? ksize : usize;

    if (usize < ksize) {
        memset((char *)dst + size, 0, ksize - size);
    } else if (usize > ksize) {
        if (uptr > UINT64_MAX - ksize)
            return -EFAULT;
        int rc = mfd_check_zeroed_user(uptr + ksize, usize - ksize);
        if (rc)
            return rc;
    }
    return mfd_copy_from_user(dst, uptr, size);
}
