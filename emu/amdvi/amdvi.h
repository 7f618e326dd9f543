/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi (AMD I/O Virtualization Technology) model: internal state and
 * constants shared by the files of emu/amdvi. Facts: amdvi.md (reference).
 * Nothing outside emu/amdvi and tests/amdvi includes this header.
 */
#ifndef IOMMU_EMU_AMDVI_H
#define IOMMU_EMU_AMDVI_H

#include "../core/emu_internal.h"

/* ---- MMIO offsets (amdvi.md §1.2) ---------------------------------------- */
#define AMDVI_MMIO_SIZE         0x4000u   /* 16 KiB without PCSup (§1.1) */
#define AMDVI_MMIO_SIZE_PC      0x80000u  /* 512 KiB with EFR.PCSup */

#define AMDVI_DEV_TAB_BAR       0x0000
#define AMDVI_CMD_BUF_BAR       0x0008
#define AMDVI_EVT_LOG_BAR       0x0010
#define AMDVI_CONTROL           0x0018
#define AMDVI_EXCL_BASE         0x0020
#define AMDVI_EXCL_LIMIT        0x0028
#define AMDVI_EFR               0x0030
#define AMDVI_PPR_LOG_BAR       0x0038
#define AMDVI_HW_EVT_HI         0x0040
#define AMDVI_HW_EVT_LO         0x0048
#define AMDVI_HW_EVT_STATUS     0x0050
#define AMDVI_GA_LOG_BAR        0x00E0
#define AMDVI_GA_LOG_TAIL_ADDR  0x00E8
#define AMDVI_PPR_LOG_B_BAR     0x00F0
#define AMDVI_EVT_LOG_B_BAR     0x00F8
#define AMDVI_DEV_TAB_SEG(n)    (0x0100 + ((n) - 1) * 8)  /* n = 1..7 */
#define AMDVI_MSI_CAP_HDR       0x0158
#define AMDVI_MSI_ADDR_LO       0x015C
#define AMDVI_MSI_ADDR_HI       0x0160
#define AMDVI_MSI_DATA          0x0164
#define AMDVI_XT_GEN_INTR       0x0170
#define AMDVI_EFR2              0x01A0
#define AMDVI_CMD_HEAD          0x2000
#define AMDVI_CMD_TAIL          0x2008
#define AMDVI_EVT_HEAD          0x2010
#define AMDVI_EVT_TAIL          0x2018
#define AMDVI_STATUS            0x2020
#define AMDVI_PPR_HEAD          0x2030
#define AMDVI_PPR_TAIL          0x2038
#define AMDVI_GA_HEAD           0x2040
#define AMDVI_GA_TAIL           0x2048

/* Ring base registers (§1.2): 51:12 base, 59:56 log2(entries), legal 8..15. */
#define AMDVI_RING_BASE_MASK    0x000FFFFFFFFFF000ull
#define AMDVI_RING_LEN_SHIFT    56
#define AMDVI_RING_PTR_MASK     0x7FFF0ull          /* head/tail 18:4 */

/* ---- EFR bits (amdvi.md §2.1) -------------------------------------------- */
#define EFR_PREFSUP     (1ull << 0)
#define EFR_PPRSUP      (1ull << 1)
#define EFR_XTSUP       (1ull << 2)
#define EFR_NXSUP       (1ull << 3)
#define EFR_GTSUP       (1ull << 4)
#define EFR_IASUP       (1ull << 6)
#define EFR_GASUP       (1ull << 7)
#define EFR_HESUP       (1ull << 8)
#define EFR_PCSUP       (1ull << 9)
#define EFR_HATS_SHIFT  10
#define EFR_GATS_SHIFT  12
#define EFR_GLX_SHIFT   14
#define EFR_PASMAX_SHIFT 32
#define EFR_USSUP       (1ull << 37)
#define EFR_SEGSUP_SHIFT 38
#define EFR_MSICAPMMIO  (1ull << 46)
#define EFR_GIOSUP      (1ull << 48)
#define EFR_HASUP       (1ull << 49)
#define EFR_HDSUP       (1ull << 52)
#define EFR_IOTLBTYPE   (1ull << 54)
#define EFR_VIOMMUSUP   (1ull << 55)

