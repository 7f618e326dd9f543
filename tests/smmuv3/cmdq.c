/* SMMUv3 command queue: every opcode, illegal commands, CMD_SYNC completion
 * signals, errors and recovery, wrap, and the effect of CFGI/TLBI on the
 * configuration cache and TLB (smmuv3.md §7). */
#include <errno.h>

#include "helpers.h"

static uint32_t cons_rd(struct env *e) { return R32(e, SMMU_CMDQ_CONS) & 0xfffff; }
static uint32_t cons_err(struct env *e) { return (R32(e, SMMU_CMDQ_CONS) >> 24) & 0x7f; }
static bool err_active(struct env *e) { return (R32(e, SMMU_GERROR) ^ R32(e, SMMU_GERRORN)) & GERR_CMDQ; }
static void ack(struct env *e) { W32(e, SMMU_GERRORN, R32(e, SMMU_GERROR)); }

/* A valid S1 stream with EATS=1 at sid, VA 0x1000 -> pa. */
static uint64_t s1_stream(struct env *e, uint32_t sid, unsigned asid, uint64_t pa, uint64_t *slot)
{
    uint64_t root = pt_alloc(e, 4096), ste[8], cd[8];

    *slot = pt_map(e, root, 12, 0, 48, 0x1000, pa, 3, S1_ATTR);
    cd_make(cd, 16, 0, root, asid, false, false);
    cd_put(e, CD_GPA + sid * 64ull, cd);
    ste_s1(ste, CD_GPA + sid * 64ull, 0, 0, 0);
    ste[1] |= 1ull << 28;   /* EATS=1 */
    ste_put(e, sid, ste);
    return root;
}

static uint64_t rd_at(struct env *e, uint32_t sid, uint64_t iova)
{
    uint64_t v = 0;
    cr_assert_eq(dma(e, sid, EMU_NO_PASID, iova, &v, 8, false, NULL), 0);
    return v;
}

Test(smmuv3_cmdq, every_legal_opcode)
{
    struct env e;
    uint64_t slot;
    static const uint64_t cmds[][2] = {
        { CMD_PREFETCH_CONFIG | (1ull << 32), 0 },
        { CMD_PREFETCH_ADDR | (1ull << 32), 0x1000 },
        { CMD_CFGI_STE | (1ull << 32), 1 },
        { CMD_CFGI_STE_RANGE | (1ull << 32), 3 },
        { CMD_CFGI_STE_RANGE, 31 },
        { CMD_CFGI_CD | (1ull << 32) | (0ull << 12), 1 },
        { CMD_CFGI_CD_ALL | (1ull << 32), 0 },
        { CMD_TLBI_NH_ALL, 0 },
        { CMD_TLBI_NH_ASID | (1ull << 48), 0 },
        { CMD_TLBI_NH_VA | (1ull << 48), 0x1000 | 1 },
        { CMD_TLBI_NH_VA | (1ull << 48) | (3ull << 12) | (1ull << 20), 0x1000 | (1ull << 10) | (3ull << 8) },
        { CMD_TLBI_NH_VAA, 0x1000 },
        { CMD_TLBI_S12_VMALL | (2ull << 32), 0 },
        { CMD_TLBI_S2_IPA | (2ull << 32), 0x1000 },
        { CMD_TLBI_NSNH_ALL, 0 },
        { CMD_ATC_INV | (1ull << 32), 0x1000 },
        { CMD_SYNC, 0 },
        { CMD_SYNC | (2ull << 12), 0 },
    };
    const size_t n = sizeof(cmds) / sizeof(cmds[0]);

    env_init(&e, NULL);
    bringup(&e);
    s1_stream(&e, 1, 1, DATA_GPA, &slot);
    for (size_t i = 0; i < n; i++) {
        cmd(&e, cmds[i][0], cmds[i][1]);
        cr_assert(!err_active(&e), "command %zu (op 0x%llx) failed err %u", i,
                  (unsigned long long)(cmds[i][0] & 0xff), cons_err(&e));
        cr_assert_eq(cons_rd(&e), i + 1);
    }
    cr_assert_eq(S(&e)->sev_events, 1);
    env_fini(&e);
}

