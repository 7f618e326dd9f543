/* AMD-Vi profile strings and EFR-gated run states (amdvi.md §1.3 Status:
 * PprLogRun needs EFR.PPRSup, GALogRun needs EFR.GASup, both only with
 * IommuEn); malformed profiles and bad MMIO accesses. */
#include <stdio.h>

#include "amdvi_test.h"
#include "emu/amdvi/amdvi.h"

TestSuite(cov_amdvi_profile, .fini = t_teardown);

Test(cov_amdvi_profile, malformed_profiles_are_refused)
{
    static const char *const bad[] = { "nosuch", "default,", "default,efr", "efr=",
                                       "efr=12zz", "efr=1,bogus=2", "efr3=1", "default,x=1" };

    t_setup(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        cr_assert_null(emu_iommu_new(EMU_AMDVI, bad[i], T.mem), "\"%s\" accepted", bad[i]);
        cr_assert_eq(errno, EINVAL, "\"%s\"", bad[i]);
    }
    cr_assert_eq(emu_iommu_set_id(T.io, NULL, 0), -EINVAL);
    cr_assert_eq(emu_iommu_set_id(T.io, "idr0", 0), -EINVAL);
}

Test(cov_amdvi_profile, keys_without_a_base_and_overrides)
{
    struct emu_iommu *io;

    t_setup("efr=0x5,efr2=0x9");
    cr_assert_eq(rd(AMDVI_EFR), 0x5);
    io = emu_iommu_new(EMU_AMDVI, "EFR=0x7", T.mem);
    cr_assert_not_null(io, "keys are case-insensitive");
    cr_assert_eq(emu_mmio_read(io, AMDVI_EFR, 8), 0x7);
    emu_iommu_free(io);
}

static void run_states(uint64_t efr, uint64_t want_on)
{
    char prof[64];

    snprintf(prof, sizeof(prof), "efr=0x%llx", (unsigned long long)efr);
    t_setup(prof);
    wr(AMDVI_CONTROL, CTRL_PPRLOG_EN | CTRL_GALOG_EN);
    cr_assert_eq(rd(AMDVI_STATUS) & (ST_PPR_LOG_RUN | ST_GA_LOG_RUN), 0, "IommuEn=0: nothing runs");
    wr(AMDVI_CONTROL, CTRL_IOMMU_EN | CTRL_PPRLOG_EN | CTRL_GALOG_EN);
    cr_assert_eq(rd(AMDVI_STATUS) & (ST_PPR_LOG_RUN | ST_GA_LOG_RUN), want_on);
    wr(AMDVI_CONTROL, CTRL_IOMMU_EN);
    cr_assert_eq(rd(AMDVI_STATUS) & (ST_PPR_LOG_RUN | ST_GA_LOG_RUN), 0, "log enables cleared");
}

Test(cov_amdvi_profile, ppr_and_ga_log_run_need_their_efr_bits)
{
    run_states(0, 0);
}

Test(cov_amdvi_profile, ppr_log_runs_with_pprsup)
{
    run_states(EFR_PPRSUP, ST_PPR_LOG_RUN);
}

Test(cov_amdvi_profile, ga_log_runs_with_gasup)
{
    run_states(EFR_GASUP, ST_GA_LOG_RUN);
}

Test(cov_amdvi_profile, bad_mmio_accesses)
{
    uint64_t size;

    t_setup(NULL);
    size = emu_mmio_size(T.io);
    cr_assert_gt(size, AMDVI_STATUS);
    wr(AMDVI_CONTROL, CTRL_IOMMU_EN);
    /* past the end and bad widths: RAZ/WI */
    cr_assert_eq(emu_mmio_read(T.io, size, 8), 0);
    emu_mmio_write(T.io, size, 8, ~0ull);
    emu_mmio_write(T.io, AMDVI_CONTROL, 3, 0);
    cr_assert_eq(rd(AMDVI_CONTROL), CTRL_IOMMU_EN);
    /* a write straddling the end is cut at the end, nothing wraps */
    emu_mmio_write(T.io, size - 4, 8, ~0ull);
    cr_assert_eq(rd(AMDVI_CONTROL), CTRL_IOMMU_EN);
}
