/* SPDX-License-Identifier: MIT */
/*
 * Arm SMMUv3 model (IHI 0070), internal interface between the files of
 * emu/smmuv3/. Facts: shared/reference/smmuv3.md (cited as "smmuv3.md §n").
 *
 * Files, one per spec chapter:
 *   regs.def  register table (data)          regs.c   MMIO, CR0/ACK, GBPA, GERROR, profiles
 *   strtab.c  stream table / STE (§4)        cd.c     context descriptors (§5)
 *   walk.c    VMSAv8-64 S1/S2 walks, HTTU    cmdq.c   command queue (§7)
 *   evtq.c    event queue, IRQs, MSIs (§8)   model.c  ops, translate, config cache
 */
#ifndef EMU_SMMUV3_SMMUV3_H
#define EMU_SMMUV3_SMMUV3_H

#include "../core/emu_internal.h"

/* ---- Register offsets (smmuv3.md §1.2, §1.3) ---------------------------- */
#define SMMU_IDR0            0x000
#define SMMU_IDR1            0x004
#define SMMU_IDR2            0x008
#define SMMU_IDR3            0x00C
#define SMMU_IDR4            0x010
#define SMMU_IDR5            0x014
#define SMMU_IIDR            0x018
#define SMMU_AIDR            0x01C
#define SMMU_CR0             0x020
#define SMMU_CR0ACK          0x024
#define SMMU_CR1             0x028
#define SMMU_CR2             0x02C
#define SMMU_STATUSR         0x040
#define SMMU_GBPA            0x044
#define SMMU_IRQ_CTRL        0x050
#define SMMU_IRQ_CTRLACK     0x054
#define SMMU_GERROR          0x060
#define SMMU_GERRORN         0x064
#define SMMU_GERROR_IRQ_CFG0 0x068
#define SMMU_GERROR_IRQ_CFG1 0x070
#define SMMU_GERROR_IRQ_CFG2 0x074
#define SMMU_STRTAB_BASE     0x080
#define SMMU_STRTAB_BASE_CFG 0x088
#define SMMU_CMDQ_BASE       0x090
#define SMMU_CMDQ_PROD       0x098
#define SMMU_CMDQ_CONS       0x09C
#define SMMU_EVENTQ_BASE     0x0A0
#define SMMU_EVENTQ_IRQ_CFG0 0x0B0
#define SMMU_EVENTQ_IRQ_CFG1 0x0B8
#define SMMU_EVENTQ_IRQ_CFG2 0x0BC
#define SMMU_PRIQ_BASE       0x0C0
#define SMMU_PRIQ_IRQ_CFG0   0x0D0
#define SMMU_PRIQ_IRQ_CFG1   0x0D8
#define SMMU_PRIQ_IRQ_CFG2   0x0DC
#define SMMU_EVENTQ_PROD     0x100A8
#define SMMU_EVENTQ_CONS     0x100AC
#define SMMU_PRIQ_PROD       0x100C8
#define SMMU_PRIQ_CONS       0x100CC
#define SMMU_MMIO_SIZE       0x20000u   /* Page 0 + Page 1 (smmuv3.md §1.1) */

