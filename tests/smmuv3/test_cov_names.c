/* SMMUv3 trace decoding: command opcodes (smmuv3.md §7.3) and event numbers
 * (§8.2) decode to the architected names; reserved opcodes and event
 * numbers the model never writes decode to the generic names; the trace of
 * real commands and events carries them. */
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

static const struct { unsigned op; const char *name; } cmds[] = {
    { 0x01, "CMD_PREFETCH_CONFIG" }, { 0x02, "CMD_PREFETCH_ADDR" }, { 0x03, "CMD_CFGI_STE" },
    { 0x04, "CMD_CFGI_STE_RANGE" },  { 0x05, "CMD_CFGI_CD" },       { 0x06, "CMD_CFGI_CD_ALL" },
    { 0x07, "CMD_CFGI_VMS_PIDM" },   { 0x10, "CMD_TLBI_NH_ALL" },   { 0x11, "CMD_TLBI_NH_ASID" },
    { 0x12, "CMD_TLBI_NH_VA" },      { 0x13, "CMD_TLBI_NH_VAA" },   { 0x18, "CMD_TLBI_EL3_ALL" },
    { 0x1a, "CMD_TLBI_EL3_VA" },     { 0x20, "CMD_TLBI_EL2_ALL" },  { 0x21, "CMD_TLBI_EL2_ASID" },
    { 0x22, "CMD_TLBI_EL2_VA" },     { 0x23, "CMD_TLBI_EL2_VAA" },  { 0x28, "CMD_TLBI_S12_VMALL" },
    { 0x2a, "CMD_TLBI_S2_IPA" },     { 0x30, "CMD_TLBI_NSNH_ALL" }, { 0x40, "CMD_ATC_INV" },
    { 0x41, "CMD_PRI_RESP" },        { 0x44, "CMD_RESUME" },        { 0x45, "CMD_STALL_TERM" },
    { 0x46, "CMD_SYNC" },
};

static const struct { unsigned type; const char *name; } evts[] = {
    { 0x01, "F_UUT" },          { 0x02, "C_BAD_STREAMID" },     { 0x03, "F_STE_FETCH" },
    { 0x04, "C_BAD_STE" },      { 0x05, "F_BAD_ATS_TREQ" },     { 0x06, "F_STREAM_DISABLED" },
    { 0x07, "F_TRANSL_FORBIDDEN" }, { 0x08, "C_BAD_SUBSTREAMID" }, { 0x09, "F_CD_FETCH" },
    { 0x0a, "C_BAD_CD" },       { 0x0b, "F_WALK_EABT" },        { 0x10, "F_TRANSLATION" },
    { 0x11, "F_ADDR_SIZE" },    { 0x12, "F_ACCESS" },           { 0x13, "F_PERMISSION" },
    { 0x20, "F_TLB_CONFLICT" }, { 0x21, "F_CFG_CONFLICT" },
};

Test(cov_smmuv3_names, opcodes)
{
    /* reserved, secure-only (0x50..0x60: no secure queue modelled), DPT
     * (DPT=0) and IMPDEF opcodes are all "reserved" to the decoder */
    static const unsigned rsvd[] = { 0x00, 0x08, 0x0f, 0x14, 0x19, 0x29, 0x31, 0x42, 0x47,
                                     0x50, 0x5a, 0x60, 0x70, 0x73, 0x80, 0x8f, 0xff };

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        cr_assert_str_eq(smmu_cmd_name(cmds[i].op), cmds[i].name, "opcode 0x%02x", cmds[i].op);
    for (size_t i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++)
        cr_assert_str_eq(smmu_cmd_name(rsvd[i]), "CMD_reserved", "opcode 0x%02x", rsvd[i]);
    cr_assert_eq(CMD_SYNC, 0x46);
    cr_assert_eq(CMD_TLBI_NSNH_ALL, 0x30);
}

