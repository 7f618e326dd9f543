/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi MMIO register file: the table (regs.def), the write hooks that give
 * Control/Status/ring registers their behaviour, MMIO access, profiles and
 * the IOMMU's own interrupt. Facts: amdvi.md §1 (registers), §2 (EFR), §3
 * (Control and run states).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "amdvi.h"

/* ---- Field tables, for traces and emu_reg_decode ------------------------- */
static const struct emu_field f_devtab[] = {
    {"Size", 0, 9}, {"DevTabBase", 12, 40}, {NULL, 0, 0}};
static const struct emu_field f_ring[] = {
    {"Base", 12, 40}, {"Len", 56, 4}, {NULL, 0, 0}};
static const struct emu_field f_control[] = {
    {"IommuEn", 0, 1}, {"HtTunEn", 1, 1}, {"EventLogEn", 2, 1}, {"EventIntEn", 3, 1},
    {"ComWaitIntEn", 4, 1}, {"InvTimeOut", 5, 3}, {"PassPW", 8, 1}, {"ResPassPW", 9, 1},
    {"Coherent", 10, 1}, {"Isoc", 11, 1}, {"CmdBufEn", 12, 1}, {"PPRLogEn", 13, 1},
    {"PprIntEn", 14, 1}, {"PPREn", 15, 1}, {"GTEn", 16, 1}, {"GAEn", 17, 1},
    {"CRW", 18, 4}, {"SmiFEn", 22, 1}, {"SlfWBdis", 23, 1}, {"SmiFLogEn", 24, 1},
    {"GAMEn", 25, 3}, {"GALogEn", 28, 1}, {"GAIntEn", 29, 1}, {"DualPprLogEn", 30, 2},
    {"DualEventLogEn", 32, 2}, {"DevTblSegEn", 34, 3}, {"PrivAbrtEn", 37, 2},
    {"PprAutoRspEn", 39, 1}, {"MarcEn", 40, 1}, {"BlkStopMrkEn", 41, 1},
    {"PprAutoRspAon", 42, 1}, {"NumIntRemapMode", 43, 2}, {"EPHEn", 45, 1},
    {"HADUpdate", 46, 2}, {"GDUpdateDis", 48, 1}, {"XTEn", 50, 1}, {"IntCapXTEn", 51, 1},
    {"vCmdEn", 52, 1}, {"vIOMMUEn", 53, 1}, {"GAUpdateDis", 54, 1}, {"GAPPIEn", 55, 1},
    {"TMPMEn", 56, 1}, {"GCR3TRPMode", 58, 1}, {"IRTCacheDis", 59, 1},
    {"GstBufferTRPMode", 60, 1}, {"SNPAVICEn", 61, 3}, {NULL, 0, 0}};
static const struct emu_field f_exbase[] = {
    {"ExEn", 0, 1}, {"Allow", 1, 1}, {"ExBase", 12, 40}, {NULL, 0, 0}};
static const struct emu_field f_exlimit[] = {{"ExLimit", 12, 40}, {NULL, 0, 0}};
static const struct emu_field f_efr[] = {
    {"PreFSup", 0, 1}, {"PPRSup", 1, 1}, {"XTSup", 2, 1}, {"NXSup", 3, 1}, {"GTSup", 4, 1},
    {"GAPPISup", 5, 1}, {"IASup", 6, 1}, {"GASup", 7, 1}, {"HESup", 8, 1}, {"PCSup", 9, 1},
    {"HATS", 10, 2}, {"GATS", 12, 2}, {"GLXSup", 14, 2}, {"SmiFSup", 16, 2},
    {"SmiFRC", 18, 3}, {"GAMSup", 21, 3}, {"DualPprLogSup", 24, 2},
    {"DualEventLogSup", 28, 2}, {"SATSSup", 31, 1}, {"PASmax", 32, 5}, {"USSup", 37, 1},
    {"DevTblSegSup", 38, 2}, {"PprOvrflwEarlySup", 40, 1}, {"PprAutoRspSup", 41, 1},
    {"MarcSup", 42, 2}, {"BlkStopMrkSup", 44, 1}, {"PerfOptSup", 45, 1},
    {"MsiCapMmioSup", 46, 1}, {"SnoopAttrSup", 47, 1}, {"GIoSup", 48, 1}, {"HASup", 49, 1},
    {"EPHSup", 50, 1}, {"AttrFWSup", 51, 1}, {"HDSup", 52, 1}, {"V2HDDisSup", 53, 1},
    {"InvIotlbTypeSup", 54, 1}, {"vIOMMUSup", 55, 1}, {"VMGuardIOSup", 56, 1},
    {"V2HADDisSup", 61, 1}, {"ForcePhyDestSup", 62, 1}, {"SNPSup", 63, 1}, {NULL, 0, 0}};
