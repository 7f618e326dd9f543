/* Register file: reset values and masks of every row (table-driven and from
 * independently typed reference values), profiles, Control/Status handshakes,
 * ring-pointer rules (amdvi.md §1-§3). */
#include <errno.h>
#include "amdvi_test.h"

#define EFR_DEF 0x0013400F00005859ull

static void setup(void) { t_setup(NULL); }
static void teardown(void) { t_teardown(); }
TestSuite(amdvi_regs, .init = setup, .fini = teardown);

static uint64_t row_reset(const struct emu_reg *r)
{
    if (r->offset == AMDVI_EFR)
        return EFR_DEF;
    return r->reset;
}

Test(amdvi_regs, reset_every_row)
{
    for (size_t i = 0; i < amdvi_nregs; i++) {
        const struct emu_reg *r = &amdvi_regs[i];
        uint64_t v = emu_mmio_read(T.io, r->offset, r->width);
        uint64_t m = r->width == 8 ? ~0ull : (1ull << (8 * r->width)) - 1;
        cr_assert_eq(v, row_reset(r) & ~r->womask & m, "%s reset 0x%llx", r->name,
                     (unsigned long long)v);
        cr_assert_str_eq(emu_reg_name(T.io, r->offset), r->name);
    }
}

/* Independent values typed from amdvi.md §1.2 / §1.3 / §2. */
Test(amdvi_regs, reset_reference_values)
{
    cr_assert_eq(rd(0x0000), 0);
    cr_assert_eq(rd(0x0008), 0x0800000000000000ull);
    cr_assert_eq(rd(0x0010), 0x0800000000000000ull);
    cr_assert_eq(rd(0x0018), 0x400ull);
    cr_assert_eq(rd(0x0020), 0);
    cr_assert_eq(rd(0x0028), 0);
    cr_assert_eq(rd(0x0030), EFR_DEF);
    cr_assert_eq(rd(0x0038), 0x0800000000000000ull);
    cr_assert_eq(rd(0x00E0), 0x0800000000000000ull);
    cr_assert_eq(rd(0x00F0), 0x0800000000000000ull);
    cr_assert_eq(rd(0x00F8), 0x0800000000000000ull);
    cr_assert_eq(rd(0x01A0), 0);
    for (uint64_t o = 0x2000; o <= 0x2018; o += 8)
        cr_assert_eq(rd(o), 0);
    cr_assert_eq(rd(0x2020), 0);
    cr_assert_eq(emu_mmio_size(T.io), 0x4000);
}

/* Rows without hooks: write all-ones then zero, expect exactly the masks. */
Test(amdvi_regs, masks_every_plain_row)
{
    for (size_t i = 0; i < amdvi_nregs; i++) {
        const struct emu_reg *r = &amdvi_regs[i];
        if (r->write)
            continue;
        uint64_t m = r->width == 8 ? ~0ull : (1ull << (8 * r->width)) - 1;
        uint64_t old = emu_mmio_read(T.io, r->offset, r->width);
        emu_mmio_write(T.io, r->offset, r->width, ~0ull);
        uint64_t exp = (((old & ~r->wmask) | r->wmask) & ~r->w1cmask) & ~r->womask & m;
        cr_assert_eq(emu_mmio_read(T.io, r->offset, r->width), exp, "%s ones", r->name);
        emu_mmio_write(T.io, r->offset, r->width, 0);
        exp = ((old & ~r->wmask) & ~r->w1cmask) & ~r->womask & m;
        cr_assert_eq(emu_mmio_read(T.io, r->offset, r->width), exp, "%s zero", r->name);
    }
}

