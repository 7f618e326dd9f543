/* SPDX-License-Identifier: MIT */
/*
 * The platform's interrupt path and the drivers' kernel log (platform.c).
 * Internal interface of the mock, for the DMA path (vfio_cdev.c), tools
 * (iommu-sim) and tests; not part of mockfd.h.
 *
 * Each IOMMU unit whose driver asks for MSIs (plat->msi_alloc) gets one
 * 4 KiB doorbell page of table-pool guest memory: vector v is the 32-bit
 * word at page + 4 v, and its MSI data is non-zero. The model raises the
 * interrupt as its hardware does, by writing the data to the address the
 * driver programmed (VT-d FEADDR/FEDATA, AMD-Vi MSI mirror, SMMUv3
 * *_IRQ_CFG0/1). After every device DMA the platform loads each unit's
 * doorbell words (one 64-bit load per unit when nothing happened); a word
 * that was written is cleared and the driver's irq handler runs, as the
 * kernel's (threaded) handler would. Nothing polls the hardware registers:
 * no doorbell write, no handler call.
 *
 * What the handlers print (the kernel's pr_err / dev_err lines) goes into a
 * bounded ring per unit with counters, and to an optional hook (iommu-sim
 * traces it); MOCKFD_DMESG=1 also copies every line to stderr.
 */
#ifndef IOMMU_EMU_MOCKFD_PLATFORM_H
#define IOMMU_EMU_MOCKFD_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "../drivers/driver.h"

/* Lines kept per unit (older ones are overwritten) and their length. */
#define MFD_LOG_LINES 64
#define MFD_LOG_LEN   256

struct mfd_irq_stats {
    unsigned nvec;                          /* MSI vectors the driver allocated */
    uint64_t msi_addr[MFD_MSI_MAX_VECS];    /* their doorbells (0: none) */
    uint32_t msi_data[MFD_MSI_MAX_VECS];
    uint64_t irqs[MFD_MSI_MAX_VECS];        /* handler calls per vector */
    uint64_t lines;                         /* log lines ever written */
    uint64_t records;                       /* decoded fault / event records */
};

/* Dispatch the doorbells written since the last call, on every unit: the
 * interrupt delivery point (called after each device DMA). */
void mfd_platform_irq_poll(void);

/* Counters of IOMMU `index`: 0, or -ENOENT (no such unit). */
int mfd_platform_irq_stats(int index, struct mfd_irq_stats *out);
/* Log line number `seq` (0 = the unit's first line ever) into buf: 0;
 * -ENOENT no such unit or line yet; -ENODATA overwritten (the ring keeps
 * the last MFD_LOG_LINES). */
int mfd_platform_log_line(int index, uint64_t seq, char *buf, size_t len);
/* The number of the first line >= from that contains `needle`, or -ENOENT
 * (lines that were overwritten are not searched). */
int64_t mfd_platform_log_find(int index, uint64_t from, const char *needle);

/* Called with every log line as it is written (after it is in the ring),
 * from the handler's thread, with the log lock held: it must not log nor
 * call the accessors above. Process-wide; NULL removes it. */
typedef void (*mfd_platform_log_hook)(void *arg, int index, struct emu_iommu *hw,
                                      const char *line);
void mfd_platform_set_log_hook(mfd_platform_log_hook fn, void *arg);

#endif
