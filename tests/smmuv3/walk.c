/* SMMUv3 translation: S1/S2/nested walks at each granule and level count,
 * blocks, permissions, AF and HTTU dirty state (smmuv3.md §4-§6, §9). */
#include <errno.h>
#include <stdio.h>

#include "helpers.h"

/* One S1 stream: CD at CD_GPA + sid*64, table root returned. */
static uint64_t setup_s1(struct env *e, uint32_t sid, unsigned tg0, unsigned t0sz, unsigned asid,
                         bool ha, bool hd)
{
    unsigned g = gshift_of_tg0(tg0), ia = 64 - t0sz, st = s1_start(g, ia);
    unsigned bits = ia - (g + (3 - st) * (g - 3));
    uint64_t root = pt_alloc(e, (8ull << bits) < 64 ? 64 : 8ull << bits), ste[8], cd[8];

    cd_make(cd, t0sz, tg0, root, asid, ha, hd);
    cd_put(e, CD_GPA + sid * 64ull, cd);
    ste_s1(ste, CD_GPA + sid * 64ull, 0, 0, 0);
    ste_put(e, sid, ste);
    return root;
}

static void check_rw(struct env *e, uint32_t sid, uint32_t ssid, uint64_t iova, uint64_t pa)
{
    uint64_t v = 0x0123456789abcdefull ^ iova, got = 0;
    struct emu_fault f;

    put64(e, pa, v);
    cr_assert_eq(dma(e, sid, ssid, iova, &got, 8, false, &f), 0, "read iova 0x%llx reason 0x%x",
                 (unsigned long long)iova, f.reason);
    cr_assert_eq(got, v, "iova 0x%llx -> wrong data", (unsigned long long)iova);
    v = ~v;
    cr_assert_eq(dma(e, sid, ssid, iova, &v, 8, true, &f), 0);
    cr_assert_eq(get64(e, pa), v);
}

static void check_fault(struct env *e, uint32_t sid, uint32_t ssid, uint64_t iova, bool write,
                        uint32_t reason)
{
    uint64_t buf = 0;
    struct emu_fault f;

    cr_assert_eq(dma(e, sid, ssid, iova, &buf, 8, write, &f), -EFAULT, "iova 0x%llx",
                 (unsigned long long)iova);
    cr_assert_eq(f.reason, reason, "iova 0x%llx: reason 0x%x, want 0x%x", (unsigned long long)iova,
                 f.reason, reason);
    cr_assert_eq(f.rid, sid);
    cr_assert_eq(f.iova, iova);
}

struct geo { unsigned tg0, t0sz, leaf; uint64_t iova; };

