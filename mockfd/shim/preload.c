/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim: run an unmodified Linux iommufd program against the
 * userspace mock (contract §2, iommufd.md §8.1).
 *
 *   LD_PRELOAD=build/libmockfd-preload.so ./program
 *
 * open*("/dev/iommu")               -> mockfd_open()
 * open*("/dev/vfio/devices/vfioN")  -> mockfd_device_open(N)
 * ioctl/close/read/write on an fd the mock owns -> mockfd_ioctl/close/read/write
 * everything else                   -> the next definition (libc), found with
 *                                      dlsym(RTLD_NEXT, ...)
 *
 * Rules the intercepts keep:
 *  - ioctl/close/read/write are on every program's hot path, most calls are
 *    not ours: one mockfd_owns_fd() (lock-free radix lookup) decides, nothing
 *    else is done first.
 *  - No allocation and no locks: the real functions are resolved once in a
 *    constructor; an intercept that runs before it (another library's
 *    constructor) resolves on the spot and publishes the pointer atomically,
 *    so concurrent first calls are harmless (they store the same value).
 *  - errno is whatever the mock or libc set; the shim never touches it except
 *    when the real function cannot be found (ENOSYS).
 *
 * dup/dup2/dup3/fcntl(F_DUPFD, F_DUPFD_CLOEXEC) (and fcntl64) of a mock fd,
 * or onto one -> mockfd_dup_fd: the new number shares the mock file; every
 * other fcntl and every dup among non-mock fds goes straight to libc.
 *
 * Not intercepted (documented limits): paths that reach /dev/iommu other than
 * by their absolute name (relative paths, a dirfd on /dev, symlinks), stdio
 * fopen() (glibc calls its internal __open, not the open symbol), readv/
 * writev, and raw syscall(SYS_dup*) / close_range.
 *
 * mmap/mmap64 of an fd the mock owns -> mockfd_mmap (the iommufd mmap regions,
 * iommufd.md §2); munmap -> mockfd_munmap only while such a mapping is live
 * (mockfd_mmap_tracked: one atomic load otherwise).
 */
#undef _FORTIFY_SOURCE /* we define open/read themselves, not their wrappers */

#include "mockfd/mockfd.h"
#include "mockfd/mockfd_ext.h"
#include "mockfd/shim/shim_path.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*close_fn)(int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*read_chk_fn)(int, void *, size_t, size_t);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);

/* The real functions, one slot per intercepted symbol. */
enum {
    R_OPEN, R_OPEN64, R_OPENAT, R_OPENAT64, R_OPEN_2, R_OPEN64_2, R_OPENAT_2,
    R_OPENAT64_2, R_IOCTL, R_CLOSE, R_READ, R_WRITE, R_READ_CHK, R_MMAP, R_MMAP64, R_MUNMAP,
    R_DUP, R_DUP2, R_DUP3, R_FCNTL, R_FCNTL64, R_NUM
};
static const char *const real_name[R_NUM] = {
    [R_OPEN] = "open", [R_OPEN64] = "open64", [R_OPENAT] = "openat",
    [R_OPENAT64] = "openat64", [R_OPEN_2] = "__open_2",
    [R_OPEN64_2] = "__open64_2", [R_OPENAT_2] = "__openat_2",
    [R_OPENAT64_2] = "__openat64_2", [R_IOCTL] = "ioctl", [R_CLOSE] = "close",
    [R_READ] = "read", [R_WRITE] = "write", [R_READ_CHK] = "__read_chk",
    [R_MMAP] = "mmap", [R_MMAP64] = "mmap64", [R_MUNMAP] = "munmap",
    [R_DUP] = "dup", [R_DUP2] = "dup2", [R_DUP3] = "dup3", [R_FCNTL] = "fcntl",
    [R_FCNTL64] = "fcntl64",
};
static _Atomic(void *) real_fn[R_NUM];

static void *real(int which)
{
    void *p = atomic_load_explicit(&real_fn[which], memory_order_acquire);

    if (__builtin_expect(p == NULL, 0)) {
        p = dlsym(RTLD_NEXT, real_name[which]);
        atomic_store_explicit(&real_fn[which], p, memory_order_release);
    }
    return p;
}

__attribute__((constructor)) static void shim_init(void)
{
    for (int i = 0; i < R_NUM; i++)
        (void)real(i);
}