static const struct emu_field f_efr2[] = {
    {"SEVSNPIOSup", 1, 1}, {"TMPMSup", 2, 1}, {"GCR3TRPModeSup", 3, 1},
    {"GAPPIDisSup", 4, 1}, {"SNPAVICSup", 5, 3}, {"NumIntRemapSup", 8, 2},
    {"HTRangeIgnore", 11, 1}, {NULL, 0, 0}};
static const struct emu_field f_hwevthi[] = {
    {"FirstOperand", 0, 60}, {"EvCode", 60, 4}, {NULL, 0, 0}};
static const struct emu_field f_hwevtst[] = {{"HEV", 0, 1}, {"HEO", 1, 1}, {NULL, 0, 0}};
static const struct emu_field f_msicap[] = {
    {"CapId", 0, 8}, {"MsiEn", 16, 1}, {NULL, 0, 0}};
static const struct emu_field f_xtint[] = {
    {"DM", 2, 1}, {"DestLo", 8, 24}, {"Vector", 32, 8}, {"DestHi", 56, 8}, {NULL, 0, 0}};
static const struct emu_field f_ptr[] = {{"Offset", 4, 15}, {NULL, 0, 0}};
static const struct emu_field f_gaptr[] = {{"Offset", 3, 13}, {NULL, 0, 0}};
static const struct emu_field f_status[] = {
    {"EventOverflow", 0, 1}, {"EventLogInt", 1, 1}, {"ComWaitInt", 2, 1},
    {"EventLogRun", 3, 1}, {"CmdBufRun", 4, 1}, {"PprOverflow", 5, 1}, {"PprInt", 6, 1},
    {"PprLogRun", 7, 1}, {"GALogRun", 8, 1}, {"GALOverflow", 9, 1}, {"GAInt", 10, 1},
    {"PprOverflowB", 11, 1}, {"PprLogActive", 12, 1}, {"EvtOverflowB", 15, 1},
    {"EvtLogActive", 16, 1}, {"PprOverflowEarlyB", 17, 1}, {"PprOverflowEarly", 18, 1},
    {NULL, 0, 0}};

/* ---- Small accessors ------------------------------------------------------ */
uint64_t amdvi_reg(const struct emu_iommu *iommu, uint32_t off)
{
    return emu_regfile_get(&iommu->regs, off, 8);
}

void amdvi_set_reg(struct emu_iommu *iommu, uint32_t off, uint64_t val)
{
    emu_regfile_set(&iommu->regs, off, 8, val);
}

/* Bytes of a ring whose base register is `bar` (§1.2: 59:56 = log2 entries). */
uint64_t amdvi_ring_bytes(uint64_t bar, unsigned entry)
{
    unsigned len = (unsigned)emu_bits(bar, 59, 56);
    if (len < 8)
        len = 8;  /* cannot be stored (hooks refuse it); defensive */
    return (uint64_t)entry << len;
}

