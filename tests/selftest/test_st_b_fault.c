/* Part B: IOMMU_FAULT_QUEUE_ALLOC, the fault fd, TRIGGER_IOPF delivery and
 * auto-response (iommufd.md §4.15, §6.2 op 15). */
#include <criterion/criterion.h>
#include <poll.h>
#include <stddef.h>
#include <unistd.h>

#include "mockfd/core/fault.h"
#include "test_st_b_util.h"

TestSuite(st_b_fault);

struct env {
    int fd;
    uint32_t ioas, stdev, auto_hwpt, idev, fault_id, hwpt;
    int ffd;
};

static void fault_alloc(int fd, uint32_t *id, int *ffd)
{
    struct iommu_fault_alloc a = { .size = sizeof(a) };

    cr_assert_eq(st_io(fd, IOMMU_FAULT_QUEUE_ALLOC, &a), 0);
    *id = a.out_fault_id;
    *ffd = (int)a.out_fault_fd;
}

static int trigger(int fd, uint32_t dev, uint32_t pasid, uint32_t grpid)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF,
                                .trigger_iopf = { .dev_id = dev, .pasid = pasid, .grpid = grpid,
                                                  .perm = 3, .addr = 0xdeadbeaf } };

    return st_test(fd, &c);
}

/* A mock device on an IOAS, then moved to a HWPT that reports to a fault queue. */
static void setup(struct env *e)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
    struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID };

    e->fd = mockfd_open();
    e->ioas = st_ioas(e->fd);
    c.id = e->ioas;
    cr_assert_eq(st_test(e->fd, &c), 0);
    e->stdev = c.mock_domain.out_stdev_id;
    e->auto_hwpt = c.mock_domain.out_hwpt_id;
    e->idev = c.mock_domain.out_idev_id;
    fault_alloc(e->fd, &e->fault_id, &e->ffd);
    h.dev_id = e->idev;
    h.pt_id = e->ioas;
    h.fault_id = e->fault_id;
    cr_assert_eq(st_io(e->fd, IOMMU_HWPT_ALLOC, &h), 0);
    e->hwpt = h.out_hwpt_id;
    memset(&c, 0, sizeof(c));
    c.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
    c.id = e->stdev;
    c.mock_domain_replace.pt_id = e->hwpt;
    cr_assert_eq(st_test(e->fd, &c), 0);
}

static int replace(struct env *e, uint32_t pt)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = e->stdev,
                                .mock_domain_replace = { .pt_id = pt } };

    return st_test(e->fd, &c);
}

static bool readable(int ffd)
{
    struct pollfd p = { .fd = ffd, .events = POLLIN | POLLOUT };

    cr_assert_eq(poll(&p, 1, 0), 1);
    cr_assert(p.revents & POLLOUT);          /* always writable (§4.15) */
    return p.revents & POLLIN;
}

static struct mfd_fault_stats stats(struct env *e)
{
    struct mfd_file *f = mfd_file_get(e->fd);
    struct mfd_ctx *ctx = mfd_ctx_from_file(f);
    struct mfd_fault_stats s;

    pthread_mutex_lock(&ctx->lock);
    cr_assert_eq(mfd_fault_stats(ctx, e->fault_id, &s), 0);
    pthread_mutex_unlock(&ctx->lock);
    mfd_file_put(f);
    return s;
}

static void teardown_env(struct env *e)
{
    mockfd_close(e->ffd);
    mockfd_close(e->fd);
}

Test(st_b_fault, alloc_and_lifetime)
{
    int fd = mockfd_open(), ffd;
    uint32_t id;
    struct iommu_fault_alloc a = { .size = sizeof(a), .flags = 1 };
    char b[40];

    cr_assert_eq(st_io(fd, IOMMU_FAULT_QUEUE_ALLOC, &a), EOPNOTSUPP);
    cr_assert_eq(a.out_fault_fd, 0);
    fault_alloc(fd, &id, &ffd);
    cr_assert_eq(id, 1);
    cr_assert(mockfd_owns_fd(ffd));
    /* The fd holds the object: DESTROY is EBUSY until it is closed. */
    cr_assert_eq(st_destroy(fd, id), EBUSY);
    cr_assert_eq(mockfd_read(ffd, b, 40), 0);
    cr_assert(!readable(ffd));
    cr_assert_eq(mockfd_close(ffd), 0);
    cr_assert_eq(st_destroy(fd, id), 0);
    /* A queue left open keeps the iommufd alive past its close. */
    fault_alloc(fd, &id, &ffd);
    cr_assert_eq(mockfd_close(fd), 0);
    cr_assert_eq(mockfd_read(ffd, b, 40), 0);
    cr_assert_eq(mockfd_close(ffd), 0);
    ASSERT_NO_LEAKS();
}

