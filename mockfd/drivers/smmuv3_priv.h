/* SPDX-License-Identifier: MIT */
/*
 * The mock's Arm SMMUv3 driver (the role of Linux
 * drivers/iommu/arm/arm-smmu-v3/ + io-pgtable-arm.c): state shared by
 * smmuv3.c (probe, registers, command queue, driver entry points),
 * smmuv3_ste.c (stream table, CD tables, STE/CD writer, attach) and
 * smmuv3_pgtable.c (VMSAv8-64 LPAE tables, map/unmap, dirty tracking).
 * Facts: shared/reference/smmuv3.md (cited "smmuv3.md §n").
 *
 * The hardware is reached only through emu_mmio_* and guest memory; the
 * register and field constants below are the driver's own (as Linux's
 * arm-smmu-v3.h), not the model's.
 */
#ifndef IOMMU_EMU_MOCKFD_SMMUV3_PRIV_H
#define IOMMU_EMU_MOCKFD_SMMUV3_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

/* Registers (smmuv3.md §1.2, §1.3, §1.5) */
#define SMMU_R_IDR0            0x000
#define SMMU_R_IDR1            0x004
#define SMMU_R_IDR3            0x00c
#define SMMU_R_IDR5            0x014
#define SMMU_R_IIDR            0x018
#define SMMU_R_AIDR            0x01c
#define SMMU_R_CR0             0x020
#define SMMU_R_CR0ACK          0x024
#define SMMU_R_CR1             0x028
#define SMMU_R_CR2             0x02c
#define SMMU_R_GBPA            0x044
#define SMMU_R_IRQ_CTRL        0x050
#define SMMU_R_IRQ_CTRLACK     0x054
#define SMMU_R_GERROR          0x060
#define SMMU_R_GERRORN         0x064
#define SMMU_R_STRTAB_BASE     0x080
#define SMMU_R_STRTAB_BASE_CFG 0x088
#define SMMU_R_CMDQ_BASE       0x090
#define SMMU_R_CMDQ_PROD       0x098
#define SMMU_R_CMDQ_CONS       0x09c
#define SMMU_R_EVTQ_BASE       0x0a0
#define SMMU_R_EVTQ_PROD       0x100a8
#define SMMU_R_EVTQ_CONS       0x100ac

/* IDR0 (smmuv3.md §2.1) */
#define IDR0_S2P        (1u << 0)
#define IDR0_S1P        (1u << 1)
#define IDR0_TTF(v)     (((v) >> 2) & 3)
#define IDR0_COHACC     (1u << 4)
#define IDR0_HTTU(v)    (((v) >> 6) & 3)
#define IDR0_HYP        (1u << 9)
#define IDR0_ATS        (1u << 10)
#define IDR0_ASID16     (1u << 12)
#define IDR0_MSI        (1u << 13)
#define IDR0_SEV        (1u << 14)
#define IDR0_PRI        (1u << 16)
#define IDR0_VMID16     (1u << 18)
#define IDR0_CD2L       (1u << 19)
#define IDR0_TTENDIAN(v) (((v) >> 21) & 3)
#define IDR0_STALL(v)   (((v) >> 24) & 3)
#define IDR0_ST_LVL(v)  (((v) >> 27) & 3)
/* IDR1 (§2.2) */
#define IDR1_PRESETS    (7u << 28)        /* TABLES_PRESET, QUEUES_PRESET, REL */
#define IDR1_CMDQS(v)   (((v) >> 21) & 0x1f)
#define IDR1_EVTQS(v)   (((v) >> 16) & 0x1f)
#define IDR1_SSIDSIZE(v) (((v) >> 6) & 0x1f)
#define IDR1_SIDSIZE(v) ((v) & 0x3f)
/* IDR3 (§2.4), IDR5 (§2.6) */
#define IDR3_RIL        (1u << 10)
#define IDR5_GRAN4K     (1u << 4)
#define IDR5_OAS(v)     ((v) & 7)

