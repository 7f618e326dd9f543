/* SPDX-License-Identifier: MIT */
/*
 * Internal interface between the emu core and the models (emu/vtd, emu/amdvi,
 * emu/smmuv3). Nothing outside emu/ includes this file.
 *
 * Layering: the core owns guest memory, the register-file engine, the IOTLB
 * helper, tracing and the generic DMA loop; a model owns its register table,
 * its tables/walk, its queues and its fault log, and plugs in through
 * struct emu_model_ops.
 */
#ifndef IOMMU_EMU_CORE_INTERNAL_H
#define IOMMU_EMU_CORE_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../emu.h"

/* ------------------------------------------------------------------------ */
/* Guest memory, internal additions (emu/core/mem.c).                        */
/* Host pointer for [gpa, gpa+len) if the whole range lies in one region,
 * else NULL. Valid until that region is unmapped; used for the DMA copy fast
 * path and for atomics. Thread-safe against concurrent map/unmap of *other*
 * regions. */
void *emu_mem_ptr(struct emu_mem *mem, uint64_t gpa, size_t len);

/* ------------------------------------------------------------------------ */
/* Register-file engine (emu/core/regfile.c).                                */
/*
 * One row per register, as data (compare QEMU's csr/wmask/w1cmask/womask byte
 * arrays, vtd.md §1.1). Reset values, masks, names and trace decoding all come
 * from the row. The engine keeps four byte arrays over the whole register
 * space, so any offset and any width 1..8 (aligned or not) has a defined
 * result:
 *   write: new = ((old & ~wmask) | (val & wmask)) & ~(w1cmask & val)
 *   read:  stored & ~womask
 * Bytes covered by no row read as 0 and ignore writes. A model with other
 * rules for reserved space (all-ones, aborts) applies them in its mmio ops
 * before calling the engine.
 */
struct emu_field {
    const char *name;     /* "TE", "QIE", ... */
    uint8_t lsb, width;   /* bit position and width in bits */
};

struct emu_reg;
/* Called after the masked store of a guest write that touched this register.
 * old/val: the register's stored value (full width) before and after. */
typedef void (*emu_reg_write_fn)(struct emu_iommu *iommu, const struct emu_reg *reg,
                                 uint64_t old, uint64_t val);
/* Optional: produce the value a guest read returns (default: stored & ~womask). */
typedef uint64_t (*emu_reg_read_fn)(struct emu_iommu *iommu, const struct emu_reg *reg,
                                    uint64_t stored);

struct emu_reg {
    uint32_t offset;
    uint8_t width;          /* bytes: 4 or 8 */
    uint64_t reset;
    uint64_t wmask;         /* RW bits */
    uint64_t w1cmask;       /* RW1C bits */
    uint64_t womask;        /* write-only bits (read as 0) */
    const char *name;
    emu_reg_write_fn write; /* may be NULL */
    emu_reg_read_fn read;   /* may be NULL */
    const struct emu_field *fields; /* NULL or {NULL} terminated, for decoding */
};

struct emu_regfile {
    size_t size;                      /* bytes of register space */
    uint8_t *val, *wmask, *w1c, *wo;  /* size bytes each */
    const struct emu_reg *regs;       /* the model's table */
    size_t nregs;
    const struct emu_reg **by_word;   /* size/4 entries: row covering that dword */
};

int emu_regfile_init(struct emu_regfile *rf, size_t size, const struct emu_reg *regs, size_t nregs);
void emu_regfile_fini(struct emu_regfile *rf);
/* Load every row's reset value and masks; bytes of no row become 0 / RO. */
void emu_regfile_reset(struct emu_regfile *rf);
/* Model-side raw access: no masks, no hooks (hardware updating its own status). */
uint64_t emu_regfile_get(const struct emu_regfile *rf, uint64_t off, unsigned width);
void emu_regfile_set(struct emu_regfile *rf, uint64_t off, unsigned width, uint64_t val);
/* Change a row's masks at run time (profile-dependent writability). */
void emu_regfile_set_masks(struct emu_regfile *rf, uint64_t off, unsigned width,
                           uint64_t wmask, uint64_t w1cmask, uint64_t womask);
