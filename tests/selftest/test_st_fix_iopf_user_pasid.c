/* SPDX-License-Identifier: MIT */
/*
 * Page requests for a PASID with no attachment of its own, on a driver with
 * a user-managed PASID table (the mock's user_pasid_table): they go to the
 * NESTED domain attached at the RID (io-pgfault.c find_fault_handler). The
 * upstream selftest's alloc_hwpt_nested triggers pasid 1 with the RID on a
 * nested HWPT that has a fault queue and expects to read the fault.
 */
#include <poll.h>

#include "test_st_a_util.h"

struct env {
    int fd, ffd;
    uint32_t ioas, stdev, idev, parent, fault_id, nested, paging_iopf;
};

static int trigger(int fd, uint32_t dev, uint32_t pasid)
{
    struct iommu_test_cmd c = { .trigger_iopf = { .dev_id = dev, .pasid = pasid, .grpid = 2,
                                                  .perm = IOMMU_PGFAULT_PERM_READ,
                                                  .addr = 0xdeadbeaf } };

    return st_cmd(fd, IOMMU_TEST_OP_TRIGGER_IOPF, 0, &c);
}

static int replace(int fd, uint32_t stdev, uint32_t pt)
{
    struct iommu_test_cmd c = { .mock_domain_replace = { .pt_id = pt } };

    return st_cmd(fd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, &c);
}

static bool pending(int ffd)
{
    struct pollfd p = { .fd = ffd, .events = POLLIN };

    cr_assert_geq(poll(&p, 1, 0), 0);
    return p.revents & POLLIN;
}

static void setup(struct env *e, uint32_t dev_flags)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    struct iommu_fault_alloc fa = { .size = sizeof(fa) };
    struct iommu_hwpt_alloc h = { .size = sizeof(h), .flags = IOMMU_HWPT_FAULT_ID_VALID,
                                  .data_type = IOMMU_HWPT_DATA_SELFTEST,
                                  .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };

    memset(e, 0, sizeof(*e));
    e->fd = mockfd_open();
    cr_assert_geq(e->fd, 0);
    e->ioas = st_ioas(e->fd);
    EXPECT_OK(st_mock_domain(e->fd, e->ioas, dev_flags, &e->stdev, NULL, &e->idev));
    EXPECT_OK(st_hwpt_alloc(e->fd, e->idev, e->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
                            &e->parent));
    EXPECT_OK(mockfd_ioctl(e->fd, IOMMU_FAULT_QUEUE_ALLOC, &fa));
    e->fault_id = fa.out_fault_id;
    e->ffd = (int)fa.out_fault_fd;
    h.dev_id = e->idev;
    h.pt_id = e->parent;
    h.fault_id = e->fault_id;
    EXPECT_OK(mockfd_ioctl(e->fd, IOMMU_HWPT_ALLOC, &h));
    e->nested = h.out_hwpt_id;
    /* a paging HWPT with the same fault queue */
    memset(&h, 0, sizeof(h));
    h.size = sizeof(h);
    h.flags = IOMMU_HWPT_FAULT_ID_VALID;
    h.dev_id = e->idev;
    h.pt_id = e->ioas;
    h.fault_id = e->fault_id;
    EXPECT_OK(mockfd_ioctl(e->fd, IOMMU_HWPT_ALLOC, &h));
    e->paging_iopf = h.out_hwpt_id;
}

static void teardown(struct env *e)
{
    mockfd_close(e->ffd);
    mockfd_close(e->fd);
}

/* RID on the nested IOPF HWPT, nothing at pasid 1: the fault is read from
 * the queue with PASID_VALID and pasid 1, and answering it works. */
Test(st_fix_iopf_user_pasid, pasid_fault_goes_to_rid_nested)
{
    struct iommu_hwpt_pgfault f = { 0 };
    struct iommu_hwpt_page_response r = { .code = IOMMUFD_PAGE_RESP_SUCCESS };
    struct env e;

    setup(&e, 0);
    EXPECT_OK(replace(e.fd, e.stdev, e.nested));
    EXPECT_OK(trigger(e.fd, e.idev, 1));
    cr_assert(pending(e.ffd));
    cr_assert_eq(mockfd_read(e.ffd, &f, sizeof(f)), (long)sizeof(f));
    cr_assert_eq(f.dev_id, e.idev);
    cr_assert_eq(f.pasid, 1);
    cr_assert_eq(f.flags, IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
    cr_assert_eq(f.addr, 0xdeadbeaf);
    r.cookie = f.cookie;
    cr_assert_eq(mockfd_write(e.ffd, &r, sizeof(r)), (long)sizeof(r));
    cr_assert(!pending(e.ffd));
    teardown(&e);
    ASSERT_NO_LEAKS();
}

/* The fallback is to a NESTED domain only: with the RID on a paging IOPF
 * HWPT, a pasid fault without its own attachment is answered by the core
 * and never queued; a RID fault (pasid 0) is queued as before. */
Test(st_fix_iopf_user_pasid, no_fallback_to_rid_paging)
{
    struct env e;

    setup(&e, 0);
    EXPECT_OK(replace(e.fd, e.stdev, e.paging_iopf));
    EXPECT_OK(trigger(e.fd, e.idev, 1));
    cr_assert(!pending(e.ffd));
    EXPECT_OK(trigger(e.fd, e.idev, 0));
    cr_assert(pending(e.ffd));
    teardown(&e);
    ASSERT_NO_LEAKS();
}

/* A routed fault belongs to the RID attachment: replacing the RID away from
 * the nested HWPT answers it (auto-response), so nothing stays queued. */
Test(st_fix_iopf_user_pasid, routed_fault_auto_responded_on_rid_replace)
{
    struct env e;

    setup(&e, 0);
    EXPECT_OK(replace(e.fd, e.stdev, e.nested));
    EXPECT_OK(trigger(e.fd, e.idev, 7));
    cr_assert(pending(e.ffd));
    EXPECT_OK(replace(e.fd, e.stdev, e.parent));
    cr_assert(!pending(e.ffd));
    teardown(&e);
    ASSERT_NO_LEAKS();
}