Test(smmuv3_walk, s1_every_granule_level_and_block)
{
    static const struct geo geos[] = {
        /* 4K: 4 levels (T0SZ 16), 3 levels (25), 2 levels (34); 4K page, 2M and 1G blocks */
        { 0, 16, 3, 0x0000808060453000ull }, { 0, 16, 2, 0x0000700000200000ull },
        { 0, 16, 1, 0x0000600040000000ull }, { 0, 25, 3, 0x0000004020301000ull },
        { 0, 25, 1, 0x0000004000000000ull - 0x40000000ull }, { 0, 34, 3, 0x0000000012345000ull },
        { 0, 34, 2, 0x0000000020000000ull },
        /* 16K: 4 levels (T0SZ 16: L0 has 2 entries), 3 levels (T0SZ 17); 32M block */
        { 2, 16, 3, 0x0000800000004000ull }, { 2, 17, 3, 0x0000400000008000ull },
        { 2, 17, 2, 0x0000000006000000ull }, { 2, 28, 3, 0x0000000ff0000000ull },
        /* 64K: 3 levels (T0SZ 16), 2 levels (T0SZ 22); 512M block */
        { 1, 16, 3, 0x0000ffff00010000ull }, { 1, 22, 3, 0x0000030000020000ull },
        { 1, 22, 2, 0x0000020000000000ull },
    };

    for (size_t i = 0; i < sizeof(geos) / sizeof(geos[0]); i++) {
        const struct geo *gm = &geos[i];
        unsigned g = gshift_of_tg0(gm->tg0), ia = 64 - gm->t0sz;
        unsigned shift = g + (3 - gm->leaf) * (g - 3);
        uint64_t pa = DATA_GPA + 0x200000, off = (1ull << shift) > 0x10000 ? 0x8008 : 0x18;
        struct env e;
        uint64_t root;

        if (shift > 21)
            pa = 0;   /* big blocks map the start of guest memory */
        off &= (1ull << shift) - 1;
        env_init(&e, NULL);
        bringup(&e);
        root = setup_s1(&e, 1, gm->tg0, gm->t0sz, 7, false, false);
        pt_map(&e, root, g, s1_start(g, ia), ia, gm->iova, pa, gm->leaf, S1_ATTR);
        check_rw(&e, 1, EMU_NO_PASID, gm->iova + off, pa + off);
        /* Next page/block of the same table is unmapped: F_TRANSLATION, recorded. */
        check_fault(&e, 1, EMU_NO_PASID, gm->iova + (1ull << shift), false, EVT_F_TRANSLATION);
        cr_assert_eq(evt_count(&e), 1, "geo %zu", i);
        /* Beyond the input range (T0SZ): F_TRANSLATION. */
        if (ia < 48)
            check_fault(&e, 1, EMU_NO_PASID, 1ull << ia, false, EVT_F_TRANSLATION);
        env_fini(&e);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_walk, event_record_layout)
{
    struct env e;
    uint64_t root, rec[4], buf = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = setup_s1(&e, 0x21, 0, 16, 1, false, false);
    pt_map(&e, root, 12, 0, 48, 0x5000, DATA_GPA, 3, S1_ATTR | S1_RDONLY);
    cr_assert_eq(dma(&e, 0x21, EMU_NO_PASID, 0x5008, &buf, 8, false, NULL), 0);
    check_fault(&e, 0x21, EMU_NO_PASID, 0x5010, true, EVT_F_PERMISSION);
    cr_assert_eq(evt_count(&e), 1);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[0], EVT_F_PERMISSION | (0x21ull << 32));       /* SSV=0 */
    cr_assert_eq(rec[1], (uint64_t)CLASS_IN << 40);                 /* RnW=0 (write), S2=0 */
    cr_assert_eq(rec[2], 0x5010);
    cr_assert_eq(rec[3], 0);
    /* Read of an unmapped address: RnW=1. */
    check_fault(&e, 0x21, EMU_NO_PASID, 0x9000, false, EVT_F_TRANSLATION);
    evt_get(&e, 1, rec);
    cr_assert_eq(rec[0], EVT_F_TRANSLATION | (0x21ull << 32));
    cr_assert_eq(rec[1], (1ull << 35) | ((uint64_t)CLASS_IN << 40));
    cr_assert_eq(rec[2], 0x9000);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 2);
    cr_assert_eq(S(&e)->irq_eventq, 2);
    env_fini(&e);
}

Test(smmuv3_walk, s1_permissions)
{
    struct env e;
    uint64_t root, slot, buf = 0, ste[8];

    env_init(&e, NULL);
    bringup(&e);
    root = setup_s1(&e, 2, 0, 16, 2, false, false);
    /* AP[1]=0: EL1-only page; device traffic is unprivileged -> F_PERMISSION even for reads. */
    pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, S1_ATTR & ~S1_UNPRIV);
    check_fault(&e, 2, EMU_NO_PASID, 0x1000, false, EVT_F_PERMISSION);
    /* With STE.PRIVCFG=11 the same page is accessible. */
    ste_s1(ste, CD_GPA + 2 * 64, 0, 0, 0);
    ste[1] |= 3ull << 48;
    ste_put(&e, 2, ste);
    cfgi_all(&e);
    cr_assert_eq(dma(&e, 2, EMU_NO_PASID, 0x1000, &buf, 8, true, NULL), 0);
    ste[1] &= ~(3ull << 48);
    ste_put(&e, 2, ste);
    cfgi_all(&e);
    tlbi_all(&e);
    /* APTable[1] (bit 62) removes write access below a table descriptor. */
    pt_map(&e, root, 12, 0, 48, 0x40000000, DATA_GPA, 3, S1_ATTR);
    slot = root;   /* L0 index 0 -> L1 table */
    {
        uint64_t l1 = get64(&e, root) & ~0xfffull & ((1ull << 48) - 1);
        slot = l1 + 8;   /* L1 index 1 */
        put64(&e, slot, get64(&e, slot) | (1ull << 62));
    }
    cr_assert_eq(dma(&e, 2, EMU_NO_PASID, 0x40000000, &buf, 8, false, NULL), 0);
    check_fault(&e, 2, EMU_NO_PASID, 0x40000000, true, EVT_F_PERMISSION);
    /* Read-only + DBM without HD is still read-only. */
    pt_map(&e, root, 12, 0, 48, 0x3000, DATA_GPA, 3, S1_ATTR | S1_RDONLY | S1_DBM);
    check_fault(&e, 2, EMU_NO_PASID, 0x3000, true, EVT_F_PERMISSION);
    env_fini(&e);
}

