/* VT-d translation: legacy and scalable lookups, SS walks at 3/4/5 levels
 * with 4K/2M/1G leaves, first stage, pass-through, A/D, fault reasons. */
#include "vtd_util.h"

#define RID 0x0310   /* bus 3, devfn 0x10 */

static void legacy_env(struct tenv *t, const char *prof, unsigned aw, uint64_t *slpt)
{
    env_init(t, prof);
    set_root(t, 0);
    *slpt = page(t);
    legacy_ctx(t, RID, 0, aw, 7, *slpt);
    gcmd(t, GCMD_TE, true);
}

Test(vtd_xlate, te_off_is_identity)
{
    struct tenv t;
    env_init(&t, NULL);
    uint32_t v = 0xabcd1234, r = 0;
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x5000, &v, 4, true, NULL), 0);
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x5000, &r, 4, false, NULL), 0);
    cr_expect_eq(r, v);
    cr_expect_eq(m64(&t, 0x5000) & 0xffffffff, 0xabcd1234);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_xlate, legacy_levels_and_page_sizes)
{
    for (unsigned aw = 1; aw <= 2; aw++) {
        unsigned levels = aw + 2;
        struct tenv t;
        uint64_t slpt;
        legacy_env(&t, NULL, aw, &slpt);
        map(&t, slpt, levels, false, 0x1000, 0x800000, 1, 3);
        map(&t, slpt, levels, false, 0x40200000, 0x1000000, 2, 3);    /* 2M */
        map(&t, slpt, levels, false, 0x80000000, 0x0, 3, 1);          /* 1G, read-only */
        uint32_t v = 0x11223344, r;
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x1008, &v, 4, true, NULL), 0);
        cr_expect_eq(m64(&t, 0x800008) & 0xffffffff, 0x11223344);
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x40200000 + 0x12340, &v, 4, true, NULL), 0);
        cr_expect_eq(m64(&t, 0x1012340) & 0xffffffff, 0x11223344);
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x80000000 + 0x1012340, &r, 4, false, NULL), 0);
        cr_expect_eq(r, 0x11223344);
        /* Legacy mode never sets A/D. */
        cr_expect_eq(m64(&t, slpath(&t, slpt, levels, 0x1000, 1)), 0x800003);
        /* Write to the read-only 1G page: fault 5 (legacy). */
        struct emu_fault f;
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x80000000, &v, 4, true, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_WRITE);
        cr_expect_eq(f.rid, RID);
        /* Not present: read -> 6. */
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x3000, &r, 4, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_READ);
        /* Beyond the AGAW: 4. */
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 1ull << (30 + 9 * aw), &r, 4, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_ADDR_BEYOND);
        /* A DMA crossing from a mapped page into an unmapped one transfers the first part. */
        uint8_t big[8192];
        memset(big, 0xee, sizeof(big));
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, big, sizeof(big), true, &f), -EFAULT);
        cr_expect_eq(f.iova, 0x2000);
        cr_expect_eq(m64(&t, 0x800ff8), 0xeeeeeeeeeeeeeeeeull);
        env_fini(&t);
    }
    ASSERT_NO_LEAKS();
}