Test(amdvi_regs, masks_reference_values)
{
    wr(0x0000, ~0ull);
    cr_assert_eq(rd(0x0000), 0x000FFFFFFFFFF1FFull);
    wr(0x0020, ~0ull);
    cr_assert_eq(rd(0x0020), 0x000FFFFFFFFFF003ull);
    wr(0x0028, ~0ull);
    cr_assert_eq(rd(0x0028), 0x000FFFFFFFFFF000ull);
    wr(0x0030, ~0ull);   /* EFR read-only (QEMU leaves bit 4 writable) */
    cr_assert_eq(rd(0x0030), EFR_DEF);
    wr(0x0030, 0);
    cr_assert_eq(rd(0x0030), EFR_DEF);
    wr(0x01A0, ~0ull);
    cr_assert_eq(rd(0x01A0), 0);
    wr(0x0170, ~0ull);
    cr_assert_eq(rd(0x0170), 0xFF0000FFFFFFFF04ull);
    wr(0x2040, ~0ull);
    cr_assert_eq(rd(0x2040), 0xFFF8);
    wr(0x2030, ~0ull);
    cr_assert_eq(rd(0x2030), 0x7FFF0);
    wr(0x0050, ~0ull);   /* RW1C of zeros stays zero */
    cr_assert_eq(rd(0x0050), 0);
}

Test(amdvi_regs, ring_bar_writes)
{
    /* Both rings: base + len, head/tail cleared, reserved Len < 8 ignored. */
    wr(AMDVI_CMD_BUF_BAR, ~0ull);
    cr_assert_eq(rd(AMDVI_CMD_BUF_BAR), 0x0F0FFFFFFFFFF000ull);
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (9ull << 56));
    wr32(AMDVI_CMD_TAIL, 0x40);
    wr32(AMDVI_CMD_HEAD, 0x20);
    cr_assert_eq(rd(AMDVI_CMD_TAIL), 0x40);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0x20);
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (7ull << 56));   /* Len 7 reserved: ignored */
    cr_assert_eq(rd(AMDVI_CMD_BUF_BAR), CMDBUF | (9ull << 56));
    cr_assert_eq(rd(AMDVI_CMD_TAIL), 0x40);
    /* two dwords, low then high (memcpy_toio) */
    wr32(AMDVI_CMD_BUF_BAR, 0x00200000);
    cr_assert_eq(rd(AMDVI_CMD_TAIL), 0);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0);
    wr32(AMDVI_CMD_BUF_BAR + 4, 0x0A000000);
    cr_assert_eq(rd(AMDVI_CMD_BUF_BAR), 0x0A00000000200000ull);
    wr(AMDVI_EVT_LOG_BAR, EVTLOG | (8ull << 56));
    wr32(AMDVI_EVT_TAIL, 0x30);
    wr32(AMDVI_EVT_HEAD, 0x10);
    wr(AMDVI_EVT_LOG_BAR, EVTLOG | (9ull << 56));
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0);
    cr_assert_eq(rd(AMDVI_EVT_HEAD), 0);
    wr(AMDVI_PPR_LOG_BAR, 0x5000 | (3ull << 56));
    cr_assert_eq(rd(AMDVI_PPR_LOG_BAR), 0x0800000000000000ull);
    wr(AMDVI_GA_LOG_BAR, 0x5000 | (9ull << 56));
    cr_assert_eq(rd(AMDVI_GA_LOG_BAR), 0x0900000000005000ull);
}

Test(amdvi_regs, pointers_beyond_ring_ignored)
{
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (8ull << 56));     /* 4 KiB ring */
    wr32(AMDVI_CMD_TAIL, 0x1000);
    cr_assert_eq(rd(AMDVI_CMD_TAIL), 0);
    wr32(AMDVI_CMD_TAIL, 0xFF0);
    cr_assert_eq(rd(AMDVI_CMD_TAIL), 0xFF0);
    wr32(AMDVI_CMD_HEAD, 0x7FFF0);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0);
    wr32(AMDVI_CMD_HEAD, 0x1F);                        /* low bits reserved */
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0x10);
    wr32(AMDVI_EVT_HEAD, 0x1000);
    cr_assert_eq(rd(AMDVI_EVT_HEAD), 0);
}