Test(smmuv3_walk, access_flag)
{
    struct env e;
    uint64_t root, slot, buf = 0, cd[8];

    env_init(&e, NULL);
    bringup(&e);
    root = setup_s1(&e, 3, 0, 16, 3, false, false);
    slot = pt_map(&e, root, 12, 0, 48, 0x2000, DATA_GPA, 3, S1_ATTR & ~S1_AF);
    /* HA=0, AFFD=0: F_ACCESS, which ranks above F_PERMISSION. */
    check_fault(&e, 3, EMU_NO_PASID, 0x2000, false, EVT_F_ACCESS);
    put64(&e, slot, get64(&e, slot) | S1_RDONLY);
    check_fault(&e, 3, EMU_NO_PASID, 0x2000, true, EVT_F_ACCESS);
    cr_assert_eq(get64(&e, slot) & S1_AF, 0);
    /* AFFD=1: no fault, AF not set. */
    cd_make(cd, 16, 0, root, 3, false, false);
    cd[0] |= 1ull << 35;
    cd_put(&e, CD_GPA + 3 * 64, cd);
    cmd(&e, CMD_CFGI_CD | (3ull << 32), 0);
    cmd_sync(&e);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, 0x2000, &buf, 8, false, NULL), 0);
    cr_assert_eq(get64(&e, slot) & S1_AF, 0);
    /* HA=1: the SMMU sets AF on a read. */
    cd_make(cd, 16, 0, root, 3, true, false);
    cd_put(&e, CD_GPA + 3 * 64, cd);
    cmd(&e, CMD_CFGI_CD | (3ull << 32), 0);
    cmd(&e, CMD_TLBI_NH_ASID | (3ull << 48), 0);
    cmd_sync(&e);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, 0x2000, &buf, 8, false, NULL), 0);
    cr_assert_eq(get64(&e, slot) & S1_AF, S1_AF);
    cr_assert_eq(get64(&e, slot) & S1_RDONLY, S1_RDONLY);   /* read-only untouched */
    env_fini(&e);
}

/* §9: the Linux dirty-tracking cycle on a stage-1 domain with CD.HA/HD. */
Test(smmuv3_walk, s1_dirty_tracking_cycle)
{
    struct env e;
    uint64_t root, slot, slot2m, buf = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = setup_s1(&e, 4, 0, 16, 4, true, true);
    /* Linux maps writable pages writable-dirty: DBM=1, AP[2]=0. */
    slot = pt_map(&e, root, 12, 0, 48, 0x10000, DATA_GPA, 3, S1_ATTR | S1_DBM);
    slot2m = pt_map(&e, root, 12, 0, 48, 0x200000, 0x600000, 2, S1_ATTR | S1_DBM);
    cr_assert_eq(dma(&e, 4, EMU_NO_PASID, 0x10000, &buf, 8, true, NULL), 0);
    /* Harvest: test-and-set AP[2] (writable-clean), then TLBI by VA + SYNC. */
    put64(&e, slot, get64(&e, slot) | S1_RDONLY);
    put64(&e, slot2m, get64(&e, slot2m) | S1_RDONLY);
    cmd(&e, CMD_TLBI_NH_VA | (4ull << 48), 0x10000);
    cmd(&e, CMD_TLBI_NH_VA | (4ull << 48), 0x200000);
    cmd_sync(&e);
    /* Reads never dirty. */
    cr_assert_eq(dma(&e, 4, EMU_NO_PASID, 0x10000, &buf, 8, false, NULL), 0);
    cr_assert_eq(get64(&e, slot) & (S1_RDONLY | S1_DBM), S1_RDONLY | S1_DBM);
    /* A write through the TLB-cached clean entry still marks it dirty. */
    cr_assert_eq(dma(&e, 4, EMU_NO_PASID, 0x10008, &buf, 8, true, NULL), 0);
    cr_assert_eq(get64(&e, slot) & (S1_RDONLY | S1_DBM | S1_AF), S1_DBM | S1_AF);
    /* 2M block: the whole block becomes dirty. */
    cr_assert_eq(dma(&e, 4, EMU_NO_PASID, 0x3ff000, &buf, 8, true, NULL), 0);
    cr_assert_eq(get64(&e, slot2m) & S1_RDONLY, 0);
    cr_assert_eq(get64(&e, 0x7ff000), buf);
    /* DBM=0 + AP[2]=1 stays read-only. */
    pt_map(&e, root, 12, 0, 48, 0x20000, DATA_GPA, 3, S1_ATTR | S1_RDONLY);
    check_fault(&e, 4, EMU_NO_PASID, 0x20000, true, EVT_F_PERMISSION);
    env_fini(&e);
}

