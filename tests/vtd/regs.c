/* VT-d register file: reset values, masks, profiles, GCMD handshake,
 * register-based invalidation (vtd.md §1-§3, §5.1). */
#include "vtd_util.h"

const struct emu_reg *vtd_fixed_rows(size_t *n);

/* Independent expectations for the default profile, typed from vtd.md §1.2
 * and the profile definition in docs/vtd.md: offset, width, reset value,
 * value read after writing all-ones (from reset, on a fresh instance). */
static const struct {
    uint32_t off;
    unsigned w;
    uint64_t reset, after_ones;
} expect[] = {
    { VTD_VER, 4, 0x10, 0x10 },
    { VTD_GCMD, 4, 0, 0 },                 /* write-only */
    { VTD_GSTS, 4, 0, 0 },                 /* all-ones GCMD = several commands: ignored */
    { VTD_RTADDR, 8, 0, 0xfffffffffffffc00ull },
    { VTD_FSTS, 4, 0, 0 },
    { VTD_FECTL, 4, 0x80000000, 0x80000000 },
    { VTD_FEDATA, 4, 0, 0xffff },
    { VTD_FEADDR, 4, 0, 0xfffffffc },
    { VTD_FEUADDR, 4, 0, 0xffffffff },     /* EIM=1 */
    { VTD_AFLOG, 8, 0, 0 },                /* AFL=0: reserved */
    { VTD_PMEN, 4, 0, 0 },                 /* no PLMR/PHMR: reserved */
    { VTD_IQH, 8, 0, 0 },
    { VTD_IQT, 8, 0, 0x7fff0 },
    { VTD_IQA, 8, 0, 0xfffffffffffff807ull },
    { VTD_ICS, 4, 0, 0 },
    { VTD_IECTL, 4, 0x80000000, 0x80000000 },
    { VTD_IEDATA, 4, 0, 0xffff },
    { VTD_IEADDR, 4, 0, 0xfffffffc },
    { VTD_IEUADDR, 4, 0, 0xffffffff },
    { VTD_IQERCD, 8, 0, 0 },
    { VTD_IRTA, 8, 0, 0xfffffffffffff80full },
    { VTD_PQH, 8, 0, 0 },                  /* PRS=0: reserved */
    { VTD_PECTL, 4, 0, 0 },
    { 0x500, 8, 0, 0 },                    /* IVA (IRO=0x50): write-only */
    { 0x400, 8, 0, 0 },                    /* FRCD0 low: RO */
    { 0x408, 8, 0, 0 },                    /* FRCD0 high: F is RW1C */
    { 0x470, 8, 0, 0 },                    /* FRCD7 low */
    { 0x480, 8, 0, 0 },                    /* past the last FRCD: reserved */
    { 0x030, 4, 0, 0 },                    /* reserved */
};

Test(vtd_regs, default_reset_and_masks)
{
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        struct tenv t;
        env_init(&t, NULL);
        cr_expect_eq(rd(&t, expect[i].off, expect[i].w), expect[i].reset, "reset of 0x%x", expect[i].off);
        wr(&t, expect[i].off, expect[i].w, ~0ull);
        cr_expect_eq(rd(&t, expect[i].off, expect[i].w), expect[i].after_ones, "ones 0x%x = 0x%llx",
                     expect[i].off, (unsigned long long)rd(&t, expect[i].off, expect[i].w));
        env_fini(&t);
    }
    ASSERT_NO_LEAKS();
}