struct illegal { const char *profile; uint64_t c0, c1; };

Test(smmuv3_cmdq, illegal_commands)
{
    static const struct illegal cases[] = {
        { NULL, 0x00, 0 }, { NULL, 0x08, 0 }, { NULL, 0x17, 0 }, { NULL, 0x31, 0 },
        { NULL, 0x80, 0 }, { NULL, 0x8F, 0 }, { NULL, 0xFF, 0 },
        { NULL, CMD_CFGI_VMS_PIDM, 0 },
        { NULL, CMD_TLBI_EL3_ALL, 0 }, { NULL, CMD_TLBI_EL3_VA, 0 },
        { NULL, CMD_TLBI_EL2_ALL, 0 }, { NULL, CMD_TLBI_EL2_ASID, 0 },
        { NULL, CMD_TLBI_EL2_VA, 0 }, { NULL, CMD_TLBI_EL2_VAA, 0 },
        { NULL, CMD_PRI_RESP, 0 }, { NULL, CMD_RESUME, 0 }, { NULL, CMD_STALL_TERM, 0 },
        { NULL, CMD_SYNC | (3ull << 12), 0 },
        { NULL, CMD_CFGI_STE | (1ull << 10), 0 },               /* SSec=1 */
        { NULL, CMD_PREFETCH_CONFIG | (1ull << 10), 0 },
        { NULL, CMD_TLBI_NH_VA, 0x1000 | (1ull << 10) },        /* TG!=0, NUM=SCALE=TTL=0 */
        { NULL, CMD_TLBI_NH_VA | (1ull << 12), 0x1000 | (2ull << 10) | (1ull << 8) }, /* 16K TTL=1, DS=0 */
        { NULL, CMD_TLBI_S2_IPA, 0x1000 | (3ull << 10) },
        { "qemu", CMD_TLBI_S12_VMALL, 0 }, { "qemu", CMD_TLBI_S2_IPA, 0 },
        { "qemu", CMD_ATC_INV, 0 }, { "qemu", CMD_TLBI_EL2_ALL, 0 },
        /* Stage 2 only (S1P=0): stage-1 commands are illegal. */
        { "idr0=0x0D4C7499", CMD_CFGI_CD, 0 }, { "idr0=0x0D4C7499", CMD_CFGI_CD_ALL, 0 },
        { "idr0=0x0D4C7499", CMD_TLBI_NH_ALL, 0 }, { "idr0=0x0D4C7499", CMD_TLBI_NH_ASID, 0 },
        { "idr0=0x0D4C7499", CMD_TLBI_NH_VA, 0 }, { "idr0=0x0D4C7499", CMD_TLBI_NH_VAA, 0 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct env e;

        env_init(&e, cases[i].profile);
        bringup(&e);
        cmd(&e, CMD_SYNC, 0);
        cmd(&e, cases[i].c0, cases[i].c1);
        cr_assert(err_active(&e), "case %zu accepted", i);
        cr_assert_eq(cons_err(&e), CERROR_ILL, "case %zu", i);
        cr_assert_eq(cons_rd(&e), 1, "case %zu: RD must stay at the command", i);
        env_fini(&e);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_cmdq, legal_with_features)
{
    struct env e;

    /* Hyp=1, PRI=1, STALL_MODEL=00: EL2 TLBIs, PRI_RESP, RESUME, STALL_TERM legal. */
    env_init(&e, "idr0=0x0C4D769B");
    bringup(&e);
    cmd(&e, CMD_TLBI_EL2_ALL, 0);
    cmd(&e, CMD_TLBI_EL2_VA, 0x1000);
    cmd(&e, CMD_PRI_RESP, 2ull << 12);
    cmd(&e, CMD_RESUME, 0);
    cmd(&e, CMD_STALL_TERM, 0);
    cr_assert(!err_active(&e));
    cr_assert_eq(cons_rd(&e), 5);
    cmd(&e, CMD_PRI_RESP, 3ull << 12);                        /* Resp=11 */
    cr_assert_eq(cons_err(&e), CERROR_ILL);
    env_fini(&e);
}

Test(smmuv3_cmdq, abort_and_recovery)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    cmd(&e, CMD_SYNC, 0);
    /* Queue moved outside guest memory: CERROR_ABT at RD. */
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN);
    W64(&e, SMMU_CMDQ_BASE, 0x7000000000ull | CMDQ_LOG2);
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    W32(&e, SMMU_CMDQ_PROD, 3);
    cr_assert(err_active(&e));
    cr_assert_eq(cons_err(&e), CERROR_ABT);
    cr_assert_eq(cons_rd(&e), 1);
    /* Software may rewrite PROD back while the error is active; fix and ack. */
    W32(&e, SMMU_CMDQ_PROD, 1);
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN);
    W64(&e, SMMU_CMDQ_BASE, CMDQ_GPA | CMDQ_LOG2);
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    ack(&e);
    cr_assert(!err_active(&e));
    e.cmd_prod = 1;
    cmd(&e, CMD_SYNC, 0);
    cr_assert_eq(cons_rd(&e), 2);
    env_fini(&e);
}

