/* VT-d queued invalidation: descriptors, inv-wait, IQE/IQEI, ITE, wrap
 * (vtd.md §5.2, VT-d spec §6.5.2). */
#include "vtd_util.h"

static uint32_t iqei(struct tenv *t) { return (uint32_t)(rd(t, VTD_IQERCD, 8) & 0xf); }
static bool iqe(struct tenv *t) { return rd(t, VTD_FSTS, 4) & FSTS_IQE; }

Test(vtd_qi, every_valid_descriptor_legacy_queue)
{
    struct tenv t;
    env_init(&t, NULL);
    qi_setup(&t, false);
    cr_expect(qi_sync(&t, 0x1 | (1 << 4), 0));                               /* cc global */
    cr_expect(qi_sync(&t, 0x1 | (2 << 4) | (5ull << 16), 0));                /* cc domain */
    cr_expect(qi_sync(&t, 0x1 | (3 << 4) | (0x310ull << 32) | (3ull << 48), 0));
    cr_expect(qi_sync(&t, 0x2 | (1 << 4), 0));
    cr_expect(qi_sync(&t, 0x2 | (2 << 4) | 0xc0 | (5ull << 16), 0));
    cr_expect(qi_sync(&t, 0x2 | (3 << 4) | (5ull << 16), 0x40000000 | 18));  /* 1G PSI */
    cr_expect(qi_sync(&t, 0x3 | (0x310ull << 32), 0x1000));                  /* dev-TLB (DT) */
    cr_expect(qi_sync(&t, 0x4, 0));                                          /* IEC global */
    cr_expect(qi_sync(&t, 0x4 | 0x10 | (3u << 27) | (8ull << 32), 0));       /* IEC index */
    cr_expect(qi_sync(&t, 0x5 | 0x40, 0));                                   /* fence only */
    cr_expect(!iqe(&t));
    /* IQH advanced by 2 descriptors per sync, 16 bytes each. */
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)t.iq_tail << 4);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_qi, scalable_descriptors)
{
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    qi_setup(&t, true);
    cr_expect(qi_sync(&t, 0x6 | (2 << 4) | (3ull << 16) | (5ull << 32), 0));
    cr_expect(qi_sync(&t, 0x6 | (3 << 4) | (3ull << 16) | (5ull << 32), 0x200000 | 9));
    cr_expect(qi_sync(&t, 0x7 | (0 << 4) | (3ull << 16), 0));
    cr_expect(qi_sync(&t, 0x7 | (1 << 4) | (3ull << 16) | (5ull << 32), 0));
    cr_expect(qi_sync(&t, 0x7 | (3 << 4), 0));
    cr_expect(qi_sync(&t, 0x8 | (0x310ull << 16) | (5ull << 32), 0x7ffffffffffff000ull | (1 << 11)));
    cr_expect(!iqe(&t));
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)t.iq_tail << 5);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

struct bad { uint64_t q0, q1; unsigned iqei; const char *why; };

static void expect_iqe(const char *prof, bool sm, bool dw, const struct bad *b)
{
    struct tenv t;
    env_init(&t, prof);
    if (sm)
        set_root(&t, 1);
    qi_setup(&t, dw);
    uint32_t head_before = t.iq_tail;
    cr_expect(!qi_sync(&t, b->q0, b->q1), "%s", b->why);
    cr_expect(iqe(&t), "%s", b->why);
    cr_expect_eq(iqei(&t), b->iqei, "%s: iqei %u", b->why, iqei(&t));
    /* IQH points at the bad descriptor. */
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)head_before << t.iq_shift, "%s", b->why);
    /* Further IQT writes are not processed while IQE is set. */
    qi_kick(&t);
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)head_before << t.iq_shift);
    /* Fault event: IQE makes the status pending -> IP (IM=1 at reset). */
    cr_expect(rd(&t, VTD_FECTL, 4) & ECTL_IP);
    /* Software replaces the bad descriptor with a wait and clears IQE: the
     * queue resumes and the status is written. */
    uint64_t a = t.iq + ((uint64_t)head_before << t.iq_shift);
    w64(&t, a, 0x5 | (1 << 5) | (0x1234ull << 32));
    w64(&t, a + 8, t.status);
    wr(&t, VTD_FSTS, 4, FSTS_IQE);
    cr_expect(!iqe(&t));
    cr_expect_eq(rd(&t, VTD_FECTL, 4) & ECTL_IP, 0);
    cr_expect_eq(m64(&t, t.status) & 0xffffffff, 0x1234, "%s", b->why);
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)t.iq_tail << t.iq_shift);
    env_fini(&t);
}