Test(amdvi_regs, run_states_follow_control)
{
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (9ull << 56));
    wr(AMDVI_EVT_LOG_BAR, EVTLOG | (9ull << 56));
    wr(AMDVI_CONTROL, 0x400 | CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN);
    cr_assert_eq(rd(AMDVI_STATUS) & (ST_CMDBUF_RUN | ST_EVT_LOG_RUN), 0);
    wr(AMDVI_CONTROL, 0x400 | CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN | CTRL_IOMMU_EN);
    cr_assert_eq(rd(AMDVI_STATUS), ST_CMDBUF_RUN | ST_EVT_LOG_RUN);
    /* head writable only while stopped; evt tail too */
    wr32(AMDVI_CMD_HEAD, 0x100);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0);
    wr32(AMDVI_EVT_TAIL, 0x100);
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0);
    /* base writes ignored while running */
    wr(AMDVI_CMD_BUF_BAR, 0x500000 | (9ull << 56));
    cr_assert_eq(rd(AMDVI_CMD_BUF_BAR), CMDBUF | (9ull << 56));
    wr(AMDVI_EVT_LOG_BAR, 0x500000 | (9ull << 56));
    cr_assert_eq(rd(AMDVI_EVT_LOG_BAR), EVTLOG | (9ull << 56));
    wr(AMDVI_CONTROL, 0x400 | CTRL_EVT_LOG_EN | CTRL_IOMMU_EN);
    cr_assert_eq(rd(AMDVI_STATUS), ST_EVT_LOG_RUN);
    wr(AMDVI_CONTROL, 0x400 | CTRL_EVT_LOG_EN | CTRL_CMDBUF_EN);
    cr_assert_eq(rd(AMDVI_STATUS), 0);
    /* RO run bits cannot be written */
    wr(AMDVI_STATUS, ~0ull);
    cr_assert_eq(rd(AMDVI_STATUS), 0);
    /* PPR/GA run need the feature: default has no PPRSup/GASup */
    wr(AMDVI_CONTROL, 0x400 | CTRL_IOMMU_EN | CTRL_PPRLOG_EN | CTRL_GALOG_EN);
    cr_assert_eq(rd(AMDVI_STATUS), 0);
}

Test(amdvi_regs, control_write_mask_and_segments)
{
    wr(AMDVI_CONTROL, ~0ull & ~(7ull << 34) & ~CTRL_IOMMU_EN);
    cr_assert_eq(rd(AMDVI_CONTROL), 0xFDFDFFE3FFFFFFFEull);
    /* DevTblSegEn beyond EFR.DevTblSegSup (0): the whole write is ignored. */
    wr(AMDVI_CONTROL, 0x400 | (1ull << 34));
    cr_assert_eq(rd(AMDVI_CONTROL), 0xFDFDFFE3FFFFFFFEull);
}

Test(amdvi_regs, names_lookup_decode)
{
    unsigned w = 0;
    cr_assert_str_eq(emu_reg_name(T.io, 0x18), "CONTROL");
    cr_assert_str_eq(emu_reg_name(T.io, 0x2024), "STATUS");
    cr_assert_eq(emu_reg_lookup(T.io, "status", &w), 0x2020);
    cr_assert_eq(w, 8);
    cr_assert_eq(emu_reg_lookup(T.io, "EVT_LOG_BAR", NULL), 0x10);
    cr_assert_eq(emu_reg_lookup(T.io, "NOPE", NULL), -1);
    char buf[512];
    emu_reg_decode(T.io, 0x18, CTRL_IOMMU_EN | CTRL_CMDBUF_EN, buf, sizeof(buf));
    cr_assert(strstr(buf, "IommuEn=1"), "%s", buf);
    cr_assert(strstr(buf, "CmdBufEn=1"), "%s", buf);
    emu_reg_decode(T.io, 0x30, EFR_DEF, buf, sizeof(buf));
    cr_assert(strstr(buf, "HDSup=1"), "%s", buf);
    cr_assert(strstr(buf, "HATS=2"), "%s", buf);
}