Test(cov_smmuv3_names, event_numbers)
{
    static const unsigned other[] = { 0x0c, 0x14, 0x24, 0x25, 0xe0, 0xef, 0xff };

    for (size_t i = 0; i < sizeof(evts) / sizeof(evts[0]); i++)
        cr_assert_str_eq(smmu_event_name(evts[i].type), evts[i].name, "event 0x%02x",
                         evts[i].type);
    /* 0: a terminated transaction without a record (trace of an abort) */
    cr_assert_str_eq(smmu_event_name(0), "abort");
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        cr_assert_str_eq(smmu_event_name(other[i]), "event", "event 0x%02x", other[i]);
    cr_assert_eq(EVT_C_BAD_STE, 0x04);
    cr_assert_eq(EVT_F_PERMISSION, 0x13);
}

struct tlog { char lines[64][160]; unsigned n; };

static void tcollect(void *opaque, const struct emu_iommu *u, const struct emu_trace_rec *rec)
{
    struct tlog *t = opaque;

    (void)u;
    if (t->n < 64 && (rec->kind == EMU_TRACE_INVAL || rec->kind == EMU_TRACE_EVENT))
        snprintf(t->lines[t->n++], 160, "%s", rec->what ? rec->what : "");
}

static bool tfind(const struct tlog *t, const char *s)
{
    for (unsigned i = 0; i < t->n; i++)
        if (!strcmp(t->lines[i], s))
            return true;
    return false;
}

/* An STE with V=0: C_BAD_STE (§8.2) recorded and traced by name; a
 * reserved opcode stops the queue with CERROR_ILL (§7.2), traced, with the
 * command at CONS and GERROR.CMDQ_ERR active. */
Test(cov_smmuv3_names, trace_of_events_and_commands)
{
    struct env e;
    struct tlog *t = calloc(1, sizeof(*t));
    uint64_t ste[8] = { 0 }, rec[4], buf = 0;
    uint32_t cons;

    cr_assert_not_null(t);
    env_init(&e, NULL);
    bringup(&e);
    ste_put(&e, 5, ste);
    emu_set_trace(e.u, tcollect, t);
    cmd(&e, CMD_CFGI_STE | (5ull << 32), 0);
    cmd_sync(&e);
    cr_assert_eq(dma(&e, 5, EMU_NO_PASID, 0x4000, &buf, 8, false, NULL), -EFAULT);
    cr_assert_eq(evt_count(&e), 1);
    evt_get(&e, 0, rec);
    cr_assert_eq(rec[0] & 0xff, EVT_C_BAD_STE);
    cr_assert_eq(rec[0] >> 32, 5);
    cr_assert_geq(t->n, 3);
    cr_assert_str_eq(t->lines[0], "CMD_CFGI_STE sid=0x5");
    cr_assert_str_eq(t->lines[1], "CMD_SYNC CS=SIG_NONE");
    cr_assert_eq(strncmp(t->lines[2], "EVENTQ[0] C_BAD_STE sid=0x5 ssid=-1 ", 36), 0, "%s",
                 t->lines[2]);
    cons = cmd(&e, 0x08, 0);
    cr_assert_eq((cons >> 24) & 0x7f, 1, "CERROR_ILL");
    cr_assert(tfind(t, "CMDQ CERROR_ILL"));
    cr_assert(R32(&e, SMMU_GERROR) ^ R32(&e, SMMU_GERRORN));
    emu_set_trace(e.u, NULL, NULL);
    for (unsigned i = 0; i < t->n; i++)
        if (!strncmp(t->lines[i], "CMD_", 4))
            cr_assert(!strncmp(t->lines[i], "CMD_CFGI_STE", 12) || !strncmp(t->lines[i], "CMD_SYNC", 8),
                      "%s", t->lines[i]);
    cr_assert(tfind(t, "CMD_SYNC CS=SIG_NONE"));
    free(t);
    env_fini(&e);
    ASSERT_NO_LEAKS();
}