/* ---- which opens are ours -------------------------------------------------- */

static int open_mock(int kind)
{
    return kind == SHIM_PATH_IOMMU ? mockfd_open() : mockfd_device_open(kind);
}

/* open(2): the mode argument exists only with O_CREAT or O_TMPFILE. */
static int needs_mode(int flags)
{
#ifdef O_TMPFILE
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return 1;
#endif
    return (flags & O_CREAT) != 0;
}

static int no_real(void)
{
    errno = ENOSYS;
    return -1;
}

/* Shared body of open/open64: mode is forwarded only when it was passed. */
static int do_open(int which, const char *path, int flags, mode_t mode)
{
    int kind = shim_classify_path(path);
    open_fn f;

    if (kind != SHIM_PATH_OTHER)
        return open_mock(kind);
    f = (open_fn)real(which);
    if (!f)
        return no_real();
    return needs_mode(flags) ? f(path, flags, mode) : f(path, flags);
}

static int do_openat(int which, int dirfd, const char *path, int flags, mode_t mode)
{
    int kind = shim_classify_path(path); /* absolute: dirfd ignored, as openat(2) */
    openat_fn f;

    if (kind != SHIM_PATH_OTHER)
        return open_mock(kind);
    f = (openat_fn)real(which);
    if (!f)
        return no_real();
    return needs_mode(flags) ? f(dirfd, path, flags, mode) : f(dirfd, path, flags);
}

#define GET_MODE(flags, mode)                     \
    do {                                          \
        if (needs_mode(flags)) {                  \
            va_list ap;                           \
            va_start(ap, flags);                  \
            mode = va_arg(ap, mode_t);            \
            va_end(ap);                           \
        }                                         \
    } while (0)

