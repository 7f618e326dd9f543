/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 model glue: emu_model_ops, the configuration cache (STE + CD as
 * resolved for one StreamID/SubstreamID) and the per-page translate:
 * GBPA when SMMUEN=0, STE/CD resolution with the event priority of
 * smmuv3.md §8.2, IOTLB (tagged by VMID/ASID), then the LPAE walks.
 *
 * emu_dma: rid is the StreamID, pasid the SubstreamID (EMU_NO_PASID: no SSV).
 * Transactions are unprivileged data accesses unless STE.PRIVCFG=11.
 * A failed translation returns -EFAULT with fault->reason = the event number
 * (0 when the architecture terminates without one: GBPA.ABORT, STE.Config =
 * abort); the event is written to the event queue when the architecture
 * records it (CD.R / STE.S2R for translation faults, CR2.RECINVSID for
 * C_BAD_STREAMID).
 */
#include <stdlib.h>
#include <string.h>

#include "smmuv3.h"

/* ---- Configuration cache ------------------------------------------------- */
static unsigned cfgc_index(uint32_t sid, uint32_t ssid)
{
    return ((sid * 0x9E3779B1u) ^ (ssid * 0x85EBCA77u)) >> 23;   /* 9 bits: 512 */
}

void smmu_cfgc_inval_sid(struct smmu *s, uint32_t lo, uint32_t hi)
{
    for (unsigned i = 0; i < SMMU_CFGC_SIZE; i++)
        if (s->cfgc[i].valid && s->cfgc[i].sid >= lo && s->cfgc[i].sid <= hi)
            s->cfgc[i].valid = false;
}

/* CFGI_CD: that CD; SSID 0 is also the CD non-SSID traffic may use (S1DSS=10
 * or S1CDMax=0), so those entries go too. */
void smmu_cfgc_inval_cd(struct smmu *s, uint32_t sid, uint32_t ssid)
{
    for (unsigned i = 0; i < SMMU_CFGC_SIZE; i++) {
        struct smmu_cfg *c = &s->cfgc[i];
        if (c->valid && c->sid == sid &&
            (c->ssid == ssid || (ssid == 0 && c->ssid == EMU_NO_PASID)))
            c->valid = false;
    }
}

void smmu_cfgc_inval_all(struct smmu *s)
{
    for (unsigned i = 0; i < SMMU_CFGC_SIZE; i++)
        s->cfgc[i].valid = false;
}

/* STE, then substream checks, then CD (§8.2 priority order). */
int smmu_resolve(struct emu_iommu *iommu, uint32_t sid, uint32_t ssid, struct smmu_cfg *cfg,
                 struct smmu_event *ev, bool *record)
{
    struct smmu *s = smmu_of(iommu);
    uint64_t ste[8];
    unsigned cdmax, dss;
    uint32_t idx;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    cfg->sid = sid;
    cfg->ssid = ssid;
    rc = smmu_find_ste(iommu, sid, ste, ev, record);
    if (rc)
        return rc;
    *record = true;
    if (smmu_ste_decode(iommu, ste, cfg)) {
        ev->type = EVT_C_BAD_STE;
        return -EINVAL;
    }
    if (cfg->kind == CFG_ABORT) {
        ev->type = 0;                        /* Config=abort: no event */
        *record = false;
        return -EPERM;
    }
    cdmax = idr1_ssidsize(s) ? (unsigned)(ste[0] >> 59) : 0;
    dss = (unsigned)emu_bits(ste[1], 1, 0);
    if (ssid != EMU_NO_PASID) {
        /* §8.2 C_BAD_SUBSTREAMID: S1 disabled, no substreams, SSID too big. */
        if ((cfg->kind != CFG_S1 && cfg->kind != CFG_NESTED) || cdmax == 0 ||
            (uint64_t)ssid >= (1ull << cdmax)) {
            ev->type = EVT_C_BAD_SUBSTREAMID;
            return -EINVAL;
        }
        if (dss == 2 && ssid == 0) {
            ev->type = EVT_F_STREAM_DISABLED;   /* S1DSS=SSID0: SSID 0 traffic terminated */
            return -EINVAL;
        }
        idx = ssid;
    } else {
        idx = 0;
        if ((cfg->kind == CFG_S1 || cfg->kind == CFG_NESTED) && cdmax) {
            if (dss == 1) {
                /* S1DSS=BYPASS: non-SSID traffic skips stage 1. */
                cfg->kind = cfg->kind == CFG_S1 ? CFG_BYPASS : CFG_S2;
                return 0;
            }
            if (dss != 2) {                  /* 00 and reserved 11 */
                ev->type = EVT_F_STREAM_DISABLED;
                return -EINVAL;
            }
        }
    }
    if (cfg->kind == CFG_S1 || cfg->kind == CFG_NESTED)
        return smmu_cd_fetch(iommu, ste, cfg, idx, ev, record);
    return 0;
}

