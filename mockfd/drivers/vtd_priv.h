/* SPDX-License-Identifier: MIT */
/*
 * The mock's Intel VT-d driver (the role of Linux drivers/iommu/intel/): state
 * shared by vtd.c (probe, registers, queued invalidation), vtd_ctx.c (root,
 * context and PASID tables, attach) and vtd_pgtable.c (second-stage page
 * tables, map/unmap, dirty tracking). Facts: vtd.md §1-§7.
 */
#ifndef IOMMU_EMU_MOCKFD_VTD_PRIV_H
#define IOMMU_EMU_MOCKFD_VTD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "driver.h"

/* Registers (vtd.md §1.2). */
#define VTD_VER     0x000
#define VTD_CAP     0x008
#define VTD_ECAP    0x010
#define VTD_GCMD    0x018
#define VTD_GSTS    0x01c
#define VTD_RTADDR  0x020
#define VTD_CCMD    0x028
#define VTD_FSTS    0x034
#define VTD_IQH     0x080
#define VTD_IQT     0x088
#define VTD_IQA     0x090
#define VTD_ICS     0x09c

/* GCMD / GSTS bits (vtd.md §3). */
#define GCMD_TE   (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GCMD_QIE  (1u << 26)
#define GSTS_TES  (1u << 31)
#define GSTS_RTPS (1u << 30)
#define GSTS_QIES (1u << 26)
/* vtd.md §3.1: the one-shot status bits are masked out of the GCMD value */
#define GSTS_PERSIST_MASK 0x96ffffffu

/* CAP (vtd.md §2.1) */
#define CAP_ND(c)     ((unsigned)((c) & 7))
#define CAP_SAGAW(c)  ((unsigned)(((c) >> 8) & 0x1f))
#define CAP_MGAW(c)   ((unsigned)(((c) >> 16) & 0x3f))
#define CAP_SLLPS(c)  ((unsigned)(((c) >> 34) & 0xf))
#define CAP_PSI       (1ull << 39)
#define CAP_MAMV(c)   ((unsigned)(((c) >> 48) & 0x3f))
#define CAP_DWD       (1ull << 54)
#define CAP_DRD       (1ull << 55)
#define CAP_CM        (1ull << 7)
#define CAP_ESRTPS    (1ull << 63)
/* ECAP (vtd.md §2.2) */
#define ECAP_QI       (1ull << 1)
#define ECAP_IRO(e)   ((unsigned)(((e) >> 8) & 0x3ff))
#define ECAP_NEST     (1ull << 26)
#define ECAP_PSS(e)   ((unsigned)(((e) >> 35) & 0x1f))
#define ECAP_PASID    (1ull << 40)
#define ECAP_SMTS     (1ull << 43)
#define ECAP_SSADS    (1ull << 45)
#define ECAP_SSTS     (1ull << 46)
#define ECAP_SMPWC    (1ull << 48)

/* Second-stage PTE bits (vtd.md §4.6) */
#define SL_R   (1ull << 0)
#define SL_W   (1ull << 1)
#define SL_PS  (1ull << 7)
#define SL_A   (1ull << 8)
#define SL_D   (1ull << 9)

/* Linux reserves DID 0 (and FLPT_DEFAULT_DID 1 in scalable mode). */
#define VTD_FIRST_DID 2

struct vtd_unit;

/* What each rid/pasid of a unit is attached to (the driver's view of the
 * context / PASID entries it wrote). */
struct vtd_binding {
    uint32_t rid, pasid;
    struct vtd_domain *vd;
};

struct vtd_domain {
    struct mfd_domain dom;          /* first: mfd_domain <-> vtd_domain */
    struct vtd_unit *vu;
    uint16_t did;
    unsigned levels;                /* 3 or 4 */
    unsigned aw;                    /* context / PASID AW encoding (1, 2) */
    uint64_t pgd;                   /* gpa of the top-level table */
    bool dirty_capable;             /* allocated with DIRTY_TRACKING */
    bool dirty_tracking;            /* SSADE currently requested */
    bool nest_parent;
};