Test(vtd_regs, id_values_per_profile)
{
    struct tenv t;
    env_init(&t, "default");
    uint64_t cap = rd(&t, VTD_CAP, 8), ecap = rd(&t, VTD_ECAP, 8);
    cr_expect_eq(cap, 0x81D2078C402F0606ull, "cap 0x%llx", (unsigned long long)cap);
    cr_expect_eq(CAP_FRO(cap) * 16, 0x400);
    cr_expect_eq(CAP_NFR(cap) + 1, 8);
    cr_expect_eq(ECAP_IRO(ecap) * 16, 0x500);
    cr_expect_eq(ecap, 0x0003E99800F050DFull, "ecap 0x%llx", (unsigned long long)ecap);
    cr_expect(ecap & ECAP_SSADS);
    cr_expect(ecap & ECAP_SMTS);
    cr_expect(ecap & ECAP_QI);
    cr_expect_eq(rd(&t, VTD_CAP + 4, 4), cap >> 32);   /* CAP_HI by dword */
    wr(&t, VTD_CAP, 8, 0);                             /* RO */
    cr_expect_eq(rd(&t, VTD_CAP, 8), cap);
    cr_expect_eq(emu_mmio_size(t.io), 0x1000);
    env_fini(&t);

    env_init(&t, "nodirty");
    cr_expect_eq(rd(&t, VTD_ECAP, 8), ecap & ~ECAP_SSADS);
    env_fini(&t);

    env_init(&t, "qemu");
    cr_expect_eq(rd(&t, VTD_CAP, 8), 0x00D2008C222F0606ull);
    cr_expect_eq(rd(&t, VTD_ECAP, 8), 0xF42ull);
    /* QEMU layout: IVA 0xF0, IOTLB 0xF8, one FRCD at 0x220. */
    cr_expect_str_eq(emu_reg_name(t.io, 0xf8), "IOTLB");
    cr_expect_str_eq(emu_reg_name(t.io, 0x228), "FRCD0_HI");
    cr_expect_null(emu_reg_name(t.io, 0x230));
    /* No SMTS: IQA.DW is reserved; no EIM: FEUADDR RO 0. */
    wr(&t, VTD_IQA, 8, ~0ull);
    cr_expect_eq(rd(&t, VTD_IQA, 8), 0xfffffffffffff007ull);
    wr(&t, VTD_FEUADDR, 4, ~0u);
    cr_expect_eq(rd(&t, VTD_FEUADDR, 4), 0);
    /* No IR: IRTA reserved. */
    wr(&t, VTD_IRTA, 8, ~0ull);
    cr_expect_eq(rd(&t, VTD_IRTA, 8), 0);
    env_fini(&t);

    env_init(&t, "5level");
    cr_expect_eq(CAP_SAGAW(rd(&t, VTD_CAP, 8)), 0xe);
    cr_expect_eq(CAP_MGAW(rd(&t, VTD_CAP, 8)), 56);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_regs, profile_overrides_and_errors)
{
    struct tenv t;
    env_init(&t, "qemu,ecap=0xF4A,cap=0x00D2008C222F0606");
    cr_expect_eq(rd(&t, VTD_ECAP, 8), 0xF4Aull);
    env_fini(&t);
    env_init(&t, "ver=0x60");
    cr_expect_eq(rd(&t, VTD_VER, 4), 0x60);
    env_fini(&t);

    struct emu_mem *mem = emu_mem_new();
    const char *bad[] = { "bogus", "default,nope=1", "cap=", "cap=12x", "default,qemu",
                          "ecap=0x0" /* IRO 0 overlaps GCMD */, "cap=0x1" /* MGAW 0 */ };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        cr_expect_null(emu_iommu_new(EMU_VTD, bad[i], mem), "%s", bad[i]);
        cr_expect_eq(errno, EINVAL, "%s", bad[i]);
    }
    emu_mem_free(mem);

    env_init(&t, NULL);
    cr_expect_eq(emu_iommu_set_id(t.io, "bogus", 1), -EINVAL);
    cr_expect_eq(emu_iommu_set_id(t.io, "ecap", 0), -EINVAL);
    /* Raw override takes effect at reset: move the FRCDs to 0x800, 2 of them. */
    uint64_t cap = rd(&t, VTD_CAP, 8);
    uint64_t ncap = (cap & ~((0x3ffull << 24) | (0xffull << 40))) | (0x80ull << 24) | (1ull << 40);
    cr_expect_eq(emu_iommu_set_id(t.io, "cap", ncap), 0);
    cr_expect_eq(rd(&t, VTD_CAP, 8), cap);
    emu_iommu_reset(t.io);
    cr_expect_eq(rd(&t, VTD_CAP, 8), ncap);
    cr_expect_str_eq(emu_reg_name(t.io, 0x818), "FRCD1_HI");
    cr_expect_null(emu_reg_name(t.io, 0x400));
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* Every row of the table: reset value as the table says (for rows whose
 * value does not come from the profile), RO rows ignore writes. */
