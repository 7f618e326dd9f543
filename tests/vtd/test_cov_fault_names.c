/* VT-d fault reason decoding for traces (vtd.md §6.4): every reason code the
 * model raises decodes to the fault condition the spec names for that code
 * (LRT/LCT/LSL legacy, RTA/SRT/SCT/SPD/SPT/SFS/SSS/SGN scalable; codes
 * 0x30/0x31 checked against Linux drivers/iommu/intel/dmar.c
 * dma_remap_sm_fault_reasons: 0x30 invalid root table address, 0x31 TTM 0
 * for a request with PASID), and the trace record of a real fault carries
 * that text, with the FPD note when the fault is suppressed (vtd.md §6.3). */
#include <stdio.h>

#include "vtd_util.h"

#define RID 0x0310

static const struct { uint32_t code; const char *cond; } names[] = {
    { 0x01, "LRT.2 " }, { 0x02, "LCT.2 " }, { 0x03, "LCT.4 " }, { 0x04, "LGN.4 " },
    { 0x05, "LSL.2 " }, { 0x06, "LSL.1 " }, { 0x07, "LSL.x " }, { 0x08, "LRT.1 " },
    { 0x09, "LCT.1 " }, { 0x0a, "LRT.3 " }, { 0x0b, "LCT.3 " }, { 0x0c, "LSL.x " },
    { 0x0e, "LGN.x " },
    { 0x30, "RTA.1 " }, { 0x31, "RTA.2 " },
    { 0x38, "SRT.1 " }, { 0x39, "SRT.2 " }, { 0x3a, "SRT.3 " },
    { 0x40, "SCT.1 " }, { 0x41, "SCT.2 " }, { 0x42, "SCT.3 " }, { 0x43, "SCT.4 " },
    { 0x50, "SPD.1 " }, { 0x51, "SPD.2 " }, { 0x52, "SPD.3 " },
    { 0x58, "SPT.1 " }, { 0x59, "SPT.2 " }, { 0x5a, "SPT.3 " }, { 0x5b, "SPT.4 " },
    { 0x70, "SFS.1 " }, { 0x71, "SFS.2 " }, { 0x72, "SFS.3 " }, { 0x73, "SFS.4 " },
    { 0x78, "SSS.1 " }, { 0x79, "SSS.2 " }, { 0x7a, "SSS.3 " }, { 0x7b, "SSS.4 " },
    { 0x7c, "SSS.5 " }, { 0x7d, "SSS.6 " },
    { 0x80, "SGN.1 " }, { 0x81, "SGN.2 " }, { 0x84, "SGN.5 " }, { 0x85, "SGN.6 " },
    { 0x86, "SGN.7 " }, { 0x87, "SGN.8 " }, { 0x91, "SFS.10 " },
};

Test(cov_vtd_fault_names, each_code_names_its_spec_condition)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *n = vtd_fault_name(names[i].code);

        cr_assert_eq(strncmp(n, names[i].cond, strlen(names[i].cond)), 0, "0x%02x: \"%s\", want %s",
                     names[i].code, n, names[i].cond);
    }
    /* the FR_ constants the walks raise are these codes */
    cr_assert_eq(FR_ROOT_NP, 0x01);
    cr_assert_eq(FR_TTM_INV, 0x30);
    cr_assert_eq(FR_PASID_IN_LEGACY, 0x31);
    cr_assert_eq(FR_SS_NOSNOOP, 0x7c);
    cr_assert_eq(FR_FS_AD_FAIL, 0x91);
    cr_assert_str_eq(vtd_fault_name(FR_CTX_NP), "LCT.2 context entry not present");
    cr_assert_str_eq(vtd_fault_name(FR_SS_AD_FAIL), "SSS.6 second-stage A/D update failed");
}

Test(cov_vtd_fault_names, codes_the_model_never_raises_are_unknown)
{
    /* 0x00 is reserved; 0x0d (TT blocking) and 0x20-0x26 (interrupt
     * remapping) are not modelled; 0x83 (SGN.4) is not raised. */
    static const uint32_t unk[] = { 0x00, 0x0d, 0x0f, 0x20, 0x26, 0x32, 0x47, 0x83, 0xff, 0x100 };

    for (size_t i = 0; i < sizeof(unk) / sizeof(unk[0]); i++)
        cr_assert_str_eq(vtd_fault_name(unk[i]), "unknown fault reason", "0x%x", unk[i]);
}

struct last { int n; char what[128]; uint32_t reason; };

static void tr(void *opaque, const struct emu_iommu *iommu, const struct emu_trace_rec *rec)
{
    struct last *l = opaque;

    (void)iommu;
    if (rec->kind != EMU_TRACE_FAULT)
        return;
    l->n++;
    l->reason = rec->fault->reason;
    snprintf(l->what, sizeof(l->what), "%s", rec->what);
}

/* Legacy mode, no root entry for the bus: LRT.2 (0x01), recorded. */
Test(cov_vtd_fault_names, trace_text_of_a_root_fault)
{
    struct tenv t;
    struct last l = { 0 };
    uint32_t v;

    env_init(&t, NULL);
    emu_set_trace(t.io, tr, &l);
    set_root(&t, 0);
    gcmd(&t, GCMD_TE, true);
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x1000, &v, 4, false, NULL), -EFAULT);
    cr_assert_eq(l.n, 1);
    cr_assert_eq(l.reason, FR_ROOT_NP);
    cr_assert_str_eq(l.what, "0x01 LRT.2 root entry not present");
    cr_assert_eq(frcd_count(&t), 1);
    cr_assert_eq((rd(&t, model(&t)->fro_off + 8, 8) >> 32) & 0xff, FR_ROOT_NP);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}

/* Context entry with FPD (bit 1) set: the qualified read fault on an empty
 * second-stage table is traced with the note and not recorded (§6.3); the
 * non-qualified context fault of another device still is. */
Test(cov_vtd_fault_names, trace_text_with_fpd)
{
    struct tenv t;
    struct last l = { 0 };
    uint64_t ce;
    uint32_t v;

    env_init(&t, NULL);
    emu_set_trace(t.io, tr, &l);
    set_root(&t, 0);
    ce = legacy_ctx(&t, RID, 0, 2, 1, page(&t));
    w64(&t, ce, m64(&t, ce) | 2);
    gcmd(&t, GCMD_TE, true);
    cr_assert_eq(dma(&t, RID, EMU_NO_PASID, 0x5000, &v, 4, false, NULL), -EFAULT);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.what, "0x06 LSL.1 read not permitted (FPD: not recorded)");
    cr_assert_eq(frcd_count(&t), 0);
    cr_assert_eq(rd(&t, VTD_FSTS, 4), 0);
    /* same bus, devfn without a context entry: LCT.2, recorded */
    cr_assert_eq(dma(&t, RID + 1, EMU_NO_PASID, 0x5000, &v, 4, true, NULL), -EFAULT);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.what, "0x02 LCT.2 context entry not present");
    cr_assert_eq(frcd_count(&t), 1);
    cr_assert_eq(rd(&t, VTD_FSTS, 4), FSTS_PPF);
    env_fini(&t);
    ASSERT_NO_LEAKS();
}