Test(vtd_qi, illegal_descriptors)
{
    static const struct bad legacy[] = {
        { 0x100, 0, IQEI_TYPE, "type 0" },
        { 0xa, 0, IQEI_TYPE, "type 10" },
        { 0x1 | (1 << 9), 0, IQEI_TYPE, "type 0x21" },
        { 0x6 | (2 << 4), 0, IQEI_TYPE, "p-iotlb in legacy mode" },
        { 0x9, 0, IQEI_TYPE, "page group response" },
        { 0x1, 0, IQEI_RSVD, "cc granularity 0" },
        { 0x1 | (1 << 4) | (1 << 6), 0, IQEI_RSVD, "cc reserved bit 6" },
        { 0x1 | (1 << 4), 1, IQEI_RSVD, "cc qword 1" },
        { 0x2, 0, IQEI_RSVD, "iotlb granularity 0" },
        { 0x2 | (3 << 4), 19, IQEI_RSVD, "iotlb AM > MAMV" },
        { 0x2 | (1 << 4) | (1ull << 32), 0, IQEI_RSVD, "iotlb reserved 63:32" },
        { 0x2 | (1 << 4), 0x80, IQEI_RSVD, "iotlb qword1 bit 7" },
        { 0x4 | 0x10 | (0x1full << 27), 0, IQEI_RSVD, "iec IM > MHMV" },
        { 0x5 | 0x80, 0, IQEI_RSVD, "wait PD without PDS" },
        { 0x5 | 0x20, 0x1, IQEI_RSVD, "wait status address bit 0" },
    };
    for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
        expect_iqe(NULL, false, false, &legacy[i]);
    static const struct bad sm[] = {
        { 0x6 | (1 << 4), 0, IQEI_RSVD, "p-iotlb granularity 1" },
        { 0x7 | (2 << 4), 0, IQEI_RSVD, "pasid-cache granularity 2" },
        { 0x7 | (1 << 4) | (1ull << 52), 0, IQEI_RSVD, "pasid-cache bit 52" },
        { 0x8, 0x2, IQEI_RSVD, "pasid dev-tlb qword1 bit 1" },
    };
    for (size_t i = 0; i < sizeof(sm) / sizeof(sm[0]); i++)
        expect_iqe(NULL, true, true, &sm[i]);
    /* qemu profile: no DT, no IR -> types 3 and 4 are invalid types. */
    static const struct bad q[] = {
        { 0x3, 0, IQEI_TYPE, "dev-tlb without DT" },
        { 0x4, 0, IQEI_TYPE, "iec without IR" },
    };
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        expect_iqe("qemu", false, false, &q[i]);
    ASSERT_NO_LEAKS();
}

