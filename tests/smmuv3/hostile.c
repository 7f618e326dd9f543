/* SMMUv3 hostile programming, a fixed-seed random sweep with a golden-stream
 * oracle, and random byte streams through emu_apply_stream. */
#include <errno.h>

#include "helpers.h"

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* xorshift64*: fixed seed, deterministic. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

Test(smmuv3_hostile, self_referencing_tables)
{
    struct env e;
    uint64_t root, cd[8], ste[8], v = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    put64(&e, root, root | 3);      /* every level points back at the root */
    cd_make(cd, 16, 0, root, 1, true, true);
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA, 0, 0, 0);
    ste_put(&e, 1, ste);
    /* L0..L2 see a table, L3 sees a page at the root itself: the walk is
     * bounded by the level count. AP[1]=0: unprivileged access faults. */
    {
        struct emu_fault f;
        cr_assert_eq(dma(&e, 1, EMU_NO_PASID, 0, &v, 8, false, &f), -EFAULT);
        cr_assert_eq(f.reason, EVT_F_PERMISSION);
    }
    env_fini(&e);
}

Test(smmuv3_hostile, self_referencing_tables_af)
{
    struct env e;
    uint64_t root, cd[8], ste[8], v = 0;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    put64(&e, root, root | 3 | S1_ATTR);
    cd_make(cd, 16, 0, root, 1, false, false);
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA, 0, 0, 0);
    ste_put(&e, 1, ste);
    cr_assert_eq(dma(&e, 1, EMU_NO_PASID, 0, &v, 8, false, NULL), 0);
    cr_assert_eq(v, root | 3 | S1_ATTR);
    env_fini(&e);
}

Test(smmuv3_hostile, absurd_sizes_and_bases)
{
    struct env e;
    uint64_t v;
    struct emu_fault f;

    env_init(&e, NULL);
    bringup(&e);
    /* Stream table LOG2SIZE 63 (effective: SIDSIZE 16), base 0. */
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN);
    W32(&e, SMMU_STRTAB_BASE_CFG, 63);
    W64(&e, SMMU_STRTAB_BASE, 0xFFFFFFFFFFFFFFFFull);
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    cr_assert_eq(dma(&e, 0xFFFF, EMU_NO_PASID, 0, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, EVT_C_BAD_STE);        /* base aligned down to 0: zeroed STE */
    cr_assert_eq(dma(&e, 0x10000, EMU_NO_PASID, 0, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, EVT_C_BAD_STREAMID);
    cr_assert_eq(dma(&e, 0xFFFFFFFF, 0xFFFFFFFE, ~0ull - 7, &v, 8, true, &f), -EFAULT);
    /* 2-level with reserved SPLIT 7 (behaves as 6) and huge LOG2SIZE. */
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN);
    W32(&e, SMMU_STRTAB_BASE_CFG, (1u << 16) | (7u << 6) | 16);
    W64(&e, SMMU_STRTAB_BASE, STRTAB_GPA);
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    put64(&e, STRTAB_GPA + 8, 0x7000000000ull | 7);   /* L2 outside memory */
    cr_assert_eq(dma(&e, 64 + 3, EMU_NO_PASID, 0, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, EVT_F_STE_FETCH);
    /* Queues: LOG2SIZE 31 (capped at 19), base at the top of the PA space. */
    cr0_sync(&e, CR0_SMMUEN);
    W64(&e, SMMU_CMDQ_BASE, 0x00FFFFFFFFFFFFFFull);
    W64(&e, SMMU_EVENTQ_BASE, 0x00FFFFFFFFFFFFFFull);
    W32(&e, SMMU_CMDQ_CONS, 0xFFFFFFFF);
    cr_assert_eq(R32(&e, SMMU_CMDQ_CONS), 0x7F0FFFFF);       /* QS 19: all RD bits kept */
    W32(&e, SMMU_CMDQ_CONS, 0);
    W32(&e, SMMU_EVENTQ_PROD, 0xFFFFFFFF);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 0x800FFFFF);
    W32(&e, SMMU_EVENTQ_PROD, 0);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    W32(&e, SMMU_CMDQ_PROD, 0xFFFFF);                          /* tail far beyond CONS */
    cr_assert_eq((R32(&e, SMMU_CMDQ_CONS) >> 24) & 0x7f, CERROR_ABT);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, 0, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(R32(&e, SMMU_GERROR) & GERR_EVENTQ_ABT, GERR_EVENTQ_ABT);
    env_fini(&e);
}

