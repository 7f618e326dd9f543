/* SMMUv3 event queue and configuration errors: overflow through OVFLG,
 * disabled/aborted queue, IRQ/MSI, every event code raised, priority, and
 * the ILLEGAL STE/CD combinations (smmuv3.md §4.3, §5.2, §8). */
#include <errno.h>

#include "helpers.h"

static void fault_n(struct env *e, uint32_t sid, uint64_t iova, uint32_t reason)
{
    uint64_t v;
    struct emu_fault f;

    cr_assert_eq(dma(e, sid, EMU_NO_PASID, iova, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, reason, "sid 0x%x: reason 0x%x want 0x%x", sid, f.reason, reason);
}

/* SID 1: valid S1 stream with nothing mapped. */
static void empty_s1(struct env *e, uint32_t sid)
{
    uint64_t ste[8], cd[8], root = pt_alloc(e, 4096);

    cd_make(cd, 16, 0, root, sid, false, false);
    cd_put(e, CD_GPA + sid * 64ull, cd);
    ste_s1(ste, CD_GPA + sid * 64ull, 0, 0, 0);
    ste_put(e, sid, ste);
}

Test(smmuv3_evtq, overflow_flag_protocol)
{
    struct env e;
    const unsigned qsize = 1u << EVTQ_LOG2;

    env_init(&e, NULL);
    bringup(&e);
    empty_s1(&e, 1);
    for (unsigned i = 0; i < qsize + 6; i++)
        fault_n(&e, 1, 0x1000 * (i + 1), EVT_F_TRANSLATION);
    /* Full: PROD index = CONS index, wrap differs, OVFLG toggled once. */
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), Q_OVF | qsize);
    cr_assert_eq(S(&e)->events_written, qsize);
    cr_assert_eq(S(&e)->events_discarded, 6);
    {
        uint64_t rec[4];
        evt_get(&e, qsize - 1, rec);
        cr_assert_eq(rec[2], 0x1000ull * qsize);
    }
    /* Software consumes 2 and acknowledges the overflow: 2 new records fit,
     * the third overflows again and toggles OVFLG back. */
    W32(&e, SMMU_EVENTQ_CONS, Q_OVF | 2);
    fault_n(&e, 1, 0x100000, EVT_F_TRANSLATION);
    fault_n(&e, 1, 0x101000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), Q_OVF | (qsize + 2));
    fault_n(&e, 1, 0x102000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), qsize + 2);
    /* Overflow is not a global error. */
    cr_assert_eq(R32(&e, SMMU_GERROR), 0);
    env_fini(&e);
}

Test(smmuv3_evtq, disabled_and_aborted_queue)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    empty_s1(&e, 1);
    /* EVENTQEN=0: discarded, no overflow, no error. */
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 0);
    cr_assert_eq(S(&e)->events_discarded, 1);
    /* Queue outside guest memory: EVENTQ_ABT_ERR, then nothing is written. */
    W64(&e, SMMU_EVENTQ_BASE, 0x7000000000ull | EVTQ_LOG2);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_GERROR), GERR_EVENTQ_ABT);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 0);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN);
    W64(&e, SMMU_EVENTQ_BASE, EVTQ_GPA | EVTQ_LOG2);
    cr0_sync(&e, CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 0);          /* still not writable */
    W32(&e, SMMU_GERRORN, R32(&e, SMMU_GERROR));
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 1);
    env_fini(&e);
}

