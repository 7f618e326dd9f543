/* VT-d profile strings (the capability a model is built with) and the
 * capability-gated GCMD commands: a malformed profile builds nothing; with
 * CAP.AFL the advanced-fault-log commands work as the spec's GCMD/GSTS
 * table says (vtd.md §3: EAFL persistent -> AFLS, SFL one-shot -> FLS),
 * without it they are ignored and AFLOG is read-only. */
#include <stdio.h>

#include "vtd_util.h"

static struct emu_iommu *try_profile(struct emu_mem *mem, const char *p)
{
    return emu_iommu_new(EMU_VTD, p, mem);
}

Test(cov_vtd_profile, malformed_profiles_are_refused)
{
    static const char *const bad[] = {
        "nosuch",                   /* unknown named profile */
        "cap=0x1,default",          /* the name must come first */
        "default,qemu",             /* only one name */
        "cap=",                     /* empty value */
        "cap=12abc",                /* trailing garbage */
        "ecap=-1",                  /* negative */
        "ver=0x100",                /* VER is 8 bits */
        "ite_sid=0x10000",          /* a source-id is 16 bits */
        "bogus=1",                  /* unknown key */
        "cap=0x0",                  /* FRO 0 (fault records over the fixed registers), MGAW 0 */
        "cap=0xd2008c222f0606,ecap=0x10", /* IRO 0: IOTLB registers over the fixed ones */
    };
    struct emu_mem *mem = emu_mem_new();
    char longp[600];

    cr_assert_not_null(mem);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_null(try_profile(mem, bad[i]), "\"%s\" accepted", bad[i]);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    cr_assert_null(try_profile(mem, longp), "over-long profile accepted");
    emu_mem_free(mem);
    ASSERT_NO_LEAKS();
}

Test(cov_vtd_profile, names_are_case_insensitive_and_keys_override)
{
    struct tenv a, b;

    env_init(&a, NULL);
    env_init(&b, "DEFAULT,ver=0x21,ite_sid=0x0310");
    cr_assert_eq(rd(&b, VTD_CAP, 8), rd(&a, VTD_CAP, 8));
    cr_assert_eq(rd(&b, VTD_ECAP, 8), rd(&a, VTD_ECAP, 8));
    cr_assert_eq(rd(&b, VTD_VER, 4), 0x21);
    cr_assert_eq(rd(&a, VTD_VER, 4), 0x10);
    env_fini(&b);
    env_fini(&a);
    ASSERT_NO_LEAKS();
}

Test(cov_vtd_profile, advanced_fault_logging_commands)
{
    struct tenv d, t;
    char prof[96];
    uint32_t sts;

    env_init(&d, NULL);
    cr_assert_eq(rd(&d, VTD_CAP, 8) & CAP_AFL, 0, "default has no AFL");
    /* without AFL: EAFL/SFL ignored, AFLOG read-only */
    wr(&d, VTD_GCMD, 4, GCMD_EAFL);
    cr_assert_eq(rd(&d, VTD_GSTS, 4) & (GCMD_EAFL | GCMD_SFL), 0);
    wr(&d, VTD_GCMD, 4, GCMD_SFL);
    cr_assert_eq(rd(&d, VTD_GSTS, 4) & (GCMD_EAFL | GCMD_SFL), 0);
    wr(&d, VTD_AFLOG, 8, 0x123000);
    cr_assert_eq(rd(&d, VTD_AFLOG, 8), 0);

    snprintf(prof, sizeof(prof), "cap=0x%llx",
             (unsigned long long)(rd(&d, VTD_CAP, 8) | CAP_AFL));
    env_init(&t, prof);
    cr_assert_eq(rd(&t, VTD_CAP, 8) & CAP_AFL, CAP_AFL);
    cr_assert_eq(rd(&t, VTD_GSTS, 4), 0);
    wr(&t, VTD_AFLOG, 8, 0x123000);
    cr_assert_eq(rd(&t, VTD_AFLOG, 8) & ~0xfffull, 0x123000, "FLA writable with AFL");
    /* SFL: one-shot, FLS reports the log pointer latched */
    wr(&t, VTD_GCMD, 4, GCMD_SFL);
    sts = (uint32_t)rd(&t, VTD_GSTS, 4);
    cr_assert_eq(sts, GCMD_SFL);
    /* EAFL: persistent, AFLS follows it; the one-shot SFL is not re-issued
     * by writing the status back (the Linux read-modify-write idiom) */
    wr(&t, VTD_GCMD, 4, (sts & ~GCMD_SFL) | GCMD_EAFL);
    cr_assert_eq(rd(&t, VTD_GSTS, 4), GCMD_SFL | GCMD_EAFL);
    wr(&t, VTD_GCMD, 4, 0);
    cr_assert_eq(rd(&t, VTD_GSTS, 4), GCMD_SFL, "EAFL cleared, AFLS off");
    /* two commands in one write: none performed (§11.4.4) */
    wr(&t, VTD_GCMD, 4, GCMD_EAFL | GCMD_TE);
    cr_assert_eq(rd(&t, VTD_GSTS, 4), GCMD_SFL);
    env_fini(&t);
    env_fini(&d);
    ASSERT_NO_LEAKS();
}