/* ---- Register fields ----------------------------------------------------- */
/* IDR0 (smmuv3.md §2.1) */
#define IDR0_S2P        (1u << 0)
#define IDR0_S1P        (1u << 1)
#define IDR0_TTF_SHIFT  2
#define IDR0_COHACC     (1u << 4)
#define IDR0_BTM        (1u << 5)
#define IDR0_HTTU_SHIFT 6
#define IDR0_HYP        (1u << 9)
#define IDR0_ATS        (1u << 10)
#define IDR0_NS1ATS     (1u << 11)
#define IDR0_ASID16     (1u << 12)
#define IDR0_MSI        (1u << 13)
#define IDR0_SEV        (1u << 14)
#define IDR0_ATOS       (1u << 15)
#define IDR0_PRI        (1u << 16)
#define IDR0_VMW        (1u << 17)
#define IDR0_VMID16     (1u << 18)
#define IDR0_CD2L       (1u << 19)
#define IDR0_TTENDIAN_SHIFT 21
#define IDR0_ATSRECERR  (1u << 23)
#define IDR0_STALL_SHIFT 24
#define IDR0_TERM_MODEL (1u << 26)
#define IDR0_STLEVEL_SHIFT 27
/* IDR3 (§2.4) */
#define IDR3_HAD        (1u << 2)
#define IDR3_XNX        (1u << 4)
#define IDR3_RIL        (1u << 10)
#define IDR3_STT        (1u << 9)
#define IDR3_DPT        (1u << 15)
/* IDR5 (§2.6) */
#define IDR5_GRAN4K     (1u << 4)
#define IDR5_GRAN16K    (1u << 5)
#define IDR5_GRAN64K    (1u << 6)
#define IDR5_DS         (1u << 7)

/* CR0 (§3.1) */
#define CR0_SMMUEN      (1u << 0)
#define CR0_PRIQEN      (1u << 1)
#define CR0_EVENTQEN    (1u << 2)
#define CR0_CMDQEN      (1u << 3)
#define CR0_ATSCHK      (1u << 4)
#define CR0_VMW_MASK    (7u << 6)
#define CR0_DPT_WALK_EN (1u << 10)
/* CR2 (§3.2) */
#define CR2_E2H         (1u << 0)
#define CR2_RECINVSID   (1u << 1)
#define CR2_PTM         (1u << 2)
#define CR2_REC_CFG_ATS (1u << 3)
/* GBPA (§3.3) */
#define GBPA_UPDATE     (1u << 31)
#define GBPA_ABORT      (1u << 20)
/* IRQ_CTRL (§3.4) */
#define IRQ_GERROR_EN   (1u << 0)
#define IRQ_PRIQ_EN     (1u << 1)
#define IRQ_EVENTQ_EN   (1u << 2)
/* GERROR (§3.5) */
#define GERR_CMDQ       (1u << 0)
#define GERR_EVENTQ_ABT (1u << 2)
#define GERR_PRIQ_ABT   (1u << 3)
#define GERR_MSI_CMDQ_ABT   (1u << 4)
#define GERR_MSI_EVENTQ_ABT (1u << 5)
#define GERR_MSI_PRIQ_ABT   (1u << 6)
#define GERR_MSI_GERROR_ABT (1u << 7)
#define GERR_SFM        (1u << 8)
#define GERR_IMPL_MASK  0x1fdu      /* bits 0, 2-8 (Linux GERROR_ERR_MASK) */
/* Queue registers (§1.4) */
#define Q_OVF           (1u << 31)
#define Q_WR_MASK       0xfffffu
#define CMDQ_CONS_ERR_SHIFT 24

/* Command errors (§7.2) */
#define CERROR_NONE         0x00
#define CERROR_ILL          0x01
#define CERROR_ABT          0x02
#define CERROR_ATC_INV_SYNC 0x03

/* Event numbers (§8.2) */
#define EVT_F_UUT              0x01
#define EVT_C_BAD_STREAMID     0x02
#define EVT_F_STE_FETCH        0x03
#define EVT_C_BAD_STE          0x04
#define EVT_F_BAD_ATS_TREQ     0x05
#define EVT_F_STREAM_DISABLED  0x06
#define EVT_F_TRANSL_FORBIDDEN 0x07
#define EVT_C_BAD_SUBSTREAMID  0x08
#define EVT_F_CD_FETCH         0x09
#define EVT_C_BAD_CD           0x0A
#define EVT_F_WALK_EABT        0x0B
#define EVT_F_TRANSLATION      0x10
#define EVT_F_ADDR_SIZE        0x11
#define EVT_F_ACCESS           0x12
#define EVT_F_PERMISSION       0x13
#define EVT_F_TLB_CONFLICT     0x20
#define EVT_F_CFG_CONFLICT     0x21
/* Event CLASS (§8.1) */
#define CLASS_CD 0
#define CLASS_TT 1
#define CLASS_IN 2

