/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-d model: internal definitions shared by the emu/vtd sources.
 * Facts: /work/shared/reference/vtd.md (cited as "vtd.md §N") and the VT-d
 * architecture specification (cited as "VT-d spec §N").
 */
#ifndef IOMMU_EMU_VTD_H
#define IOMMU_EMU_VTD_H

#include "../core/emu_internal.h"

/* ---- Fixed register offsets (vtd.md §1.2) --------------------------------- */
#define VTD_VER      0x000
#define VTD_CAP      0x008
#define VTD_ECAP     0x010
#define VTD_GCMD     0x018
#define VTD_GSTS     0x01c
#define VTD_RTADDR   0x020
#define VTD_CCMD     0x028
#define VTD_FSTS     0x034
#define VTD_FECTL    0x038
#define VTD_FEDATA   0x03c
#define VTD_FEADDR   0x040
#define VTD_FEUADDR  0x044
#define VTD_AFLOG    0x058
#define VTD_PMEN     0x064
#define VTD_PLMBASE  0x068
#define VTD_PLMLIMIT 0x06c
#define VTD_PHMBASE  0x070
#define VTD_PHMLIMIT 0x078
#define VTD_IQH      0x080
#define VTD_IQT      0x088
#define VTD_IQA      0x090
#define VTD_ICS      0x09c
#define VTD_IECTL    0x0a0
#define VTD_IEDATA   0x0a4
#define VTD_IEADDR   0x0a8
#define VTD_IEUADDR  0x0ac
#define VTD_IQERCD   0x0b0
#define VTD_IRTA     0x0b8
#define VTD_PQH      0x0c0
#define VTD_PQT      0x0c8
#define VTD_PQA      0x0d0
#define VTD_PRS      0x0dc
#define VTD_PECTL    0x0e0
#define VTD_PEDATA   0x0e4
#define VTD_PEADDR   0x0e8
#define VTD_PEUADDR  0x0ec
#define VTD_FIXED_END 0x0f0   /* first byte after the fixed-offset registers */

/* ---- CAP / ECAP fields (vtd.md §2) ---------------------------------------- */
#define CAP_ND(c)      ((unsigned)((c) & 7))
#define CAP_AFL        (1ull << 3)
#define CAP_RWBF       (1ull << 4)
#define CAP_PLMR       (1ull << 5)
#define CAP_PHMR       (1ull << 6)
#define CAP_CM         (1ull << 7)
#define CAP_SAGAW(c)   ((unsigned)(((c) >> 8) & 0x1f))
#define CAP_MGAW(c)    ((unsigned)(((c) >> 16) & 0x3f))
#define CAP_FRO(c)     ((unsigned)(((c) >> 24) & 0x3ff))
#define CAP_SLLPS(c)   ((unsigned)(((c) >> 34) & 0xf))
#define CAP_PSI        (1ull << 39)
#define CAP_NFR(c)     ((unsigned)(((c) >> 40) & 0xff))
#define CAP_MAMV(c)    ((unsigned)(((c) >> 48) & 0x3f))
#define CAP_FL1GP      (1ull << 56)
#define CAP_FL5LP      (1ull << 60)
#define CAP_ESRTPS     (1ull << 63)

#define ECAP_C         (1ull << 0)
#define ECAP_QI        (1ull << 1)
#define ECAP_DT        (1ull << 2)
#define ECAP_IR        (1ull << 3)
#define ECAP_EIM       (1ull << 4)
#define ECAP_PT        (1ull << 6)
#define ECAP_SC        (1ull << 7)
#define ECAP_IRO(e)    ((unsigned)(((e) >> 8) & 0x3ff))
#define ECAP_MHMV(e)   ((unsigned)(((e) >> 20) & 0xf))
#define ECAP_MTS       (1ull << 25)
#define ECAP_NEST      (1ull << 26)
#define ECAP_PRS       (1ull << 29)
#define ECAP_SRS       (1ull << 31)
#define ECAP_EAFS      (1ull << 34)
#define ECAP_PSS(e)    ((unsigned)(((e) >> 35) & 0x1f))
#define ECAP_PASID     (1ull << 40)
#define ECAP_PDS       (1ull << 42)
#define ECAP_SMTS      (1ull << 43)
#define ECAP_SSADS     (1ull << 45)
#define ECAP_SSTS      (1ull << 46)
#define ECAP_FSTS      (1ull << 47)
#define ECAP_SMPWCS    (1ull << 48)
#define ECAP_RPS       (1ull << 49)
#define ECAP_ADMS      (1ull << 52)
#define ECAP_RPRIVS    (1ull << 53)

