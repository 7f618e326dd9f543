/* SMMUv3 register file: reset values, masks, profiles, handshakes, guards,
 * access rules (smmuv3.md §1-§3). */
#include <errno.h>

#include "helpers.h"

/* Expected default-profile values, typed from the reference (§2, §3). */
struct expect { uint32_t off; unsigned width; uint64_t reset, ones; };
static const struct expect dflt[] = {
    { SMMU_IDR0, 4, 0x0D4C749B, 0x0D4C749B },
    { SMMU_IDR1, 4, 0x02730510, 0x02730510 },
    { SMMU_IDR2, 4, 0, 0 },
    { SMMU_IDR3, 4, 0x404, 0x404 },
    { SMMU_IDR4, 4, 0, 0 },
    { SMMU_IDR5, 4, 0x75, 0x75 },
    { SMMU_IIDR, 4, 0, 0 },
    { SMMU_AIDR, 4, 0x2, 0x2 },
    { SMMU_CR1, 4, 0, 0xFFF },
    { SMMU_CR2, 4, 0, 0x2 },                 /* only RECINVSID: no Hyp, BTM, ATSRECERR */
    { SMMU_STATUSR, 4, 0, 0 },
    { SMMU_GERROR, 4, 0, 0 },
    { SMMU_GERROR_IRQ_CFG0, 8, 0, 0x00FFFFFFFFFFFFFCull },
    { SMMU_GERROR_IRQ_CFG1, 4, 0, 0xFFFFFFFF },
    { SMMU_GERROR_IRQ_CFG2, 4, 0, 0x3F },
    { SMMU_STRTAB_BASE, 8, 0, 0x40FFFFFFFFFFFFC0ull },
    { SMMU_STRTAB_BASE_CFG, 4, 0, 0x307FF },
    { SMMU_CMDQ_BASE, 8, 0, 0x40FFFFFFFFFFFFFFull },
    { SMMU_EVENTQ_BASE, 8, 0, 0x40FFFFFFFFFFFFFFull },
    { SMMU_EVENTQ_IRQ_CFG0, 8, 0, 0x00FFFFFFFFFFFFFCull },
    { SMMU_EVENTQ_IRQ_CFG1, 4, 0, 0xFFFFFFFF },
    { SMMU_EVENTQ_IRQ_CFG2, 4, 0, 0x3F },
    { SMMU_PRIQ_BASE, 8, 0, 0 },             /* PRI=0: RES0 */
    { SMMU_PRIQ_IRQ_CFG0, 8, 0, 0 },
    { SMMU_PRIQ_IRQ_CFG1, 4, 0, 0 },
    { SMMU_PRIQ_IRQ_CFG2, 4, 0, 0 },
    { SMMU_EVENTQ_CONS, 4, 0, 0x800FFFFF },
    { SMMU_PRIQ_PROD, 4, 0, 0 },
    { SMMU_PRIQ_CONS, 4, 0, 0 },
    { 0xFF0, 4, 0x0D, 0x0D },
    { 0xFFC, 4, 0xB1, 0xB1 },
};

Test(smmuv3_regs, reset_and_masks_independent)
{
    struct env e;

    env_init(&e, NULL);
    for (size_t i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
        const struct expect *x = &dflt[i];
        uint64_t all = x->width == 8 ? ~0ull : 0xFFFFFFFFull;

        cr_assert_eq(emu_mmio_read(e.u, x->off, x->width), x->reset, "reset of 0x%x", x->off);
        emu_mmio_write(e.u, x->off, x->width, all);
        cr_assert_eq(emu_mmio_read(e.u, x->off, x->width), x->ones, "ones of 0x%x: 0x%llx", x->off,
                     (unsigned long long)emu_mmio_read(e.u, x->off, x->width));
        emu_mmio_write(e.u, x->off, x->width, 0);
        /* RO registers keep their value; RW ones here have no RO bits. */
        cr_assert_eq(emu_mmio_read(e.u, x->off, x->width), x->reset == x->ones ? x->reset : 0,
                     "zero of 0x%x", x->off);
    }
    env_fini(&e);
    ASSERT_NO_LEAKS();
}

/* Every row of the table: reset value, and (rows without a protocol hook)
 * write-ones/write-zeros give exactly the effective write mask. */