/* CR0 (§3.1), CR2 (§3.2), GBPA (§3.3), IRQ_CTRL (§3.4), GERROR (§3.5) */
#define CR0_SMMUEN      (1u << 0)
#define CR0_PRIQEN      (1u << 1)
#define CR0_EVTQEN      (1u << 2)
#define CR0_CMDQEN      (1u << 3)
#define CR0_ATSCHK      (1u << 4)
#define CR1_LINUX       0x0d75u           /* ISH / WB for tables and queues */
#define CR2_RECINVSID   (1u << 1)
#define CR2_PTM         (1u << 2)
#define GBPA_UPDATE     (1u << 31)
#define GBPA_ABORT      (1u << 20)
#define IRQ_CTRL_GERROR (1u << 0)
#define IRQ_CTRL_EVTQ   (1u << 2)
#define GERROR_CMDQ_ERR (1u << 0)
#define GERROR_EVTQ_ABT (1u << 2)
#define GERROR_PRIQ_ABT (1u << 3)
#define GERROR_MSI_CMDQ_ABT (1u << 4)
#define GERROR_MSI_EVTQ_ABT (1u << 5)
#define GERROR_MSI_PRIQ_ABT (1u << 6)
#define GERROR_MSI_GERROR_ABT (1u << 7)
#define GERROR_SFM_ERR  (1u << 8)
#define GERROR_ERR_MASK 0x1fdu            /* the kernel's GERROR_ERR_MASK */
/* MSI registers (smmuv3.md §3.6): CFG0 ADDR[51:2], CFG1 data, CFG2 attrs */
#define SMMU_R_GERROR_IRQ_CFG0 0x068
#define SMMU_R_EVTQ_IRQ_CFG0   0x0b0
#define MSI_CFG0_ADDR_MASK  0x000ffffffffffffcull
#define MEMATTR_DEVICE_nGnRE 0x1u
#define CMDQ_CONS_ERR(v) (((v) >> 24) & 0x7f)
#define CMDQ_ERR_ILL    1
#define CMDQ_ERR_ABT    2
#define CMDQ_ERR_ATC_INV_SYNC 3

/* Stream table (§3.7, §4.1): Linux STRTAB_SPLIT 8, L1 span 9 */
#define STRTAB_SPLIT        8
#define STRTAB_L1_MAX_SHIFT 17            /* 1 MiB of L1 descriptors */
#define STRTAB_FMT_2LVL     (1u << 16)

/* STE (§4.2) */
#define STE_0_V             (1ull << 0)
#define STE_0_CFG_ABORT     (0ull << 1)
#define STE_0_CFG_S1        (5ull << 1)
#define STE_0_CFG_S2        (6ull << 1)
#define STE_0_S1FMT_64K_L2  (2ull << 4)
#define STE_0_S1CDMAX_SHIFT 59
#define STE_1_S1DSS_SSID0   2ull
#define STE_1_S1C_WBRA      1ull          /* S1CIR (3:2) / S1COR (5:4) */
#define STE_1_S1CSH_ISH     (3ull << 6)
#define STE_2_VTCR_SHIFT    32
#define STE_2_S2AA64        (1ull << 51)
#define STE_2_S2PTW         (1ull << 54)
#define STE_2_S2R           (1ull << 58)
#define ADDR_51_6           0x000fffffffffffc0ull
#define ADDR_51_4           0x000ffffffffffff0ull
#define ADDR_51_12          0x000ffffffffff000ull

/* CD (§5.2) */
#define CD_0_EPD1           (1ull << 30)
#define CD_0_V              (1ull << 31)
#define CD_0_IPS_SHIFT      32
#define CD_0_AA64           (1ull << 41)
#define CD_0_HD             (1ull << 42)
#define CD_0_HA             (1ull << 43)
#define CD_0_R              (1ull << 45)
#define CD_0_A              (1ull << 46)
#define CD_0_ASET           (1ull << 47)
#define CD_0_ASID_SHIFT     48
#define CTXDESC_SPLIT       10            /* 1024 CDs (64 KiB) per L2 table */
#define CTXDESC_L1_V        1ull