Test(st_b_fault, espipe_and_einval)
{
    int fd = mockfd_open(), ffd;
    uint32_t id;
    char b[80] = { 0 };
    struct iommu_hwpt_page_response r = { .cookie = 1, .code = 0 };

    fault_alloc(fd, &id, &ffd);
    cr_assert_eq(mockfd_read(ffd, b, 39), -1);
    cr_assert_eq(errno, ESPIPE);
    cr_assert_eq(mockfd_read(ffd, b, 41), -1);
    cr_assert_eq(errno, ESPIPE);
    cr_assert_eq(mockfd_write(ffd, b, 7), -1);
    cr_assert_eq(errno, ESPIPE);
    cr_assert_eq(mockfd_write(ffd, &r, 8), -1);          /* unknown cookie */
    cr_assert_eq(errno, EINVAL);
    r.code = 2;
    cr_assert_eq(mockfd_write(ffd, &r, 8), -1);          /* bad code */
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(mockfd_write(ffd, NULL, 8), -1);
    cr_assert_eq(errno, EFAULT);
    cr_assert_eq(mockfd_write(ffd, b, 0), 0);
    mockfd_close(ffd);
    mockfd_close(fd);
    ASSERT_NO_LEAKS();
}

Test(st_b_fault, trigger_read_respond)
{
    struct env e;
    struct iommu_hwpt_pgfault pf[3];
    struct iommu_hwpt_page_response r[2];
    unsigned char raw[40];

    setup(&e);
    cr_assert_eq(trigger(e.fd, 999, 0, 2), ENOENT);
    cr_assert(!readable(e.ffd));
    cr_assert_eq(trigger(e.fd, e.idev, 0, 2), 0);
    cr_assert(readable(e.ffd));
    /* A buffer that is a multiple of 40 but empty of room: 0, still pending. */
    cr_assert_eq(mockfd_read(e.ffd, pf, 0), 0);
    memset(raw, 0xff, sizeof(raw));
    cr_assert_eq(mockfd_read(e.ffd, raw, 40), 40);
    memcpy(&pf[0], raw, 40);
    cr_assert_eq(pf[0].flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
    cr_assert_eq(pf[0].dev_id, e.idev);
    cr_assert_eq(pf[0].pasid, 0);
    cr_assert_eq(pf[0].grpid, 2);
    cr_assert_eq(pf[0].perm, 3);
    cr_assert_eq(pf[0].addr, 0xdeadbeaf);
    cr_assert_eq(pf[0].length, 0);
    cr_assert_eq(pf[0].cookie, 1);
    /* e721f619e3ec: the padding at offset 20 is zero. */
    cr_assert_eq(raw[20] | raw[21] | raw[22] | raw[23], 0);
    cr_assert(!readable(e.ffd));
    cr_assert_eq(mockfd_read(e.ffd, pf, 80), 0);

    /* Two more groups; a read of room for one takes one (cookie 2: 1 is
     * still outstanding), then the next. */
    cr_assert_eq(trigger(e.fd, e.idev, 0, 5), 0);
    cr_assert_eq(trigger(e.fd, e.idev, 0, 6), 0);
    cr_assert_eq(stats(&e).pending, 2);
    cr_assert_eq(mockfd_read(e.ffd, &pf[1], 40), 40);
    cr_assert_eq(pf[1].cookie, 2);
    cr_assert_eq(pf[1].grpid, 5);
    cr_assert(readable(e.ffd));
    cr_assert_eq(mockfd_read(e.ffd, &pf[2], 120), 40);
    cr_assert_eq(pf[2].cookie, 3);
    cr_assert_eq(stats(&e).outstanding, 3);

    /* Responses: several per write; the first bad one stops the batch. */
    r[0] = (struct iommu_hwpt_page_response){ .cookie = 1, .code = IOMMUFD_PAGE_RESP_SUCCESS };
    r[1] = (struct iommu_hwpt_page_response){ .cookie = 77, .code = IOMMUFD_PAGE_RESP_SUCCESS };
    cr_assert_eq(mockfd_write(e.ffd, r, 16), 8);
    r[0].cookie = 2;
    r[1] = (struct iommu_hwpt_page_response){ .cookie = 3, .code = IOMMUFD_PAGE_RESP_INVALID };
    cr_assert_eq(mockfd_write(e.ffd, r, 16), 16);
    cr_assert_eq(mockfd_write(e.ffd, r, 8), -1);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(stats(&e).outstanding, 0);
    cr_assert_eq(stats(&e).resp_success, 2);
    cr_assert_eq(stats(&e).resp_invalid, 1);
    /* Cookies are reused from the lowest. */
    cr_assert_eq(trigger(e.fd, e.idev, 0, 7), 0);
    cr_assert_eq(mockfd_read(e.ffd, pf, 40), 40);
    cr_assert_eq(pf[0].cookie, 1);
    teardown_env(&e);
    ASSERT_NO_LEAKS();
}

Test(st_b_fault, auto_respond_on_replace_and_destroy)
{
    struct env e;
    struct iommu_hwpt_pgfault pf;

    setup(&e);
    cr_assert_eq(st_destroy(e.fd, e.fault_id), EBUSY);     /* fd + hwpt hold it */
    cr_assert_eq(trigger(e.fd, e.idev, 0, 1), 0);         /* pending */
    cr_assert_eq(trigger(e.fd, e.idev, 0, 2), 0);
    cr_assert_eq(mockfd_read(e.ffd, &pf, 40), 40);         /* outstanding */
    cr_assert(readable(e.ffd));
    /* Moving the device away answers everything of that attachment INVALID. */
    cr_assert_eq(replace(&e, e.ioas), 0);
    cr_assert_eq(stats(&e).pending, 0);
    cr_assert_eq(stats(&e).outstanding, 0);
    cr_assert_eq(stats(&e).resp_invalid, 2);
    cr_assert(!readable(e.ffd));
    {
        struct iommu_hwpt_page_response r = { .cookie = pf.cookie };

        cr_assert_eq(mockfd_write(e.ffd, &r, 8), -1);
        cr_assert_eq(errno, EINVAL);
    }
    /* Attached elsewhere (no fault queue): TRIGGER succeeds, nothing queued. */
    cr_assert_eq(trigger(e.fd, e.idev, 0, 3), 0);
    cr_assert_eq(stats(&e).pending, 0);
    /* Back on the fault HWPT; a queued fault dies with the device (detach). */
    cr_assert_eq(replace(&e, e.hwpt), 0);
    cr_assert_eq(trigger(e.fd, e.idev, 0, 4), 0);
    cr_assert_eq(st_destroy(e.fd, e.stdev), 0);
    cr_assert_eq(stats(&e).resp_invalid, 3);
    cr_assert(!readable(e.ffd));
    cr_assert_eq(st_destroy(e.fd, e.hwpt), 0);
    cr_assert_eq(st_destroy(e.fd, e.fault_id), EBUSY);    /* the fd still */
    cr_assert_eq(mockfd_close(e.ffd), 0);
    cr_assert_eq(st_destroy(e.fd, e.fault_id), 0);
    mockfd_close(e.fd);
    ASSERT_NO_LEAKS();
}

/* Closing the iommufd with faults queued releases them (fault object
 * destroyed with the context once its fd is closed). */
Test(st_b_fault, close_with_pending)
{
    struct env e;

    setup(&e);
    cr_assert_eq(trigger(e.fd, e.idev, 0, 1), 0);
    cr_assert_eq(trigger(e.fd, e.idev, 0, 2), 0);
    mockfd_close(e.fd);
    cr_assert(readable(e.ffd));
    mockfd_close(e.ffd);
    ASSERT_NO_LEAKS();
}