/* ---- Translate ----------------------------------------------------------- */
static int fail(struct emu_iommu *iommu, const struct smmu_event *ev, bool record,
                struct emu_fault *f)
{
    f->reason = ev->type;
    if (emu_tracing(iommu)) {
        struct emu_trace_rec rec = { .kind = EMU_TRACE_FAULT, .a = f->iova, .rid = f->rid,
                                     .pasid = f->pasid, .fault = f,
                                     .what = smmu_event_name(ev->type) };
        emu_trace(iommu, &rec);
    }
    if (record && ev->type)
        smmu_event(iommu, ev);
    return -EFAULT;
}

static int smmu_translate(struct emu_iommu *iommu, uint32_t sid, uint32_t ssid, uint64_t iova,
                          bool write, struct emu_xlate *x, struct emu_fault *f)
{
    struct smmu *s = smmu_of(iommu);
    struct smmu_event ev = { .sid = sid, .ssid = ssid, .input = iova, .rnw = !write };
    struct smmu_cfg *cfg, tmp;
    struct emu_tlb_entry *e, ne;
    struct walk_res r = { 0 };
    uint32_t vmid, tag;
    bool record = true;
    unsigned ci;

    f->iova = iova;
    f->rid = sid;
    f->pasid = ssid;
    f->write = write;
    if (ssid != EMU_NO_PASID && ssid > 0xfffff)
        ssid = ev.ssid = EMU_NO_PASID - 1;   /* not representable: fails the range check */
    if (!ack_on(iommu, CR0_SMMUEN)) {
        /* §3.1 SMMUEN=0: GBPA governs; no table fetches. */
        if (rd32(iommu, SMMU_GBPA) & GBPA_ABORT) {
            ev.type = 0;
            return fail(iommu, &ev, false, f);
        }
        x->out = iova;
        x->shift = 12;
        x->perm = EMU_PERM_R | EMU_PERM_W;
        return 0;
    }
    ci = cfgc_index(sid, ssid);
    cfg = &s->cfgc[ci];
    if (!cfg->valid || cfg->sid != sid || cfg->ssid != ssid) {
        int rc = smmu_resolve(iommu, sid, ssid, &tmp, &ev, &record);

        ev.sid = sid;
        ev.ssid = ssid;
        if (rc)
            return fail(iommu, &ev, record, f);
        tmp.valid = true;
        *cfg = tmp;
    }
    if (cfg->kind == CFG_BYPASS) {
        /* Both stages bypassed: the input must fit the implemented PA size. */
        if (smmu_oas(s) < 64 && (iova >> smmu_oas(s))) {
            ev.type = EVT_F_ADDR_SIZE;
            ev.class_ = CLASS_IN;
            return fail(iommu, &ev, true, f);
        }
        x->out = iova;
        x->shift = 12;
        x->perm = EMU_PERM_R | EMU_PERM_W;
        return 0;
    }
    vmid = cfg->vmid;
    tag = cfg->kind == CFG_S2 ? TAG_S2ONLY : cfg->asid;
    e = emu_iotlb_lookup(s->tlb, vmid, tag, EMU_TLB_ANY, iova);
    if (!e && s->tlb_globals && cfg->kind != CFG_S2)
        e = emu_iotlb_lookup(s->tlb, vmid, TAG_GLOBAL, EMU_TLB_ANY, iova);
    if (e && (e->perm & (write ? EMU_PERM_W : EMU_PERM_R)) && (!write || e->dirty)) {
        x->out = e->out + (iova & ((1ull << e->shift) - 1));
        x->shift = e->shift;
        x->perm = e->perm;
        return 0;
    }
    if (cfg->kind == CFG_S2) {
        if (smmu_s2_translate(iommu, cfg, iova, write, false, CLASS_IN, iova, &r, &ev, &record))
            return fail(iommu, &ev, record, f);
    } else {
        if (smmu_s1_translate(iommu, cfg, iova, write, &r, &ev, &record))
            return fail(iommu, &ev, record, f);
    }
    memset(&ne, 0, sizeof(ne));
    ne.iova = iova & ~((1ull << r.shift) - 1);
    ne.out = r.out & ~((1ull << r.shift) - 1);
    ne.leaf_gpa = r.leaf_gpa;
    ne.sid = vmid;
    ne.domain = r.global ? TAG_GLOBAL : tag;
    ne.pasid = EMU_TLB_ANY;
    ne.shift = r.shift;
    ne.perm = r.perm;
    ne.dirty = r.dirty;
    ne.valid = true;
    if (r.global)
        s->tlb_globals++;
    emu_iotlb_insert(s->tlb, &ne);
    x->out = r.out;
    x->shift = r.shift;
    x->perm = r.perm;
    return 0;
}

