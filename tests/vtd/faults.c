/* VT-d fault recording: FRCD contents, PPF/FRI, overflow, FPD, FECTL IP/IM
 * (vtd.md §6). Plus random sweeps (MMIO / guest memory / DMA, byte stream). */
#include <stdio.h>
#include <stdlib.h>

#include "vtd_util.h"

#define RID 0x0310

static void setup_legacy(struct tenv *t, const char *prof)
{
    env_init(t, prof);
    set_root(t, 0);
    legacy_ctx(t, RID, 0, 2, 1, page(t));
    gcmd(t, GCMD_TE, true);
}

Test(vtd_fault, record_ppf_fri_overflow)
{
    struct tenv t;
    setup_legacy(&t, NULL);
    wr(&t, VTD_FEADDR, 4, 0x2000);
    wr(&t, VTD_FEDATA, 4, 0x41);
    uint32_t r;
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x5123, &r, 4, false, &f), -EFAULT);
    /* FRCD0: FI, SID, FR, T=1 (read), F. */
    cr_expect_eq(rd(&t, 0x400, 8), 0x5000);
    cr_expect_eq(rd(&t, 0x408, 8), (1ull << 63) | (1ull << 62) | ((uint64_t)FR_READ << 32) | RID);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF);               /* FRI = 0 */
    /* IM=1 at reset: IP set, no MSI. */
    cr_expect_eq(rd(&t, VTD_FECTL, 4), ECTL_IM | ECTL_IP);
    cr_expect_eq(model(&t)->fault_irqs, 0);
    /* Unmask: MSI sent, IP cleared. */
    wr(&t, VTD_FECTL, 4, 0);
    cr_expect_eq(rd(&t, VTD_FECTL, 4), 0);
    cr_expect_eq(model(&t)->fault_irqs, 1);
    cr_expect_eq(m64(&t, 0x2000) & 0xffffffff, 0x41);
    /* More faults while PPF is set: recorded, no new event. Write -> T=0. */
    for (int i = 1; i < 8; i++)
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x10000ull * i, &r, 4, true, &f), -EFAULT);
    cr_expect_eq(frcd_count(&t), 8);
    cr_expect_eq(model(&t)->fault_irqs, 1);
    cr_expect_eq(rd(&t, 0x478, 8), (1ull << 63) | ((uint64_t)FR_WRITE << 32) | RID);
    /* Ninth: overflow (PFO), nothing overwritten. */
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x900000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF | FSTS_PFO);
    cr_expect_eq(rd(&t, 0x400, 8), 0x5000);
    /* Clear FRCD0 .. FRCD7: PPF drops only when all are clear. */
    for (int i = 0; i < 7; i++)
        wr(&t, 0x408 + 16 * i, 8, 1ull << 63);
    cr_expect(rd(&t, VTD_FSTS, 4) & FSTS_PPF);
    wr(&t, 0x40c + 16 * 7, 4, 0x80000000u);                    /* dword write of F */
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PFO);
    /* PFO set: faults are dropped. */
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x900000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(frcd_count(&t), 0);
    wr(&t, VTD_FSTS, 4, FSTS_PFO);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), 0);
    /* Next fault goes to the next record in order (index 0 after wrap),
     * FRI points at it, and a new event (MSI) is raised. */
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0xa00000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF | (0u << 8));
    cr_expect_eq(model(&t)->fault_irqs, 2);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0xb00000, &r, 4, false, &f), -EFAULT);
    wr(&t, 0x408, 8, 1ull << 63);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF);               /* FRCD1 still pending */
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_fault, fpd_suppresses_qualified_only)
{
    struct tenv t;
    setup_legacy(&t, NULL);
    uint64_t ce = legacy_ctx(&t, RID + 1, 0, 2, 1, page(&t));
    w64(&t, ce, m64(&t, ce) | 2);                               /* FPD */
    uint32_t r;
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID + 1, EMU_NO_PASID, 0x1000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_READ);
    cr_expect_eq(frcd_count(&t), 0);
    /* FPD evaluated in a not-present context entry too. */
    uint64_t ct = m64(&t, t.root + 3 * 16) & ~0xfffull;
    w64(&t, ct + 0x20 * 16, 2);
    cr_expect_eq(dma(&t, 0x0320, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_NP);
    cr_expect_eq(frcd_count(&t), 0);
    /* Root-level faults are never suppressed. */
    cr_expect_eq(dma(&t, 0x0700, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(frcd_count(&t), 1);
    env_fini(&t);

    /* Scalable: PASID-entry FPD. */
    env_init(&t, NULL);
    set_root(&t, 1);
    uint64_t pe = sm_ss(&t, RID, 0, 1, 2, page(&t), false);
    w64(&t, pe, m64(&t, pe) | 2);
    gcmd(&t, GCMD_TE, true);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SS_NP);
    cr_expect_eq(frcd_count(&t), 0);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_fault, qemu_single_record)
{
    struct tenv t;
    setup_legacy(&t, "qemu");
    uint32_t r;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), -EFAULT);
    cr_expect_eq(rd(&t, 0x228, 8) >> 63, 1);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x2000, &r, 4, false, NULL), -EFAULT);
    cr_expect_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF | FSTS_PFO);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* ---- Random sweeps ----------------------------------------------------------- */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const uint32_t interesting[] = { VTD_GCMD, VTD_RTADDR, VTD_CCMD, VTD_FSTS, VTD_FECTL,
    VTD_IQT, VTD_IQA, VTD_ICS, VTD_IECTL, VTD_IRTA, 0x500, 0x508, 0x408, 0x418, VTD_FEADDR };