/* Command opcodes (§7.3) */
#define CMD_PREFETCH_CONFIG 0x01
#define CMD_PREFETCH_ADDR   0x02
#define CMD_CFGI_STE        0x03
#define CMD_CFGI_STE_RANGE  0x04
#define CMD_CFGI_CD         0x05
#define CMD_CFGI_CD_ALL     0x06
#define CMD_CFGI_VMS_PIDM   0x07
#define CMD_TLBI_NH_ALL     0x10
#define CMD_TLBI_NH_ASID    0x11
#define CMD_TLBI_NH_VA      0x12
#define CMD_TLBI_NH_VAA     0x13
#define CMD_TLBI_EL3_ALL    0x18
#define CMD_TLBI_EL3_VA     0x1A
#define CMD_TLBI_EL2_ALL    0x20
#define CMD_TLBI_EL2_ASID   0x21
#define CMD_TLBI_EL2_VA     0x22
#define CMD_TLBI_EL2_VAA    0x23
#define CMD_TLBI_S12_VMALL  0x28
#define CMD_TLBI_S2_IPA     0x2A
#define CMD_TLBI_NSNH_ALL   0x30
#define CMD_ATC_INV         0x40
#define CMD_PRI_RESP        0x41
#define CMD_RESUME          0x44
#define CMD_STALL_TERM      0x45
#define CMD_SYNC            0x46

/* ---- Model state --------------------------------------------------------- */
enum smmu_id { ID_IDR0, ID_IDR1, ID_IDR2, ID_IDR3, ID_IDR4, ID_IDR5, ID_IIDR, ID_AIDR, ID_COUNT };

/* Which CR0 / IRQ_CTRL enable guards a register's writes (smmuv3.md §1.2). */
enum smmu_guard {
    G_NONE, G_SMMUEN, G_CMDQEN, G_EVENTQEN, G_PRIQEN,
    G_GERROR_IRQEN, G_EVENTQ_IRQEN, G_PRIQ_IRQEN,
};

/* Resolved configuration of one (StreamID, SubstreamID): STE + CD, as the
 * SMMU's configuration cache holds it (smmuv3.md §4, §5). */
enum cfg_kind { CFG_ABORT, CFG_BYPASS, CFG_S1, CFG_S2, CFG_NESTED };

struct s1_tt {            /* one of TTB0 / TTB1 */
    uint64_t ttb;
    uint8_t tsz, gshift, epd, tbi, had;
};
struct smmu_cfg {
    uint32_t sid, ssid;   /* ssid == EMU_NO_PASID for no-SSID traffic */
    bool valid;
    uint8_t kind;         /* enum cfg_kind; S1 bypassed by S1DSS becomes S2 or BYPASS */
    bool priv;            /* STE.PRIVCFG=11: privileged transactions */
    bool mev;
    /* stage 1 (CD) */
    struct s1_tt tt[2];
    uint8_t ips;          /* effective IPS in bits */
    bool s1_ha, s1_hd, s1_affd, s1_r, s1_pan, s1_be, s1_wxn;
    uint16_t asid;
    /* stage 2 (STE) */
    uint64_t s2ttb;
    uint8_t s2tsz, s2g, s2sl, s2ps;   /* s2sl: start level 0..3, s2ps: bits */
    bool s2_ha, s2_hd, s2_affd, s2_r, s2_be;
    uint16_t vmid;
};

#define SMMU_CFGC_SIZE 512u
#define SMMU_TLB_SIZE  4096u

/* TLB tags: the emu_iotlb "sid" field carries the VMID, "domain" the ASID,
 * or one of these (smmuv3.md §7.3: TLBs are tagged by VMID/ASID, not SID). */
#define TAG_S2ONLY 0x10000u
#define TAG_GLOBAL 0x20000u