Test(smmuv3_walk, httu_profiles_gate_cd)
{
    struct env e;

    /* nodirty: HTTU=0, so CD.HA and CD.HD are ILLEGAL (C_BAD_CD). */
    env_init(&e, "nodirty");
    bringup(&e);
    setup_s1(&e, 5, 0, 16, 5, true, false);
    check_fault(&e, 5, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_CD);
    env_fini(&e);
    /* ha-only: HA fine, HD ILLEGAL. */
    env_init(&e, "ha-only");
    bringup(&e);
    {
        uint64_t root = setup_s1(&e, 5, 0, 16, 5, true, false), buf;
        uint64_t slot = pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, (S1_ATTR & ~S1_AF) | S1_RDONLY | S1_DBM);
        cr_assert_eq(dma(&e, 5, EMU_NO_PASID, 0x1000, &buf, 8, false, NULL), 0);
        cr_assert_eq(get64(&e, slot) & S1_AF, S1_AF);
        /* No HD: a writable-clean page is read-only. */
        check_fault(&e, 5, EMU_NO_PASID, 0x1000, true, EVT_F_PERMISSION);
        cr_assert_eq(get64(&e, slot) & S1_RDONLY, S1_RDONLY);
        setup_s1(&e, 6, 0, 16, 6, true, true);
        check_fault(&e, 6, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_CD);
    }
    env_fini(&e);
}

struct s2geo { unsigned tg, t0sz, sl0, leaf; uint64_t ipa; };

Test(smmuv3_walk, s2_every_granule_and_concatenation)
{
    static const struct s2geo geos[] = {
        { 0, 16, 2, 3, 0x0000808060453000ull },  /* 4K, L0 start */
        { 0, 24, 1, 3, 0x000000c020301000ull },  /* 4K, L1 start, 2 concatenated tables */
        { 0, 21, 1, 3, 0x000007f000001000ull },  /* 4K, L1 start, 16 concatenated */
        { 0, 25, 1, 2, 0x0000004000200000ull - 0x40000000ull }, /* 2M block */
        { 0, 34, 0, 3, 0x0000000012345000ull },  /* 4K, L2 start */
        { 2, 17, 2, 3, 0x0000400000008000ull },  /* 16K, L1 start */
        { 2, 28, 1, 3, 0x0000000ff0004000ull },  /* 16K, L2 start */
        { 1, 22, 1, 3, 0x0000030000020000ull },  /* 64K, L2 start, 2 concatenated */
        { 1, 16, 2, 3, 0x0000ffff00010000ull },  /* 64K, L1 start */
    };
    static const unsigned tg_of[3] = { 12, 16, 14 };

    for (size_t i = 0; i < sizeof(geos) / sizeof(geos[0]); i++) {
        const struct s2geo *gm = &geos[i];
        unsigned g = tg_of[gm->tg], ia = 64 - gm->t0sz;
        int start = g == 12 ? 2 - (int)gm->sl0 : 3 - (int)gm->sl0;
        unsigned bits = ia - (g + (3 - (unsigned)start) * (g - 3));
        uint64_t root, ste[8], pa = DATA_GPA + 0x200000;
        struct env e;

        env_init(&e, NULL);
        bringup(&e);
        root = pt_alloc(&e, 8ull << bits);
        ste_s2(ste, 9, vtcr(gm->t0sz, gm->sl0, gm->tg, 5), root, false, false);
        ste_put(&e, 7, ste);
        pt_map(&e, root, g, (unsigned)start, ia, gm->ipa, pa, gm->leaf, S2_ATTR);
        check_rw(&e, 7, EMU_NO_PASID, gm->ipa + 0x10, pa + 0x10);
        check_fault(&e, 7, EMU_NO_PASID, gm->ipa + (1ull << (g + (3 - gm->leaf) * (g - 3))), false,
                    EVT_F_TRANSLATION);
        {
            uint64_t rec[4];
            evt_get(&e, 0, rec);
            cr_assert_eq(rec[1] & ((1ull << 39) | (3ull << 40)), (1ull << 39) | ((uint64_t)CLASS_IN << 40));
            cr_assert_eq(rec[3], (gm->ipa + (1ull << (g + (3 - gm->leaf) * (g - 3)))) & ~0xfffull);
        }
        /* An SSID on a stage-2-only STE is C_BAD_SUBSTREAMID. */
        check_fault(&e, 7, 1, gm->ipa, false, EVT_C_BAD_SUBSTREAMID);
        env_fini(&e);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_walk, s2_permissions_and_dirty)
{
    struct env e;
    uint64_t root, ste[8], s1, s2, buf = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    ste_s2(ste, 3, vtcr(16, 2, 0, 5), root, true, true);
    ste_put(&e, 8, ste);
    s1 = pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, S2_ATTR & ~S2_W);      /* read-only */
    s2 = pt_map(&e, root, 12, 0, 48, 0x2000, DATA_GPA, 3, (S2_ATTR & ~S2_W & ~S2_AF) | S2_DBM);
    pt_map(&e, root, 12, 0, 48, 0x3000, DATA_GPA, 3, S2_ATTR & ~S2_R);           /* write-only */
    cr_assert_eq(dma(&e, 8, EMU_NO_PASID, 0x1000, &buf, 8, false, NULL), 0);
    check_fault(&e, 8, EMU_NO_PASID, 0x1000, true, EVT_F_PERMISSION);
    cr_assert_eq(get64(&e, s1) & S2_W, 0);
    /* S2HA sets AF on read; S2HD + DBM sets S2AP[1] on write only. */
    cr_assert_eq(dma(&e, 8, EMU_NO_PASID, 0x2000, &buf, 8, false, NULL), 0);
    cr_assert_eq(get64(&e, s2) & (S2_W | S2_AF), S2_AF);
    cr_assert_eq(dma(&e, 8, EMU_NO_PASID, 0x2000, &buf, 8, true, NULL), 0);
    cr_assert_eq(get64(&e, s2) & (S2_W | S2_AF | S2_DBM), S2_W | S2_AF | S2_DBM);
    check_fault(&e, 8, EMU_NO_PASID, 0x3000, false, EVT_F_PERMISSION);
    cr_assert_eq(dma(&e, 8, EMU_NO_PASID, 0x3000, &buf, 8, true, NULL), 0);
    /* S2R=0: faults are not recorded. */
    {
        unsigned before = evt_count(&e);
        ste[2] &= ~(1ull << 58);
        ste_put(&e, 8, ste);
        cmd(&e, CMD_CFGI_STE | (8ull << 32), 0);
        cmd_sync(&e);
        check_fault(&e, 8, EMU_NO_PASID, 0x9000, false, EVT_F_TRANSLATION);
        cr_assert_eq(evt_count(&e), before);
    }
    env_fini(&e);
}

