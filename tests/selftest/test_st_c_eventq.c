/* Part C: IOMMU_VEVENTQ_ALLOC, the vevent fd (read, poll, overflow, sequence)
 * and IOMMU_TEST_OP_TRIGGER_VEVENT (iommufd.md §4.18, §6.2). */
#include <limits.h>
#include <poll.h>

#include "test_st_c_util.h"

#define REC (sizeof(struct iommufd_vevent_header) + sizeof(struct iommu_viommu_event_selftest))

struct rec {
    struct iommufd_vevent_header hdr;
    struct iommu_viommu_event_selftest ev;
};

Test(st_c_veventq, alloc_errnos_and_lifetime)
{
    struct stc s;
    struct iommu_veventq_alloc a = { .size = sizeof(a), .flags = 1,
                                     .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 2 };
    uint32_t id = 0, id2 = 0;
    int efd = -1, efd2 = -1;

    stc_setup(&s, true);
    a.viommu_id = s.viommu;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(s.fd, IOMMU_VEVENTQ_ALLOC, &a));
    a.flags = 0;
    a.__reserved = 1;
    EXPECT_ERR(EOPNOTSUPP, mockfd_ioctl(s.fd, IOMMU_VEVENTQ_ALLOC, &a));
    EXPECT_ERR(EOPNOTSUPP, stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 2, &id,
                                             &efd));
    EXPECT_ERR(EINVAL, stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 0, &id,
                                         &efd));
    EXPECT_ERR(ENOENT, stc_veventq_alloc(s.fd, 999, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &efd));
    EXPECT_ERR(ENOENT, stc_veventq_alloc(s.fd, s.parent, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id,
                                         &efd));
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &efd));
    cr_assert(mockfd_owns_fd(efd));
    /* one per type */
    EXPECT_ERR(EEXIST, stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id2,
                                         &efd2));
    /* another type is accepted by the core (the mock never reports it) */
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, 0x1234, 1, &id2, &efd2));
    /* the open fd and the vIOMMU reference */
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, id));
    EXPECT_ERR(EBUSY, stc_destroy(s.fd, s.viommu));
    /* no write, no ioctl on the vevent fd */
    {
        char b[8] = { 0 };

        errno = 0;
        cr_assert_eq(mockfd_write(efd, b, sizeof(b)), -1);
        cr_assert_eq(errno, EINVAL);
        EXPECT_ERR(ENOTTY, mockfd_ioctl(efd, IOMMU_DESTROY, b));
    }
    EXPECT_OK(mockfd_close(efd));
    EXPECT_OK(stc_destroy(s.fd, id));
    /* closing the iommufd first: the vevent fd keeps the context alive */
    mockfd_close(s.fd);
    {
        char b[REC];

        cr_assert_eq(mockfd_read(efd2, b, sizeof(b)), 0);
    }
    EXPECT_OK(mockfd_close(efd2));
    ASSERT_NO_LEAKS();
}