Test(vtd_xlate, legacy_context_faults)
{
    struct tenv t;
    uint64_t slpt;
    legacy_env(&t, NULL, 2, &slpt);
    uint32_t r;
    struct emu_fault f;
    /* Root not present (bus 5). */
    cr_expect_eq(dma(&t, 0x0500, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_ROOT_NP);
    /* Context not present (devfn 0x11 on bus 3). */
    cr_expect_eq(dma(&t, 0x0311, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_NP);
    /* Context reserved bits. */
    uint64_t ce = legacy_ctx(&t, 0x0312, 0, 2, 1, slpt);
    w64(&t, ce + 8, m64(&t, ce + 8) | (1ull << 7));
    cr_expect_eq(dma(&t, 0x0312, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_RSVD);
    /* TT=11 reserved, AW=3 not in SAGAW: invalid programming (3). */
    legacy_ctx(&t, 0x0313, 3, 2, 1, slpt);
    cr_expect_eq(dma(&t, 0x0313, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_INV);
    legacy_ctx(&t, 0x0314, 0, 3, 1, slpt);
    cr_expect_eq(dma(&t, 0x0314, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_INV);
    /* TT=10 pass-through (ECAP.PT). */
    legacy_ctx(&t, 0x0315, 2, 0, 1, 0);
    uint32_t v = 0x77;
    cr_expect_eq(dma(&t, 0x0315, EMU_NO_PASID, 0x9000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, 0x9000), 0x77);
    /* Root reserved bits. */
    w64(&t, t.root + 6 * 16, page(&t) | 1 | 0x10);
    cr_expect_eq(dma(&t, 0x0600, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_ROOT_RSVD);
    /* Root table outside guest memory: root access error. */
    wr(&t, VTD_RTADDR, 8, 0x7000000000ull);
    gcmd(&t, GCMD_SRTP, true);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_ROOT_ACCESS);
    /* Context table outside memory. */
    wr(&t, VTD_RTADDR, 8, t.root);
    gcmd(&t, GCMD_SRTP, true);
    w64(&t, t.root + 8 * 16, 0x7000000000ull | 1);
    cr_expect_eq(dma(&t, 0x0800, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_ACCESS);
    /* Request with PASID in legacy mode. */
    cr_expect_eq(dma(&t, RID, 5, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_PASID_IN_LEGACY);
    /* Reserved TTM (10b). */
    wr(&t, VTD_RTADDR, 8, t.root | (2 << 10));
    gcmd(&t, GCMD_SRTP, true);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_TTM_INV);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_xlate, legacy_pte_faults_and_hostile_tables)
{
    struct tenv t;
    uint64_t slpt;
    legacy_env(&t, NULL, 2, &slpt);
    uint32_t r;
    struct emu_fault f;
    /* Reserved bit (above HAW) in a leaf. */
    map(&t, slpt, 4, false, 0x10000, 0x1000000000000ull, 1, 3);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x10000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_PTE_RSVD);
    /* PS at L4 is reserved. */
    uint64_t l4 = slpath(&t, slpt, 4, 0x8000000000ull, 4);
    w64(&t, l4, 0x80 | 3);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x8000000000ull, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_PTE_RSVD);
    /* Next-level table outside memory: access error (7). */
    w64(&t, l4, 0x7000000000ull | 3);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x8000000000ull, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_PTE_ACCESS);
    /* Self-referencing table: bounded walk, the L4 entry acts as a table at
     * every level; the final "leaf" points at slpt itself. */
    w64(&t, slpath(&t, slpt, 4, 0x10000000000ull, 4), slpt | 3);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x10000000000ull, &r, 4, false, &f), 0);
    /* Output in the interrupt range: fault 0xE. */
    map(&t, slpt, 4, false, 0x20000, 0xfee00000ull, 1, 3);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x20000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_INTR_ADDR);
    /* SS root table outside memory: invalid context (3). */
    legacy_ctx(&t, RID + 1, 0, 2, 9, 0x7000000000ull);
    cr_expect_eq(dma(&t, RID + 1, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_CTX_INV);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* Scalable-mode second stage at 3, 4 and 5 levels. */
Test(vtd_xlate, scalable_ss_levels)
{
    for (unsigned aw = 1; aw <= 3; aw++) {
        unsigned levels = aw + 2;
        struct tenv t;
        env_init(&t, aw == 3 ? "5level" : NULL);
        set_root(&t, 1);
        uint64_t slpt = page(&t);
        sm_ss(&t, RID, 0, 3, aw, slpt, false);
        gcmd(&t, GCMD_TE, true);
        uint64_t hi = aw == 3 ? (1ull << 50) : aw == 2 ? (1ull << 40) : (1ull << 35);
        map(&t, slpt, levels, false, hi | 0x3000, 0x900000, 1, 3);
        map(&t, slpt, levels, false, hi | 0x40000000, 0x1200000, 2, 3);
        map(&t, slpt, levels, false, hi | 0x80000000, 0x0, 3, 3);
        uint64_t v = 0x0102030405060708ull, r = 0;
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, hi | 0x3010, &v, 8, true, NULL), 0, "aw %u", aw);
        cr_expect_eq(m64(&t, 0x900010), v);
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, hi | 0x40100000, &v, 8, true, NULL), 0);
        cr_expect_eq(m64(&t, 0x1300000), v);
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, hi | 0x80900010, &r, 8, false, NULL), 0);
        cr_expect_eq(r, v);
        /* No SSADE: no A/D. */
        cr_expect_eq(m64(&t, slpath(&t, slpt, levels, hi | 0x3000, 1)), 0x900003);
        /* The same PASID 0 via an explicit PASID request. */
        cr_assert_eq(dma(&t, RID, 0, hi | 0x3010, &r, 8, false, NULL), 0);
        struct emu_fault f;
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, hi | 0x5000, &r, 8, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_SS_NP);
        cr_expect_eq(f.pasid, EMU_NO_PASID);
        /* Above min(MGAW, AGAW): SGN.5. */
        uint64_t beyond = aw == 3 ? (1ull << 57) : (1ull << (30 + 9 * aw));
        cr_expect_eq(dma(&t, RID, EMU_NO_PASID, beyond, &r, 8, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_SGN_BEYOND);
        env_fini(&t);
    }
    ASSERT_NO_LEAKS();
}

