/* The two fds the library keeps for itself (fdtable.c, vmas.c): the
 * template file every iommufd / VFIO device fd is a dup of, and the
 * /proc/self/maps fd the pin probe queries. A program may close them or
 * dup2() over them without knowing (closefrom() before exec, a daemon
 * closing stray fds); the mock must notice, never hand out or query somebody
 * else's file, and never close a number that is no longer its own. After
 * fork() the maps fd names the parent's mm, so the child must use its own. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "test_ioas_util.h"

/* Open fds at or above `from` (the template sits at 512 or RLIMIT_NOFILE/2;
 * Criterion's own fds are low). */
static int high_fds(int from, int *out, int max)
{
    int n = 0;

    for (int fd = from; fd < 4096 && n < max; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            out[n++] = fd;
    return n;
}

/* A mock fd must be the library's template file: a memfd, never the
 * character device the user put at the template's number. */
static void assert_mock_file(int fd)
{
    struct stat st;

    cr_assert_geq(fd, 0, "mockfd_open: %s", strerror(errno));
    cr_assert_eq(fstat(fd, &st), 0);
    cr_assert(S_ISREG(st.st_mode), "fd %d is not the template memfd (mode %o)", fd,
              st.st_mode);
}

Test(private_fds, template_overwritten_by_dup2)
{
    int hi[16], n, fd, nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

    cr_assert_geq(nul, 0);
    fd = mockfd_open();                 /* creates the template */
    cr_assert_geq(fd, 0);
    n = high_fds(256, hi, 16);
    cr_assert_geq(n, 1, "no template fd found above 255");
    for (int i = 0; i < n; i++)
        cr_assert_eq(dup2(nul, hi[i]), hi[i]);
    mockfd_close(fd);

    fd = mockfd_open();
    assert_mock_file(fd);
    t_ioas_alloc(fd);
    cr_assert_eq(mockfd_close(fd), 0);
    /* the overwritten numbers are the test's /dev/null now, still open:
     * the mock abandoned them instead of closing them */
    for (int i = 0; i < n; i++) {
        struct stat st;

        cr_assert_eq(fstat(hi[i], &st), 0, "fd %d was closed by the mock", hi[i]);
        cr_assert(S_ISCHR(st.st_mode));
        close(hi[i]);
    }
    close(nul);
    ASSERT_NO_LEAKS();
}

Test(private_fds, template_closed)
{
    int hi[16], n, fd = mockfd_open();

    cr_assert_geq(fd, 0);
    n = high_fds(256, hi, 16);
    cr_assert_geq(n, 1);
    for (int i = 0; i < n; i++)
        close(hi[i]);
    mockfd_close(fd);
    fd = mockfd_open();
    assert_mock_file(fd);
    cr_assert_eq(mockfd_close(fd), 0);
    ASSERT_NO_LEAKS();
}

/* The fd whose link is this process's maps file, or -1. */
static int maps_fd(void)
{
    char want[64], link[PATH_MAX], path[64];

    snprintf(want, sizeof(want), "/proc/%d/maps", (int)getpid());
    for (int fd = 0; fd < 4096; fd++) {
        ssize_t r;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        r = readlink(path, link, sizeof(link) - 1);
        if (r < 0)
            continue;
        link[r] = '\0';
        if (!strcmp(link, want))
            return fd;
    }
    return -1;
}

/* An IOAS with a (fake) paging domain attached: MAP pins, so it probes the
 * user memory (without a domain nothing is pinned until one attaches). */
static uint32_t pinning_ioas(int fd, struct fake_dom *d)
{
    uint32_t ioas = t_ioas_alloc(fd);

    fake_init(d, 0, UMAX, PG);
    cr_assert_eq(t_attach(fd, ioas, d), 0);
    return ioas;
}

Test(private_fds, maps_fd_overwritten_by_dup2)
{
    size_t len = 4 * PG;
    char *a = t_buf(len, PROT_READ | PROT_WRITE), *b = t_buf(len, PROT_READ | PROT_WRITE);
    int fd = mockfd_open(), mfd, nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct fake_dom d;
    uint64_t iova = 0;
    struct stat st;
    uint32_t ioas;

    cr_assert_geq(fd, 0);
    ioas = pinning_ioas(fd, &d);
    cr_assert_eq(t_map(fd, ioas, RW, a, len, &iova), 0);
    mfd = maps_fd();
    if (mfd < 0)
        cr_skip_test("no PROCMAP_QUERY here: the probe keeps no maps fd");
    cr_assert_eq(dup2(nul, mfd), mfd);
    /* still answers for this process: b is mapped, a hole is EFAULT */
    cr_assert_eq(munmap(b + PG, PG), 0);
    EXPECT_ERR(EFAULT, t_map(fd, ioas, RW, b, len, &iova));
    cr_assert_eq(t_map(fd, ioas, RW, b + 2 * PG, 2 * PG, &iova), 0);
    cr_assert_eq(fstat(mfd, &st), 0, "the mock closed the user's fd");
    cr_assert(S_ISCHR(st.st_mode));
    close(mfd);
    close(nul);
    t_detach(fd, ioas, &d);
    cr_assert_eq(mockfd_close(fd), 0);
    munmap(a, len);
    munmap(b, len);
    ASSERT_NO_LEAKS();
}

/* After fork(), memory the child mapped is pinnable and memory it unmapped
 * is EFAULT, whatever the parent's mm says. */
Test(private_fds, fork_child_probes_its_own_mm)
{
    size_t len = 4 * PG;
    char *a = t_buf(len, PROT_READ | PROT_WRITE);
    int fd = mockfd_open(), status;
    struct fake_dom d;
    uint64_t iova = 0;
    uint32_t ioas;
    pid_t pid;

    cr_assert_geq(fd, 0);
    ioas = pinning_ioas(fd, &d);
    cr_assert_eq(t_map(fd, ioas, RW, a, len, &iova), 0);   /* the parent probes first */
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int cfd = mockfd_open();
        struct fake_dom cd;
        uint32_t cioas;
        char *c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (cfd < 0 || c == MAP_FAILED)
            _exit(10);
        cioas = pinning_ioas(cfd, &cd);
        if (t_map(cfd, cioas, RW, c, len, &iova))
            _exit(11);                  /* a parent-mm answer: a hole */
        if (munmap(a, len) || t_map(cfd, cioas, RW, a, len, &iova) != -1 || errno != EFAULT)
            _exit(12);                  /* a parent-mm answer: mapped */
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
    t_detach(fd, ioas, &d);
    cr_assert_eq(mockfd_close(fd), 0);
    munmap(a, len);
    ASSERT_NO_LEAKS();
}