Test(smmuv3_walk, nested)
{
    struct env e;
    uint64_t s2root, s1root, l3, ste[8], cd[8], rec[4], buf = 0;
    const uint64_t ipa_off = 0x2000000;   /* IPA = PA + ipa_off for guest structures */
    uint64_t cd_pa = CD_GPA + 0x800;

    env_init(&e, NULL);
    bringup(&e);
    s2root = pt_alloc(&e, 4096);
    /* Stage 2: identity + offset for [0x300000, 0x1400000) in 2M blocks. */
    for (uint64_t pa = 0x200000; pa < 0x1400000; pa += 0x200000)
        pt_map(&e, s2root, 12, 0, 48, pa + ipa_off, pa, 2, S2_ATTR);
    s1root = pt_alloc(&e, 4096);
    /* S1 tables built with IPAs: map VA 0x7000 -> IPA of DATA_GPA. */
    l3 = 0;
    {
        uint64_t l1 = pt_alloc(&e, 4096), l2 = pt_alloc(&e, 4096);
        l3 = pt_alloc(&e, 4096);
        put64(&e, s1root, (l1 + ipa_off) | 3);
        put64(&e, l1, (l2 + ipa_off) | 3);
        put64(&e, l2, (l3 + ipa_off) | 3);
        put64(&e, l3 + 7 * 8, (DATA_GPA + ipa_off) | S1_ATTR | 3);
        put64(&e, l3 + 9 * 8, 0x30000000ull | S1_ATTR | 3);   /* IPA stage 2 lacks */
    }
    cd_make(cd, 16, 0, s1root + ipa_off, 9, false, false);
    cd_put(&e, cd_pa, cd);
    ste_s1(ste, cd_pa + ipa_off, 0, 0, 0);
    ste_add_s2(ste, 5, vtcr(16, 2, 0, 5), s2root, false, false);
    cr_assert_eq((ste[0] >> 1) & 7, 7);
    ste_put(&e, 9, ste);
    check_rw(&e, 9, EMU_NO_PASID, 0x7008, DATA_GPA + 8);
    /* Unmapped S1 entry: stage-1 F_TRANSLATION (S2=0). */
    check_fault(&e, 9, EMU_NO_PASID, 0x8000, false, EVT_F_TRANSLATION);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[1] & (1ull << 39), 0);
    /* S1 output IPA that stage 2 does not map: S2 fault, CLASS=IN, IPA reported. */
    check_fault(&e, 9, EMU_NO_PASID, 0x9010, true, EVT_F_TRANSLATION);
    evt_get(&e, 1, rec);
    cr_assert_eq(rec[1], (1ull << 39) | ((uint64_t)CLASS_IN << 40));
    cr_assert_eq(rec[2], 0x9010);
    cr_assert_eq(rec[3], 0x30000000ull);
    /* S1 table IPA outside stage 2: S2 fault, CLASS=TT, TTRnW=1. */
    {
        uint64_t l2 = (get64(&e, (get64(&e, s1root) & ~3ull) - ipa_off) & ~3ull) - ipa_off;
        put64(&e, l2 + 8, 0x31000000ull | 3);  /* VA 0x200000.. -> table at unmapped IPA */
    }
    check_fault(&e, 9, EMU_NO_PASID, 0x200000, false, EVT_F_TRANSLATION);
    evt_get(&e, 2, rec);
    cr_assert_eq(rec[1], (1ull << 35) | (1ull << 39) | ((uint64_t)CLASS_TT << 40) | (1ull << 44));
    cr_assert_eq(rec[3], 0x31000000ull);
    (void)buf;
    env_fini(&e);
}