/* A/D semantics with SSADE (vtd.md §7.3). */
Test(vtd_xlate, ss_access_dirty)
{
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    qi_setup(&t, true);
    uint64_t slpt = page(&t);
    uint64_t pe = sm_ss(&t, RID, 0, 3, 2, slpt, true);
    gcmd(&t, GCMD_TE, true);
    uint64_t leaf = map(&t, slpt, 4, false, 0x7000, 0xa00000, 1, 3);
    uint64_t ro = map(&t, slpt, 4, false, 0x8000, 0xa01000, 1, 1);
    uint64_t big = map(&t, slpt, 4, false, 0x200000, 0x400000, 2, 3);
    uint32_t r, v = 1;
    /* Read: A on every level, no D. */
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x7000, &r, 4, false, NULL), 0);
    for (unsigned l = 4; l >= 2; l--)
        cr_expect(m64(&t, slpath(&t, slpt, 4, 0x7000, l)) & (1 << 8), "A at L%u", l);
    cr_expect_eq(m64(&t, leaf), 0xa00000 | 3 | (1 << 8));
    /* Write: D on the leaf. */
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x7000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, leaf), 0xa00000 | 3 | (1 << 8) | (1 << 9));
    /* Non-leaf entries never get D. */
    cr_expect_eq(m64(&t, slpath(&t, slpt, 4, 0x7000, 2)) & (1 << 9), 0);
    /* Denied write: no D (and SGN.6). */
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x8000, &v, 4, true, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SGN_WRITE);
    cr_expect_eq(m64(&t, ro) & (1 << 9), 0);
    /* Large leaf. */
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x3ff000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, big), 0x400000 | 0x80 | 3 | (1 << 8) | (1 << 9));
    /* Harvest like Linux: clear D, then the IOTLB still says dirty until a
     * flush; after a PSI the next write sets D again. */
    w64(&t, leaf, m64(&t, leaf) & ~(1ull << 9));
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x7000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, leaf) & (1 << 9), 0, "cached dirty: no re-walk");
    cr_assert(qi_sync(&t, 0x2 | (3 << 4) | (3ull << 16), 0x7000));
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x7000, &v, 4, true, NULL), 0);
    cr_expect(m64(&t, leaf) & (1 << 9));
    /* Disable SSADE + PASID-cache and IOTLB invalidation: no more A/D. */
    w64(&t, pe, m64(&t, pe) & ~(1ull << 9));
    cr_assert(qi_sync(&t, 0x7 | (1 << 4) | (3ull << 16), 0));
    cr_assert(qi_sync(&t, 0x2 | (2 << 4) | (3ull << 16), 0));
    uint64_t leaf2 = map(&t, slpt, 4, false, 0x9000, 0xa02000, 1, 3);
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x9000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, leaf2), 0xa02000 | 3);
    /* Without PWSNP an update is an SSS.5 fault; no update needed -> fine. */
    w64(&t, pe, m64(&t, pe) | (1ull << 9));
    w64(&t, pe + 8, 3);
    cr_assert(qi_sync(&t, 0x7 | (3 << 4), 0));
    cr_assert(qi_sync(&t, 0x2 | (1 << 4), 0));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x9000, &v, 4, true, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SS_NOSNOOP);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x7000, &r, 4, false, &f), 0);
    env_fini(&t);

    /* nodirty profile: SSADE is a reserved bit. */
    env_init(&t, "nodirty");
    set_root(&t, 1);
    slpt = page(&t);
    sm_ss(&t, RID, 0, 3, 2, slpt, true);
    gcmd(&t, GCMD_TE, true);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_RSVD);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_xlate, first_stage_and_pt)
{
    for (unsigned fspm = 0; fspm <= 1; fspm++) {
        struct tenv t;
        env_init(&t, fspm ? "5level" : NULL);
        set_root(&t, 1);
        uint64_t flpt = page(&t);
        sm_fs(&t, RID, 5, 4, fspm, flpt);
        gcmd(&t, GCMD_TE, true);
        unsigned lv = 4 + fspm;
        uint64_t leaf = map(&t, flpt, lv, true, 0x4000, 0xb00000, 1, 7);
        uint64_t big = map(&t, flpt, lv, true, 0x40000000, 0x0, 3, 7);
        uint64_t sup = map(&t, flpt, lv, true, 0x6000, 0xb01000, 1, 3);   /* U/S=0 */
        uint64_t ro = map(&t, flpt, lv, true, 0x7000, 0xb02000, 1, 5);    /* R/W=0 */
        uint32_t v = 9, r;
        struct emu_fault f;
        cr_assert_eq(dma(&t, RID, 5, 0x4000, &r, 4, false, NULL), 0);
        cr_expect_eq(m64(&t, leaf), 0xb00000 | 7 | 0x20);
        cr_assert_eq(dma(&t, RID, 5, 0x4000, &v, 4, true, NULL), 0);
        cr_expect_eq(m64(&t, leaf), 0xb00000 | 7 | 0x60);
        for (unsigned l = lv; l >= 2; l--)
            cr_expect(m64(&t, slpath(&t, flpt, lv, 0x4000, l)) & 0x20);
        cr_assert_eq(dma(&t, RID, 5, 0x40001000, &v, 4, true, NULL), 0);
        cr_expect_eq(m64(&t, big), 0x80 | 7 | 0x60);
        cr_expect_eq(dma(&t, RID, 5, 0x6000, &r, 4, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_FS_PRIV);
        cr_expect_eq(f.pasid, 5);
        cr_expect_eq(m64(&t, sup) & 0x20, 0);
        cr_expect_eq(dma(&t, RID, 5, 0x7000, &v, 4, true, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_SGN_WRITE);
        cr_expect_eq(m64(&t, ro) & 0x40, 0);
        cr_expect_eq(dma(&t, RID, 5, 0x9000, &r, 4, false, &f), -EFAULT);
        cr_expect_eq(f.reason, FR_FS_NP);
        cr_expect_eq(dma(&t, RID, 5, 0x0000900000000000ull, &r, 4, false, &f), -EFAULT);
        cr_expect_eq(f.reason, fspm ? FR_FS_NP : FR_FS_NONCANON);
        /* The fault record carries PP=1 and PV=5. */
        uint64_t hi = rd(&t, 0x408, 8);
        cr_expect_eq((hi >> 31) & 1, 1);
        cr_expect_eq((hi >> 40) & 0xfffff, 5);
        env_fini(&t);
    }
    /* Pass-through PGTT and 5-level FS without FL5LP. */
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    uint64_t pe = sm_pasid_entry(&t, RID, 0);
    w64(&t, pe, (PGTT_PT << 6) | 1);
    w64(&t, pe + 8, 1);
    gcmd(&t, GCMD_TE, true);
    uint32_t v = 0x42, r;
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0xc000, &v, 4, true, NULL), 0);
    cr_expect_eq(m64(&t, 0xc000), 0x42);
    sm_fs(&t, RID, 6, 4, 1, page(&t));
    cr_expect_eq(dma(&t, RID, 6, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_INV);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_xlate, scalable_lookup_faults)
{
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    gcmd(&t, GCMD_TE, true);
    uint32_t r;
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SRT_NP);
    /* Upper half (devfn >= 128) has its own present bit. */
    uint64_t pe = sm_ss(&t, RID, 0, 1, 2, page(&t), false);
    cr_expect_eq(dma(&t, 0x0390, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SRT_NP);
    cr_expect_eq(dma(&t, 0x0311, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SCT_NP);
    /* PASID without PASIDE. */
    uint64_t ce = (m64(&t, t.root + 3 * 16) & ~0xfffull) + 0x10 * 32;
    w64(&t, ce, m64(&t, ce) & ~8ull);
    cr_expect_eq(dma(&t, RID, 9, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SCT_INV);
    w64(&t, ce, m64(&t, ce) | 8);
    /* Context reserved (qword 2). */
    w64(&t, ce + 16, 1);
    cr_expect_eq(dma(&t, RID, 9, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SCT_RSVD);
    w64(&t, ce + 16, 0);
    /* PASID beyond PDTS (PDTS=0: 128 dir entries -> PASID < 8192). */
    cr_expect_eq(dma(&t, RID, 8192, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SCT_INV);
    /* PASID dir entry not present / PASID entry not present. */
    cr_expect_eq(dma(&t, RID, 64, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPD_NP);
    cr_expect_eq(dma(&t, RID, 1, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_NP);
    /* PASID entry: bad PGTT, nested, reserved. */
    uint64_t pe2 = sm_pasid_entry(&t, RID, 2);
    w64(&t, pe2, (5ull << 6) | 1);
    cr_expect_eq(dma(&t, RID, 2, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_INV);
    w64(&t, pe2, (3ull << 6) | 1);
    cr_expect_eq(dma(&t, RID, 2, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_INV);
    w64(&t, pe2, (PGTT_PT << 6) | 1);
    w64(&t, pe2 + 56, 1);
    cr_expect_eq(dma(&t, RID, 2, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_RSVD);
    /* AW not in SAGAW. */
    w64(&t, pe, (m64(&t, pe) & ~(7ull << 2)) | (3ull << 2));
    cr_assert(true);
    qi_setup(&t, true);
    cr_assert(qi_sync(&t, 0x7 | (3 << 4), 0));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_INV);
    /* SSPTPTR outside memory: SSS.4. */
    w64(&t, pe, (m64(&t, pe) & 0xfff & ~(7ull << 2)) | (2ull << 2) | 0x7000000000ull);
    cr_assert(qi_sync(&t, 0x7 | (3 << 4), 0));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SS_PTR);
    /* PASID table pointer outside memory: SPT.1; PASID dir outside: SPD.1. */
    uint64_t de = m64(&t, ce) & ~0xfffull;
    w64(&t, de + 8, 0x7000000000ull | 1);
    cr_expect_eq(dma(&t, RID, 64, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_ACCESS);
    w64(&t, ce, 0x7000000000ull | 9);
    cr_assert(qi_sync(&t, 0x1 | (1 << 4), 0));
    cr_expect_eq(dma(&t, RID, 64, 0, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPD_ACCESS);
    /* Output in the interrupt range in scalable mode: SGN.8. */
    env_fini(&t);

    env_init(&t, NULL);
    set_root(&t, 1);
    uint64_t slpt = page(&t);
    sm_ss(&t, RID, 0, 1, 2, slpt, false);
    map(&t, slpt, 4, false, 0xfee00000ull, 0xfee00000ull, 1, 3);
    gcmd(&t, GCMD_TE, true);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0xfee00000ull, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SGN_INTR);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* Context/PASID caching: stale until invalidated (VT-d spec §6.1). */
Test(vtd_xlate, caches_need_invalidation)
{
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    qi_setup(&t, true);
    uint64_t slpt = page(&t);
    uint64_t pe = sm_ss(&t, RID, 0, 3, 2, slpt, false);
    uint64_t leaf = map(&t, slpt, 4, false, 0x1000, 0x600000, 1, 3);
    gcmd(&t, GCMD_TE, true);
    uint32_t r;
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    /* Unmap without invalidation: IOTLB still translates. */
    w64(&t, leaf, 0);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    cr_assert(qi_sync(&t, 0x2 | (3 << 4) | (3ull << 16), 0x1000));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), -EFAULT);
    /* Other DID: a DSI of DID 4 does not drop DID 3. */
    w64(&t, leaf, 0x600003);
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    w64(&t, leaf, 0);
    cr_assert(qi_sync(&t, 0x2 | (2 << 4) | (4ull << 16), 0));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    /* P_IOTLB all-in-PASID for (DID 3, PASID 0). */
    cr_assert(qi_sync(&t, 0x6 | (2 << 4) | (3ull << 16), 0));
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), -EFAULT);
    /* PASID entry cleared without PASID-cache invalidation: still cached. */
    w64(&t, leaf, 0x600003);
    w64(&t, pe, 0);
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    cr_assert(qi_sync(&t, 0x7 | (1 << 4) | (3ull << 16), 0));
    cr_assert(qi_sync(&t, 0x2 | (1 << 4), 0));
    struct emu_fault f;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, &f), -EFAULT);
    cr_expect_eq(f.reason, FR_SPT_NP);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* RID_PASID: requests without PASID use the context's RID_PASID (ECAP.RPS). */
Test(vtd_xlate, rid_pasid)
{
    struct tenv t;
    env_init(&t, NULL);
    set_root(&t, 1);
    uint64_t slpt = page(&t);
    sm_ss(&t, RID, 77, 3, 2, slpt, false);
    map(&t, slpt, 4, false, 0x1000, 0x600000, 1, 3);
    uint64_t ce = (m64(&t, t.root + 3 * 16) & ~0xfffull) + 0x10 * 32;
    w64(&t, ce + 8, 77);
    gcmd(&t, GCMD_TE, true);
    uint32_t r;
    cr_expect_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &r, 4, false, NULL), 0);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* Regression (fuzz campaign, mmio_vtd; fuzz/repro/mmio_vtd/l1_bit7_shift_ubsan):
 * bit 7 of a level-1 second-stage entry is ignored, not PS (vtd.md §4.6: the
 * L1 reserved mask has no bit 7). The walk used to run the SLLPS check at L1
 * and shift by lvl - 2 (UBSan: shift exponent 4294967295). */
Test(vtd_xlate, l1_bit7_is_ignored)
{
    for (unsigned aw = 1; aw <= 2; aw++) {
        unsigned levels = aw + 2;
        struct tenv t;
        uint64_t slpt;
        legacy_env(&t, NULL, aw, &slpt);
        uint64_t leaf = map(&t, slpt, levels, false, 0x5000, 0x900000, 1, 3);
        w64(&t, leaf, m64(&t, leaf) | 0x80);     /* bit 7 set in a 4 KiB leaf */
        uint32_t v = 0xa5a5a5a5, r = 0;
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x5010, &v, 4, true, NULL), 0);
        cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x5010, &r, 4, false, NULL), 0);
        cr_expect_eq(r, 0xa5a5a5a5);
        cr_expect_eq(m64(&t, 0x900010) & 0xffffffff, 0xa5a5a5a5);
        env_fini(&t);
    }
    ASSERT_NO_LEAKS();
}