/* ---- GCMD / GSTS bits (vtd.md §3) ------------------------------------------ */
#define GCMD_TE    (1u << 31)
#define GCMD_SRTP  (1u << 30)
#define GCMD_SFL   (1u << 29)
#define GCMD_EAFL  (1u << 28)
#define GCMD_WBF   (1u << 27)
#define GCMD_QIE   (1u << 26)
#define GCMD_IRE   (1u << 25)
#define GCMD_SIRTP (1u << 24)
#define GCMD_CFI   (1u << 23)

/* ---- FSTS / event-control bits (vtd.md §1.2, §6.2) ------------------------- */
#define FSTS_PFO  (1u << 0)
#define FSTS_PPF  (1u << 1)
#define FSTS_AFO  (1u << 2)
#define FSTS_APF  (1u << 3)
#define FSTS_IQE  (1u << 4)
#define FSTS_ICE  (1u << 5)
#define FSTS_ITE  (1u << 6)
#define FSTS_PENDING (FSTS_PFO | FSTS_PPF | FSTS_AFO | FSTS_APF | FSTS_IQE | FSTS_ICE | FSTS_ITE)
#define ECTL_IM   (1u << 31)
#define ECTL_IP   (1u << 30)

/* IQERCD.IQEI values (VT-d spec §11.4.9.9; Intel register datasheets). */
enum {
    IQEI_NONE = 0,
    IQEI_TAIL = 1,          /* invalid tail pointer */
    IQEI_FETCH = 2,         /* descriptor fetch error */
    IQEI_TYPE = 3,          /* invalid / unsupported descriptor type */
    IQEI_RSVD = 4,          /* reserved field violation in a valid type */
    IQEI_WIDTH = 5,         /* descriptor width invalid for the mode (IQA.DW) */
    IQEI_TAIL_ALIGN = 6,    /* IQT bit 4 set with 256-bit descriptors */
};

/* ---- Fault reasons (vtd.md §6.4) ------------------------------------------- */
enum {
    FR_ROOT_NP = 0x01, FR_CTX_NP = 0x02, FR_CTX_INV = 0x03, FR_ADDR_BEYOND = 0x04,
    FR_WRITE = 0x05, FR_READ = 0x06, FR_PTE_ACCESS = 0x07, FR_ROOT_ACCESS = 0x08,
    FR_CTX_ACCESS = 0x09, FR_ROOT_RSVD = 0x0a, FR_CTX_RSVD = 0x0b, FR_PTE_RSVD = 0x0c,
    FR_INTR_ADDR = 0x0e,
    FR_TTM_INV = 0x30, FR_PASID_IN_LEGACY = 0x31,
    FR_SRT_ACCESS = 0x38, FR_SRT_NP = 0x39, FR_SRT_RSVD = 0x3a,
    FR_SCT_ACCESS = 0x40, FR_SCT_NP = 0x41, FR_SCT_RSVD = 0x42, FR_SCT_INV = 0x43,
    FR_SPD_ACCESS = 0x50, FR_SPD_NP = 0x51, FR_SPD_RSVD = 0x52,
    FR_SPT_ACCESS = 0x58, FR_SPT_NP = 0x59, FR_SPT_RSVD = 0x5a, FR_SPT_INV = 0x5b,
    FR_FS_ACCESS = 0x70, FR_FS_NP = 0x71, FR_FS_RSVD = 0x72, FR_FS_PTR = 0x73,
    FR_SS_ACCESS = 0x78, FR_SS_NP = 0x79, FR_SS_RSVD = 0x7a, FR_SS_PTR = 0x7b,
    FR_SS_NOSNOOP = 0x7c, FR_SS_AD_FAIL = 0x7d,
    FR_FS_NONCANON = 0x80, FR_FS_PRIV = 0x81, FR_SGN_BEYOND = 0x84,
    FR_SGN_WRITE = 0x85, FR_SGN_READ = 0x86, FR_SGN_INTR = 0x87, FR_FS_AD_FAIL = 0x91,
};
const char *vtd_fault_name(uint32_t reason);