Test(smmuv3_regs, reset_and_masks_table)
{
    struct env e;

    env_init(&e, NULL);
    for (size_t i = 0; i < smmu_nregs; i++) {
        const struct emu_reg *r = &smmu_regs[i];
        uint64_t all = r->width == 8 ? ~0ull : 0xFFFFFFFFull, rst;

        if (r->offset <= SMMU_AIDR)
            continue;   /* ID values are profile data: checked above */
        rst = emu_mmio_read(e.u, r->offset, r->width);
        cr_assert_eq(rst, r->reset & ~r->womask, "%s reset", r->name);
        if (r->write)
            continue;
        emu_mmio_write(e.u, r->offset, r->width, all);
        /* Effective mask is a subset of the table's architectural mask. */
        cr_assert_eq(emu_mmio_read(e.u, r->offset, r->width) & ~(r->wmask | r->reset), 0,
                     "%s has bits outside its mask", r->name);
        emu_mmio_write(e.u, r->offset, r->width, 0);
        cr_assert_eq(emu_mmio_read(e.u, r->offset, r->width), r->reset & ~r->wmask, "%s zero", r->name);
        cr_assert_str_eq(emu_reg_name(e.u, r->offset), r->name);
    }
    env_fini(&e);
    ASSERT_NO_LEAKS();
}

Test(smmuv3_regs, names_and_decode)
{
    struct env e;
    unsigned w = 0;
    char buf[128];

    env_init(&e, "default");
    cr_assert_str_eq(emu_reg_name(e.u, 0x20), "CR0");
    cr_assert_str_eq(emu_reg_name(e.u, 0x100A8), "EVENTQ_PROD");
    cr_assert_eq(emu_reg_lookup(e.u, "eventq_cons", &w), 0x100AC);
    cr_assert_eq(w, 4);
    cr_assert_eq(emu_reg_lookup(e.u, "STRTAB_BASE", &w), 0x80);
    cr_assert_eq(w, 8);
    cr_assert_eq(emu_reg_lookup(e.u, "NOPE", &w), -1);
    cr_assert_gt(emu_reg_decode(e.u, SMMU_CR0, 0xD, buf, sizeof(buf)), 0);
    cr_assert_not_null(strstr(buf, "SMMUEN=1"));
    cr_assert_not_null(strstr(buf, "CMDQEN=1"));
    cr_assert_not_null(strstr(buf, "PRIQEN=0"));
    env_fini(&e);
}

Test(smmuv3_regs, profiles)
{
    struct env e;

    env_init(&e, "qemu");
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D44101A);
    cr_assert_eq(R32(&e, SMMU_IDR1), 0x02730010);
    cr_assert_eq(R32(&e, SMMU_IDR3), 0x1404);
    cr_assert_eq(R32(&e, SMMU_IDR5), 0x74);
    cr_assert_eq(R32(&e, SMMU_AIDR), 1);
    /* MSI=0: IRQ_CFG registers are RES0 (§3.6). */
    W64(&e, SMMU_GERROR_IRQ_CFG0, 0x1000);
    cr_assert_eq(R64(&e, SMMU_GERROR_IRQ_CFG0), 0);
    env_fini(&e);

    env_init(&e, "nodirty");
    cr_assert_eq((R32(&e, SMMU_IDR0) >> 6) & 3, 0);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D4C741B);
    env_fini(&e);
    env_init(&e, "ha-only");
    cr_assert_eq((R32(&e, SMMU_IDR0) >> 6) & 3, 1);
    env_fini(&e);
    env_init(&e, "default,idr1=0x10,iidr=0x4830043b");
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D4C749B);
    cr_assert_eq(R32(&e, SMMU_IDR1), 0x10);
    cr_assert_eq(R32(&e, SMMU_IIDR), 0x4830043b);
    env_fini(&e);
    env_init(&e, "idr5=0x15");
    cr_assert_eq(R32(&e, SMMU_IDR5), 0x15);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D4C749B);
    env_fini(&e);
    env_init(&e, "QEMU,IDR3=0");
    cr_assert_eq(R32(&e, SMMU_IDR3), 0);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D44101A);
    env_fini(&e);

    {
        static const char *bad[] = { "nope", "default,", "default,idr6=1", "default,idr0",
                                     "default,idr0=", "default,idr0=0x1ffffffff", "default,idr0=12z",
                                     ",idr0=1", "default,=1", "qemu,idr1=-1" };
        struct emu_mem *m = emu_mem_new();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            errno = 0;
            cr_assert_null(emu_iommu_new(EMU_SMMUV3, bad[i], m), "%s accepted", bad[i]);
            cr_assert_eq(errno, EINVAL, "%s", bad[i]);
        }
        emu_mem_free(m);
    }
    ASSERT_NO_LEAKS();
}