Test(smmuv3_hostile, small_queue_log2size_zero)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    cr0_sync(&e, CR0_SMMUEN);
    W64(&e, SMMU_CMDQ_BASE, CMDQ_GPA | 0x20);   /* 1 entry: base bits [4:0] ignored, bit 5 used */
    W32(&e, SMMU_CMDQ_PROD, 0);
    W32(&e, SMMU_CMDQ_CONS, 0);
    W64(&e, SMMU_EVENTQ_BASE, EVTQ_GPA);
    W32(&e, SMMU_EVENTQ_PROD, 0);
    W32(&e, SMMU_EVENTQ_CONS, 0);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    for (uint32_t i = 0; i < 5; i++) {
        put64(&e, CMDQ_GPA + 0x20, CMD_SYNC);
        put64(&e, CMDQ_GPA + 0x28, 0);
        W32(&e, SMMU_CMDQ_PROD, (i + 1) & 1);
        cr_assert_eq(R32(&e, SMMU_CMDQ_CONS), (i + 1) & 1);
    }
    /* One-entry event queue: second event overflows. */
    {
        uint64_t v;
        struct emu_fault f;
        dma(&e, 0x200, EMU_NO_PASID, 0, &v, 8, false, &f);
        dma(&e, 0x201, EMU_NO_PASID, 0, &v, 8, false, &f);
        cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), Q_OVF | 1);
    }
    env_fini(&e);
}

/* ---- Random sweep -------------------------------------------------------- */
#define GOLD_SID  1
#define GOLD_PAGES 8
#define GOLD_DATA (DATA_GPA + 0x800000)
#define SCRATCH   (DATA_GPA + 0x1000000)     /* where everything else may DMA */

struct sweep {
    struct env e;
    uint64_t slots[64];      /* leaf slots of the mutable streams */
    unsigned nslots;
};

static void sweep_program(struct sweep *w)
{
    struct env *e = &w->e;
    uint64_t ste[8], cd[8], root;
    static const unsigned tgs[3] = { 0, 2, 1 };

    e->pt_next = PT_GPA;
    w->nslots = 0;
    bringup(e);
    /* Golden stream: never modified; its DMA must always work while the
     * stream table setup is intact. */
    root = pt_alloc(e, 4096);
    for (unsigned i = 0; i < GOLD_PAGES; i++)
        pt_map(e, root, 12, 0, 48, 0x100000 + i * 0x1000ull, GOLD_DATA + i * 0x1000ull, 3, S1_ATTR);
    cd_make(cd, 16, 0, root, 1, true, true);
    cd_put(e, CD_GPA + GOLD_SID * 64, cd);
    ste_s1(ste, CD_GPA + GOLD_SID * 64, 0, 0, 0);
    ste_put(e, GOLD_SID, ste);
    /* Mutable S1 streams 2..4 at each granule, S2 stream 5, nested 6, bypass 7. */
    for (unsigned s = 0; s < 3; s++) {
        unsigned g = gshift_of_tg0(tgs[s]);
        root = pt_alloc(e, 1ull << g);
        for (unsigned i = 0; i < 8; i++)
            w->slots[w->nslots++] = pt_map(e, root, g, s1_start(g, 39), 39, i << g,
                                           SCRATCH + (i << g), 3, S1_ATTR | S1_DBM);
        cd_make(cd, 25, tgs[s], root, 10 + s, true, s != 1);
        cd_put(e, CD_GPA + (2 + s) * 64ull, cd);
        ste_s1(ste, CD_GPA + (2 + s) * 64ull, 0, 0, 0);
        ste_put(e, 2 + s, ste);
    }
    root = pt_alloc(e, 4096);
    for (unsigned i = 0; i < 8; i++)
        w->slots[w->nslots++] = pt_map(e, root, 12, 0, 48, SCRATCH + i * 0x1000ull,
                                       SCRATCH + i * 0x1000ull, 3, S2_ATTR | S2_DBM);
    /* Identity S2 for the guest structures the nested stream uses. */
    pt_map(e, root, 12, 0, 48, CD_GPA, CD_GPA, 2, S2_ATTR);
    pt_map(e, root, 12, 0, 48, PT_GPA, PT_GPA, 2, S2_ATTR);
    pt_map(e, root, 12, 0, 48, PT_GPA + 0x200000, PT_GPA + 0x200000, 2, S2_ATTR);
    ste_s2(ste, 5, vtcr(16, 2, 0, 5), root, true, true);
    ste_put(e, 5, ste);
    ste_s1(ste, CD_GPA + 2 * 64, 0, 0, 0);
    ste_add_s2(ste, 6, vtcr(16, 2, 0, 5), root, true, true);
    ste_put(e, 6, ste);
    memset(ste, 0, 64);
    ste[0] = 1 | (4ull << 1);
    ste_put(e, 7, ste);
}

