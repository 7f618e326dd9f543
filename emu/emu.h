/* SPDX-License-Identifier: MIT */
/*
 * iommu-emu: register-accurate software models of Intel VT-d, AMD-Vi and Arm
 * SMMUv3. This is the public face of the hardware side (shared/contract.md §1).
 * A model knows nothing of iommufd: it exposes an MMIO register file, reads its
 * tables from guest memory, and translates device DMA.
 */
#ifndef IOMMU_EMU_EMU_H
#define IOMMU_EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Guest-physical memory: what the modelled IOMMU reads tables from and DMA lands in. */
struct emu_mem;
struct emu_mem *emu_mem_new(void);
void emu_mem_free(struct emu_mem *mem);
/* Back [gpa, gpa+len) with host memory at `host` (page aligned, len a multiple of 4096).
 * host == NULL: the region allocates and zeroes its own backing.
 * 0, or -EINVAL (misaligned, zero length, overflow), -EEXIST (overlap), -ENOMEM. */
int emu_mem_map(struct emu_mem *mem, uint64_t gpa, uint64_t len, void *host);
int emu_mem_unmap(struct emu_mem *mem, uint64_t gpa, uint64_t len);
/* Bounds-checked copies; -EFAULT if any byte is outside a mapped region, nothing copied. */
int emu_mem_read(struct emu_mem *mem, uint64_t gpa, void *dst, size_t len);
int emu_mem_write(struct emu_mem *mem, uint64_t gpa, const void *src, size_t len);
/* Additions beyond the contract. */
/* Read/write one naturally aligned little-endian 64-bit word; -EFAULT outside. */
int emu_mem_read64(struct emu_mem *mem, uint64_t gpa, uint64_t *val);
int emu_mem_write64(struct emu_mem *mem, uint64_t gpa, uint64_t val);
/* Atomic compare-exchange of an aligned 64-bit word, as hardware A/D updates and a
 * driver's test-and-clear of dirty bits do. *expected is updated with the value seen.
 * 1 if swapped, 0 if not, -EFAULT outside guest memory, -EINVAL if misaligned. */
int emu_mem_cmpxchg64(struct emu_mem *mem, uint64_t gpa, uint64_t *expected, uint64_t desired);

enum emu_model { EMU_VTD = 1, EMU_AMDVI = 2, EMU_SMMUV3 = 3 };
struct emu_iommu;
/* profile: NULL or "default" for the model's default; see each model's docs for
 * others (at least "default", "qemu" and "nodirty" exist for every model).
 * NULL on an unknown profile (errno = EINVAL). */
struct emu_iommu *emu_iommu_new(enum emu_model model, const char *profile, struct emu_mem *mem);
void emu_iommu_free(struct emu_iommu *iommu);
void emu_iommu_reset(struct emu_iommu *iommu);          /* power-on reset */
uint64_t emu_mmio_size(const struct emu_iommu *iommu);  /* bytes of register space */

/* CPU access to the register file, as a driver's readl/writeq would do it.
 * width is 1, 2, 4 or 8; any offset and width is accepted and behaves as the
 * architecture says for that model (reserved reads as 0 or all-ones as specified,
 * writes to RO/reserved bits ignored, RW1C bits cleared by writing 1, handshakes and
 * queue processing triggered by the writes that trigger them on hardware).
 * Never crashes, whatever the arguments or the guest-memory contents. */
uint64_t emu_mmio_read(struct emu_iommu *iommu, uint64_t offset, unsigned width);
void emu_mmio_write(struct emu_iommu *iommu, uint64_t offset, unsigned width, uint64_t value);