/* ---- Control bits (§3.1) --------------------------------------------------- */
#define CTRL_IOMMU_EN    (1ull << 0)
#define CTRL_EVT_LOG_EN  (1ull << 2)
#define CTRL_EVT_INT_EN  (1ull << 3)
#define CTRL_COMWAIT_EN  (1ull << 4)
#define CTRL_CMDBUF_EN   (1ull << 12)
#define CTRL_PPRLOG_EN   (1ull << 13)
#define CTRL_GT_EN       (1ull << 16)
#define CTRL_GALOG_EN    (1ull << 28)
#define CTRL_SEG_SHIFT   34
#define CTRL_GDUPD_DIS   (1ull << 48)
#define CTRL_INTCAPXT_EN (1ull << 51)

/* ---- Status bits (§1.3) ---------------------------------------------------- */
#define ST_EVT_OVERFLOW  (1ull << 0)
#define ST_EVT_LOG_INT   (1ull << 1)
#define ST_COMWAIT_INT   (1ull << 2)
#define ST_EVT_LOG_RUN   (1ull << 3)
#define ST_CMDBUF_RUN    (1ull << 4)
#define ST_PPR_LOG_RUN   (1ull << 7)
#define ST_GA_LOG_RUN    (1ull << 8)
#define AMDVI_STATUS_W1C 0x68E67ull

/* ---- Event codes (§7.3) ---------------------------------------------------- */
#define AMDVI_EVT_ILLEGAL_DTE       0x1
#define AMDVI_EVT_IO_PAGE_FAULT     0x2
#define AMDVI_EVT_DEV_TAB_HW_ERR    0x3
#define AMDVI_EVT_PAGE_TAB_HW_ERR   0x4
#define AMDVI_EVT_ILLEGAL_CMD       0x5
#define AMDVI_EVT_CMD_HW_ERR        0x6
#define AMDVI_EVT_IOTLB_INV_TIMEOUT 0x7
#define AMDVI_EVT_INVALID_DEV_REQ   0x8

/* Event flags, absolute bit positions in qword 0 of an event entry (§7.2). */
#define EVF_GN   (1ull << 48)
#define EVF_NX   (1ull << 49)
#define EVF_US   (1ull << 50)
#define EVF_I    (1ull << 51)
#define EVF_PR   (1ull << 52)
#define EVF_RW   (1ull << 53)
#define EVF_PE   (1ull << 54)
#define EVF_RZ   (1ull << 55)
#define EVF_TR   (1ull << 56)
#define EVF_TYPE_MASTER_ABORT (1ull << 57)  /* Type 58:57 = 01 (§7.2) */

/* ---- Command opcodes (§6.2) ------------------------------------------------ */
#define CMD_COMPLETION_WAIT     0x1
#define CMD_INV_DEVTAB_ENTRY    0x2
#define CMD_INV_IOMMU_PAGES     0x3
#define CMD_INV_IOTLB_PAGES     0x4
#define CMD_INV_INTR_TABLE      0x5
#define CMD_PREFETCH_PAGES      0x6
#define CMD_COMPLETE_PPR        0x7
#define CMD_INV_IOMMU_ALL       0x8

/* ---- Page tables (§5) ------------------------------------------------------ */
#define PTE_PR          (1ull << 0)
#define PTE_A           (1ull << 5)
#define PTE_D           (1ull << 6)
#define PTE_IR          (1ull << 61)
#define PTE_IW          (1ull << 62)
#define PTE_ADDR_MASK   0x000FFFFFFFFFF000ull
#define PDE_RSVD_MASK   0x1FF0000000000000ull  /* §5.2: PDE bits 60:52 */
#define PTE_RSVD_MASK   0x07F0000000000000ull  /* §5.2: PTE bits 58:52 */

/* IOTLB tag for translations of requests without PASID (EMU_NO_PASID equals
 * EMU_TLB_ANY, so it cannot be used as a tag). */
#define AMDVI_TLB_NOPASID 0xFFFFFFFEu

/* ---- Decoded device table entry (§4) ------------------------------------- */
struct amdvi_dte {
    uint64_t q[4];
    uint64_t gpa;        /* SPA the entry was read from */
    uint64_t root;       /* v1 root table */
    uint64_t gcr3;       /* GCR3 table root */
    uint16_t domid;
    uint8_t mode, had, glx, gpt_levels;
    bool v, tv, gv, giov, ir, iw, se, sa, ex, iotlb;
    /* interrupt half (decoded only: interrupt remapping is not modelled) */
    bool iv, ig;
    uint8_t int_tab_len, int_ctl;
    uint64_t int_root;
    int illegal;         /* 1: reserved/unsupported bits set (ILLEGAL_DEV_TABLE_ENTRY) */
};