Test(smmuv3_regs, set_id_applies_at_reset)
{
    struct env e;

    env_init(&e, NULL);
    cr_assert_eq(emu_iommu_set_id(e.u, "idr0", 0x0D44101A), 0);
    cr_assert_eq(emu_iommu_set_id(e.u, "IDR9", 1), -EINVAL);
    cr_assert_eq(emu_iommu_set_id(e.u, "idr1", 1ull << 32), -EINVAL);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D4C749B);   /* not yet */
    emu_iommu_reset(e.u);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D44101A);
    /* MSI now 0: the IRQ_CFG registers went RES0 with it. */
    W32(&e, SMMU_EVENTQ_IRQ_CFG1, 5);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_IRQ_CFG1), 0);
    env_fini(&e);
}

Test(smmuv3_regs, cr0_ack_handshake)
{
    struct env e;

    env_init(&e, NULL);
    W32(&e, SMMU_CR0, 0xFFFFFFFF);
    /* Implemented: SMMUEN, EVENTQEN, CMDQEN, ATSCHK (ATS=1); PRIQEN/VMW/DPT RES0. */
    cr_assert_eq(R32(&e, SMMU_CR0), 0x1D);
    cr_assert_eq(R32(&e, SMMU_CR0ACK), 0x1D);
    W32(&e, SMMU_CR0ACK, 0);                 /* RO */
    cr_assert_eq(R32(&e, SMMU_CR0ACK), 0x1D);
    W32(&e, SMMU_CR0, CR0_SMMUEN);
    cr_assert_eq(R32(&e, SMMU_CR0ACK), CR0_SMMUEN);
    W32(&e, SMMU_CR0, 0);
    cr_assert_eq(R32(&e, SMMU_CR0ACK), 0);
    env_fini(&e);
}

Test(smmuv3_regs, irq_ctrl_handshake)
{
    struct env e;

    env_init(&e, NULL);
    W32(&e, SMMU_IRQ_CTRL, 0xFF);
    cr_assert_eq(R32(&e, SMMU_IRQ_CTRL), 0x5);   /* PRIQ_IRQEN RES0 without PRI */
    cr_assert_eq(R32(&e, SMMU_IRQ_CTRLACK), 0x5);
    /* Guarded CFG registers are RO while the matching IRQEN is set. */
    W64(&e, SMMU_GERROR_IRQ_CFG0, 0x1234);
    cr_assert_eq(R64(&e, SMMU_GERROR_IRQ_CFG0), 0);
    W32(&e, SMMU_EVENTQ_IRQ_CFG1, 7);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_IRQ_CFG1), 0);
    W32(&e, SMMU_IRQ_CTRL, 0);
    cr_assert_eq(R32(&e, SMMU_IRQ_CTRLACK), 0);
    W64(&e, SMMU_GERROR_IRQ_CFG0, 0x1237);
    cr_assert_eq(R64(&e, SMMU_GERROR_IRQ_CFG0), 0x1234);   /* ADDR[55:2] */
    W32(&e, SMMU_EVENTQ_IRQ_CFG1, 7);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_IRQ_CFG1), 7);
    env_fini(&e);
}

Test(smmuv3_regs, gbpa_update_protocol)
{
    struct env e;
    uint8_t buf[8] = { 0 };
    struct emu_fault f;

    env_init(&e, NULL);
    cr_assert_eq(R32(&e, SMMU_GBPA), 0x1000);
    /* SMMUEN=0 and GBPA.ABORT=0: bypass. */
    put64(&e, DATA_GPA, 0x1122334455667788ull);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, DATA_GPA, buf, 8, false, &f), 0);
    cr_assert_eq(buf[0], 0x88);
    /* Update=0: ignored (v3.2). */
    W32(&e, SMMU_GBPA, GBPA_ABORT);
    cr_assert_eq(R32(&e, SMMU_GBPA), 0x1000);
    /* Update=1: applied, Update clears. */
    W32(&e, SMMU_GBPA, GBPA_UPDATE | GBPA_ABORT | 0x3000);
    cr_assert_eq(R32(&e, SMMU_GBPA), GBPA_ABORT | 0x3000);
    cr_assert_eq(dma(&e, 3, EMU_NO_PASID, DATA_GPA, buf, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 0);
    cr_assert_eq(f.iova, DATA_GPA);
    /* Reserved bits are not stored. */
    W32(&e, SMMU_GBPA, 0xFFFFFFFF);
    cr_assert_eq(R32(&e, SMMU_GBPA), 0x001F3F1F);
    env_fini(&e);
}