/* ---- Interrupts ------------------------------------------------------------ */
/*
 * The IOMMU's own interrupt (event log, COMPLETION_WAIT). Recorded as model
 * state (irq_count) plus a trace record. With Control.IntCapXTEn the XT
 * register 0x170 is the target (§1.2, counted only); otherwise the MSI: when
 * the MMIO MSI mirror has MsiEn set and the MSI address is mapped guest RAM,
 * the 32-bit MSI data is written there (a stand-in for the interrupt
 * controller, documented in docs/amdvi.md).
 */
void amdvi_signal_irq(struct emu_iommu *iommu, const char *why)
{
    struct amdvi *s = AMDVI(iommu);
    s->irq_count++;
    if (emu_tracing(iommu)) {
        struct emu_trace_rec r = {.kind = EMU_TRACE_EVENT, .what = why};
        r.a = s->irq_count;
        emu_trace(iommu, &r);
    }
    if (s->ctrl & CTRL_INTCAPXT_EN)
        return;
    if (!(emu_regfile_get(&iommu->regs, AMDVI_MSI_CAP_HDR, 4) & (1u << 16)))
        return;
    uint64_t addr = emu_regfile_get(&iommu->regs, AMDVI_MSI_ADDR_LO, 4) |
                    (emu_regfile_get(&iommu->regs, AMDVI_MSI_ADDR_HI, 4) << 32);
    uint32_t data = (uint32_t)emu_regfile_get(&iommu->regs, AMDVI_MSI_DATA, 4);
    if (emu_mem_write(iommu->mem, addr, &data, sizeof(data)) == 0)
        s->msi_writes++;
}

/* ---- Run states (§3.2) ----------------------------------------------------- */
void amdvi_update_status(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    uint64_t c = s->ctrl;
    uint64_t st = amdvi_reg(iommu, AMDVI_STATUS);
    bool en = c & CTRL_IOMMU_EN;
    st &= ~(ST_EVT_LOG_RUN | ST_CMDBUF_RUN | ST_PPR_LOG_RUN | ST_GA_LOG_RUN);
    if (en && (c & CTRL_CMDBUF_EN) && !s->cmd_halted)
        st |= ST_CMDBUF_RUN;
    /* §1.3: no further events while EventOverflow=1; real hardware also needs
     * EventLogEn toggled 0->1 (evt_stopped), as Linux's restart path does. */
    if (en && (c & CTRL_EVT_LOG_EN) && !s->evt_stopped && !(st & ST_EVT_OVERFLOW))
        st |= ST_EVT_LOG_RUN;
    /* PPR and GA logs: run state only (no PPR or GA entries are ever produced). */
    if (en && (c & CTRL_PPRLOG_EN) && (s->efr & EFR_PPRSUP))
        st |= ST_PPR_LOG_RUN;
    if (en && (c & CTRL_GALOG_EN) && (s->efr & EFR_GASUP))
        st |= ST_GA_LOG_RUN;
    amdvi_set_reg(iommu, AMDVI_STATUS, st);
}

static bool cmd_running(const struct emu_iommu *iommu)
{
    return amdvi_reg(iommu, AMDVI_STATUS) & ST_CMDBUF_RUN;
}

/* ---- Write hooks ----------------------------------------------------------- */
static void restore(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old)
{
    emu_regfile_set(&iommu->regs, reg->offset, reg->width, old);
}

/* A ring length below 8 (256 entries) is reserved: VBox ignores the write (§1.2). */
static bool bad_len(uint64_t val)
{
    return emu_bits(val, 59, 56) < 8;
}

static void hook_cmdbar(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                        uint64_t val)
{
    /* §1.1: undefined while CmdBufRun=1; we ignore it, as VBox does. */
    if (cmd_running(iommu) || bad_len(val)) {
        restore(iommu, reg, old);
        return;
    }
    /* Spec §2.4 (amdvi.md §1.2): writing the base clears head and tail.
     * QEMU leaves the MMIO head/tail registers unchanged (§9 item 6). */
    amdvi_set_reg(iommu, AMDVI_CMD_HEAD, 0);
    amdvi_set_reg(iommu, AMDVI_CMD_TAIL, 0);
}

