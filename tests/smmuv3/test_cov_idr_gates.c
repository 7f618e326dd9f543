/* SMMUv3 control bits gated by ID features (smmuv3.md §3.1-3.2): CR0.ATSCHK
 * needs IDR0.ATS, CR0.VMW needs IDR0.VMW and S2P, CR0.DPT_WALK_EN needs
 * IDR3.DPT; CR2.E2H needs IDR0.Hyp, CR2.PTM needs IDR0.BTM, CR2.REC_CFG_ATS
 * needs IDR0.ATSRECERR; CR2.RECINVSID is always there. Without the feature
 * the bit is RES0 (writes ignored). ID overrides apply at reset. Plus the
 * profile grammar's refusals. */
#include "helpers.h"

static void with_ids(struct env *e, uint32_t idr0, uint32_t idr3)
{
    cr_assert_eq(emu_iommu_set_id(e->u, "idr0", idr0), 0);
    cr_assert_eq(emu_iommu_set_id(e->u, "idr3", idr3), 0);
    emu_iommu_reset(e->u);
    cr_assert_eq(R32(e, SMMU_IDR0), idr0);
}

Test(cov_smmuv3_idr, feature_gated_control_bits)
{
    const uint32_t f0 = IDR0_ATS | IDR0_VMW | IDR0_HYP | IDR0_BTM | IDR0_ATSRECERR;
    const uint32_t cr0_bits = CR0_ATSCHK | CR0_VMW_MASK | CR0_DPT_WALK_EN;
    const uint32_t cr2_bits = CR2_E2H | CR2_PTM | CR2_REC_CFG_ATS;
    struct env e;
    uint32_t idr0, idr3;

    env_init(&e, NULL);
    idr0 = R32(&e, SMMU_IDR0) | IDR0_S2P;
    idr3 = R32(&e, SMMU_IDR3);

    with_ids(&e, idr0 & ~f0, idr3 & ~IDR3_DPT);
    W32(&e, SMMU_CR0, cr0_bits);
    cr_assert_eq(R32(&e, SMMU_CR0) & cr0_bits, 0);
    W32(&e, SMMU_CR2, cr2_bits | CR2_RECINVSID);
    cr_assert_eq(R32(&e, SMMU_CR2), CR2_RECINVSID, "only RECINVSID without the features");

    with_ids(&e, idr0 | f0, idr3 | IDR3_DPT);
    W32(&e, SMMU_CR0, cr0_bits);
    cr_assert_eq(R32(&e, SMMU_CR0) & cr0_bits, cr0_bits);
    W32(&e, SMMU_CR0, 0);
    W32(&e, SMMU_CR2, cr2_bits | CR2_RECINVSID);
    cr_assert_eq(R32(&e, SMMU_CR2), cr2_bits | CR2_RECINVSID);

    /* VMW needs stage 2 as well */
    with_ids(&e, (idr0 | IDR0_VMW) & ~IDR0_S2P, idr3);
    W32(&e, SMMU_CR0, CR0_VMW_MASK);
    cr_assert_eq(R32(&e, SMMU_CR0) & CR0_VMW_MASK, 0);
    /* one feature at a time: each gates only its own bit */
    with_ids(&e, (idr0 & ~f0) | IDR0_BTM, idr3 & ~IDR3_DPT);
    W32(&e, SMMU_CR2, cr2_bits);
    cr_assert_eq(R32(&e, SMMU_CR2), CR2_PTM);
    with_ids(&e, (idr0 & ~f0) | IDR0_HYP, idr3 & ~IDR3_DPT);
    W32(&e, SMMU_CR2, cr2_bits);
    cr_assert_eq(R32(&e, SMMU_CR2), CR2_E2H);
    with_ids(&e, idr0 & ~f0, idr3 | IDR3_DPT);
    W32(&e, SMMU_CR0, cr0_bits);
    cr_assert_eq(R32(&e, SMMU_CR0) & cr0_bits, CR0_DPT_WALK_EN);
    env_fini(&e);
    ASSERT_NO_LEAKS();
}

Test(cov_smmuv3_idr, bad_profiles_and_ids_refused)
{
    static const char *const bad[] = { "nosuch", "idr0=", "idr0=zz", "bogus=1" };
    struct emu_mem *mem = emu_mem_new();
    struct env e;

    cr_assert_not_null(mem);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        cr_assert_null(emu_iommu_new(EMU_SMMUV3, bad[i], mem), "\"%s\" accepted", bad[i]);
        cr_assert_eq(errno, EINVAL, "\"%s\"", bad[i]);
    }
    emu_mem_free(mem);
    env_init(&e, NULL);
    cr_assert_eq(emu_iommu_set_id(e.u, "idr9", 1), -EINVAL);
    cr_assert_eq(emu_iommu_set_id(e.u, "cap", 1), -EINVAL, "a VT-d name");
    env_fini(&e);
    ASSERT_NO_LEAKS();
}