Test(smmuv3_walk, nested_cd_fetch_s2_fault)
{
    struct env e;
    uint64_t s2root, ste[8], rec[4];

    env_init(&e, NULL);
    bringup(&e);
    s2root = pt_alloc(&e, 4096);
    ste_s1(ste, 0x40000000, 0, 0, 0);                /* CD IPA not mapped at stage 2 */
    ste_add_s2(ste, 5, vtcr(16, 2, 0, 5), s2root, false, false);
    ste_put(&e, 10, ste);
    check_fault(&e, 10, EMU_NO_PASID, 0x1000, false, EVT_F_TRANSLATION);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[1] & ((1ull << 39) | (3ull << 40)), (1ull << 39) | ((uint64_t)CLASS_CD << 40));
    cr_assert_eq(rec[3], 0x40000000ull);
    env_fini(&e);
}

Test(smmuv3_walk, substreams_linear_and_two_level_cd)
{
    struct env e;
    uint64_t ste[8], cd[8], root, l1cd = CD_GPA + 0x10000, l2 = CD_GPA + 0x20000, buf;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, S1_ATTR);
    /* Linear CD table, S1CDMax=4 (16 CDs), S1DSS=SSID0. */
    for (unsigned ssid = 0; ssid < 16; ssid++) {
        cd_make(cd, 16, 0, root, 100 + ssid, false, false);
        cd_put(&e, CD_GPA + ssid * 64ull, cd);
    }
    ste_s1(ste, CD_GPA, 4, 0, 2);
    ste_put(&e, 11, ste);
    check_rw(&e, 11, 3, 0x1000, DATA_GPA);
    check_rw(&e, 11, EMU_NO_PASID, 0x1000, DATA_GPA);      /* uses CD 0 */
    check_fault(&e, 11, 0, 0x1000, false, EVT_F_STREAM_DISABLED);
    check_fault(&e, 11, 16, 0x1000, false, EVT_C_BAD_SUBSTREAMID);
    check_fault(&e, 11, 0x1fffff, 0x1000, false, EVT_C_BAD_SUBSTREAMID);
    /* S1DSS=00: non-SSID traffic terminated. */
    ste_s1(ste, CD_GPA, 4, 0, 0);
    ste_put(&e, 12, ste);
    check_fault(&e, 12, EMU_NO_PASID, 0x1000, false, EVT_F_STREAM_DISABLED);
    /* S1DSS=01: non-SSID traffic bypasses stage 1. */
    ste_s1(ste, CD_GPA, 4, 0, 1);
    ste_put(&e, 13, ste);
    put64(&e, DATA_GPA + 0x40, 77);
    cr_assert_eq(dma(&e, 13, EMU_NO_PASID, DATA_GPA + 0x40, &buf, 8, false, NULL), 0);
    cr_assert_eq(buf, 77);
    /* 2-level CD table, 64 KB leaves (S1Fmt=10), S1CDMax=12: SSID 0x805 -> L1[2], L2[5]. */
    cd_make(cd, 16, 0, root, 200, false, false);
    cd_put(&e, l2 + 5 * 64, cd);
    put64(&e, l1cd + 2 * 8, l2 | 1);
    ste_s1(ste, l1cd, 12, 2, 0);
    ste_put(&e, 14, ste);
    check_rw(&e, 14, 0x805, 0x1000, DATA_GPA);
    check_fault(&e, 14, 0x806, 0x1000, false, EVT_C_BAD_CD);             /* V=0 CD */
    check_fault(&e, 14, 0x405, 0x1000, false, EVT_C_BAD_SUBSTREAMID);     /* L1CD.V=0 */
    {
        uint64_t rec[4];
        unsigned n = evt_count(&e);
        evt_get(&e, n - 1, rec);
        cr_assert_eq(rec[0], EVT_C_BAD_SUBSTREAMID | (0x405ull << 12) | (14ull << 32));  /* no SSV */
        evt_get(&e, n - 2, rec);
        cr_assert_eq(rec[0], EVT_C_BAD_CD | (1ull << 11) | (0x806ull << 12) | (14ull << 32));
    }
    /* 2-level with 4 KB leaves (S1Fmt=01): SSID 0x45 -> L1[1], L2[5]. */
    cd_make(cd, 16, 0, root, 201, false, false);
    cd_put(&e, l2 + 0x10000 + 5 * 64, cd);
    put64(&e, l1cd + 0x1000 + 8, (l2 + 0x10000) | 1);
    ste_s1(ste, l1cd + 0x1000, 8, 1, 0);
    ste_put(&e, 15, ste);
    check_rw(&e, 15, 0x45, 0x1000, DATA_GPA);
    env_fini(&e);
}