Test(vtd_regs, table_driven_rows)
{
    struct tenv t;
    env_init(&t, NULL);
    struct vtd *v = model(&t);
    cr_assert_gt(v->nrows, 40);
    for (size_t i = 0; i < v->nrows; i++) {
        const struct emu_reg *r = &v->rows[i];
        cr_expect_str_eq(emu_reg_name(t.io, r->offset), r->name);
        unsigned w;
        cr_expect_eq(emu_reg_lookup(t.io, r->name, &w), (int64_t)r->offset, "%s", r->name);
        cr_expect_eq(w, r->width);
        if (r->offset == VTD_VER || r->offset == VTD_CAP || r->offset == VTD_ECAP)
            continue;
        uint64_t exp = r->reset & ~r->womask;
        /* Rows of absent features (PRS, PLMR/PHMR, AFL) read 0. */
        if ((r->offset >= VTD_PQH && r->offset < VTD_FIXED_END) || r->offset == VTD_PMEN ||
            (r->offset >= VTD_PLMBASE && r->offset < VTD_IQH) || r->offset == VTD_AFLOG)
            exp = 0;
        cr_expect_eq(rd(&t, r->offset, r->width), exp, "%s", r->name);
    }
    for (size_t i = 0; i < v->nrows; i++) {
        const struct emu_reg *r = &v->rows[i];
        if (r->wmask || r->w1cmask)
            continue;
        uint64_t before = rd(&t, r->offset, r->width);
        wr(&t, r->offset, r->width, 0x5a5a5a5a5a5a5a5aull);
        cr_expect_eq(rd(&t, r->offset, r->width), before, "RO %s", r->name);
    }
    char buf[128];
    cr_expect_gt(emu_reg_decode(t.io, VTD_GSTS, 0x84000000u, buf, sizeof(buf)), 0);
    cr_expect(strstr(buf, "TES=1") && strstr(buf, "QIES=1"), "%s", buf);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_regs, gcmd_handshakes)
{
    struct tenv t;
    env_init(&t, NULL);
    /* SRTP latches RTADDR and sets RTPS. */
    wr(&t, VTD_RTADDR, 8, 0x123000 | (1 << 10));
    gcmd(&t, GCMD_SRTP, true);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), GCMD_SRTP);
    cr_expect_eq(model(&t)->root, 0x123000);
    cr_expect_eq(model(&t)->ttm, 1);
    /* TE on / off. */
    gcmd(&t, GCMD_TE, true);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), GCMD_TE | GCMD_SRTP);
    cr_expect_eq(rd(&t, VTD_GCMD, 4), 0);   /* write-only */
    gcmd(&t, GCMD_TE, false);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_TE, 0);
    /* QIE: latched queue, IQH reset. */
    wr(&t, VTD_IQA, 8, 0x200000 | 1);
    gcmd(&t, GCMD_QIE, true);
    cr_expect(rd(&t, VTD_GSTS, 4) & GCMD_QIE);
    cr_expect_eq(model(&t)->iq_entries, 512);
    gcmd(&t, GCMD_QIE, false);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_QIE, 0);
    cr_expect_eq(rd(&t, VTD_IQH, 8), 0);
    /* IRE / SIRTP / CFI (ECAP.IR=1). */
    wr(&t, VTD_IRTA, 8, 0x300000 | 0xf);
    gcmd(&t, GCMD_SIRTP, true);
    cr_expect(rd(&t, VTD_GSTS, 4) & GCMD_SIRTP);
    cr_expect_eq(model(&t)->irta, 0x30000f);
    gcmd(&t, GCMD_IRE, true);
    cr_expect(rd(&t, VTD_GSTS, 4) & GCMD_IRE);
    gcmd(&t, GCMD_CFI, true);
    cr_expect(rd(&t, VTD_GSTS, 4) & GCMD_CFI);
    gcmd(&t, GCMD_CFI, false);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_CFI, 0);
    /* WBF completes at once: WBFS reads 0. */
    gcmd(&t, GCMD_WBF, true);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_WBF, 0);
    /* Two commands in one write: neither performed. */
    uint32_t sts = (uint32_t)rd(&t, VTD_GSTS, 4);
    wr(&t, VTD_GCMD, 4, (sts & 0x96ffffffu) | GCMD_TE | GCMD_QIE);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), sts);
    /* Reserved GCMD bits alone: nothing. */
    wr(&t, VTD_GCMD, 4, (sts & 0x96ffffffu) | 0x7fffff);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), sts);
    /* SFL/EAFL without CAP.AFL: ignored. */
    gcmd(&t, GCMD_EAFL, true);
    cr_expect_eq(rd(&t, VTD_GSTS, 4) & GCMD_EAFL, 0);
    /* Reset returns everything. */
    emu_iommu_reset(t.io);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), 0);
    cr_expect_eq(rd(&t, VTD_RTADDR, 8), 0);
    env_fini(&t);

    /* qemu profile: no IR -> IRE/SIRTP ignored. */
    env_init(&t, "qemu");
    gcmd(&t, GCMD_IRE, true);
    gcmd(&t, GCMD_SIRTP, true);
    cr_expect_eq(rd(&t, VTD_GSTS, 4), 0);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_regs, register_invalidation)
{
    struct tenv t;
    env_init(&t, NULL);
    /* CCMD: global, domain (legacy: domain), device, invalid granularity. */
    wr(&t, VTD_CCMD, 8, (1ull << 63) | (1ull << 61));
    cr_expect_eq(rd(&t, VTD_CCMD, 8), (1ull << 61) | (1ull << 59));
    wr(&t, VTD_CCMD, 8, (1ull << 63) | (2ull << 61) | 7);
    cr_expect_eq(rd(&t, VTD_CCMD, 8), (2ull << 61) | (2ull << 59) | 7);
    wr(&t, VTD_CCMD, 8, (1ull << 63) | (3ull << 61) | (3ull << 32) | (0x10ull << 16) | 7);
    cr_expect_eq(rd(&t, VTD_CCMD, 8), (3ull << 61) | (3ull << 59) | 7);   /* FM/SID write-only */
    wr(&t, VTD_CCMD, 8, (1ull << 63));
    cr_expect_eq(rd(&t, VTD_CCMD, 8), 0);                                 /* CAIG 00 */
    /* A low-dword write alone does not issue the command. */
    wr(&t, VTD_CCMD, 4, 0x55);
    cr_expect_eq(rd(&t, VTD_CCMD, 8), 0x55);
    /* Issued by the high-dword write. */
    wr(&t, VTD_CCMD + 4, 4, 0xa0000000u);
    cr_expect_eq(rd(&t, VTD_CCMD, 8), (1ull << 61) | (1ull << 59) | 0x55);
    /* Scalable mode: domain-selective performed as global (CAIG=01). */
    wr(&t, VTD_RTADDR, 8, 0x10000 | (1 << 10));
    gcmd(&t, GCMD_SRTP, true);
    wr(&t, VTD_CCMD, 8, (1ull << 63) | (2ull << 61) | 3);
    cr_expect_eq((rd(&t, VTD_CCMD, 8) >> 59) & 3, 1);

    /* IOTLB_REG at IRO*16+8 = 0x508. */
    wr(&t, 0x508, 8, (1ull << 63) | (1ull << 60));
    cr_expect_eq(rd(&t, 0x508, 8), (1ull << 60) | (1ull << 57));
    wr(&t, 0x508, 8, (1ull << 63) | (2ull << 60) | (5ull << 32));
    cr_expect_eq(rd(&t, 0x508, 8), (2ull << 60) | (2ull << 57) | (5ull << 32));
    wr(&t, 0x500, 8, 0x200000 | 9);                                       /* IVA: 2M */
    cr_expect_eq(rd(&t, 0x500, 8), 0);                                    /* write-only */
    wr(&t, 0x508, 8, (1ull << 63) | (3ull << 60) | (5ull << 32));
    cr_expect_eq(rd(&t, 0x508, 8), (3ull << 60) | (3ull << 57) | (5ull << 32));
    wr(&t, 0x500, 8, 19);                                                 /* AM > MAMV */
    wr(&t, 0x508, 8, (1ull << 63) | (3ull << 60));
    cr_expect_eq(rd(&t, 0x508, 8), (3ull << 60));                         /* rejected: IAIG 00 */
    wr(&t, 0x508, 8, (1ull << 63));
    cr_expect_eq(rd(&t, 0x508, 8), 0);
    /* With QI enabled, register invalidation is not performed: ICC stays. */
    qi_setup(&t, true);
    wr(&t, VTD_CCMD, 8, (1ull << 63) | (1ull << 61));
    cr_expect_eq(rd(&t, VTD_CCMD, 8) >> 63, 1);
    wr(&t, 0x508, 8, (1ull << 63) | (1ull << 60));
    cr_expect_eq(rd(&t, 0x508, 8) >> 63, 1);
    env_fini(&t);

    /* No CAP.PSI: page-selective performed as domain-selective (IAIG=10). */
    env_init(&t, "qemu,cap=0x00D2000C222F0606");
    wr(&t, 0xf8, 8, (1ull << 63) | (3ull << 60) | (1ull << 32));
    cr_expect_eq((rd(&t, 0xf8, 8) >> 57) & 3, 2);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

Test(vtd_regs, odd_accesses_never_crash)
{
    struct tenv t;
    env_init(&t, NULL);
    for (uint64_t off = 0; off < 0x1010; off++)
        for (unsigned w = 0; w <= 9; w++) {
            (void)rd(&t, off, w);
        }
    cr_expect_eq(rd(&t, 0x2000, 4), 0);
    cr_expect_eq(rd(&t, ~0ull - 2, 8), 0);
    wr(&t, ~0ull - 2, 8, ~0ull);
    /* Byte access to a 32-bit register. */
    cr_expect_eq(rd(&t, VTD_FECTL + 3, 1), 0x80);
    cr_expect_eq(rd(&t, VTD_VER, 1), 0x10);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}
