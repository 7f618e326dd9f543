/* The vevent fd polls as the kernel's vEVENTQ: EPOLLIN while records are
 * queued and never EPOLLOUT (iommufd.md §4.18: iommufd_eventq_fops_poll of a
 * vEVENTQ), unlike the fault fd which is always EPOLLOUT (§4.15). The
 * signalling survives the user moving the fd number (dup2 + close). */
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "mockfd/mockfd_ext.h"
#include "test_st_c_util.h"

#define VREC (sizeof(struct iommufd_vevent_header) + sizeof(struct iommu_viommu_event_selftest))

Test(vevent_poll, pollin_only_never_pollout)
{
    struct stc s;
    uint8_t buf[4 * VREC];
    struct pollfd pfd;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT }, out;
    uint32_t vd = 0, id = 0;
    int efd = -1, ep, moved;

    stc_setup(&s, true);
    EXPECT_OK(stc_vdevice_alloc(s.fd, s.viommu, s.idev, 0x42, &vd));
    cr_assert_eq(stc_attach_through(s.fd, s.idev, s.viommu), 0);
    EXPECT_OK(stc_veventq_alloc(s.fd, s.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &id, &efd));

    pfd = (struct pollfd){ .fd = efd, .events = POLLIN | POLLOUT };
    cr_assert_eq(poll(&pfd, 1, 0), 0, "empty queue: nothing, not even POLLOUT");
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    cr_assert_eq(poll(&pfd, 1, 0), 1);
    cr_assert_eq(pfd.revents, POLLIN);
    ep = epoll_create1(EPOLL_CLOEXEC);
    cr_assert_geq(ep, 0);
    cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), 0);
    cr_assert_eq(epoll_wait(ep, &out, 1, 0), 1);
    cr_assert_eq(out.events, (uint32_t)EPOLLIN);
    cr_assert_eq(mockfd_read(efd, buf, sizeof(buf)), (long)VREC);
    cr_assert_eq(poll(&pfd, 1, 0), 0, "drained");
    cr_assert_eq(epoll_wait(ep, &out, 1, 0), 0);
    close(ep);

    /* the user moves the fd: the new number still signals, the old one is
     * free (the mock never writes through the user's numbers) */
    moved = mockfd_dup_fd(efd, -1);
    cr_assert_geq(moved, 0);
    EXPECT_OK(mockfd_close(efd));
    EXPECT_OK(stc_trigger(s.fd, s.idev));
    pfd = (struct pollfd){ .fd = moved, .events = POLLIN | POLLOUT };
    cr_assert_eq(poll(&pfd, 1, 0), 1);
    cr_assert_eq(pfd.revents, POLLIN);
    cr_assert_eq(mockfd_read(moved, buf, sizeof(buf)), (long)VREC);
    cr_assert_eq(poll(&pfd, 1, 0), 0);

    cr_assert_eq(stc_attach_through(s.fd, s.idev, 0), 0);
    EXPECT_OK(mockfd_close(moved));
    mockfd_close(s.fd);
    ASSERT_NO_LEAKS();
}