Test(vtd_qi, queue_errors_tail_width_fetch)
{
    struct tenv t;
    env_init(&t, NULL);
    qi_setup(&t, true);
    /* IQT bit 4 with 256-bit descriptors. */
    wr(&t, VTD_IQT, 8, 0x10);
    cr_expect(iqe(&t));
    cr_expect_eq(iqei(&t), IQEI_TAIL_ALIGN);
    cr_expect_eq(rd(&t, VTD_IQH, 8), 0);
    wr(&t, VTD_IQT, 8, 0);
    wr(&t, VTD_FSTS, 4, FSTS_IQE);
    cr_expect(!iqe(&t));
    /* Tail beyond a 1-page queue (128 x 32 B). */
    wr(&t, VTD_IQT, 8, 0x2000);
    cr_expect(iqe(&t));
    cr_expect_eq(iqei(&t), IQEI_TAIL);
    wr(&t, VTD_IQT, 8, 0);
    wr(&t, VTD_FSTS, 4, FSTS_IQE);
    env_fini(&t);

    /* 128-bit descriptors in scalable mode: invalid width. */
    env_init(&t, NULL);
    set_root(&t, 1);
    qi_setup(&t, false);
    cr_expect(!qi_sync(&t, 0, 0));
    cr_expect_eq(iqei(&t), IQEI_WIDTH);
    env_fini(&t);

    /* Queue outside guest memory: fetch error. */
    env_init(&t, NULL);
    wr(&t, VTD_IQA, 8, 0x7000000000ull);
    gcmd(&t, GCMD_QIE, true);
    wr(&t, VTD_IQT, 8, 0x10);
    cr_expect(iqe(&t));
    cr_expect_eq(iqei(&t), IQEI_FETCH);
    cr_expect_eq(rd(&t, VTD_IQH, 8), 0);
    /* Disabling QI resets IQH; IQE stays until cleared. */
    gcmd(&t, GCMD_QIE, false);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_QIE, 0);
    env_fini(&t);

    /* Absurd size: QS=7 (512 KiB, 16384 entries) mapped; tail at the end. */
    env_init(&t, NULL);
    wr(&t, VTD_IQA, 8, 0x1000000 | 7);
    gcmd(&t, GCMD_QIE, true);
    cr_expect_eq(model(&t)->iq_entries, 32768);
    wr(&t, VTD_IQT, 8, 0x7fff0);      /* 32767 zero descriptors: type 0 at head 0 */
    cr_expect(iqe(&t));
    cr_expect_eq(iqei(&t), IQEI_TYPE);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_qi, wrap_and_wait_interrupt)
{
    struct tenv t;
    env_init(&t, NULL);
    qi_setup(&t, false);
    /* 256 entries: go around three times. */
    for (int i = 0; i < 400; i++)
        cr_assert(qi_sync(&t, 0x2 | (1 << 4), 0), "round %d", i);
    cr_expect_eq(rd(&t, VTD_IQH, 8), (uint64_t)t.iq_tail << 4);
    /* IF: ICS.IWC and IECTL.IP while masked; unmasking sends the MSI. */
    wr(&t, VTD_IEADDR, 4, 0x3000);
    wr(&t, VTD_IEDATA, 4, 0xbeef);
    qi_put(&t, 0x5 | 0x10, 0);
    qi_kick(&t);
    cr_expect_eq(rd(&t, VTD_ICS, 4), 1);
    cr_expect_eq(rd(&t, VTD_IECTL, 4), ECTL_IM | ECTL_IP);
    cr_expect_eq(model(&t)->inv_irqs, 0);
    wr(&t, VTD_IECTL, 4, 0);
    cr_expect_eq(rd(&t, VTD_IECTL, 4), 0);
    cr_expect_eq(model(&t)->inv_irqs, 1);
    cr_expect_eq(m64(&t, 0x3000) & 0xffffffff, 0xbeef);    /* MSI landed in RAM */
    /* IWC already set: a second IF does nothing. */
    qi_put(&t, 0x5 | 0x10, 0);
    qi_kick(&t);
    cr_expect_eq(model(&t)->inv_irqs, 1);
    /* Clear IWC (RW1C); unmasked IF now sends at once. */
    wr(&t, VTD_ICS, 4, 1);
    cr_expect_eq(rd(&t, VTD_ICS, 4), 0);
    qi_put(&t, 0x5 | 0x10 | 0x20 | (7ull << 32), t.status);
    qi_kick(&t);
    cr_expect_eq(model(&t)->inv_irqs, 2);
    cr_expect_eq(m64(&t, t.status) & 0xffffffff, 7);
    /* Status address outside memory: dropped, no crash, queue continues. */
    cr_expect(qi_sync(&t, 0x5 | 0x20, 0x7000000000ull));
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_qi, tail_before_enable_and_ite)
{
    struct tenv t;
    env_init(&t, NULL);
    t.iq = page(&t);
    t.status = page(&t);
    t.iq_shift = 4;
    wr(&t, VTD_IQA, 8, t.iq);
    qi_put(&t, 0x5 | 0x20 | (9ull << 32), t.status);
    qi_kick(&t);                                 /* QIE off: latched only */
    cr_expect_eq(m64(&t, t.status), 0);
    gcmd(&t, GCMD_QIE, true);                    /* processed at enable */
    cr_expect_eq(m64(&t, t.status), 9);
    env_fini(&t);

    /* ITE: the device 0x0310 never answers device-TLB invalidations. */
    env_init(&t, "default,ite_sid=0x310");
    qi_setup(&t, false);
    cr_expect(qi_sync(&t, 0x3 | (0x311ull << 32), 0));
    cr_expect(!qi_sync(&t, 0x3 | (0x310ull << 32), 0));
    cr_expect(rd(&t, VTD_FSTS, 4) & FSTS_ITE);
    cr_expect_eq((rd(&t, VTD_IQERCD, 8) >> 32) & 0xffff, 0x310);
    wr(&t, VTD_FSTS, 4, FSTS_ITE);               /* clear: the queue resumes */
    cr_expect_eq(m64(&t, t.status) & 0xffffffff, 0x1234);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}