struct smmu {
    uint32_t id[ID_COUNT];       /* configured ID values (profile + overrides) */
    uint32_t idr0, idr1, idr3, idr5;  /* latched at reset: what the model uses */
    struct emu_iotlb *tlb;
    struct smmu_cfg cfgc[SMMU_CFGC_SIZE];
    unsigned tlb_globals;        /* global (nG=0) entries possibly cached */
    bool atc_err;                /* an ATC_INV since the last CMD_SYNC failed */
    bool in_cmdq;                /* re-entrancy guard */
    /* Interrupts are model state (model_common): counters + trace records. */
    uint64_t irq_gerror, irq_eventq, irq_priq, irq_cmd_sync, sev_events, msi_writes;
    uint64_t events_written, events_discarded;
};

static inline struct smmu *smmu_of(const struct emu_iommu *iommu)
{
    return (struct smmu *)iommu->model;
}
static inline uint32_t rd32(struct emu_iommu *iommu, uint64_t off)
{
    return (uint32_t)emu_regfile_get(&iommu->regs, off, 4);
}
static inline uint64_t rd64(struct emu_iommu *iommu, uint64_t off)
{
    return emu_regfile_get(&iommu->regs, off, 8);
}
static inline void wr32(struct emu_iommu *iommu, uint64_t off, uint32_t v)
{
    emu_regfile_set(&iommu->regs, off, 4, v);
}
/* An enable is "on" when the CR0 bit or its ACK is set (§3.1 guards use both). */
static inline bool cr0_on(struct emu_iommu *iommu, uint32_t bit)
{
    return ((rd32(iommu, SMMU_CR0) | rd32(iommu, SMMU_CR0ACK)) & bit) != 0;
}
/* A feature is operational when its ACK says so (the update completed). */
static inline bool ack_on(struct emu_iommu *iommu, uint32_t bit)
{
    return (rd32(iommu, SMMU_CR0ACK) & bit) != 0;
}
static inline unsigned idr0_httu(const struct smmu *s) { return (s->idr0 >> IDR0_HTTU_SHIFT) & 3; }
static inline unsigned idr0_stall(const struct smmu *s) { return (s->idr0 >> IDR0_STALL_SHIFT) & 3; }
static inline unsigned idr0_ttendian(const struct smmu *s) { return (s->idr0 >> IDR0_TTENDIAN_SHIFT) & 3; }
static inline unsigned idr1_sidsize(const struct smmu *s) { return s->idr1 & 0x3f; }
static inline unsigned idr1_ssidsize(const struct smmu *s) { return (s->idr1 >> 6) & 0x1f; }
static inline unsigned idr1_cmdqs(const struct smmu *s) { unsigned v = (s->idr1 >> 21) & 0x1f; return v > 19 ? 19 : v; }
static inline unsigned idr1_eventqs(const struct smmu *s) { unsigned v = (s->idr1 >> 16) & 0x1f; return v > 19 ? 19 : v; }
/* IDR5.OAS in bits (§2.6); reserved encodings read as 48 as Linux does. */
unsigned smmu_oas_bits(unsigned enc);
static inline unsigned smmu_oas(const struct smmu *s) { return smmu_oas_bits(s->idr5 & 7); }

/* regs.c */
extern const struct emu_reg smmu_regs[];
extern const size_t smmu_nregs;
enum smmu_guard smmu_reg_guard(const struct emu_reg *reg);
int smmu_parse_profile(uint32_t id[ID_COUNT], const char *profile);
int smmu_set_id(struct emu_iommu *iommu, const char *name, uint64_t value);
void smmu_regs_reset(struct emu_iommu *iommu);
uint64_t smmu_mmio_read(struct emu_iommu *iommu, uint64_t off, unsigned width);
void smmu_mmio_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val);