EXPORT int open(const char *path, int flags, ...)
{
    mode_t mode = 0;

    GET_MODE(flags, mode);
    return do_open(R_OPEN, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;

    GET_MODE(flags, mode);
    return do_open(R_OPEN64, path, flags, mode);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;

    GET_MODE(flags, mode);
    return do_openat(R_OPENAT, dirfd, path, flags, mode);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;

    GET_MODE(flags, mode);
    return do_openat(R_OPENAT64, dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE builds call these for open(path, flags) without a mode. */
static int do_open_2(int which, const char *path, int flags)
{
    int kind = shim_classify_path(path);
    open2_fn f;

    if (kind != SHIM_PATH_OTHER)
        return open_mock(kind);
    f = (open2_fn)real(which);
    return f ? f(path, flags) : no_real();
}

static int do_openat_2(int which, int dirfd, const char *path, int flags)
{
    int kind = shim_classify_path(path);
    openat2_fn f;

    if (kind != SHIM_PATH_OTHER)
        return open_mock(kind);
    f = (openat2_fn)real(which);
    return f ? f(dirfd, path, flags) : no_real();
}

EXPORT int __open_2(const char *path, int flags)
{
    return do_open_2(R_OPEN_2, path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    return do_open_2(R_OPEN64_2, path, flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return do_openat_2(R_OPENAT_2, dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
    return do_openat_2(R_OPENAT64_2, dirfd, path, flags);
}

/* ---- per-fd calls: one ownership check, then the mock or libc ------------- */

EXPORT int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    void *arg;
    ioctl_fn f;

    /* Every ioctl takes at most one argument; reading it as a pointer is how
     * libc itself forwards it (it is passed in a register either way). */
    va_start(ap, request);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (mockfd_owns_fd(fd))
        return mockfd_ioctl(fd, request, arg);
    f = (ioctl_fn)real(R_IOCTL);
    return f ? f(fd, request, arg) : no_real();
}

EXPORT int close(int fd)
{
    close_fn f;

    if (mockfd_owns_fd(fd))
        return mockfd_close(fd);
    f = (close_fn)real(R_CLOSE);
    return f ? f(fd) : no_real();
}

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    read_fn f;

    if (mockfd_owns_fd(fd))
        return mockfd_read(fd, buf, count);
    f = (read_fn)real(R_READ);
    return f ? f(fd, buf, count) : no_real();
}

/* glibc's fortify failure report (aborts, "buffer overflow detected"). */
extern void __chk_fail(void) __attribute__((noreturn));

/* _FORTIFY_SOURCE read(): buflen is the object size the compiler knew. */
EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
    read_chk_fn f;

    if (mockfd_owns_fd(fd)) {
        if (count > buflen)
            __chk_fail(); /* glibc's verdict on a fortify overflow */
        return mockfd_read(fd, buf, count);
    }
    f = (read_chk_fn)real(R_READ_CHK);
    return f ? f(fd, buf, count, buflen) : no_real();
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
    write_fn f;

    if (mockfd_owns_fd(fd))
        return mockfd_write(fd, buf, count);
    f = (write_fn)real(R_WRITE);
    return f ? f(fd, buf, count) : no_real();
}

/* ---- mmap of the iommufd fd (vIOMMU regions) ------------------------------ */

static void *do_mmap(int which, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    mmap_fn f;

    if (fd >= 0 && !(flags & MAP_ANONYMOUS) && mockfd_owns_fd(fd))
        return mockfd_mmap(addr, len, prot, flags, fd, off);
    f = (mmap_fn)real(which);
    if (!f) {
        errno = ENOSYS;
        return MAP_FAILED;
    }
    return f(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(R_MMAP, addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return do_mmap(R_MMAP64, addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
    munmap_fn f;

    if (mockfd_mmap_tracked(addr, len))
        return mockfd_munmap(addr, len);
    f = (munmap_fn)real(R_MUNMAP);
    return f ? f(addr, len) : no_real();
}

/* ---- duplicates: a second fd number for the same mock file --------------- */

EXPORT int dup(int fd)
{
    dup_fn f;

    if (mockfd_owns_fd(fd))
        return mockfd_dup_fd(fd, -1);
    f = (dup_fn)real(R_DUP);
    return f ? f(fd) : no_real();
}

/* dup2 onto a number the mock owns must release that file too, even when
 * oldfd is not the mock's (mockfd_dup_fd handles both sides). */
EXPORT int dup2(int oldfd, int newfd)
{
    dup2_fn f;

    if (mockfd_owns_fd(oldfd) || mockfd_owns_fd(newfd))
        return mockfd_dup_fd(oldfd, newfd);
    f = (dup2_fn)real(R_DUP2);
    return f ? f(oldfd, newfd) : no_real();
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
    dup3_fn f;

    if (mockfd_owns_fd(oldfd) || mockfd_owns_fd(newfd)) {
        /* dup3(2): only O_CLOEXEC, and oldfd == newfd is EINVAL */
        if ((flags & ~O_CLOEXEC) || oldfd == newfd) {
            errno = EINVAL;
            return -1;
        }
        return mockfd_dup_fd(oldfd, newfd);
    }
    f = (dup3_fn)real(R_DUP3);
    return f ? f(oldfd, newfd, flags) : no_real();
}

/* fcntl is variadic: the one argument (an int or a pointer, by cmd) is read
 * as a pointer and forwarded as is, as glibc itself does. F_DUPFD with a
 * minimum: the kernel picks the number (on the real file behind the mock fd),
 * then mockfd_dup_fd makes it share the mock file. */
static int do_fcntl(int which, int fd, int cmd, void *arg)
{
    fcntl_fn f = (fcntl_fn)real(which);

    if (!f)
        return no_real();
    if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && mockfd_owns_fd(fd)) {
        int n = f(fd, F_DUPFD_CLOEXEC, arg), r;

        if (n < 0)
            return -1;
        r = mockfd_dup_fd(fd, n);
        if (r < 0) {
            int e = errno;
            close_fn c = (close_fn)real(R_CLOSE);

            if (c)
                c(n);   /* not a mock fd: the bare real fd */
            errno = e;
        }
        return r;
    }
    return f(fd, cmd, arg);
}

#define GET_ARG(cmd, arg)                         \
    do {                                          \
        va_list ap;                               \
        va_start(ap, cmd);                        \
        arg = va_arg(ap, void *);                 \
        va_end(ap);                               \
    } while (0)

EXPORT int fcntl(int fd, int cmd, ...)
{
    void *arg;

    GET_ARG(cmd, arg);
    return do_fcntl(R_FCNTL, fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    void *arg;

    GET_ARG(cmd, arg);
    return do_fcntl(R_FCNTL64, fd, cmd, arg);
}