Test(smmuv3_cmdq, atc_inv_sync_error)
{
    struct env e;
    uint64_t slot;

    env_init(&e, NULL);
    bringup(&e);
    s1_stream(&e, 1, 1, DATA_GPA, &slot);   /* EATS=1: ATS endpoint */
    cmd(&e, CMD_ATC_INV | (1ull << 32), 52);
    cmd(&e, CMD_SYNC, 0);
    cr_assert(!err_active(&e));
    /* SID 2 has no ATS endpoint: the invalidation fails, the SYNC reports it. */
    cmd(&e, CMD_ATC_INV | (2ull << 32), 52);
    cr_assert(!err_active(&e));
    cmd(&e, CMD_SYNC | (1ull << 12), MSI_GPA);
    cr_assert(err_active(&e));
    cr_assert_eq(cons_err(&e), CERROR_ATC_INV_SYNC);
    cr_assert_eq(cons_rd(&e), 3);                 /* at the SYNC */
    cr_assert_eq(S(&e)->irq_cmd_sync, 0);         /* no completion signal */
    ack(&e);                                      /* retry: completes */
    cr_assert(!err_active(&e));
    cr_assert_eq(cons_rd(&e), 4);
    cr_assert_eq(S(&e)->irq_cmd_sync, 1);
    /* With SMMUEN=0, ATC_INV is ignored. */
    cr0_sync(&e, CR0_CMDQEN | CR0_EVENTQEN);
    cmd(&e, CMD_ATC_INV | (2ull << 32), 52);
    cmd(&e, CMD_SYNC, 0);
    cr_assert(!err_active(&e));
    env_fini(&e);
}