/* evtq.c */
struct smmu_event {
    uint8_t type;
    uint32_t sid, ssid;    /* ssid EMU_NO_PASID: SSV=0 */
    uint64_t input;        /* InputAddr */
    uint64_t ipa;          /* IPA (S2 faults) */
    uint64_t fetch;        /* FetchAddr */
    bool has_fetch, s2, rnw, pnu, ttrnw;
    uint8_t class_;
};
void smmu_event(struct emu_iommu *iommu, const struct smmu_event *ev);
void smmu_gerror_raise(struct emu_iommu *iommu, uint32_t bit);
/* MSI or wired interrupt for the CFG0/1/2 triple at cfg0 (0: none); bit: MSI abort GERROR bit. */
void smmu_irq(struct emu_iommu *iommu, uint64_t cfg0, uint32_t abt_bit, const char *what,
              uint64_t *counter);
/* One 32-bit MSI write; false if the address is not guest RAM. */
bool smmu_msi_write(struct emu_iommu *iommu, uint64_t addr, uint32_t data);
const char *smmu_event_name(unsigned type);

/* cmdq.c */
void smmu_cmdq_process(struct emu_iommu *iommu);
const char *smmu_cmd_name(unsigned op);

/* model.c: configuration cache */
void smmu_cfgc_inval_sid(struct smmu *s, uint32_t sid_lo, uint32_t sid_hi);
void smmu_cfgc_inval_cd(struct smmu *s, uint32_t sid, uint32_t ssid);
void smmu_cfgc_inval_all(struct smmu *s);

/* strtab.c + cd.c: resolve a (sid, ssid) to a configuration.
 * 0: *cfg filled. <0: the transaction is terminated; *ev holds the event to
 * record (ev->type 0: silent, e.g. STE.Config=abort, C_BAD_STREAMID without
 * RECINVSID). */
int smmu_resolve(struct emu_iommu *iommu, uint32_t sid, uint32_t ssid, struct smmu_cfg *cfg,
                 struct smmu_event *ev, bool *record);
int smmu_find_ste(struct emu_iommu *iommu, uint32_t sid, uint64_t ste[8], struct smmu_event *ev,
                  bool *record);
int smmu_ste_decode(struct emu_iommu *iommu, const uint64_t ste[8], struct smmu_cfg *cfg);
int smmu_cd_fetch(struct emu_iommu *iommu, const uint64_t ste[8], struct smmu_cfg *cfg,
                  uint32_t ssid, struct smmu_event *ev, bool *record);
int smmu_cd_decode(struct emu_iommu *iommu, const uint64_t cd[8], struct smmu_cfg *cfg);

/* walk.c */
struct walk_res {
    uint64_t out;          /* output address of the input address */
    uint8_t shift;         /* leaf size log2 */
    uint8_t perm;          /* EMU_PERM_* granted */
    bool dirty;            /* writes need no further HTTU update */
    bool global;           /* S1 leaf nG=0 */
    uint64_t leaf_gpa;
};
/* Stage-2 translation of an IPA. access: the IPA access is a write (descriptor
 * update / DMA write). cls: CLASS for a fault. On failure *ev is filled. */
int smmu_s2_translate(struct emu_iommu *iommu, const struct smmu_cfg *cfg, uint64_t ipa,
                      bool write, bool ttrnw, uint8_t cls, uint64_t input,
                      struct walk_res *r, struct smmu_event *ev, bool *record);
/* Full stage-1 (+ stage-2 when nested) translation of a VA. */
int smmu_s1_translate(struct emu_iommu *iommu, const struct smmu_cfg *cfg, uint64_t va,
                      bool write, struct walk_res *r, struct smmu_event *ev, bool *record);
/* Read one table entry through S2 when nested (CD / L1CD fetches). */
int smmu_fetch_ipa(struct emu_iommu *iommu, const struct smmu_cfg *cfg, bool nested,
                   const char *what, uint64_t addr, void *dst, size_t len, uint8_t cls,
                   uint64_t input, struct smmu_event *ev, bool *record);

/* model.c */
extern const struct emu_model_ops emu_smmuv3_ops;

#endif