Test(smmuv3_regs, guards_while_enabled)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    W64(&e, SMMU_STRTAB_BASE, 0x5000000);
    cr_assert_eq(R64(&e, SMMU_STRTAB_BASE), STRTAB_GPA);
    W32(&e, SMMU_STRTAB_BASE_CFG, 3);
    cr_assert_eq(R32(&e, SMMU_STRTAB_BASE_CFG), 8);
    W32(&e, SMMU_CR2, 0);
    cr_assert_eq(R32(&e, SMMU_CR2), CR2_RECINVSID);
    W64(&e, SMMU_CMDQ_BASE, 0x5000000);
    cr_assert_eq(R64(&e, SMMU_CMDQ_BASE), CMDQ_GPA | CMDQ_LOG2);
    W32(&e, SMMU_CMDQ_CONS, 5);
    cr_assert_eq(R32(&e, SMMU_CMDQ_CONS), 0);
    W64(&e, SMMU_EVENTQ_BASE, 0);
    cr_assert_eq(R64(&e, SMMU_EVENTQ_BASE), EVTQ_GPA | EVTQ_LOG2);
    W32(&e, SMMU_EVENTQ_PROD, 3);
    cr_assert_eq(R32(&e, SMMU_EVENTQ_PROD), 0);
    W32(&e, SMMU_EVENTQ_CONS, 0x80000000u);      /* always writable */
    cr_assert_eq(R32(&e, SMMU_EVENTQ_CONS), 0x80000000u);
    /* CR1: all fields guarded (SMMUEN and queues on). */
    W32(&e, SMMU_CR1, 0);
    cr_assert_eq(R32(&e, SMMU_CR1), 0x0D75);
    /* Queues off, SMMUEN on: QUEUE_* writable, TABLE_* not. */
    cr0_sync(&e, CR0_SMMUEN);
    W32(&e, SMMU_CR1, 0);
    cr_assert_eq(R32(&e, SMMU_CR1), 0x0D40);
    W64(&e, SMMU_CMDQ_BASE, CMDQ_GPA | 4);
    cr_assert_eq(R64(&e, SMMU_CMDQ_BASE), CMDQ_GPA | 4);
    cr0_sync(&e, 0);
    W64(&e, SMMU_STRTAB_BASE, 0x5000040);
    cr_assert_eq(R64(&e, SMMU_STRTAB_BASE), 0x5000040);
    env_fini(&e);
}

Test(smmuv3_regs, access_rules)
{
    struct env e;

    env_init(&e, NULL);
    /* 64-bit access to a pair of 32-bit registers, sub-word and misaligned: RAZ/WI. */
    cr_assert_eq(emu_mmio_read(e.u, SMMU_IDR0, 8), 0);
    cr_assert_eq(emu_mmio_read(e.u, SMMU_IDR0, 1), 0);
    cr_assert_eq(emu_mmio_read(e.u, SMMU_IDR0 + 2, 2), 0);
    cr_assert_eq(emu_mmio_read(e.u, SMMU_IDR0 + 1, 4), 0);
    emu_mmio_write(e.u, SMMU_CR1, 1, 0xff);
    cr_assert_eq(R32(&e, SMMU_CR1), 0);
    /* 32-bit halves of a 64-bit register. */
    W32(&e, SMMU_STRTAB_BASE, 0x12345fc0);
    W32(&e, SMMU_STRTAB_BASE + 4, 0x40000001);
    cr_assert_eq(R64(&e, SMMU_STRTAB_BASE), 0x4000000112345fc0ull);
    cr_assert_eq(R32(&e, SMMU_STRTAB_BASE + 4), 0x40000001);
    /* Undefined Page-0 offsets, the Page-0 aliases, other Page-1 offsets: RES0. */
    W32(&e, 0x0A8, 0xffffffff);
    cr_assert_eq(R32(&e, 0x0A8), 0);
    W32(&e, 0x10020, 0xffffffff);
    cr_assert_eq(R32(&e, 0x10020), 0);
    cr_assert_eq(R32(&e, 0x0A28), 0);
    /* Beyond the register space. */
    cr_assert_eq(emu_mmio_size(e.u), 0x20000);
    cr_assert_eq(emu_mmio_read(e.u, 0x20000, 4), 0);
    cr_assert_eq(emu_mmio_read(e.u, 0x1FFFC, 8), 0);
    emu_mmio_write(e.u, ~0ull - 3, 4, 1);
    env_fini(&e);
}