/* Guest access: masks, read/write hooks and tracing. off+width must lie inside
 * rf->size (the model checks range first). width 1..8, any alignment. */
uint64_t emu_regfile_read(struct emu_iommu *iommu, struct emu_regfile *rf, uint64_t off, unsigned width);
void emu_regfile_write(struct emu_iommu *iommu, struct emu_regfile *rf, uint64_t off, unsigned width, uint64_t val);
/* Row covering offset, or NULL. */
const struct emu_reg *emu_regfile_find(const struct emu_regfile *rf, uint64_t off);
/* "NAME=val NAME=val" from a row's fields; snprintf semantics. */
int emu_reg_format_fields(const struct emu_reg *reg, uint64_t val, char *buf, size_t len);

/* ------------------------------------------------------------------------ */
/* IOTLB / context-cache helper (emu/core/iotlb.c).                           */
/*
 * Tagged translation cache shared by the models. Entries are tagged by
 * (sid, domain, pasid) and cover a naturally aligned 2^shift page. Bounded
 * capacity with a replacement policy; invalidation by all, domain, pasid,
 * sid and address range. Lookup cost does not grow with capacity (hashing,
 * probing only the page sizes currently cached).
 * A model that does not tag by some field passes EMU_TLB_ANY for it on both
 * insert and lookup.
 */
#define EMU_TLB_ANY UINT32_MAX
#define EMU_PERM_R 1u
#define EMU_PERM_W 2u
#define EMU_PERM_X 4u

struct emu_tlb_entry {
    uint64_t iova;          /* page base (aligned to 1 << shift) */
    uint64_t out;           /* output page base */
    uint64_t leaf_gpa;      /* gpa of the leaf entry (for a later D update) */
    uint32_t sid, domain, pasid;
    uint8_t shift;          /* page size log2 */
    uint8_t perm;           /* EMU_PERM_* */
    bool dirty;             /* leaf already marked dirty: writes need no walk */
    bool valid;
    uint32_t user;          /* model-defined */
};

struct emu_iotlb;
struct emu_iotlb *emu_iotlb_new(unsigned capacity);
void emu_iotlb_free(struct emu_iotlb *tlb);
/* Hit or NULL. The pointer is valid until the next insert/invalidate. */
struct emu_tlb_entry *emu_iotlb_lookup(struct emu_iotlb *tlb, uint32_t sid, uint32_t domain,
                                       uint32_t pasid, uint64_t iova);
void emu_iotlb_insert(struct emu_iotlb *tlb, const struct emu_tlb_entry *e);
void emu_iotlb_inval_all(struct emu_iotlb *tlb);
/* Each field EMU_TLB_ANY matches everything; [addr, addr+size) overlap test,
 * size == 0 means the whole address space. Returns entries dropped. */
unsigned emu_iotlb_inval(struct emu_iotlb *tlb, uint32_t sid, uint32_t domain, uint32_t pasid,
                         uint64_t addr, uint64_t size);
unsigned emu_iotlb_count(const struct emu_iotlb *tlb);

/* ------------------------------------------------------------------------ */
/* Models.                                                                    */

/* Result of a successful translation of one address. */
struct emu_xlate {
    uint64_t out;       /* output address of iova (not the page base) */
    uint8_t shift;      /* size log2 of the translated page (>= 12) */
    uint8_t perm;       /* EMU_PERM_* granted */
};