Test(smmuv3_evtq, eventq_msi)
{
    struct env e;

    env_init(&e, NULL);
    W64(&e, SMMU_EVENTQ_IRQ_CFG0, MSI_GPA + 8);
    W32(&e, SMMU_EVENTQ_IRQ_CFG1, 0xE1E1);
    bringup(&e);
    empty_s1(&e, 1);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(get64(&e, MSI_GPA + 8) & 0xffffffff, 0xE1E1);
    cr_assert_eq(S(&e)->irq_eventq, 1);
    /* IRQ disabled: the record is written, no interrupt. */
    W32(&e, SMMU_IRQ_CTRL, IRQ_GERROR_EN);
    fault_n(&e, 1, 0x2000, EVT_F_TRANSLATION);
    cr_assert_eq(S(&e)->irq_eventq, 1);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 2);
    /* Unmapped MSI address: MSI_EVENTQ_ABT_ERR. */
    W64(&e, SMMU_EVENTQ_IRQ_CFG0, 0x7000000000ull);
    W32(&e, SMMU_IRQ_CTRL, IRQ_GERROR_EN | IRQ_EVENTQ_EN);
    fault_n(&e, 1, 0x3000, EVT_F_TRANSLATION);
    cr_assert_eq(R32(&e, SMMU_GERROR), GERR_MSI_EVENTQ_ABT);
    env_fini(&e);
}

Test(smmuv3_evtq, fetch_errors_carry_fetch_addr)
{
    struct env e;
    uint64_t ste[8], cd[8], rec[4];

    env_init(&e, NULL);
    bringup(&e);
    /* F_CD_FETCH: CD pointer outside guest memory. */
    ste_s1(ste, 0x7000000040ull, 0, 0, 0);
    ste_put(&e, 2, ste);
    fault_n(&e, 2, 0x1000, EVT_F_CD_FETCH);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[0], EVT_F_CD_FETCH | (2ull << 32));
    cr_assert_eq(rec[3], 0x7000000040ull);
    /* F_WALK_EABT: TTB0 outside guest memory; stage-1 walk: S2=0, CLASS=TT. */
    cd_make(cd, 16, 0, 0x7000000000ull, 3, false, false);
    cd_put(&e, CD_GPA + 3 * 64, cd);
    ste_s1(ste, CD_GPA + 3 * 64, 0, 0, 0);
    ste_put(&e, 3, ste);
    fault_n(&e, 3, 0x1000, EVT_F_WALK_EABT);
    evt_get(&e, 1, rec);
    cr_assert_eq(rec[1], (1ull << 35) | ((uint64_t)CLASS_TT << 40));
    cr_assert_eq(rec[2], 0x1000);
    cr_assert_eq(rec[3], 0x7000000000ull);
    /* F_STE_FETCH: stream table outside guest memory. */
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN);
    W64(&e, SMMU_STRTAB_BASE, 0x7000000000ull);
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    cfgi_all(&e);
    fault_n(&e, 5, 0x1000, EVT_F_STE_FETCH);
    evt_get(&e, 2, rec);
    cr_assert_eq(rec[0], EVT_F_STE_FETCH | (5ull << 32));
    cr_assert_eq(rec[3], 0x7000000000ull + 5 * 64);
    env_fini(&e);
}

Test(smmuv3_evtq, addr_size_and_bypass)
{
    struct env e;
    uint64_t ste[8], cd[8], root, v = 0;

    env_init(&e, NULL);
    bringup(&e);
    /* CD.IPS=0 (32 bits): an output address >= 4 GiB is F_ADDR_SIZE. */
    root = pt_alloc(&e, 4096);
    pt_map(&e, root, 12, 0, 48, 0x1000, 0x100000000ull, 3, S1_ATTR);
    cd_make(cd, 16, 0, root, 4, false, false);
    cd[0] &= ~(7ull << 32);
    cd_put(&e, CD_GPA + 4 * 64, cd);
    ste_s1(ste, CD_GPA + 4 * 64, 0, 0, 0);
    ste_put(&e, 4, ste);
    fault_n(&e, 4, 0x1000, EVT_F_ADDR_SIZE);
    /* STE bypass: identity, and input beyond OAS (48 bits) is F_ADDR_SIZE. */
    memset(ste, 0, sizeof(ste));
    ste[0] = 1 | (4ull << 1);
    ste_put(&e, 6, ste);
    put64(&e, DATA_GPA, 99);
    cr_assert_eq(dma(&e, 6, EMU_NO_PASID, DATA_GPA, &v, 8, false, NULL), 0);
    cr_assert_eq(v, 99);
    fault_n(&e, 6, 1ull << 48, EVT_F_ADDR_SIZE);
    /* STE V=0: C_BAD_STE; Config=abort: silent. */
    ste[0] = 0;
    ste_put(&e, 7, ste);
    fault_n(&e, 7, 0x1000, EVT_C_BAD_STE);
    {
        unsigned n = evt_count(&e);
        ste[0] = 1;
        ste_put(&e, 8, ste);
        fault_n(&e, 8, 0x1000, 0);
        cr_assert_eq(evt_count(&e), n);
        /* C_BAD_STE outranks C_BAD_SUBSTREAMID (priority, §8.2). */
        {
            uint64_t f[1];
            struct emu_fault fl;
            cr_assert_eq(dma(&e, 7, 5, 0x1000, f, 8, false, &fl), -EFAULT);
            cr_assert_eq(fl.reason, EVT_C_BAD_STE);
        }
    }
    env_fini(&e);
}