static void hook_evtbar(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                        uint64_t val)
{
    if ((amdvi_reg(iommu, AMDVI_STATUS) & ST_EVT_LOG_RUN) || bad_len(val)) {
        restore(iommu, reg, old);
        return;
    }
    amdvi_set_reg(iommu, AMDVI_EVT_HEAD, 0);
    amdvi_set_reg(iommu, AMDVI_EVT_TAIL, 0);
}

static void hook_logbar(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                        uint64_t val)
{
    if (bad_len(val))
        restore(iommu, reg, old);
}

static void hook_control(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                         uint64_t val)
{
    struct amdvi *s = AMDVI(iommu);
    /* §3.1: DevTblSegEn beyond EFR.DevTblSegSup: VBox ignores the whole write. */
    if (emu_bits(val, 36, 34) > emu_bits(s->efr, 39, 38)) {
        restore(iommu, reg, old);
        return;
    }
    bool was_cmd = (old & CTRL_IOMMU_EN) && (old & CTRL_CMDBUF_EN);
    bool now_cmd = (val & CTRL_IOMMU_EN) && (val & CTRL_CMDBUF_EN);
    bool was_evt = (old & CTRL_IOMMU_EN) && (old & CTRL_EVT_LOG_EN);
    bool now_evt = (val & CTRL_IOMMU_EN) && (val & CTRL_EVT_LOG_EN);
    s->ctrl = val;
    /* §3.2: after a halt software fixes the buffer and re-enables CmdBufEn. */
    if (!was_cmd && now_cmd)
        s->cmd_halted = false;
    /* §1.3: logging resumes after EventOverflow is cleared and EventLogEn is
     * toggled 0->1 (Linux amd_iommu_restart_event_logging). */
    if (!was_evt && now_evt)
        s->evt_stopped = false;
    amdvi_update_status(iommu);
    if (cmd_running(iommu))
        amdvi_cmd_process(iommu);
}

static void hook_cmdhead(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                         uint64_t val)
{
    /* §1.2: CmdHead is writable only while CmdBufRun=0; beyond the ring is
     * undefined (ignored, as VBox). */
    if (cmd_running(iommu) ||
        val >= amdvi_ring_bytes(amdvi_reg(iommu, AMDVI_CMD_BUF_BAR), 16))
        restore(iommu, reg, old);
}

static void hook_cmdtail(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                         uint64_t val)
{
    if (val >= amdvi_ring_bytes(amdvi_reg(iommu, AMDVI_CMD_BUF_BAR), 16)) {
        restore(iommu, reg, old);
        return;
    }
    /* Writing the tail is the doorbell (§6.1). */
    if (cmd_running(iommu))
        amdvi_cmd_process(iommu);
}

static void hook_evthead(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                         uint64_t val)
{
    if (val >= amdvi_ring_bytes(amdvi_reg(iommu, AMDVI_EVT_LOG_BAR), 16))
        restore(iommu, reg, old);
}

static void hook_evttail(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                         uint64_t val)
{
    /* §1.2: EvtTail is written by software only while EventLogRun=0. */
    if ((amdvi_reg(iommu, AMDVI_STATUS) & ST_EVT_LOG_RUN) ||
        val >= amdvi_ring_bytes(amdvi_reg(iommu, AMDVI_EVT_LOG_BAR), 16))
        restore(iommu, reg, old);
}

/* Mirror the exclusion range for the translation hot path. */
static void hook_excl(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                      uint64_t val)
{
    amdvi_sync_mirrors(iommu);
}