Test(smmuv3_cmdq, sync_completion_signals)
{
    struct env e;
    uint32_t slot_idx;

    env_init(&e, NULL);
    bringup(&e);
    /* Linux MSIPOLL: MSIAddress = the SYNC's own slot, MSIData 0; it polls the
     * first word of the slot until it reads 0 (smmuv3.md §7.4). */
    slot_idx = e.cmd_prod & ((1u << CMDQ_LOG2) - 1);
    cmd(&e, CMD_SYNC | (1ull << 12) | (3ull << 22) | (0xFull << 24), CMDQ_GPA + slot_idx * 16ull);
    cr_assert_eq(get64(&e, CMDQ_GPA + slot_idx * 16ull) & 0xffffffff, 0);
    cr_assert_eq(S(&e)->msi_writes, 1);
    cr_assert_eq(S(&e)->irq_cmd_sync, 1);
    /* MSIData lands as a 32-bit write; the neighbour word is untouched. */
    put64(&e, MSI_GPA, 0xAAAAAAAAAAAAAAAAull);
    cmd(&e, CMD_SYNC | (1ull << 12) | (0x12345678ull << 32), MSI_GPA | 3);
    cr_assert_eq(get64(&e, MSI_GPA), 0xAAAAAAAA12345678ull);
    /* No MSI address: the wired interrupt. */
    cmd(&e, CMD_SYNC | (1ull << 12), 0);
    cr_assert_eq(S(&e)->irq_cmd_sync, 3);
    cr_assert_eq(S(&e)->msi_writes, 2);
    /* MSI to unmapped memory: MSI_CMDQ_ABT_ERR, the SYNC itself completes. */
    cmd(&e, CMD_SYNC | (1ull << 12), 0x7000000000ull);
    cr_assert_eq(R32(&e, SMMU_GERROR), GERR_MSI_CMDQ_ABT);
    cr_assert(!err_active(&e));
    cr_assert_eq(cons_rd(&e), 4);
    /* SIG_SEV counts a wake-up event (IDR0.SEV=1); SIG_NONE nothing. */
    cmd(&e, CMD_SYNC | (2ull << 12), 0);
    cmd(&e, CMD_SYNC, 0);
    cr_assert_eq(S(&e)->sev_events, 1);
    cr_assert_eq(S(&e)->irq_cmd_sync, 4);
    env_fini(&e);

    /* qemu profile: MSI=0, so CS=SIG_IRQ never writes memory. */
    env_init(&e, "qemu");
    bringup(&e);
    put64(&e, MSI_GPA, 5);
    cmd(&e, CMD_SYNC | (1ull << 12), MSI_GPA);
    cr_assert_eq(get64(&e, MSI_GPA), 5);
    cr_assert_eq(S(&e)->irq_cmd_sync, 1);
    env_fini(&e);
}

Test(smmuv3_cmdq, wrap_and_enable)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    /* A 4-entry queue: 10 commands in batches of 3; index wraps with the wrap bit. */
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN);
    W64(&e, SMMU_CMDQ_BASE, CMDQ_GPA | 2);
    W32(&e, SMMU_CMDQ_PROD, 0);
    W32(&e, SMMU_CMDQ_CONS, 0);
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    {
        uint32_t prod = 0;
        for (int batch = 0; batch < 4; batch++) {
            for (int k = 0; k < 3; k++) {
                put64(&e, CMDQ_GPA + (prod & 3) * 16ull, CMD_SYNC);
                put64(&e, CMDQ_GPA + (prod & 3) * 16ull + 8, 0);
                prod = (prod + 1) & 7;
            }
            W32(&e, SMMU_CMDQ_PROD, prod);
            cr_assert_eq(cons_rd(&e), prod, "batch %d", batch);
        }
        cr_assert_eq(prod, 4);   /* 12 commands: index 0, wrap 1 */
    }
    /* CMDQEN=0: PROD writes are not consumed; enabling starts from CONS. */
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN);
    put64(&e, CMDQ_GPA + 0, CMD_SYNC);
    W32(&e, SMMU_CMDQ_PROD, 5);
    cr_assert_eq(cons_rd(&e), 4);
    cr0_sync(&e, CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
    cr_assert_eq(cons_rd(&e), 5);
    /* PROD bits above the wrap bit are RES0: no effect. */
    put64(&e, CMDQ_GPA + 16, CMD_SYNC);
    W32(&e, SMMU_CMDQ_PROD, 0xFFF00 | 6);
    cr_assert_eq(cons_rd(&e), 6);
    env_fini(&e);
}