/* Commands (§7.3) */
#define CMD_CFGI_STE        0x03
#define CMD_CFGI_STE_RANGE  0x04
#define CMD_CFGI_CD         0x05
#define CMD_TLBI_NH_ASID    0x11
#define CMD_TLBI_NH_VA      0x12
#define CMD_TLBI_EL2_ALL    0x20
#define CMD_TLBI_S12_VMALL  0x28
#define CMD_TLBI_S2_IPA     0x2a
#define CMD_TLBI_NSNH_ALL   0x30
#define CMD_SYNC            0x46
#define CMD_SYNC_CS_IRQ     (1ull << 12)
#define CMD_SYNC_CS_SEV     (2ull << 12)
#define CMD_SYNC_MSH_ISH    (3ull << 22)
#define CMD_SYNC_MSIATTR_OIWB (0xfull << 24)

/* LPAE descriptors (§6.2, §6.3, §9.2; io-pgtable-arm.c) */
#define PTE_VALID       (1ull << 0)
#define PTE_TYPE_TABLE  3ull
#define PTE_TYPE_PAGE   3ull
#define PTE_TYPE_BLOCK  1ull
#define PTE_TYPE_MASK   3ull
#define PTE_ATTRIDX_CACHE (1ull << 2)     /* MAIR index 1: WBRWA */
#define PTE_AP_UNPRIV   (1ull << 6)
#define PTE_AP_RDONLY   (1ull << 7)
#define PTE_SH_IS       (3ull << 8)
#define PTE_AF          (1ull << 10)
#define PTE_NG          (1ull << 11)
#define PTE_DBM         (1ull << 51)
#define PTE_HAP_READ    (1ull << 6)
#define PTE_HAP_WRITE   (2ull << 6)
#define PTE_MEMATTR_OIWB (0xfull << 2)
#define PTE_ADDR_MASK   0x0000fffffffff000ull   /* [47:12] */
#define MAIR_LINUX      0xf404ff44ull     /* NC, WBRWA, DEV, INC_OWBRWA */

/* Linux's MSI_IOVA_BASE / MSI_IOVA_LENGTH (IOMMU_RESV_SW_MSI) */
#define SMMU_MSI_IOVA_BASE 0x8000000ull
#define SMMU_MSI_IOVA_LEN  0x100000ull

enum smmu_stage { SMMU_STAGE1 = 1, SMMU_STAGE2 = 2 };

struct smmu_unit;

/* What a StreamID is attached to (the driver's view of the STE it wrote). */
struct smmu_master {
    uint32_t sid;
    struct smmu_domain *dom;        /* NULL: blocked (abort STE) */
    uint64_t cd_l1;                 /* CD table: L1 (2-level) or the linear table */
    uint64_t cd_l1_size;
    uint64_t *cd_l2;                /* per L1 entry: the L2 gpa, 0 = none */
    unsigned cd_l1_ents;
    bool cd_2lvl;
};

struct smmu_domain {
    struct mfd_domain dom;          /* first: mfd_domain <-> smmu_domain */
    struct smmu_unit *su;
    enum smmu_stage stage;
    bool nest_parent;
    bool dirty;                     /* IO_PGTABLE_QUIRK_ARM_HD: DBM leaves, CD.HA|HD */
    uint16_t asid, vmid;
    unsigned ias, oas;              /* input / output address bits */
    unsigned start_level;           /* 0 for 48-bit with 4 KiB granule */
    uint64_t pgd;
    /* the gather of the last dirty harvest (iommu_iotlb_gather) */
    uint64_t gather_start, gather_end;
    bool gather_valid;
};

struct smmu_unit {
    struct mfd_iommu_unit *u;
    pthread_mutex_t lock;           /* registers, queues, tables */
    uint32_t idr[6], iidr, aidr;
    /* features (arm_smmu_device_hw_probe) */
    bool s1, s2, two_lvl_strtab, cd2l, coherent, hd, ha, ats, msi, sev, hyp, ril, msipoll;
    unsigned asid_bits, vmid_bits, sid_bits, ssid_bits, oas;
    /* stream table */
    uint64_t strtab;                /* linear table or L1 */
    uint64_t strtab_size;
    unsigned l1_ents;
    uint64_t *l2;                   /* per L1 entry: L2 gpa, 0 = none */
    /* command queue */
    uint64_t cmdq;
    unsigned cmdq_shift;
    uint32_t cmdq_prod;             /* index + wrap bit */
    /* event queue, consumed by the EVTQ interrupt thread (smmuv3_evtq.c):
     * the driver's shadows of PROD and CONS (arm_smmu_ll_queue) */
    uint64_t evtq;
    unsigned evtq_shift;
    uint32_t evtq_prod, evtq_cons;
    unsigned dev_index;             /* N of "arm-smmu-v3.N.auto" in the log */
    bool broken;                    /* a handshake timed out */
    /* ids */
    uint8_t *asid_map, *vmid_map;
    /* masters */
    struct smmu_master *masters;
    unsigned nmasters, masters_cap;
};