Test(smmuv3_regs, gerror_toggle_protocol)
{
    struct env e;
    uint32_t g;

    env_init(&e, NULL);
    bringup(&e);
    /* Toggling an inactive GERRORN bit is ignored (documented choice). */
    W32(&e, SMMU_GERRORN, GERR_CMDQ);
    cr_assert_eq(R32(&e, SMMU_GERRORN), 0);
    /* A reserved opcode stops the queue with CERROR_ILL at RD. */
    cmd(&e, 0xFF, 0);
    g = R32(&e, SMMU_GERROR);
    cr_assert_eq(g, GERR_CMDQ);
    cr_assert_eq(R32(&e, SMMU_CMDQ_CONS), (uint32_t)CERROR_ILL << 24);
    cr_assert_eq(S(&e)->irq_gerror, 1);
    /* Nothing more is consumed while active. */
    cmd(&e, CMD_SYNC, 0);
    cr_assert_eq(R32(&e, SMMU_CMDQ_CONS) & 0xfffff, 0);
    /* Software replaces the command with a SYNC (as Linux) and acks. */
    put64(&e, CMDQ_GPA, CMD_SYNC);
    W32(&e, SMMU_GERRORN, g);
    cr_assert_eq(R32(&e, SMMU_GERRORN), GERR_CMDQ);
    cr_assert_eq(R32(&e, SMMU_CMDQ_CONS) & 0xfffff, 2);
    /* Second error toggles GERROR back to 0 = active again (differs from GERRORN). */
    cmd(&e, 0x7F, 0);
    cr_assert_eq(R32(&e, SMMU_GERROR), 0);
    cr_assert_eq((R32(&e, SMMU_GERROR) ^ R32(&e, SMMU_GERRORN)) & GERR_CMDQ, GERR_CMDQ);
    cr_assert_eq(S(&e)->irq_gerror, 2);
    env_fini(&e);
}

Test(smmuv3_regs, gerror_msi)
{
    struct env e;

    env_init(&e, NULL);
    W64(&e, SMMU_GERROR_IRQ_CFG0, MSI_GPA);
    W32(&e, SMMU_GERROR_IRQ_CFG1, 0xCAFE);
    bringup(&e);
    cmd(&e, 0xFF, 0);
    cr_assert_eq(get64(&e, MSI_GPA) & 0xffffffff, 0xCAFE);
    cr_assert_eq(S(&e)->msi_writes, 1);
    env_fini(&e);

    /* MSI to an unmapped address aborts: MSI_GERROR_ABT_ERR, without another MSI. */
    env_init(&e, NULL);
    W64(&e, SMMU_GERROR_IRQ_CFG0, 0x7000000000ull);
    bringup(&e);
    cmd(&e, 0xFF, 0);
    cr_assert_eq(R32(&e, SMMU_GERROR), GERR_CMDQ | GERR_MSI_GERROR_ABT);
    cr_assert_eq(S(&e)->msi_writes, 0);
    cr_assert_eq(S(&e)->irq_gerror, 2);
    env_fini(&e);
}

Test(smmuv3_regs, reset_clears_state)
{
    struct env e;

    env_init(&e, NULL);
    bringup(&e);
    cmd(&e, 0xFF, 0);
    emu_iommu_reset(e.u);
    cr_assert_eq(R32(&e, SMMU_CR0), 0);
    cr_assert_eq(R32(&e, SMMU_CR0ACK), 0);
    cr_assert_eq(R32(&e, SMMU_GERROR), 0);
    cr_assert_eq(R64(&e, SMMU_CMDQ_BASE), 0);
    cr_assert_eq(R32(&e, SMMU_GBPA), 0x1000);
    cr_assert_eq(R32(&e, SMMU_IDR0), 0x0D4C749B);
    env_fini(&e);
}