Test(amdvi_regs, reserved_space)
{
    uint64_t offs[] = {0x58, 0x60, 0xD8, 0x188, 0x198, 0x200, 0x1000, 0x2028, 0x2060, 0x3FF8};
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        wr(offs[i], ~0ull);
        cr_assert_eq(rd(offs[i]), 0, "0x%llx", (unsigned long long)offs[i]);
    }
    cr_assert_eq(rd(0x4000), 0);
    cr_assert_eq(emu_mmio_read(T.io, 0x3FFC, 8), 0);
    cr_assert_eq(emu_mmio_read(T.io, ~0ull - 2, 4), 0);
    emu_mmio_write(T.io, 0x18, 3, 1);     /* odd width: ignored by the core */
    cr_assert_eq(rd(0x18), 0x400);
    /* byte access works on a real register */
    emu_mmio_write(T.io, 0x21, 1, 0x30);
    cr_assert_eq(rd(0x20), 0x3000);
    cr_assert_eq(emu_mmio_read(T.io, 0x19, 1), 0x04);
}

Test(amdvi_regs, profiles)
{
    struct emu_iommu *q = emu_iommu_new(EMU_AMDVI, "qemu", T.mem);
    cr_assert(q);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), 0x29D3);
    cr_assert_eq(emu_mmio_read(q, 0x1A0, 8), 0);
    emu_iommu_free(q);
    q = emu_iommu_new(EMU_AMDVI, "nodirty", T.mem);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), EFR_DEF & ~(1ull << 52));
    emu_iommu_free(q);
    q = emu_iommu_new(EMU_AMDVI, "default", T.mem);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), EFR_DEF);
    emu_iommu_free(q);
    q = emu_iommu_new(EMU_AMDVI, "noad", T.mem);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), EFR_DEF & ~(1ull << 52) & ~(1ull << 49));
    emu_iommu_free(q);
    q = emu_iommu_new(EMU_AMDVI, "qemu,efr2=0x108,efr=0x40", T.mem);
    cr_assert(q);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), 0x40);
    cr_assert_eq(emu_mmio_read(q, 0x1A0, 8), 0x108);
    emu_iommu_free(q);
    q = emu_iommu_new(EMU_AMDVI, "efr=0x200", T.mem);   /* no base: default + override */
    cr_assert(q);
    cr_assert_eq(emu_mmio_read(q, 0x30, 8), 0x200);
    cr_assert_eq(emu_mmio_size(q), 0x80000);            /* PCSup */
    emu_iommu_free(q);
    const char *bad[] = {"bogus", "default,", "default,efr", "default,efr=", "default,efr=12x",
                         "default,cap=1", "qemu,efr=-1", "QEMUX", "nodirty,efr=1,efr2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        cr_assert_null(emu_iommu_new(EMU_AMDVI, bad[i], T.mem), "%s", bad[i]);
        cr_assert_eq(errno, EINVAL, "%s", bad[i]);
    }
    ASSERT_NO_LEAKS();
}

Test(amdvi_regs, set_id_at_reset)
{
    cr_assert_eq(emu_iommu_set_id(T.io, "EFR", 0x1234), 0);
    cr_assert_eq(emu_iommu_set_id(T.io, "efr2", 0x8), 0);
    cr_assert_eq(emu_iommu_set_id(T.io, "cap", 1), -EINVAL);
    cr_assert_eq(rd(0x30), EFR_DEF);           /* takes effect at reset */
    emu_iommu_reset(T.io);
    cr_assert_eq(rd(0x30), 0x1234);
    cr_assert_eq(rd(0x1A0), 0x8);
}

Test(amdvi_regs, reset_restores_everything)
{
    t_bringup();
    wr(AMDVI_EXCL_BASE, 0x5003);
    emu_iommu_reset(T.io);
    cr_assert_eq(rd(AMDVI_CONTROL), 0x400);
    cr_assert_eq(rd(AMDVI_STATUS), 0);
    cr_assert_eq(rd(AMDVI_EXCL_BASE), 0);
    cr_assert_eq(rd(AMDVI_CMD_BUF_BAR), 0x0800000000000000ull);
}