/* ---- Translation context (result of root/context/PASID lookup) ------------- */
enum vtd_mode { VTD_M_SS = 1, VTD_M_FS = 2, VTD_M_PT = 3 };
#define VTD_LEGACY_PASID_TAG 0x100000u   /* IOTLB pasid tag of legacy-mode entries */

struct vtd_ctx {
    bool valid;
    bool scalable;
    bool fpd;
    bool ad;            /* A/D updates: SSADE (SS) or always (FS) */
    bool snooped;       /* walks snooped: ECAP.SMPWCS && PASID-entry PWSNP */
    uint8_t mode;       /* enum vtd_mode */
    uint8_t levels;     /* paging levels */
    uint16_t rid;
    uint16_t did;
    uint32_t req_pasid; /* key: pasid of the request or EMU_NO_PASID */
    uint32_t pasid;     /* effective PASID (RID_PASID applied), or legacy tag */
    uint64_t ptptr;     /* SSPTPTR or FSPTPTR */
};

/* Result of a failed lookup/walk, before recording. */
struct vtd_err {
    uint32_t reason;
    bool qualified;     /* FPD may suppress it */
    bool fpd;           /* FPD accumulated so far */
    bool pasid_known;   /* record PP=1 with this PASID */
    uint32_t pasid;
};

#define VTD_CC_SIZE 256   /* context/PASID cache entries (direct mapped) */
#define VTD_MAX_ROWS 64

struct vtd {
    /* Configuration: profile values plus raw overrides, applied at reset. */
    uint64_t cfg_cap, cfg_ecap;
    uint32_t cfg_ver;
    /* Test knob (docs/vtd.md): the device with this SID never answers
     * device-TLB invalidations, so they end in an invalidation time-out. */
    bool ite_sid_set;
    uint16_t ite_sid;
    /* Values in effect since the last reset. */
    uint64_t cap, ecap;
    unsigned haw;                /* host address width: MGAW + 1 */
    uint64_t haw_mask;           /* bits [63:haw] set: reserved above HAW */
    uint32_t iro_off, fro_off, nfr;
    uint64_t mmio_size;
    /* Per-instance register table: fixed rows plus IVA/IOTLB and FRCD rows. */
    struct emu_reg rows[VTD_MAX_ROWS + 2 * 256];
    char frcd_names[256][2][20];
    size_t nrows;
    uint64_t layout_cap, layout_ecap;  /* the CAP/ECAP the regfile was laid out for */
    bool regs_ready;

    /* Latched state. */
    uint64_t root;               /* latched root-table address */
    unsigned ttm;                /* latched RTADDR.TTM */
    uint64_t irta;               /* latched interrupt-remapping table */
    uint64_t iq_base;
    uint32_t iq_entries, iq_head;
    unsigned iq_shift;           /* 4: 128-bit descriptors, 5: 256-bit */
    unsigned next_frcd;

    /* The guest write being processed (for hooks that act only on some bytes). */
    uint64_t wr_off;
    unsigned wr_width;

    struct emu_iotlb *tlb;
    struct vtd_ctx cc[VTD_CC_SIZE];

