/* SPDX-License-Identifier: MIT */
/*
 * VT-d model glue: emu_vtd_ops, instance life cycle, and translate()
 * (IOTLB, context/PASID cache, walk, fault recording).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vtd.h"

static void vtd_reset(struct emu_iommu *iommu);

static void vtd_fini(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    if (!v)
        return;
    if (v->regs_ready)
        emu_regfile_fini(&iommu->regs);
    emu_iotlb_free(v->tlb);
    free(v);
    iommu->model = NULL;
}

static int vtd_init(struct emu_iommu *iommu, const char *profile)
{
    uint64_t cap, ecap;
    uint32_t ver;
    int32_t ite;
    int rc = vtd_parse_profile(profile, &cap, &ecap, &ver, &ite);
    if (rc)
        return rc;
    struct vtd *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->cfg_cap = cap;
    v->cfg_ecap = ecap;
    v->cfg_ver = ver;
    v->ite_sid_set = ite >= 0;
    v->ite_sid = (uint16_t)(ite >= 0 ? ite : 0);
    v->tlb = emu_iotlb_new(4096);
    iommu->model = v;
    if (!v->tlb) {
        vtd_fini(iommu);
        return -ENOMEM;
    }
    rc = vtd_regs_layout(iommu);
    if (rc) {
        vtd_fini(iommu);
        return rc;
    }
    return 0;
}

static void vtd_reset(struct emu_iommu *iommu)
{
    struct vtd *v = VTD(iommu);
    (void)vtd_regs_layout(iommu);
    vtd_regs_reset(iommu);
    v->root = 0;
    v->ttm = 0;
    v->irta = 0;
    v->iq_base = 0;
    v->iq_head = 0;
    v->iq_shift = 4;
    v->iq_entries = 256;
    v->next_frcd = 0;
    v->fault_irqs = v->inv_irqs = 0;
    vtd_inval_all_caches(iommu);
}

static uint64_t vtd_mmio_size(const struct emu_iommu *iommu)
{
    return VTD(iommu)->mmio_size;
}

static int vtd_set_id(struct emu_iommu *iommu, const char *name, uint64_t value)
{
    struct vtd *v = VTD(iommu);
    if (!name)
        return -EINVAL;
    if (!strcasecmp(name, "cap")) {
        if (!vtd_layout_ok(value, v->cfg_ecap))
            return -EINVAL;
        v->cfg_cap = value;
    } else if (!strcasecmp(name, "ecap")) {
        if (!vtd_layout_ok(v->cfg_cap, value))
            return -EINVAL;
        v->cfg_ecap = value;
    } else if (!strcasecmp(name, "ver") && value <= 0xff) {
        v->cfg_ver = (uint32_t)value;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* EMU_TRACE_TRANSLATE records are emitted by the core's DMA loop. */
static int identity(uint64_t iova, struct emu_xlate *x)
{
    x->out = iova;
    x->shift = 12;
    x->perm = EMU_PERM_R | EMU_PERM_W;
    return 0;
}

#define INTR_LO 0xfee00000ull
#define INTR_HI 0xfeefffffull

static int vtd_translate(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                         bool write, struct emu_xlate *x, struct emu_fault *fault)
{
    struct vtd *v = VTD(iommu);
    if (rid > 0xffff || (pasid != EMU_NO_PASID && pasid > 0xfffff)) {
        /* Not representable on PCIe: no request reaches the remapping unit. */
        if (fault)
            *fault = (struct emu_fault){ .iova = iova, .rid = rid, .pasid = pasid, .write = write };
        return -EINVAL;
    }
    /* Translation disabled: DMA passes untranslated (VT-d spec §3.1). */
    if (!(vtd_get(iommu, VTD_GSTS, 4) & GCMD_TE))
        return identity(iova, x);

    struct vtd_err e;
    struct vtd_ctx tmp;
    const struct vtd_ctx *c = vtd_cc_find(v, (uint16_t)rid, pasid);
    if (!c) {
        if (vtd_lookup_ctx(iommu, (uint16_t)rid, pasid, &tmp, &e)) {
            vtd_record_fault(iommu, (uint16_t)rid, &e, iova, write, fault);
            return -EFAULT;
        }
        vtd_cc_insert(v, &tmp);
        c = &tmp;
    }
    if (c->mode == VTD_M_PT)
        return identity(iova, x);

    struct emu_tlb_entry *t = emu_iotlb_lookup(v->tlb, rid, c->did, c->pasid, iova);
    if (t && (t->perm & (write ? EMU_PERM_W : EMU_PERM_R)) && (!write || t->dirty)) {
        uint64_t mask = (1ull << t->shift) - 1;
        x->out = t->out + (iova & mask);
        x->shift = t->shift;
        x->perm = t->perm;
        v->stat_hits++;
            return 0;
    }

    memset(&e, 0, sizeof(e));
    e.fpd = c->fpd;
    if (pasid != EMU_NO_PASID) {
        e.pasid_known = true;
        e.pasid = pasid;
    }
    struct vtd_walk w;
    if (vtd_walk(iommu, c, iova, write, &w, &e)) {
        vtd_record_fault(iommu, (uint16_t)rid, &e, iova, write, fault);
        return -EFAULT;
    }
    uint64_t size = 1ull << w.shift;
    uint64_t out = w.out_base + (iova & (size - 1));
    uint8_t shift = w.shift;
    if (w.out_base <= INTR_HI && w.out_base + size - 1 >= INTR_LO) {
        /* Output in the interrupt address range is not DMA (VT-d spec §3.14). */
        if (out >= INTR_LO && out <= INTR_HI) {
            e.reason = c->scalable ? FR_SGN_INTR : FR_INTR_ADDR;
            e.qualified = true;
            vtd_record_fault(iommu, (uint16_t)rid, &e, iova, write, fault);
            return -EFAULT;
        }
        shift = 12;   /* use (and cache) only this 4 KiB piece of the large page */
    }
    struct emu_tlb_entry ne = {
        .iova = iova & ~((1ull << shift) - 1), .out = out & ~((1ull << shift) - 1),
        .leaf_gpa = w.leaf_gpa, .sid = rid, .domain = c->did, .pasid = c->pasid,
        .shift = shift, .perm = w.perm, .dirty = w.dirty, .valid = true,
    };
    emu_iotlb_insert(v->tlb, &ne);
    x->out = out;
    x->shift = shift;
    x->perm = w.perm;
    return 0;
}

const struct emu_model_ops emu_vtd_ops = {
    .model = EMU_VTD,
    .name = "vtd",
    .init = vtd_init,
    .fini = vtd_fini,
    .reset = vtd_reset,
    .mmio_size = vtd_mmio_size,
    .mmio_read = vtd_mmio_read,
    .mmio_write = vtd_mmio_write,
    .translate = vtd_translate,
    .set_id = vtd_set_id,
};