Test(smmuv3_walk, two_level_stream_table)
{
    struct env e;
    uint64_t ste[8], cd[8], root, buf;
    uint32_t sid = 0x1234;   /* L1 index 0x12, L2 index 0x34 */

    env_init(&e, NULL);
    bringup_ex(&e, true, 0);
    root = pt_alloc(&e, 4096);
    pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, S1_ATTR);
    cd_make(cd, 16, 0, root, 1, false, false);
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA, 0, 0, 0);
    for (int i = 0; i < 8; i++)
        put64(&e, L2STE_GPA + 0x34 * 64 + 8 * i, ste[i]);
    put64(&e, STRTAB_GPA + 0x12 * 8, L2STE_GPA | 9);       /* Span 9 = 256 STEs */
    check_rw(&e, sid, EMU_NO_PASID, 0x1000, DATA_GPA);
    /* Invalid L1STD / SID beyond LOG2SIZE: C_BAD_STREAMID (RECINVSID=1). */
    check_fault(&e, 0x1334, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    check_fault(&e, 0x10000, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    /* Span 3 covers 4 STEs: index 0x34 is outside. */
    put64(&e, STRTAB_GPA + 0x12 * 8, L2STE_GPA | 3);
    cfgi_all(&e);
    check_fault(&e, sid, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    /* Reserved span / span > SPLIT+1. */
    put64(&e, STRTAB_GPA + 0x12 * 8, L2STE_GPA | 12);
    check_fault(&e, sid, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    put64(&e, STRTAB_GPA + 0x12 * 8, L2STE_GPA | 10);
    check_fault(&e, sid, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    cr_assert_eq(evt_count(&e), 5);
    /* RECINVSID=0: aborted silently. */
    cr0_sync(&e, 0);
    W32(&e, SMMU_CR2, 0);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    check_fault(&e, 0x10000, EMU_NO_PASID, 0x1000, false, EVT_C_BAD_STREAMID);
    cr_assert_eq(evt_count(&e), 5);
    (void)buf;
    env_fini(&e);
}

Test(smmuv3_walk, ttb1_and_tbi)
{
    struct env e;
    uint64_t root0, root1, cd[8], ste[8];
    uint64_t va1 = 0xFFFF000000005000ull;

    env_init(&e, NULL);
    bringup(&e);
    root0 = pt_alloc(&e, 4096);
    root1 = pt_alloc(&e, 4096);
    pt_map(&e, root0, 12, 0, 48, 0x5000, DATA_GPA, 3, S1_ATTR);
    pt_map(&e, root1, 12, 0, 48, va1, DATA_GPA + 0x1000, 3, S1_ATTR);
    cd_make(cd, 16, 0, root0, 1, false, false);
    cd[0] &= ~(1ull << 30);                        /* EPD1=0 */
    cd[0] |= (16ull << 16) | (2ull << 22);         /* T1SZ 16, TG1=4K (encoding 10) */
    cd[2] = root1;
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA, 0, 0, 0);
    ste_put(&e, 16, ste);
    check_rw(&e, 16, EMU_NO_PASID, 0x5000, DATA_GPA);
    check_rw(&e, 16, EMU_NO_PASID, va1, DATA_GPA + 0x1000);
    /* Non-canonical: F_TRANSLATION; with TBI0 the top byte is ignored. */
    check_fault(&e, 16, EMU_NO_PASID, 0x0100000000005000ull, false, EVT_F_TRANSLATION);
    cd[0] |= 1ull << 38;
    cd_put(&e, CD_GPA, cd);
    cfgi_all(&e);
    check_rw(&e, 16, EMU_NO_PASID, 0x0100000000005000ull, DATA_GPA);
    env_fini(&e);
}

struct tlog { char lines[64][160]; unsigned n; };
static void tcollect(void *opaque, const struct emu_iommu *u, const struct emu_trace_rec *rec)
{
    struct tlog *t = opaque;
    static const char *const kinds[] = { "MMIO_READ", "MMIO_WRITE", "FETCH", "AD", "FAULT", "INVAL",
                                         "XLATE", "EVENT" };
    (void)u;
    if (t->n < 64 && rec->kind != EMU_TRACE_MMIO_READ && rec->kind != EMU_TRACE_MMIO_WRITE)
        snprintf(t->lines[t->n++], 160, "%s %s", kinds[rec->kind], rec->what ? rec->what : "");
}
static bool tfind(const struct tlog *t, const char *s)
{
    for (unsigned i = 0; i < t->n; i++)
        if (!strcmp(t->lines[i], s))
            return true;
    return false;
}

Test(smmuv3_walk, trace_records)
{
    struct env e;
    struct tlog *t = calloc(1, sizeof(*t));
    uint64_t root, buf = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = setup_s1(&e, 4, 0, 16, 4, true, true);
    pt_map(&e, root, 12, 0, 48, 0x1000, DATA_GPA, 3, (S1_ATTR & ~S1_AF) | S1_DBM | S1_RDONLY);
    emu_set_trace(e.u, tcollect, t);
    cr_assert_eq(dma(&e, 4, EMU_NO_PASID, 0x1000, &buf, 8, true, NULL), 0);
    check_fault(&e, 4, EMU_NO_PASID, 0x9000, false, EVT_F_TRANSLATION);
    cmd_sync(&e);
    emu_set_trace(e.u, NULL, NULL);
    cr_assert(tfind(t, "FETCH STE"));
    cr_assert(tfind(t, "FETCH CD"));
    cr_assert(tfind(t, "FETCH S1 L0"));
    cr_assert(tfind(t, "FETCH S1 L3"));
    cr_assert(tfind(t, "AD AD"));
    cr_assert(tfind(t, "FAULT F_TRANSLATION"));
    cr_assert(tfind(t, "EVENT EVENTQ[0] F_TRANSLATION sid=0x4 ssid=-1 addr=0x9000 S2=0 CLASS=IN RnW=1"));
    cr_assert(tfind(t, "EVENT IRQ EVENTQ wired"));
    cr_assert(tfind(t, "INVAL CMD_SYNC CS=SIG_NONE"));
    free(t);
    env_fini(&e);
}

/* §6.4 nested: the stage-1 AF update is a stage-2 write to the descriptor's
 * IPA; a read-only stage-2 mapping of the table gives a stage-2 F_PERMISSION
 * with CLASS=TT and TTRnW=0, even for a read. */
Test(smmuv3_walk, nested_httu_needs_s2_write)
{
    struct env e;
    const uint64_t off = 0x2000000;
    uint64_t s2root, s1root, l1, l2, l3, ste[8], cd[8], rec[4], buf = 0;
    struct emu_fault f;

    env_init(&e, NULL);
    bringup(&e);
    s2root = pt_alloc(&e, 4096);
    s1root = pt_alloc(&e, 4096);
    l1 = pt_alloc(&e, 4096);
    l2 = pt_alloc(&e, 4096);
    l3 = pt_alloc(&e, 4096);
    pt_map(&e, s2root, 12, 0, 48, 0x200000 + off, 0x200000, 2, S2_ATTR);                 /* CDs */
    pt_map(&e, s2root, 12, 0, 48, PT_GPA + off, PT_GPA, 2, S2_ATTR & ~S2_W);             /* tables RO */
    pt_map(&e, s2root, 12, 0, 48, DATA_GPA + off, DATA_GPA, 2, S2_ATTR);
    put64(&e, s1root, (l1 + off) | 3);
    put64(&e, l1, (l2 + off) | 3);
    put64(&e, l2, (l3 + off) | 3);
    put64(&e, l3 + 8, (DATA_GPA + off) | (S1_ATTR & ~S1_AF) | 3);
    cd_make(cd, 16, 0, s1root + off, 1, true, false);
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA + off, 0, 0, 0);
    ste_add_s2(ste, 2, vtcr(16, 2, 0, 5), s2root, false, false);
    ste_put(&e, 3, ste);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, 0x1000, &buf, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, EVT_F_PERMISSION);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[1], (1ull << 35) | (1ull << 39) | ((uint64_t)CLASS_TT << 40));   /* TTRnW=0 */
    cr_assert_eq(rec[3], l3 + off);
    cr_assert_eq(get64(&e, l3 + 8) & S1_AF, 0);
    /* Stage 2 with S2HA/S2HD and DBM on the table block: the update goes through. */
    pt_map(&e, s2root, 12, 0, 48, PT_GPA + off, PT_GPA, 2, (S2_ATTR & ~S2_W) | S2_DBM);
    ste_add_s2(ste, 2, vtcr(16, 2, 0, 5), s2root, true, true);
    ste_put(&e, 3, ste);
    cfgi_all(&e);
    tlbi_all(&e);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, 0x1000, &buf, 8, false, &f), 0);
    cr_assert_eq(get64(&e, l3 + 8) & S1_AF, S1_AF);
    env_fini(&e);
}