struct vtd_unit {
    struct mfd_iommu_unit *u;
    pthread_mutex_t lock;           /* registers, queue, tables */
    uint64_t cap, ecap;
    uint32_t ver;
    bool sm;                        /* scalable mode in use (TTM=01) */
    unsigned levels, aw;            /* chosen SAGAW level count / AW code */
    unsigned haw;                   /* MGAW + 1 */
    uint32_t gcmd;                  /* shadow of the persistent GCMD bits */
    uint64_t root;                  /* gpa of the root table */
    /* queued invalidation (vtd.md §5.2) */
    bool qi;
    uint64_t iq;                    /* gpa of the queue */
    unsigned iq_shift;              /* 4 (128-bit) or 5 (256-bit descriptors) */
    unsigned iq_len;                /* descriptors */
    unsigned iq_tail;
    uint64_t status;                /* gpa of the wait-descriptor status word */
    uint32_t status_seq;
    unsigned iotlb_reg;             /* IRO * 16 + 8 */
    /* domain IDs */
    uint8_t *did_map;
    unsigned ndids;
    /* PASID tables: per rid, the directory (scalable mode) */
    unsigned pasid_bits;            /* 0: no PASID support (only PASID 0) */
    unsigned pdts;                  /* context PDTS encoding */
    uint64_t pasid_dir_size;
    bool broken;                    /* a handshake or queue timed out */
    struct vtd_binding *bind;
    unsigned nbind, bind_cap;
};

static inline struct vtd_domain *to_vtd(struct mfd_domain *d)
{
    return (struct vtd_domain *)d;
}

/* vtd.c */
uint64_t vtd_read(struct vtd_unit *vu, uint64_t off, unsigned width);
void vtd_write(struct vtd_unit *vu, uint64_t off, unsigned width, uint64_t v);
/* Submit descriptors (2 qwords each; 4 with 256-bit descriptors, the upper
 * two zero) followed by an invalidation wait, and wait for its status write.
 * Caller holds vu->lock. 0 or -EIO. */
int vtd_qi_submit(struct vtd_unit *vu, const uint64_t (*desc)[2], unsigned n);
int vtd_flush_context_global(struct vtd_unit *vu);
int vtd_flush_context_dev(struct vtd_unit *vu, uint16_t did, uint16_t sid);
int vtd_flush_pasid(struct vtd_unit *vu, uint16_t did, uint32_t pasid, int gran);
int vtd_flush_iotlb_dsi(struct vtd_unit *vu, uint16_t did);
int vtd_flush_iotlb_psi(struct vtd_unit *vu, uint16_t did, uint64_t iova, uint64_t len);
int vtd_flush_iotlb_global(struct vtd_unit *vu);
void vtd_did_free(struct vtd_unit *vu, uint16_t did);
/* Set or clear SSADE for every rid/pasid bound to vd (with flushes). */
int vtd_for_each_binding_ssade(struct vtd_domain *vd, bool enable);
#define PC_GRAN_DOMAIN 0
#define PC_GRAN_PASID  1
#define PC_GRAN_GLOBAL 3

/* vtd_ctx.c */
int vtd_ctx_attach(struct vtd_unit *vu, struct vtd_domain *vd, uint32_t rid, uint32_t pasid,
                   uint16_t *old_did);
int vtd_ctx_detach(struct vtd_unit *vu, uint32_t rid, uint32_t pasid, uint16_t *old_did);
int vtd_ctx_set_ssade(struct vtd_unit *vu, uint32_t rid, uint32_t pasid, bool enable);
void vtd_ctx_free_all(struct vtd_unit *vu);

/* vtd_fault.c */
/* Program the fault-event MSI and clear old faults (probe). 0 or -errno. */
int vtd_fault_setup(struct vtd_unit *vu);
/* The fault-event handler (drv->irq). */
void vtd_fault_irq(struct mfd_iommu_unit *u, unsigned vec);

/* vtd_pgtable.c */
extern const struct mfd_domain_ops vtd_domain_ops;
extern const struct mfd_domain_ops vtd_domain_dirty_ops;
int vtd_pgtable_init(struct vtd_domain *vd);

#endif