#define AMDVI_DTE_CACHE 256

struct amdvi_dte_slot {
    bool valid;
    uint16_t devid;
    uint64_t last_fault;   /* for DTE.SA: last logged address */
    bool has_last_fault;
    struct amdvi_dte dte;
};

struct amdvi {
    uint64_t efr, efr2;              /* the profile's (applied at reset) */
    uint64_t ctrl;                   /* mirror of Control, for the hot path */
    uint64_t excl_base, excl_limit;  /* mirrors of the exclusion range */
    struct emu_iotlb *tlb;
    struct amdvi_dte_slot dcache[AMDVI_DTE_CACHE];
    bool cmd_halted;                 /* stopped on an error (§6.1) */
    bool evt_stopped;                /* overflowed; resumes on EventLogEn 0->1 */
    bool in_cmd;                     /* recursion guard */
    /* Interrupt and completion counters: observable model state. */
    uint64_t irq_count;              /* interrupts signalled (MSI or XT) */
    uint64_t msi_writes;             /* MSI writes that landed in guest RAM */
    uint64_t events_logged, events_dropped;
    uint64_t cmds_done;
};

static inline struct amdvi *AMDVI(const struct emu_iommu *iommu)
{
    return (struct amdvi *)iommu->model;
}

/* regs.c */
extern const struct emu_reg amdvi_regs[];
extern const size_t amdvi_nregs;
int amdvi_parse_profile(const char *profile, uint64_t *efr, uint64_t *efr2);
void amdvi_update_status(struct emu_iommu *iommu);
void amdvi_sync_mirrors(struct emu_iommu *iommu);
void amdvi_signal_irq(struct emu_iommu *iommu, const char *why);
uint64_t amdvi_reg(const struct emu_iommu *iommu, uint32_t off);
void amdvi_set_reg(struct emu_iommu *iommu, uint32_t off, uint64_t val);
uint64_t amdvi_ring_bytes(uint64_t bar, unsigned entry);

/* dte.c */
/* 0 and *out, or a negative errno with the event already logged. */
int amdvi_get_dte(struct emu_iommu *iommu, uint16_t devid, bool write, uint64_t iova,
                  uint32_t pasid, struct amdvi_dte_slot **out, struct emu_fault *fault);
void amdvi_dte_decode(const struct amdvi *s, struct amdvi_dte *d);
void amdvi_dte_inval(struct emu_iommu *iommu, uint16_t devid);
/* Fill *f (if non-NULL), trace the fault and (if log) write the event
 * {q0, q1} to the event log. Returns -EFAULT. */
int amdvi_raise(struct emu_iommu *iommu, struct emu_fault *f, unsigned code, uint16_t devid,
                uint32_t pasid, uint64_t iova, bool write, uint64_t q0, uint64_t q1, bool log);
void amdvi_dte_inval_all(struct emu_iommu *iommu);

/* walk.c */
int amdvi_translate(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                    bool write, struct emu_xlate *x, struct emu_fault *fault);
/* Page size of a v1 NextLevel-7 entry (§5.3 step 8). */
static inline unsigned amdvi_nl7_shift(uint64_t pte)
{
    return 1 + (unsigned)__builtin_ctzll(~((pte & PTE_ADDR_MASK) | 0xFFFull));
}

/* cmd.c */
void amdvi_cmd_process(struct emu_iommu *iommu);
/* Range of an INVALIDATE_*_PAGES address with S bit (§6.3); size 0 = everything. */
void amdvi_inv_range(uint64_t addr, bool s, uint64_t *base, uint64_t *size);

/* event.c */
/* Log one 16-byte event (q0 holds code/flags/ids, q1 the address). */
void amdvi_log_event(struct emu_iommu *iommu, uint64_t q0, uint64_t q1);
uint64_t amdvi_evt_q0(unsigned code, uint16_t devid, uint32_t pasid_or_dom, uint64_t flags);
const char *amdvi_event_name(unsigned code);

#endif