    /* Interrupts, as model state (common.md: recorded, not delivered to a CPU). */
    uint64_t fault_irqs, inv_irqs;
    uint64_t stat_walks, stat_hits;
};

static inline struct vtd *VTD(const struct emu_iommu *iommu)
{
    return (struct vtd *)iommu->model;
}
static inline uint64_t vtd_get(struct emu_iommu *iommu, uint64_t off, unsigned w)
{
    return emu_regfile_get(&iommu->regs, off, w);
}
static inline void vtd_set(struct emu_iommu *iommu, uint64_t off, unsigned w, uint64_t v)
{
    emu_regfile_set(&iommu->regs, off, w, v);
}
/* Did the current guest write touch byte `byte` of the register file? */
static inline bool vtd_wr_covers(const struct vtd *v, uint64_t byte)
{
    return byte >= v->wr_off && byte < v->wr_off + v->wr_width;
}

/* regs.c */
int vtd_parse_profile(const char *profile, uint64_t *cap, uint64_t *ecap, uint32_t *ver, int32_t *ite_sid);
int vtd_regs_layout(struct emu_iommu *iommu);
uint64_t vtd_mmio_read(struct emu_iommu *iommu, uint64_t off, unsigned width);
void vtd_mmio_write(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val);
int vtd_layout_ok(uint64_t cap, uint64_t ecap);
void vtd_regs_reset(struct emu_iommu *iommu);
void vtd_event(struct emu_iommu *iommu, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* fault.c */
void vtd_record_fault(struct emu_iommu *iommu, uint16_t rid, const struct vtd_err *e,
                      uint64_t addr, bool write, struct emu_fault *out);
void vtd_update_ppf(struct emu_iommu *iommu);
void vtd_raise_fault_event(struct emu_iommu *iommu, uint32_t pending_before);
void vtd_send_msi(struct emu_iommu *iommu, uint32_t addr_off, uint32_t data_off,
                  uint32_t uaddr_off, uint64_t *counter, const char *what);
void vtd_fsts_written(struct emu_iommu *iommu);
void vtd_fectl_written(struct emu_iommu *iommu, uint64_t old, uint64_t val);
void vtd_ics_written(struct emu_iommu *iommu);
void vtd_iectl_written(struct emu_iommu *iommu, uint64_t old, uint64_t val);
void vtd_frcd_written(struct emu_iommu *iommu);
/* tables.c */
int vtd_lookup_ctx(struct emu_iommu *iommu, uint16_t rid, uint32_t pasid,
                   struct vtd_ctx *ctx, struct vtd_err *e);
struct vtd_ctx *vtd_cc_find(struct vtd *v, uint16_t rid, uint32_t pasid);
void vtd_cc_insert(struct vtd *v, const struct vtd_ctx *c);
void vtd_cc_inval_all(struct vtd *v);
void vtd_cc_inval_did(struct vtd *v, uint16_t did, bool scalable_only);
void vtd_cc_inval_sid(struct vtd *v, uint16_t sid, uint16_t mask);
void vtd_cc_inval_pasid(struct vtd *v, uint16_t did, uint32_t pasid);
/* walk.c */
struct vtd_walk {
    uint64_t out_base;  /* page base */
    uint64_t leaf_gpa;
    uint8_t shift;
    uint8_t perm;
    bool dirty;         /* leaf D set (after this walk's update) */
};
int vtd_walk(struct emu_iommu *iommu, const struct vtd_ctx *c, uint64_t iova, bool write,
             struct vtd_walk *w, struct vtd_err *e);
/* inval.c */
void vtd_ccmd_written(struct emu_iommu *iommu, uint64_t val);
void vtd_iotlb_written(struct emu_iommu *iommu, uint64_t val);
void vtd_iqt_written(struct emu_iommu *iommu);
void vtd_qi_process(struct emu_iommu *iommu);
void vtd_qi_enable(struct emu_iommu *iommu, bool on);
void vtd_inval_all_caches(struct emu_iommu *iommu);

#endif