Test(smmuv3_cmdq, tlbi_and_cfgi_effects)
{
    struct env e;
    uint64_t slot1, slot2, root1;
    uint64_t pa_a = DATA_GPA, pa_b = DATA_GPA + 0x1000;

    env_init(&e, NULL);
    bringup(&e);
    put64(&e, pa_a, 0xA);
    put64(&e, pa_b, 0xB);
    root1 = s1_stream(&e, 1, 1, pa_a, &slot1);
    s1_stream(&e, 2, 2, pa_a, &slot2);
    cr_assert_eq(rd_at(&e, 1, 0x1000), 0xA);
    cr_assert_eq(rd_at(&e, 2, 0x1000), 0xA);
    put64(&e, slot1, pa_b | S1_ATTR | 3);
    put64(&e, slot2, pa_b | S1_ATTR | 3);
    cr_assert_eq(rd_at(&e, 1, 0x1000), 0xA);          /* stale TLB entry (architectural) */
    cmd(&e, CMD_TLBI_NH_ASID | (1ull << 48), 0);
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 1, 0x1000), 0xB);
    cr_assert_eq(rd_at(&e, 2, 0x1000), 0xA);          /* other ASID untouched */
    /* NH_VA at another address misses; at the address hits. */
    cmd(&e, CMD_TLBI_NH_VA | (2ull << 48), 0x2000);
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 2, 0x1000), 0xA);
    /* Range TLBI (RIL): TG=4K, SCALE=0, NUM=1 -> 2 pages from 0x0. */
    cmd(&e, CMD_TLBI_NH_VA | (2ull << 48) | (1ull << 12), 0x0 | (1ull << 10));
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 2, 0x1000), 0xB);
    /* CFGI: the STE is cached until invalidated. */
    {
        uint64_t ste[8];
        ste_s1(ste, CD_GPA + 64, 0, 0, 0);
        ste[0] = 1;                                   /* Config=abort */
        ste_put(&e, 1, ste);
        cr_assert_eq(rd_at(&e, 1, 0x1000), 0xB);
        cmd(&e, CMD_CFGI_STE_RANGE | (0ull << 32), 0); /* SIDs 0..1 */
        cmd_sync(&e);
        {
            uint64_t v;
            struct emu_fault f;
            cr_assert_eq(dma(&e, 1, EMU_NO_PASID, 0x1000, &v, 8, false, &f), -EFAULT);
            cr_assert_eq(f.reason, 0);                /* abort: no event */
            cr_assert_eq(evt_count(&e), 0);
        }
    }
    /* CFGI_CD: a CD change takes effect after it (new TTB for sid 2). */
    {
        uint64_t cd[8], root2 = pt_alloc(&e, 4096);
        put64(&e, pa_b + 0x1000, 0xC);
        pt_map(&e, root2, 12, 0, 48, 0x1000, pa_b + 0x1000, 3, S1_ATTR);
        cd_make(cd, 16, 0, root2, 3, false, false);
        cd_put(&e, CD_GPA + 2 * 64, cd);
        cr_assert_eq(rd_at(&e, 2, 0x1000), 0xB);
        cmd(&e, CMD_CFGI_CD | (2ull << 32), 0);
        cmd_sync(&e);
        cr_assert_eq(rd_at(&e, 2, 0x1000), 0xC);      /* new ASID 3: fresh walk */
    }
    (void)root1;
    env_fini(&e);
}

Test(smmuv3_cmdq, s2_tlbi)
{
    struct env e;
    uint64_t root, ste[8], slot;

    env_init(&e, NULL);
    bringup(&e);
    root = pt_alloc(&e, 4096);
    ste_s2(ste, 4, vtcr(16, 2, 0, 5), root, false, false);
    ste_put(&e, 5, ste);
    put64(&e, DATA_GPA, 1);
    put64(&e, DATA_GPA + 0x1000, 2);
    slot = pt_map(&e, root, 12, 0, 48, 0x4000, DATA_GPA, 3, S2_ATTR);
    cr_assert_eq(rd_at(&e, 5, 0x4000), 1);
    put64(&e, slot, (DATA_GPA + 0x1000) | S2_ATTR | 3);
    cmd(&e, CMD_TLBI_S2_IPA | (3ull << 32), 0x4000);   /* other VMID */
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 5, 0x4000), 1);
    cmd(&e, CMD_TLBI_S2_IPA | (4ull << 32), 0x4000);
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 5, 0x4000), 2);
    put64(&e, slot, DATA_GPA | S2_ATTR | 3);
    cmd(&e, CMD_TLBI_S12_VMALL | (4ull << 32), 0);
    cmd_sync(&e);
    cr_assert_eq(rd_at(&e, 5, 0x4000), 1);
    env_fini(&e);
}
