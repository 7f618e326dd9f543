/* SPDX-License-Identifier: MIT */
/*
 * SMMUv3 register file: the table (regs.def), MMIO access rules, the CR0/ACK,
 * IRQ_CTRL/ACK and GBPA update protocols, GERROR/GERRORN, and the profiles
 * that drive the ID registers (smmuv3.md §1-§3).
 *
 * Access rules chosen where the spec leaves it IMPLEMENTATION DEFINED or
 * CONSTRAINED UNPREDICTABLE (smmuv3.md §1.1):
 *  - aligned 32-bit accesses anywhere, aligned 64-bit accesses to 64-bit
 *    registers; anything else (1/2-byte, misaligned, 64-bit across two 32-bit
 *    registers) is RAZ/WI.
 *  - undefined offsets of Page 0 and all of Page 1 except the queue indexes
 *    are RES0 (RAZ/WI); the optional Page-0 aliases 0xA8/0xAC/0xC8/0xCC are
 *    RAZ/WI (the spec allows either).
 *  - writes to a guarded register while its enable or ACK is 1 are ignored
 *    (SMMUv3.2 rule; v3.0/3.1 left it UNPREDICTABLE).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smmuv3.h"

/* ---- Field tables for decoding (smmuv3.md §2, §3) ------------------------ */
static const struct emu_field f_idr0[] = {
    { "S2P", 0, 1 }, { "S1P", 1, 1 }, { "TTF", 2, 2 }, { "COHACC", 4, 1 }, { "BTM", 5, 1 },
    { "HTTU", 6, 2 }, { "HYP", 9, 1 }, { "ATS", 10, 1 }, { "NS1ATS", 11, 1 }, { "ASID16", 12, 1 },
    { "MSI", 13, 1 }, { "SEV", 14, 1 }, { "ATOS", 15, 1 }, { "PRI", 16, 1 }, { "VMW", 17, 1 },
    { "VMID16", 18, 1 }, { "CD2L", 19, 1 }, { "VATOS", 20, 1 }, { "TTENDIAN", 21, 2 },
    { "ATSRECERR", 23, 1 }, { "STALL_MODEL", 24, 2 }, { "TERM_MODEL", 26, 1 }, { "ST_LEVEL", 27, 2 },
    { "RME_IMPL", 30, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_idr1[] = {
    { "SIDSIZE", 0, 6 }, { "SSIDSIZE", 6, 5 }, { "PRIQS", 11, 5 }, { "EVENTQS", 16, 5 },
    { "CMDQS", 21, 5 }, { "ATTR_PERMS_OVR", 26, 1 }, { "ATTR_TYPES_OVR", 27, 1 }, { "REL", 28, 1 },
    { "QUEUES_PRESET", 29, 1 }, { "TABLES_PRESET", 30, 1 }, { "ECMDQ", 31, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_idr2[] = { { "BA_VATOS", 0, 10 }, { NULL, 0, 0 } };
static const struct emu_field f_idr3[] = {
    { "HAD", 2, 1 }, { "PBHA", 3, 1 }, { "XNX", 4, 1 }, { "PPS", 5, 1 }, { "MPAM", 7, 1 },
    { "FWB", 8, 1 }, { "STT", 9, 1 }, { "RIL", 10, 1 }, { "BBML", 11, 2 }, { "E0PD", 13, 1 },
    { "PTWNNC", 14, 1 }, { "DPT", 15, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_idr5[] = {
    { "OAS", 0, 3 }, { "GRAN4K", 4, 1 }, { "GRAN16K", 5, 1 }, { "GRAN64K", 6, 1 }, { "DS", 7, 1 },
    { "D128", 8, 1 }, { "VAX", 10, 2 }, { "STALL_MAX", 16, 16 }, { NULL, 0, 0 } };
static const struct emu_field f_iidr[] = {
    { "Implementer", 0, 12 }, { "Revision", 12, 4 }, { "Variant", 16, 4 }, { "ProductID", 20, 12 },
    { NULL, 0, 0 } };
static const struct emu_field f_aidr[] = {
    { "ArchMinorRev", 0, 4 }, { "ArchMajorRev", 4, 4 }, { NULL, 0, 0 } };
static const struct emu_field f_cr0[] = {
    { "SMMUEN", 0, 1 }, { "PRIQEN", 1, 1 }, { "EVENTQEN", 2, 1 }, { "CMDQEN", 3, 1 },
    { "ATSCHK", 4, 1 }, { "VMW", 6, 3 }, { "DPT_WALK_EN", 10, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_cr1[] = {
    { "QUEUE_IC", 0, 2 }, { "QUEUE_OC", 2, 2 }, { "QUEUE_SH", 4, 2 }, { "TABLE_IC", 6, 2 },
    { "TABLE_OC", 8, 2 }, { "TABLE_SH", 10, 2 }, { NULL, 0, 0 } };
static const struct emu_field f_cr2[] = {
    { "E2H", 0, 1 }, { "RECINVSID", 1, 1 }, { "PTM", 2, 1 }, { "REC_CFG_ATS", 3, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_statusr[] = { { "DORMANT", 0, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_gbpa[] = {
    { "MemAttr", 0, 4 }, { "MTCFG", 4, 1 }, { "ALLOCCFG", 8, 4 }, { "SHCFG", 12, 2 },
    { "NSCFG", 14, 2 }, { "PRIVCFG", 16, 2 }, { "INSTCFG", 18, 2 }, { "ABORT", 20, 1 },
    { "Update", 31, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_irq_ctrl[] = {
    { "GERROR_IRQEN", 0, 1 }, { "PRIQ_IRQEN", 1, 1 }, { "EVENTQ_IRQEN", 2, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_gerror[] = {
    { "CMDQ_ERR", 0, 1 }, { "EVENTQ_ABT_ERR", 2, 1 }, { "PRIQ_ABT_ERR", 3, 1 },
    { "MSI_CMDQ_ABT_ERR", 4, 1 }, { "MSI_EVENTQ_ABT_ERR", 5, 1 }, { "MSI_PRIQ_ABT_ERR", 6, 1 },
    { "MSI_GERROR_ABT_ERR", 7, 1 }, { "SFM_ERR", 8, 1 }, { "CMDQP_ERR", 9, 1 }, { "DPT_ERR", 10, 1 },
    { NULL, 0, 0 } };
static const struct emu_field f_irq_cfg0[] = { { "ADDR", 2, 54 }, { NULL, 0, 0 } };
static const struct emu_field f_irq_cfg1[] = { { "DATA", 0, 32 }, { NULL, 0, 0 } };
static const struct emu_field f_irq_cfg2[] = { { "MemAttr", 0, 4 }, { "SH", 4, 2 }, { NULL, 0, 0 } };
static const struct emu_field f_priq_cfg2[] = {
    { "MemAttr", 0, 4 }, { "SH", 4, 2 }, { "LO", 31, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_strtab_base[] = { { "ADDR", 6, 50 }, { "RA", 62, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_strtab_cfg[] = {
    { "LOG2SIZE", 0, 6 }, { "SPLIT", 6, 5 }, { "FMT", 16, 2 }, { NULL, 0, 0 } };
static const struct emu_field f_q_base[] = {
    { "LOG2SIZE", 0, 5 }, { "ADDR", 5, 51 }, { "RWA", 62, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_q_prod[] = { { "WR", 0, 20 }, { NULL, 0, 0 } };
static const struct emu_field f_cmdq_cons[] = { { "RD", 0, 20 }, { "ERR", 24, 7 }, { NULL, 0, 0 } };
static const struct emu_field f_q_prod_ovf[] = { { "WR", 0, 20 }, { "OVFLG", 31, 1 }, { NULL, 0, 0 } };
static const struct emu_field f_q_cons_ovf[] = { { "RD", 0, 20 }, { "OVACKFLG", 31, 1 }, { NULL, 0, 0 } };

/* ---- Write hooks --------------------------------------------------------- */
static void wr_cr0(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_cr1(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_gbpa(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_irq_ctrl(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_gerrorn(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_cmdq_prod(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);
static void wr_smmu_index(struct emu_iommu *, const struct emu_reg *, uint64_t, uint64_t);

#define SMMU_REG(n, off, w, rst, wm, w1c, wo, wr, rd, f, g) \
    { off, w, rst, wm, w1c, wo, #n, wr, rd, f },
const struct emu_reg smmu_regs[] = {
#include "regs.def"
};
#undef SMMU_REG
const size_t smmu_nregs = sizeof(smmu_regs) / sizeof(smmu_regs[0]);

#define SMMU_REG(n, off, w, rst, wm, w1c, wo, wr, rd, f, g) g,
static const unsigned char smmu_guards[] = {
#include "regs.def"
};
#undef SMMU_REG

enum smmu_guard smmu_reg_guard(const struct emu_reg *reg)
{
    if (!reg || reg < smmu_regs || reg >= smmu_regs + smmu_nregs)
        return G_NONE;
    return (enum smmu_guard)smmu_guards[reg - smmu_regs];
}

/* ---- Profiles (smmuv3.md §2, §10.1) --------------------------------------- */
/*
 * default: S1P+S2P, AArch64 tables, COHACC, HTTU=2 (AF + dirty), ATS, ASID16,
 *          VMID16, MSI, SEV, CD2L, LE tables, terminate-only stall model,
 *          TERM_MODEL=1, 2-level stream table; SIDSIZE 16, SSIDSIZE 20,
 *          CMDQS = EVENTQS = 19; RIL + HAD; OAS 48, 4K/16K/64K; SMMUv3.2.
 * qemu:    QEMU's stage=1 values (smmuv3.md §10.1).
 */
struct profile {
    const char *name;
    uint32_t id[ID_COUNT];
};
#define DEF_IDR0 0x0D4C749Bu
static const struct profile profiles[] = {
    { "default", { DEF_IDR0, 0x02730510u, 0, 0x404u, 0, 0x75u, 0, 0x2u } },
    { "qemu",    { 0x0D44101Au, 0x02730010u, 0, 0x1404u, 0, 0x74u, 0, 0x1u } },
    { "nodirty", { DEF_IDR0 & ~(3u << IDR0_HTTU_SHIFT), 0x02730510u, 0, 0x404u, 0, 0x75u, 0, 0x2u } },
    { "ha-only", { (DEF_IDR0 & ~(3u << IDR0_HTTU_SHIFT)) | (1u << IDR0_HTTU_SHIFT), 0x02730510u, 0,
                   0x404u, 0, 0x75u, 0, 0x2u } },
};
static const char *const id_names[ID_COUNT] = { "idr0", "idr1", "idr2", "idr3", "idr4", "idr5",
                                                "iidr", "aidr" };

static int id_index(const char *name, size_t len)
{
    for (int i = 0; i < ID_COUNT; i++)
        if (strlen(id_names[i]) == len && !strncasecmp(id_names[i], name, len))
            return i;
    return -1;
}

/* "[base][,key=value]..." with base a profile name and key an ID register
 * name; values in C notation (strtoull base 0) that fit 32 bits. */
int smmu_parse_profile(uint32_t id[ID_COUNT], const char *profile)
{
    const char *p = profile ? profile : "default";
    const struct profile *base = &profiles[0];
    size_t n = strcspn(p, ",");

    if (n && !memchr(p, '=', n)) {
        base = NULL;
        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
            if (strlen(profiles[i].name) == n && !strncasecmp(profiles[i].name, p, n))
                base = &profiles[i];
        if (!base)
            return -EINVAL;
        p += n;
        if (*p == ',' && !*++p)
            return -EINVAL;     /* trailing comma */
    }
    memcpy(id, base->id, sizeof(base->id));
    while (*p) {
        const char *eq;
        char *end;
        unsigned long long v;
        int idx;

        n = strcspn(p, ",");
        eq = memchr(p, '=', n);
        if (!eq || eq == p || eq + 1 == p + n)
            return -EINVAL;
        idx = id_index(p, (size_t)(eq - p));
        if (idx < 0 || !isdigit((unsigned char)eq[1]))
            return -EINVAL;
        errno = 0;
        v = strtoull(eq + 1, &end, 0);
        if (errno || end != p + n || v > 0xFFFFFFFFull)
            return -EINVAL;
        id[idx] = (uint32_t)v;
        p += n;
        if (*p == ',') {
            p++;
            if (!*p)
                return -EINVAL;
        }
    }
    return 0;
}

int smmu_set_id(struct emu_iommu *iommu, const char *name, uint64_t value)
{
    int idx = id_index(name, strlen(name));

    if (idx < 0 || value > 0xFFFFFFFFull)
        return -EINVAL;
    smmu_of(iommu)->id[idx] = (uint32_t)value;   /* applied at the next reset */
    return 0;
}

unsigned smmu_oas_bits(unsigned enc)
{
    static const unsigned char bits[8] = { 32, 36, 40, 42, 44, 48, 52, 56 };
    /* 52/56 need LPA/D128 descriptors, which this model does not implement:
     * treat them as 48 (Linux also falls back to 48 on unknown values). */
    return enc < 6 ? bits[enc] : 48;
}

static void narrow(struct emu_iommu *iommu, uint64_t off, uint64_t keep)
{
    const struct emu_reg *r = emu_regfile_find(&iommu->regs, off);

    if (r)
        emu_regfile_set_masks(&iommu->regs, off, r->width, r->wmask & keep, r->w1cmask, r->womask);
}

/* Power-on register state: the table, then the ID values, then the masks of
 * features the IDs do not advertise become RES0 (smmuv3.md §1.2 notes). */
void smmu_regs_reset(struct emu_iommu *iommu)
{
    struct smmu *s = smmu_of(iommu);
    uint32_t cr0 = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN, cr2 = CR2_RECINVSID;
    uint32_t irq = IRQ_GERROR_EN | IRQ_EVENTQ_EN;
    bool msi, pri;

    emu_regfile_reset(&iommu->regs);
    for (int i = 0; i < ID_COUNT; i++)
        wr32(iommu, SMMU_IDR0 + 4u * (unsigned)i, s->id[i]);
    s->idr0 = s->id[ID_IDR0];
    s->idr1 = s->id[ID_IDR1];
    s->idr3 = s->id[ID_IDR3];
    s->idr5 = s->id[ID_IDR5];
    msi = s->idr0 & IDR0_MSI;
    pri = s->idr0 & IDR0_PRI;
    if (pri) {
        cr0 |= CR0_PRIQEN;
        irq |= IRQ_PRIQ_EN;
    }
    if (s->idr0 & IDR0_ATS)
        cr0 |= CR0_ATSCHK;
    if ((s->idr0 & IDR0_VMW) && (s->idr0 & IDR0_S2P))
        cr0 |= CR0_VMW_MASK;
    if (s->idr3 & IDR3_DPT)
        cr0 |= CR0_DPT_WALK_EN;
    if (s->idr0 & IDR0_HYP)
        cr2 |= CR2_E2H;
    if (s->idr0 & IDR0_BTM)
        cr2 |= CR2_PTM;
    if (s->idr0 & IDR0_ATSRECERR)
        cr2 |= CR2_REC_CFG_ATS;
    narrow(iommu, SMMU_CR0, cr0);
    narrow(iommu, SMMU_CR2, cr2);
    narrow(iommu, SMMU_IRQ_CTRL, irq);
    /* §2.1 ST_LEVEL=0: STRTAB_BASE_CFG.FMT is RES0. */
    if (!((s->idr0 >> IDR0_STLEVEL_SHIFT) & 3))
        narrow(iommu, SMMU_STRTAB_BASE_CFG, 0x7ff);
    /* §3.6: IRQ_CFG registers are RES0 without MSI; PRIQ ones also need PRI. */
    if (!msi) {
        static const uint32_t cfg[] = { SMMU_GERROR_IRQ_CFG0, SMMU_GERROR_IRQ_CFG1,
                                        SMMU_GERROR_IRQ_CFG2, SMMU_EVENTQ_IRQ_CFG0,
                                        SMMU_EVENTQ_IRQ_CFG1, SMMU_EVENTQ_IRQ_CFG2 };
        for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
            narrow(iommu, cfg[i], 0);
    }
    if (!pri || !msi) {
        narrow(iommu, SMMU_PRIQ_IRQ_CFG0, 0);
        narrow(iommu, SMMU_PRIQ_IRQ_CFG1, 0);
        narrow(iommu, SMMU_PRIQ_IRQ_CFG2, 0);
    }
    if (!pri) {
        narrow(iommu, SMMU_PRIQ_BASE, 0);
        narrow(iommu, SMMU_PRIQ_PROD, 0);
        narrow(iommu, SMMU_PRIQ_CONS, 0);
    }
}

/* ---- Protocol hooks ------------------------------------------------------ */
/* §3.1: the SMMU completes every CR0 change at once, so CR0ACK follows CR0
 * (only implemented bits: the write mask). Enabling the command queue starts
 * consumption from CONS. */
static void wr_cr0(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    uint32_t was = rd32(iommu, SMMU_CR0ACK);

    (void)reg;
    (void)old;
    wr32(iommu, SMMU_CR0ACK, (uint32_t)val);
    if (emu_tracing(iommu) && ((was ^ (uint32_t)val) & CR0_SMMUEN)) {
        struct emu_trace_rec rec = { .kind = EMU_TRACE_EVENT, .a = val, .pasid = EMU_NO_PASID,
                                     .what = (val & CR0_SMMUEN) ? "SMMUEN 0->1" : "SMMUEN 1->0" };
        emu_trace(iommu, &rec);
    }
    if (!(was & CR0_CMDQEN) && (val & CR0_CMDQEN))
        smmu_cmdq_process(iommu);
}

/* §3.2: TABLE_* are RO while SMMUEN (or its ACK) is 1, QUEUE_* while any queue
 * enable (or ACK) is 1. */
static void wr_cr1(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    uint64_t keep = 0;

    (void)reg;
    if (cr0_on(iommu, CR0_SMMUEN))
        keep |= 0xFC0;
    if (cr0_on(iommu, CR0_CMDQEN | CR0_EVENTQEN | CR0_PRIQEN))
        keep |= 0x03F;
    if (keep)
        wr32(iommu, SMMU_CR1, (uint32_t)((val & ~keep) | (old & keep)));
}

/* §3.3: a write is accepted only with Update=1 (v3.2: Update=0 writes are
 * ignored); the SMMU applies it at once and clears Update. */
static void wr_gbpa(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    (void)reg;
    if (!(val & GBPA_UPDATE) || (old & GBPA_UPDATE))
        wr32(iommu, SMMU_GBPA, (uint32_t)old);
    else
        wr32(iommu, SMMU_GBPA, (uint32_t)val & ~GBPA_UPDATE);
}

/* §3.4: same handshake as CR0. */
static void wr_irq_ctrl(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    (void)reg;
    (void)old;
    wr32(iommu, SMMU_IRQ_CTRLACK, (uint32_t)val);
}

/* §3.5: software acknowledges an active error by toggling GERRORN[x] to equal
 * GERROR[x]. Toggling an inactive bit is CONSTRAINED UNPREDICTABLE; this model
 * ignores such a toggle (the bit keeps its value), so errors cannot be faked.
 * Acknowledging CMDQ_ERR restarts command consumption at CONS.RD. */
static void wr_gerrorn(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    uint32_t gerror = rd32(iommu, SMMU_GERROR);
    uint32_t active = gerror ^ (uint32_t)old;
    uint32_t nv = ((uint32_t)val & active) | ((uint32_t)old & ~active);

    (void)reg;
    wr32(iommu, SMMU_GERRORN, nv);
    if ((active & GERR_CMDQ) && !((gerror ^ nv) & GERR_CMDQ))
        smmu_cmdq_process(iommu);
}

static void wr_cmdq_prod(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    (void)reg;
    (void)old;
    (void)val;
    smmu_cmdq_process(iommu);
}

/* §1.4: in the SMMU-written index registers (CMDQ_CONS, EVENTQ_PROD,
 * PRIQ_PROD) bits [19:QS+1] are RAZ. */
static void wr_smmu_index(struct emu_iommu *iommu, const struct emu_reg *reg, uint64_t old, uint64_t val)
{
    struct smmu *s = smmu_of(iommu);
    unsigned qs, log2;

    (void)old;
    if (reg->offset == SMMU_CMDQ_CONS) {
        log2 = (unsigned)(rd64(iommu, SMMU_CMDQ_BASE) & 0x1f);
        qs = log2 < idr1_cmdqs(s) ? log2 : idr1_cmdqs(s);
    } else if (reg->offset == SMMU_EVENTQ_PROD) {
        log2 = (unsigned)(rd64(iommu, SMMU_EVENTQ_BASE) & 0x1f);
        qs = log2 < idr1_eventqs(s) ? log2 : idr1_eventqs(s);
    } else {
        unsigned priqs = (s->idr1 >> 11) & 0x1f;
        log2 = (unsigned)(rd64(iommu, SMMU_PRIQ_BASE) & 0x1f);
        qs = log2 < priqs ? log2 : priqs;
        if (qs > 19)
            qs = 19;
    }
    wr32(iommu, reg->offset, (uint32_t)(val & ~((uint64_t)Q_WR_MASK & ~((2ull << qs) - 1))));
}

/* ---- MMIO ---------------------------------------------------------------- */
static bool guarded(struct emu_iommu *iommu, const struct emu_reg *r)
{
    uint32_t irq = rd32(iommu, SMMU_IRQ_CTRL) | rd32(iommu, SMMU_IRQ_CTRLACK);

    switch (smmu_reg_guard(r)) {
    case G_SMMUEN: return cr0_on(iommu, CR0_SMMUEN);
    case G_CMDQEN: return cr0_on(iommu, CR0_CMDQEN);
    case G_EVENTQEN: return cr0_on(iommu, CR0_EVENTQEN);
    case G_PRIQEN: return cr0_on(iommu, CR0_PRIQEN);
    case G_GERROR_IRQEN: return irq & IRQ_GERROR_EN;
    case G_EVENTQ_IRQEN: return irq & IRQ_EVENTQ_EN;
    case G_PRIQ_IRQEN: return irq & IRQ_PRIQ_EN;
    case G_NONE: default: return false;
    }
}

/* The row an access may reach, or NULL for RAZ/WI (see the file comment). */
static const struct emu_reg *access_row(struct emu_iommu *iommu, uint64_t off, unsigned width)
{
    const struct emu_reg *r;

    if (off >= SMMU_MMIO_SIZE || width > SMMU_MMIO_SIZE - off)
        return NULL;
    if ((width != 4 && width != 8) || (off & (width - 1)))
        return NULL;
    r = emu_regfile_find(&iommu->regs, off);
    if (!r || (width == 8 && (r->width != 8 || r->offset != off)))
        return NULL;
    return r;
}

uint64_t smmu_mmio_read(struct emu_iommu *iommu, uint64_t off, unsigned width)
{
    if (!access_row(iommu, off, width))
        return 0;
    return emu_regfile_read(iommu, &iommu->regs, off, width);
}

void smmu_mmio_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val)
{
    const struct emu_reg *r = access_row(iommu, off, width);

    if (!r || guarded(iommu, r))
        return;
    emu_regfile_write(iommu, &iommu->regs, off, width, val);
}