Test(vtd_fault, random_sweep_100k, .timeout = 120)
{
    struct tenv t;
    env_init(&t, NULL);
    /* Valid base programming: scalable tables, QI, SS + FS PASIDs, then noise. */
    set_root(&t, 1);
    qi_setup(&t, true);
    uint64_t slpt = page(&t), flpt = page(&t);
    for (uint16_t rid = 0x300; rid < 0x308; rid++) {
        sm_ss(&t, rid, 0, (uint16_t)(rid & 7), 2, slpt, rid & 1);
        sm_fs(&t, rid, 1, 9, 0, flpt);
    }
    for (uint64_t i = 0; i < 64; i++) {
        map(&t, slpt, 4, false, i << 12, 0x2000000 + (i << 12), 1, 3);
        map(&t, flpt, 4, true, i << 12, 0x2000000 + (i << 12), 1, 7);
    }
    map(&t, slpt, 4, false, 0x40000000, 0x2000000, 2, 3);
    gcmd(&t, GCMD_TE, true);
    uint64_t tables_end = t.next_page;
    uint8_t buf[9000];
    unsigned ok = 0;
    for (int op = 0; op < 100000; op++) {
        uint64_t x = rnd();
        switch (x % 16) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: {    /* DMA, mostly valid */
            uint16_t rid = (uint16_t)(0x300 + ((x >> 8) & 7) + ((x >> 60) == 0 ? 0x100 : 0));
            uint32_t pasid = (x >> 12) & 3 ? ((x >> 14) & 1 ? 1 : EMU_NO_PASID) : (uint32_t)(x >> 20) & 0xff;
            uint64_t iova = ((x >> 24) & 0x3f) << 12 | ((x >> 32) & 0xfff);
            if ((x >> 44) % 16 == 0)
                iova = rnd();
            size_t len = 1 + (size_t)((x >> 48) % (((x >> 56) & 3) ? 64 : sizeof(buf)));
            if (dma(&t, rid, pasid, iova, buf, len, (x >> 47) & 1, NULL) == 0)
                ok++;
            break;
        }
        case 7: case 8: {                                            /* invalidation traffic */
            static const uint64_t d[] = { 0x2 | (1 << 4), 0x7 | (3 << 4), 0x1 | (1 << 4),
                                          0x6 | (2 << 4) | (9ull << 16) | (1ull << 32) };
            qi_sync(&t, d[(x >> 8) & 3], 0);
            if (rd(&t, VTD_FSTS, 4) & (FSTS_IQE | FSTS_ITE)) {
                wr(&t, VTD_IQT, 8, rd(&t, VTD_IQH, 8));
                t.iq_tail = (uint32_t)(rd(&t, VTD_IQH, 8) >> 5);
                wr(&t, VTD_FSTS, 4, FSTS_IQE | FSTS_ITE);
            }
            break;
        }
        case 9: {                                                    /* clear faults */
            for (uint32_t i = 0; i < 8; i++)
                wr(&t, 0x408 + 16 * i, 8, 1ull << 63);
            wr(&t, VTD_FSTS, 4, 0x7f);
            break;
        }
        case 10: {                                                   /* corrupt a table entry */
            uint64_t gpa = 0x100000 + ((x >> 8) % (tables_end - 0x100000)) / 8 * 8;
            uint64_t val = m64(&t, gpa);
            w64(&t, gpa, val ^ (1ull << ((x >> 40) & 63)));
            for (int k = 0; k < 4; k++)
                (void)dma(&t, (uint16_t)(0x300 + k), (x >> 50) & 1 ? 1 : EMU_NO_PASID,
                          (rnd() & 0x3f) << 12, buf, 64, k & 1, NULL);
            w64(&t, gpa, val);           /* repair, then flush what may be cached */
            qi_sync(&t, 0x7 | (3 << 4), 0);
            qi_sync(&t, 0x2 | (1 << 4), 0);
            break;
        }
        case 11: {                                                   /* random register write */
            uint32_t off = (x >> 16) & 1 ? interesting[(x >> 20) % (sizeof(interesting) / 4)]
                                          : (uint32_t)((x >> 20) & 0xfff);
            unsigned w = 1u << ((x >> 8) & 3);
            if (off == VTD_GCMD && ((x >> 30) & 3))
                gcmd(&t, 1u << (23 + ((x >> 32) % 9)), (x >> 40) & 1);
            else
                wr(&t, off, w, rnd());
            break;
        }
        case 12:
            (void)rd(&t, (x >> 16) & 0xfff, 1u << ((x >> 8) & 3));
            break;
        case 13:                                                     /* random guest write */
            if (((x >> 8) & 255) == 0)
                emu_iommu_reset(t.io);
            else
                (void)emu_mem_write64(t.mem, ((x >> 16) % MEM_SIZE) & ~7ull, rnd());
            break;
        default: {                                                   /* re-establish basics */
            if (!(rd(&t, VTD_GSTS, 4) & GCMD_QIE)) {
                wr(&t, VTD_IQT, 8, 0);
                wr(&t, VTD_IQA, 8, t.iq | (1ull << 11));
                t.iq_tail = 0;
                gcmd(&t, GCMD_QIE, true);
            }
            if (!(rd(&t, VTD_GSTS, 4) & GCMD_TE)) {
                wr(&t, VTD_RTADDR, 8, t.root | (1 << 10));
                gcmd(&t, GCMD_SRTP, true);
                gcmd(&t, GCMD_TE, true);
            }
            break;
        }
        }
    }
    /* Mostly-valid programming must reach successful translations. */
    cr_expect_gt(ok, 10000, "only %u successful DMAs", ok);
    cr_expect_gt(model(&t)->stat_walks, 1000);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_fault, random_byte_stream, .timeout = 120)
{
    struct tenv t;
    env_init(&t, NULL);
    size_t total = 0;
    uint8_t data[4096];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = (uint8_t)rnd();
        /* Keep guest-memory addresses mostly inside the mapped window. */
        total += emu_apply_stream(t.io, data, sizeof(data));
    }
    cr_expect_gt(total, 1000);
    cr_expect_eq(rd(&t, VTD_VER, 4), 0x10);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