static inline struct smmu_domain *to_smmu(struct mfd_domain *d)
{
    return (struct smmu_domain *)d;
}

/* smmuv3.c */
/* Zeroed guest memory of `size` (a power of two) aligned to its size, as
 * the SMMU requires of queues and tables; 0 on failure. */
uint64_t smmu_table_alloc(struct smmu_unit *su, uint64_t size);
void smmu_table_free(struct smmu_unit *su, uint64_t gpa, uint64_t size);
uint32_t smmu_rd32(struct smmu_unit *su, uint64_t off);
void smmu_wr32(struct smmu_unit *su, uint64_t off, uint32_t v);
void smmu_wr64(struct smmu_unit *su, uint64_t off, uint64_t v);
/* Issue n commands (2 qwords each) then a CMD_SYNC and wait for it.
 * Caller holds su->lock. 0 or -ETIMEDOUT / -EIO. */
int smmu_cmdq_issue(struct smmu_unit *su, const uint64_t (*cmds)[2], unsigned n);
int smmu_cfgi_ste(struct smmu_unit *su, uint32_t sid);
int smmu_cfgi_cd(struct smmu_unit *su, uint32_t sid, uint32_t ssid);
/* TLB maintenance for a domain (arm_smmu_tlb_inv_range_domain / _context). */
int smmu_tlb_inv_range(struct smmu_domain *sd, uint64_t iova, uint64_t size, uint64_t granule,
                       bool leaf);
int smmu_tlb_inv_context(struct smmu_domain *sd);
void smmu_id_free(struct smmu_unit *su, struct smmu_domain *sd);

/* The driver's dev_err / dev_warn / dev_info: plat->log with the SMMU's
 * device name in front (smmuv3_evtq.c). */
void smmu_log(struct smmu_unit *su, bool record, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The GERROR handler; caller holds su->lock. True if an error was active. */
bool smmu_gerror_handle(struct smmu_unit *su);

/* smmuv3_evtq.c */
/* arm_smmu_setup_irqs with MSIs (arm_smmu_setup_msis). 0 or -ETIMEDOUT. */
int smmu_setup_irqs(struct smmu_unit *su);
/* The interrupt handlers (drv->irq): vector 0 EVTQ, 1 GERROR. */
void smmu_irq_thread(struct mfd_iommu_unit *u, unsigned vec);
/* arm_smmu_write_reg_sync (smmuv3.c). */
int smmu_write_reg_sync(struct smmu_unit *su, uint32_t val, uint64_t reg, uint64_t ack);

/* smmuv3_ste.c */
/* The master of StreamID sid exists (arm_smmu_find_master). Caller holds su->lock. */
bool smmu_sid_has_master(struct smmu_unit *su, uint32_t sid);
int smmu_strtab_init(struct smmu_unit *su);
void smmu_strtab_free(struct smmu_unit *su);
/* Ensure the STE of sid exists (L2 table allocated). */
int smmu_ste_prepare(struct smmu_unit *su, uint32_t sid);
int smmu_attach(struct smmu_unit *su, struct smmu_domain *sd, uint32_t sid);
void smmu_detach(struct smmu_unit *su, uint32_t sid);
/* Rewrite the CD of every master attached to sd (dirty tracking bits). */
void smmu_masters_free(struct smmu_unit *su);
bool smmu_domain_in_use(struct smmu_unit *su, struct smmu_domain *sd);

/* smmuv3_pgtable.c */
extern const struct mfd_domain_ops smmu_domain_ops;
extern const struct mfd_domain_ops smmu_domain_dirty_ops;
int smmu_pgtable_init(struct smmu_domain *sd);
/* VTCR / TCR values of the domain's tables (io-pgtable cfg). */
uint64_t smmu_s2_vtcr(const struct smmu_domain *sd);
unsigned smmu_ips_of(unsigned bits);

#endif