Test(st_c_veventq, trigger_read_poll_overflow)
{
    struct stc s;
    struct rec r[4];
    struct pollfd pfd;
    uint32_t vd = 0, id = 0;
    int efd = -1;
    uint32_t prev;

    stc_setup(&s, true);
    /* not attached through a vIOMMU */
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, s.idev));
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, 999));
    /* the nested attach needs a vdevice first */
    cr_assert_eq(stc_attach_through(s.fd, s.idev, s.viommu), -ENOENT);
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x99, &vd));
    cr_assert_eq(stc_attach_through(s.fd, s.idev, s.viommu), 0);
    /* no vEVENTQ of the type: the report fails, nothing is queued */
    EXPECT_ERR(EOPNOTSUPP, stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &efd));

    pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
    cr_assert_eq(poll(&pfd, 1, 0), 0);
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), 0);
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(poll(&pfd, 1, 1000), 1);
    cr_assert(pfd.revents & POLLIN);
    /* a buffer smaller than one record: 0, the record stays */
    cr_assert_eq(mockfd_read(efd, r, REC - 1), 0);
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)REC);
    cr_assert_eq(r[0].hdr.flags, 0);
    cr_assert_eq(r[0].hdr.sequence, 0);
    cr_assert_eq(r[0].ev.virt_id, 0x99);
    pfd.revents = 0;
    cr_assert_eq(poll(&pfd, 1, 0), 0);

    /* depth 2, three events: two records, then the lost-events header */
    for (int i = 0; i < 3; i++)
        EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)(2 * REC + 8));
    cr_assert_eq(r[0].hdr.flags, 0);
    cr_assert_eq(r[0].hdr.sequence, 1);
    cr_assert_eq(r[1].hdr.flags, 0);
    cr_assert_eq(r[1].hdr.sequence, 2);
    cr_assert_eq(r[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
    cr_assert_eq(r[2].hdr.sequence, 3);
    /* the overflow is gone after the read */
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    memset(r, 0, sizeof(r));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)REC);
    cr_assert_eq(r[0].hdr.flags, 0);
    cr_assert_eq(r[0].hdr.sequence, 4);
    prev = r[0].hdr.sequence;

    /* every drop moves the header to the tail with a fresh sequence */
    for (int i = 0; i < 4; i++)
        EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)(2 * REC + 8));
    cr_assert_eq(r[0].hdr.sequence, prev + 1);
    cr_assert_eq(r[1].hdr.sequence, prev + 2);
    cr_assert_eq(r[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
    cr_assert_eq(r[2].hdr.sequence, prev + 4);
    /* reading in pieces: whole records only */
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, REC + 4), (long)REC);
    cr_assert_eq(mockfd_read(efd, r, REC), (long)REC);
    cr_assert_eq(mockfd_read(efd, r, REC), 0);
    /* unreadable buffer with a record pending: EFAULT, the record stays */
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    errno = 0;
    cr_assert_eq(mockfd_read(efd, (void *)8, REC), -1);
    cr_assert_eq(errno, EFAULT);
    cr_assert_eq(mockfd_read(efd, r, REC), (long)REC);

    /* detach: no more events */
    cr_assert_eq(stc_attach_through(s.fd, s.idev, 0), 0);
    EXPECT_ERR(ENOENT, stc_trigger(s.fd, s.idev));
    mockfd_close(efd);
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}

Test(st_c_veventq, sequence_wraps_at_int_max)
{
    struct stc s;
    struct mfd_file *f;
    struct mfd_ctx *ctx;
    struct mfd_viommu *v;
    struct rec r[2];
    uint32_t vd = 0, id = 0, payload = 0x55;
    int efd = -1;

    stc_setup(&s, true);
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x55, &vd));
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id, &efd));
    f = mfd_file_get(s.fd);
    ctx = mfd_ctx_from_file(f);
    pthread_mutex_lock(&ctx->lock);
    v = mfd_viommu_get(ctx, s.viommu);
    /* start near the top instead of reporting 2^31 times */
    mfd_veventq_set_sequence(mfd_viommu_find_veventq(v, IOMMU_VEVENTQ_TYPE_SELFTEST),
                             INT_MAX - 2);
    for (uint32_t i = 0; i < 2; i++)
        cr_assert_eq(mfd_viommu_report_event(v, IOMMU_VEVENTQ_TYPE_SELFTEST, &payload, 4), 0);
    pthread_mutex_unlock(&ctx->lock);
    mfd_file_put(f);
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)(REC + 8));
    cr_assert_eq(r[0].hdr.sequence, INT_MAX - 2);
    cr_assert_eq(r[1].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
    cr_assert_eq(r[1].hdr.sequence, INT_MAX - 1);
    EXPECT_OK(stc_attach_through(s.fd, s.idev, s.viommu));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(mockfd_read(efd, r, sizeof(r)), (long)(REC + 8));
    cr_assert_eq(r[0].hdr.sequence, INT_MAX);
    cr_assert_eq(r[0].ev.virt_id, 0x55);
    cr_assert_eq(r[1].hdr.sequence, 0);   /* (INT_MAX + 1) & INT_MAX */
    mockfd_close(efd);
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}