struct seen { int fetch, ad, fault, inval, event; char ad_what[8]; uint32_t fault_reason; };
static void tr(void *opaque, const struct emu_iommu *iommu, const struct emu_trace_rec *rec)
{
    struct seen *s = opaque;
    (void)iommu;
    switch (rec->kind) {
    case EMU_TRACE_TABLE_FETCH: s->fetch++; break;
    case EMU_TRACE_AD_UPDATE: s->ad++; snprintf(s->ad_what, sizeof(s->ad_what), "%s", rec->what); break;
    case EMU_TRACE_FAULT: s->fault++; s->fault_reason = rec->fault->reason; break;
    case EMU_TRACE_INVAL: s->inval++; break;
    case EMU_TRACE_EVENT: s->event++; break;
    default: break;
    }
}

Test(vtd_fault, trace_records)
{
    struct tenv t;
    env_init(&t, NULL);
    struct seen s;
    memset(&s, 0, sizeof(s));
    emu_set_trace(t.io, tr, &s);
    set_root(&t, 1);
    qi_setup(&t, true);
    uint64_t slpt = page(&t);
    sm_ss(&t, RID, 0, 1, 2, slpt, true);
    map(&t, slpt, 4, false, 0x1000, 0x600000, 1, 3);
    gcmd(&t, GCMD_TE, true);
    uint32_t v = 1;
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &v, 4, true, NULL), 0);
    cr_expect_eq(s.fetch, 4 + 4);            /* root, ctx, pasid dir, pasid entry, 4 PTEs */
    cr_expect_eq(s.ad, 4);
    cr_expect_str_eq(s.ad_what, "AD");
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x2000, &v, 4, true, NULL), -EFAULT);
    cr_expect_eq(s.fault, 1);
    cr_expect_eq(s.fault_reason, FR_SS_NP);
    cr_expect(qi_sync(&t, 0x2 | (1 << 4), 0));
    cr_expect_eq(s.inval, 2);                /* iotlb global + inv-wait */
    cr_expect_gt(s.event, 3);                /* SRTP, QIE, TE, FRCD, wait status */
    env_fini(&t);
    ASSERT_NO_LEAKS();
}