static bool gold_intact(struct env *e)
{
    return (R32(e, SMMU_CR0ACK) & CR0_SMMUEN) && R64(e, SMMU_STRTAB_BASE) == STRTAB_GPA &&
           R32(e, SMMU_STRTAB_BASE_CFG) == 8u;
}

static const uint32_t hot_regs[] = {
    SMMU_CR0, SMMU_CR1, SMMU_CR2, SMMU_GBPA, SMMU_IRQ_CTRL, SMMU_GERRORN, SMMU_CMDQ_PROD,
    SMMU_CMDQ_CONS, SMMU_EVENTQ_CONS, SMMU_EVENTQ_PROD, SMMU_GERROR_IRQ_CFG0,
    SMMU_EVENTQ_IRQ_CFG0, SMMU_CMDQ_BASE, SMMU_EVENTQ_BASE, SMMU_STRTAB_BASE,
    SMMU_STRTAB_BASE_CFG, SMMU_PRIQ_BASE,
};

Test(smmuv3_hostile, random_sweep_100k, .timeout = 120)
{
    struct sweep w;
    struct env *e = &w.e;
    uint8_t buf[3 * 4096 + 64];
    unsigned gold_checks = 0, ok_dmas = 0, faults = 0;

    rng_state = 0x5EED5EED12345678ull;
    env_init(e, NULL);
    for (unsigned i = 0; i < GOLD_PAGES; i++)
        for (unsigned k = 0; k < 512; k++)
            put64(e, GOLD_DATA + i * 0x1000ull + k * 8, 0x60D0000000000000ull | (i << 12) | k);
    sweep_program(&w);
    for (unsigned op = 0; op < 100000; op++) {
        unsigned r = rn(100);
        struct emu_fault f;

        if (r < 40) {
            /* DMA from a random stream (mostly valid ones). */
            static const uint32_t sids[] = { 2, 3, 4, 5, 6, 7, 9, 0x300, 0x10000 };
            uint32_t sid = sids[rn(sizeof(sids) / sizeof(sids[0]))];
            uint64_t iova = (sid == 5 || sid == 7) ? SCRATCH + rn(9 * 4096) : rn(9) * 0x10000ull + rn(0x10000);
            size_t len = 1 + rn(sizeof(buf) - 64);
            uint32_t ssid = rn(16) ? EMU_NO_PASID : rn(4);
            bool wr = rn(2);

            if (sid == 7 && iova + len > SCRATCH + 0x100000)
                len = 64;
            if (dma(e, sid, ssid, iova, buf, len, wr, &f) == 0)
                ok_dmas++;
            else
                faults++;
        } else if (r < 55) {
            /* Software edits a leaf: clean/dirty/invalid/RO/remap. */
            uint64_t slot = w.slots[rn(w.nslots)], d = get64(e, slot);
            switch (rn(5)) {
            case 0: d |= S1_RDONLY; break;
            case 1: d &= ~1ull; break;
            case 2: d |= 1; break;
            case 3: d ^= S1_AF; break;
            default: d ^= S1_DBM; break;
            }
            {
                uint64_t exp = get64(e, slot);
                emu_mem_cmpxchg64(e->mem, slot, &exp, d);
            }
        } else if (r < 70) {
            /* Commands: mostly legal, some garbage. */
            static const uint64_t ops[] = { CMD_TLBI_NH_ALL, CMD_TLBI_NH_ASID | (11ull << 48),
                                            CMD_TLBI_NH_VA | (10ull << 48), CMD_TLBI_NH_VAA,
                                            CMD_TLBI_S12_VMALL | (5ull << 32), CMD_TLBI_S2_IPA | (5ull << 32),
                                            CMD_TLBI_NSNH_ALL, CMD_CFGI_STE | (3ull << 32),
                                            CMD_CFGI_STE_RANGE, CMD_CFGI_CD | (2ull << 32),
                                            CMD_CFGI_CD_ALL | (4ull << 32), CMD_SYNC,
                                            CMD_SYNC | (1ull << 12), CMD_ATC_INV | (9ull << 32),
                                            CMD_PREFETCH_CONFIG };
            uint64_t c0 = rn(20) ? ops[rn(sizeof(ops) / sizeof(ops[0]))] : rnd();
            uint64_t c1 = rn(4) ? (rn(16) << 12) | (rn(2) ? (uint64_t)rn(4) << 10 : 0) : rnd();
            if ((c0 & 0xff) == CMD_SYNC && rn(2))
                c1 = MSI_GPA + 4 * rn(16);
            cmd(e, c0, c1);
            if (R32(e, SMMU_GERROR) != R32(e, SMMU_GERRORN) && rn(2)) {
                /* Linux-style recovery: replace the bad command with a SYNC. */
                uint32_t rd = R32(e, SMMU_CMDQ_CONS) & ((1u << CMDQ_LOG2) - 1);
                put64(e, CMDQ_GPA + rd * 16ull, CMD_SYNC);
                put64(e, CMDQ_GPA + rd * 16ull + 8, 0);
                W32(e, SMMU_GERRORN, R32(e, SMMU_GERROR));
            }
        } else if (r < 80) {
            /* Consume events as the Linux IRQ thread does. */
            uint32_t prod = R32(e, SMMU_EVENTQ_PROD);
            W32(e, SMMU_EVENTQ_CONS, (prod & Q_OVF) | (prod & ((2u << EVTQ_LOG2) - 1)));
        } else if (r < 88) {
            /* Random MMIO, mostly to real registers. */
            uint64_t off = rn(4) ? hot_regs[rn(sizeof(hot_regs) / sizeof(hot_regs[0]))] : rn(0x20000);
            unsigned width = rn(3) ? 4 : (rn(2) ? 8 : 1u << rn(4));
            uint64_t val = rn(3) ? rnd() & 0xffff : rnd();
            /* Keep the event queue inside its 64 KB window: SMMU writes to a
             * queue elsewhere would legitimately corrupt the golden tables. */
            if (off == SMMU_EVENTQ_BASE)
                val = EVTQ_GPA | rn(12);
            if (rn(2))
                emu_mmio_write(e->u, off, width, val);
            else
                (void)emu_mmio_read(e->u, off, width);
        } else if (r < 93) {
            /* Corrupt a mutable STE / CD word. */
            uint32_t sid = 2 + rn(6);
            uint64_t a = rn(2) ? STRTAB_GPA + sid * 64ull + 8 * rn(8) : CD_GPA + sid * 64ull + 8 * rn(8);
            put64(e, a, rn(2) ? rnd() : get64(e, a) ^ (1ull << rn(64)));
        } else if (r < 94) {
            emu_iommu_reset(e->u);
            sweep_program(&w);
        } else {
            /* Golden stream oracle. */
            unsigned page = rn(GOLD_PAGES), k = rn(512);
            uint64_t v = 0;
            if (gold_intact(e)) {
                cr_assert_eq(dma(e, GOLD_SID, EMU_NO_PASID, 0x100000 + page * 0x1000ull + k * 8, &v, 8,
                                 false, &f), 0, "op %u: gold DMA failed reason 0x%x", op, f.reason);
                cr_assert_eq(v, 0x60D0000000000000ull | (page << 12) | k, "op %u", op);
                gold_checks++;
            }
        }
        /* Invariants after every operation. */
        cr_assert_eq(R32(e, SMMU_CR0ACK), R32(e, SMMU_CR0), "op %u", op);
        cr_assert_eq(R32(e, SMMU_IRQ_CTRLACK), R32(e, SMMU_IRQ_CTRL), "op %u", op);
        cr_assert_eq(R32(e, SMMU_GERROR) & ~GERR_IMPL_MASK, 0, "op %u", op);
        cr_assert_eq(R32(e, SMMU_GBPA) & GBPA_UPDATE, 0, "op %u", op);
        cr_assert_leq(emu_iotlb_count(S(e)->tlb), SMMU_TLB_SIZE);
    }
    cr_assert_gt(gold_checks, 1000);
    cr_assert_gt(ok_dmas, 5000);
    cr_assert_gt(faults, 5000);
    env_fini(e);
    ASSERT_NO_LEAKS();
}

Test(smmuv3_hostile, apply_stream_random_bytes, .timeout = 120)
{
    struct env e;
    uint8_t data[4096];

    rng_state = 0xF00DF00Dull;
    env_init(&e, NULL);
    for (int iter = 0; iter < 200; iter++) {
        for (size_t i = 0; i < sizeof(data); i++)
            data[i] = (uint8_t)rnd();
        if (iter % 2)
            bringup(&e);   /* start half of them from a working configuration */
        (void)emu_apply_stream(e.u, data, sizeof(data));
        cr_assert_eq(R32(&e, SMMU_CR0ACK), R32(&e, SMMU_CR0));
    }
    env_fini(&e);
    ASSERT_NO_LEAKS();
}