/* ---- ops ----------------------------------------------------------------- */
static int smmu_init(struct emu_iommu *iommu, const char *profile)
{
    struct smmu *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return -ENOMEM;
    rc = smmu_parse_profile(s->id, profile);
    if (rc) {
        free(s);
        return rc;
    }
    s->tlb = emu_iotlb_new(SMMU_TLB_SIZE);
    if (!s->tlb) {
        free(s);
        return -ENOMEM;
    }
    rc = emu_regfile_init(&iommu->regs, SMMU_MMIO_SIZE, smmu_regs, smmu_nregs);
    if (rc) {
        emu_iotlb_free(s->tlb);
        free(s);
        return rc;
    }
    iommu->model = s;
    return 0;
}

static void smmu_fini(struct emu_iommu *iommu)
{
    struct smmu *s = smmu_of(iommu);

    if (!s)
        return;
    emu_iotlb_free(s->tlb);
    free(s);
    iommu->model = NULL;
}

static void smmu_reset(struct emu_iommu *iommu)
{
    struct smmu *s = smmu_of(iommu);

    smmu_regs_reset(iommu);
    emu_iotlb_inval_all(s->tlb);
    smmu_cfgc_inval_all(s);
    s->tlb_globals = 0;
    s->atc_err = false;
    s->in_cmdq = false;
    s->irq_gerror = s->irq_eventq = s->irq_priq = s->irq_cmd_sync = 0;
    s->sev_events = s->msi_writes = s->events_written = s->events_discarded = 0;
}

static uint64_t smmu_mmio_size(const struct emu_iommu *iommu)
{
    (void)iommu;
    return SMMU_MMIO_SIZE;
}

const struct emu_model_ops emu_smmuv3_ops = {
    .model = EMU_SMMUV3,
    .name = "smmuv3",
    .init = smmu_init,
    .fini = smmu_fini,
    .reset = smmu_reset,
    .mmio_size = smmu_mmio_size,
    .mmio_read = smmu_mmio_read,
    .mmio_write = smmu_mmio_write,
    .translate = smmu_translate,
    .set_id = smmu_set_id,
};