/* Each mutation of a valid STE must be ILLEGAL -> C_BAD_STE. */
struct mut { const char *profile; unsigned word; uint64_t clear, set; };

Test(smmuv3_evtq, illegal_ste_combinations)
{
    static const struct mut muts[] = {
        { "qemu", 0, 0, 0 },                          /* nested STE without S2P (set below) */
        { NULL, 0, 0, 5ull << 59 },                   /* S1CDMax 5 > ... fine; see next */
        { "qemu", 0, 0, 1ull << 59 },                 /* S1CDMax > SSIDSIZE (0) */
        { "idr0=0x0D44749B", 0, 0, (1ull << 59) | (1ull << 4) },   /* S1Fmt!=0 with CD2L=0 */
        { NULL, 1, 0, 1ull << 27 },                   /* S1STALLD with STALL_MODEL=01 */
        { "qemu", 1, 0, 1ull << 28 },                 /* EATS with ATS=0 */
        { NULL, 1, 0, 2ull << 28 },                   /* split-stage EATS without nesting */
        { NULL, 1, 0, 3ull << 28 },                   /* EATS=11 without DPT */
        { NULL, 1, 0, 1ull << 30 },                   /* STRW=EL3 on NS */
        { NULL, 1, 0, 2ull << 30 },                   /* STRW=EL2 without Hyp */
        { NULL, 1, 0, 3ull << 30 },                   /* STRW reserved */
        { NULL, 2, 0, 3ull << (32 + 14) },            /* S2TG=11 */
        { NULL, 2, 0x3full << 32, 40ull << 32 },      /* S2T0SZ 40 > 39 */
        { NULL, 2, 0x3full << 32, 15ull << 32 },      /* S2T0SZ 15 < 16 */
        { NULL, 2, 3ull << 38, 3ull << 38 },          /* S2SL0=3 */
        { NULL, 2, 3ull << 38, 0 },                   /* SL0=0 (L2) with 48-bit IPA: >16 tables */
        { NULL, 2, 1ull << 51, 0 },                   /* S2AA64=0 */
        { NULL, 2, 0, 1ull << 52 },                   /* S2ENDI=1 with LE-only */
        { "nodirty", 2, 0, 1ull << 56 },              /* S2HA with HTTU=0 */
        { "ha-only", 2, 0, 1ull << 55 },              /* S2HD with HTTU=1 */
        { NULL, 2, 0, 1ull << 57 },                   /* S2S with STALL_MODEL=01 */
        { NULL, 3, 0, 0x800 },                        /* S2TTB misaligned */
        { NULL, 3, 0, 1ull << 50 },                   /* S2TTB beyond S2PS */
        { "idr5=0x65", 2, 0, 0 },                     /* 4K granule not implemented */
    };

    for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        struct env e;
        uint64_t ste[8], root, cd[8];

        env_init(&e, muts[i].profile);
        bringup(&e);
        root = pt_alloc(&e, 4096);
        cd_make(cd, 16, 0, root, 1, false, false);
        cd_put(&e, CD_GPA, cd);
        ste_s1(ste, CD_GPA, 0, 0, 0);
        if (i == 0 || muts[i].word >= 2)
            ste_add_s2(ste, 1, vtcr(16, 2, 0, 5), root, false, false);
        ste[muts[i].word] = (ste[muts[i].word] & ~muts[i].clear) | muts[i].set;
        ste_put(&e, 1, ste);
        if (i == 1) {   /* control: S1CDMax 5 with SSIDSIZE 20 is legal */
            ste[0] &= ~(0x1full << 59);
            ste_put(&e, 1, ste);
            fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
        } else {
            fault_n(&e, 1, 0x1000, EVT_C_BAD_STE);
        }
        env_fini(&e);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_evtq, illegal_cd_combinations)
{
    static const struct mut muts[] = {
        { NULL, 0, 1ull << 31, 0 },                   /* V=0 */
        { NULL, 0, 1ull << 41, 0 },                   /* AA64=0 */
        { NULL, 0, 0, 1ull << 15 },                   /* ENDI with LE-only */
        { NULL, 0, 0, 1ull << 44 },                   /* S with STALL_MODEL=01 */
        { NULL, 0, 1ull << 46, 0 },                   /* A=0 with TERM_MODEL=1 */
        { NULL, 0, 0, 3ull << 6 },                    /* TG0 reserved */
        { NULL, 0, 0x3f, 15 },                        /* T0SZ < 16 */
        { NULL, 0, 0x3f, 40 },                        /* T0SZ > 39 (STT=0) */
        { NULL, 1, 0, 1ull << 49 },                   /* TTB0 beyond IPS 48 */
        { "qemu", 0, 0, 1ull << 43 },                 /* HA with HTTU=0 */
        { "ha-only", 0, 0, 3ull << 42 },              /* HD with HTTU=1 */
        { NULL, 0, 1ull << 30, 0 },                   /* EPD1=0 with TG1=00 reserved */
        { "idr5=0x65", 0, 0, 0 },                     /* 4K granule not implemented */
    };

    for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
        struct env e;
        uint64_t ste[8], root, cd[8];

        env_init(&e, muts[i].profile);
        bringup(&e);
        root = pt_alloc(&e, 4096);
        cd_make(cd, 16, 0, root, 1, false, false);
        cd[muts[i].word] = (cd[muts[i].word] & ~muts[i].clear) | muts[i].set;
        cd_put(&e, CD_GPA, cd);
        ste_s1(ste, CD_GPA, 0, 0, 0);
        ste_put(&e, 1, ste);
        fault_n(&e, 1, 0x1000, EVT_C_BAD_CD);
        {
            uint64_t rec[4];
            evt_get(&e, 0, rec);
            cr_assert_eq(rec[0], EVT_C_BAD_CD | (1ull << 32), "mutation %zu", i);
        }
        env_fini(&e);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_evtq, fault_not_recorded_without_r)
{
    struct env e;
    uint64_t ste[8], cd[8], root;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    cd_make(cd, 16, 0, root, 1, false, false);
    cd[0] &= ~(1ull << 45);                           /* R=0 */
    cd_put(&e, CD_GPA, cd);
    ste_s1(ste, CD_GPA, 0, 0, 0);
    ste_put(&e, 1, ste);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(evt_count(&e), 0);
    cr_assert_eq(S(&e)->events_written, 0);
    /* EPD0=1: the lower range is disabled. */
    cd[0] |= (1ull << 45) | (1ull << 14);
    cd_put(&e, CD_GPA, cd);
    cfgi_all(&e);
    fault_n(&e, 1, 0x1000, EVT_F_TRANSLATION);
    cr_assert_eq(evt_count(&e), 1);
    env_fini(&e);
}