void amdvi_sync_mirrors(struct emu_iommu *iommu)
{
    struct amdvi *s = AMDVI(iommu);
    s->ctrl = amdvi_reg(iommu, AMDVI_CONTROL);
    s->excl_base = amdvi_reg(iommu, AMDVI_EXCL_BASE);
    /* §1.2: limit bits 11:0 are treated as all-ones (inclusive, page granular). */
    s->excl_limit = amdvi_reg(iommu, AMDVI_EXCL_LIMIT) | 0xFFF;
}

static void hook_status(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old,
                        uint64_t val)
{
    /* RW1C done by the engine; the run bits follow (§3.2). */
    amdvi_update_status(iommu);
}

/* ---- The table ------------------------------------------------------------- */
const struct emu_reg amdvi_regs[] = {
#define R(off, w, rst, wm, w1c, wo, nm, hook, flds) \
    {.offset = (off), .width = (w), .reset = (rst), .wmask = (wm), .w1cmask = (w1c), \
     .womask = (wo), .name = (nm), .write = (hook), .read = NULL, .fields = (flds)},
#include "regs.def"
#undef R
};
const size_t amdvi_nregs = sizeof(amdvi_regs) / sizeof(amdvi_regs[0]);

/* ---- Profiles ------------------------------------------------------------- */
/*
 * EFR images (§2). default: PreF, NX, GT, IA, HATS=6 levels, GATS=5 levels,
 * GLX=1-2 levels, PASmax=16 bits, MsiCapMmio, GIoSup, HASup, HDSup.
 */
#define AMDVI_EFR_DEFAULT                                                             \
    (EFR_PREFSUP | EFR_NXSUP | EFR_GTSUP | EFR_IASUP | (2ull << EFR_HATS_SHIFT) |     \
     (1ull << EFR_GATS_SHIFT) | (1ull << EFR_GLX_SHIFT) | (0xFull << EFR_PASMAX_SHIFT) | \
     EFR_MSICAPMMIO | EFR_GIOSUP | EFR_HASUP | EFR_HDSUP)
/* §2.2: QEMU's AMDVI_DEFAULT_EXT_FEATURES. */
#define AMDVI_EFR_QEMU 0x29D3ull

static int base_profile(const char *name, size_t n, uint64_t *efr, uint64_t *efr2)
{
    *efr2 = 0;
    if (n == 0 || (n == 7 && !strncasecmp(name, "default", 7)))
        *efr = AMDVI_EFR_DEFAULT;
    else if (n == 4 && !strncasecmp(name, "qemu", 4))
        *efr = AMDVI_EFR_QEMU;
    else if (n == 7 && !strncasecmp(name, "nodirty", 7))
        *efr = AMDVI_EFR_DEFAULT & ~EFR_HDSUP;
    else if (n == 4 && !strncasecmp(name, "noad", 4))
        *efr = AMDVI_EFR_DEFAULT & ~(EFR_HDSUP | EFR_HASUP);
    else
        return -EINVAL;
    return 0;
}

static int parse_u64(const char *p, size_t n, uint64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

/* "[base][,efr=N][,efr2=N]"; base is default|qemu|nodirty|noad. */
int amdvi_parse_profile(const char *profile, uint64_t *efr, uint64_t *efr2)
{
    if (!profile)
        profile = "default";
    const char *p = profile;
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (memchr(p, '=', n)) {
        if (base_profile("", 0, efr, efr2))
            return -EINVAL;
    } else {
        if (base_profile(p, n, efr, efr2))
            return -EINVAL;
        p += n;
        if (*p == ',')
            p++;
        else
            return 0;
    }
    for (;;) {
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return -EINVAL;
        size_t kn = (size_t)(eq - p);
        uint64_t v;
        if (parse_u64(eq + 1, n - kn - 1, &v))
            return -EINVAL;
        if (kn == 3 && !strncasecmp(p, "efr", 3))
            *efr = v;
        else if (kn == 4 && !strncasecmp(p, "efr2", 4))
            *efr2 = v;
        else
            return -EINVAL;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}