struct emu_model_ops {
    enum emu_model model;
    const char *name;             /* "vtd", "amdvi", "smmuv3" */
    /* Allocate iommu->model and set iommu->regs up; -EINVAL unknown profile, -ENOMEM. */
    int (*init)(struct emu_iommu *iommu, const char *profile);
    void (*fini)(struct emu_iommu *iommu);
    /* Power-on reset: registers from the table, caches empty, queues idle. */
    void (*reset)(struct emu_iommu *iommu);
    uint64_t (*mmio_size)(const struct emu_iommu *iommu);
    /* Called with iommu->lock held; any offset/width. */
    uint64_t (*mmio_read)(struct emu_iommu *iommu, uint64_t off, unsigned width);
    void (*mmio_write)(struct emu_iommu *iommu, uint64_t off, unsigned width, uint64_t val);
    /* Translate one access (iommu->lock held): IOTLB, walk, A/D, permission.
     * 0 and *x filled, or a negative errno with *fault filled and the fault
     * already recorded in the architectural log (or suppressed, as the
     * architecture says). */
    int (*translate)(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
                     bool write, struct emu_xlate *x, struct emu_fault *fault);
    /* Raw ID override ("cap", "efr", "idr0", ...); -EINVAL if unknown. */
    int (*set_id)(struct emu_iommu *iommu, const char *name, uint64_t value);
};

struct emu_iommu {
    const struct emu_model_ops *ops;
    struct emu_mem *mem;
    pthread_mutex_t lock;        /* serialises MMIO and DMA on this unit */
    emu_trace_fn trace;
    void *trace_opaque;
    struct emu_regfile regs;     /* filled by ops->init */
    void *model;                 /* model state, owned by ops */
};

extern const struct emu_model_ops emu_vtd_ops;
extern const struct emu_model_ops emu_amdvi_ops;
extern const struct emu_model_ops emu_smmuv3_ops;

/* Trace helper: one predictable branch when tracing is off. */
static inline void emu_trace(const struct emu_iommu *iommu, const struct emu_trace_rec *rec)
{
    if (__builtin_expect(iommu->trace != NULL, 0))
        iommu->trace(iommu->trace_opaque, iommu, rec);
}
static inline bool emu_tracing(const struct emu_iommu *iommu)
{
    return iommu->trace != NULL;
}

/* Table fetch through guest memory with tracing; -EFAULT outside memory. */
int emu_fetch(struct emu_iommu *iommu, const char *what, uint64_t gpa, void *dst, size_t len);

/* Small bit helpers. */
static inline uint64_t emu_bits(uint64_t v, unsigned hi, unsigned lo)
{
    return (v >> lo) & (hi - lo >= 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1));
}
static inline uint64_t emu_mask(unsigned hi, unsigned lo)
{
    return (hi - lo >= 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1)) << lo;
}

/* ------------------------------------------------------------------------ */
/* Additions (emu core, iommu.c).                                            */
/*
 * Create a unit from an explicit ops table (tests use a fake model; a model's
 * own suite may use it too). emu_iommu_new() is this with the linked model's
 * ops. Calls ops->init then ops->reset; NULL with errno on failure
 * (errno = -init's return). emu_iommu_free() calls ops->fini and then
 * emu_regfile_fini(&iommu->regs), which is idempotent: a model's fini may
 * call it too, or leave it to the core.
 *
 * Tracing done by the core, so models must NOT emit these themselves:
 *   EMU_TRACE_MMIO_READ / MMIO_WRITE: once per emu_mmio_read/write (the write
 *     before ops->mmio_write runs, the read after ops->mmio_read returned);
 *     emu_regfile_read/write do not trace.
 *   EMU_TRACE_TRANSLATE: once per successfully translated page in emu_dma.
 *   EMU_TRACE_TABLE_FETCH: by emu_fetch().
 * Models emit FAULT, AD_UPDATE, INVAL and EVENT.
 *
 * Guest memory choices (mem.c): gpa + len must stay below 2^64; emu_mem_unmap
 * accepts any page-aligned range all of whose bytes are mapped (it may span
 * adjacent regions; partly covered regions are trimmed or split), else
 * -ENOENT with nothing changed; emu_mem_read64/write64 accept any alignment
 * (aligned words are single atomic accesses). Register tables: rows must be
 * 4 or 8 bytes, 4-byte aligned, in range and disjoint (emu_regfile_init
 * returns -EINVAL otherwise).
 */
struct emu_iommu *emu_iommu_new_ops(const struct emu_model_ops *ops, const char *profile,
                                    struct emu_mem *mem);

#endif