/* A device-initiated DMA through the IOMMU: translate (IOTLB, then table walk with
 * the architecture's access/dirty updates), check permissions, then copy between
 * buf and guest memory page by page.
 * rid: PCI requester ID (bus<<8 | devfn) for VT-d and AMD-Vi, StreamID for SMMUv3.
 * pasid: EMU_NO_PASID, or a PASID / SubstreamID.
 * Returns 0, or a negative errno; on a translation fault the fault is also recorded
 * in the model's architectural fault log / event queue, and *fault (if non-NULL)
 * describes it. Bytes before the faulting page were transferred. */
#define EMU_NO_PASID UINT32_MAX
struct emu_fault {
    uint64_t iova;       /* faulting address */
    uint32_t rid, pasid;
    uint32_t reason;     /* the architecture's own fault reason / event code */
    bool write;
};
int emu_dma(struct emu_iommu *iommu, uint32_t rid, uint32_t pasid, uint64_t iova,
            void *buf, size_t len, bool write, struct emu_fault *fault);

/* ---- Additions beyond the contract ---------------------------------------- */

enum emu_model emu_iommu_model(const struct emu_iommu *iommu);
const char *emu_model_name(enum emu_model model);   /* "vtd", "amdvi", "smmuv3" */
struct emu_mem *emu_iommu_mem(const struct emu_iommu *iommu);

/* Name of the register at `offset` (NULL if none), for traces and scenario files. */
const char *emu_reg_name(const struct emu_iommu *iommu, uint64_t offset);
/* Offset of a register by name (case-insensitive); -1 if unknown. *width gets its width. */
int64_t emu_reg_lookup(const struct emu_iommu *iommu, const char *name, unsigned *width);
/* Decode the fields of a register value into buf ("TE=1 QIE=0 ..."), for traces.
 * Returns the length written (snprintf semantics); 0 if nothing to decode. */
int emu_reg_decode(const struct emu_iommu *iommu, uint64_t offset, uint64_t value,
                   char *buf, size_t len);

/* Trace hooks: called synchronously from inside the model, under its lock; must not
 * call back into the same model. A model with no hooks set pays one branch. */
enum emu_trace_kind {
    EMU_TRACE_MMIO_READ,   /* a: offset, b: value, width */
    EMU_TRACE_MMIO_WRITE,  /* a: offset, b: value, width */
    EMU_TRACE_TABLE_FETCH, /* a: gpa, b: value (first qword), width: bytes; what: table name */
    EMU_TRACE_AD_UPDATE,   /* a: gpa of the entry, b: new value; what: "A", "D", "AD", "AF", "DBM" */
    EMU_TRACE_FAULT,       /* fault: the fault; what: decoded reason name */
    EMU_TRACE_INVAL,       /* what: decoded invalidation; a, b: model-specific */
    EMU_TRACE_TRANSLATE,   /* a: iova, b: output gpa, width: page size log2; rid/pasid set */
    EMU_TRACE_EVENT,       /* what: record written to fault log / event queue */
};
struct emu_trace_rec {
    enum emu_trace_kind kind;
    uint64_t a, b;
    unsigned width;
    uint32_t rid, pasid;
    const char *what;             /* static string or a buffer valid during the call */
    const struct emu_fault *fault;
};
typedef void (*emu_trace_fn)(void *opaque, const struct emu_iommu *iommu,
                             const struct emu_trace_rec *rec);
void emu_set_trace(struct emu_iommu *iommu, emu_trace_fn fn, void *opaque);

/* Raw identification overrides, for reproducing one specific machine.
 * Names are per model, e.g. "cap", "ecap" (VT-d), "efr", "efr2" (AMD-Vi),
 * "idr0".."idr5" (SMMUv3). Applied at reset from then on. 0 or -EINVAL. */
int emu_iommu_set_id(struct emu_iommu *iommu, const char *name, uint64_t value);

/* Apply a byte stream of MMIO writes/reads, guest-memory writes and DMAs to a
 * model: the fuzzing entry point. The format is in emu/core/stream.h. Never
 * crashes; returns the number of operations applied. */
size_t emu_apply_stream(struct emu_iommu *iommu, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
