/* Helpers for the AMD-Vi suite: guest memory layout, Linux-style bring-up,
 * command submission, event reading and an independent v1/v2 table builder
 * (written from amdvi.md §5, not from the model). */
#ifndef IOMMU_EMU_TEST_AMDVI_H
#define IOMMU_EMU_TEST_AMDVI_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "../common/test_util.h"
#include "../../emu/amdvi/amdvi.h"

#define MEM_SIZE   (32ull << 20)
#define DEVTAB     0x100000ull       /* 2 MiB, Size = 0x1FF */
#define CMDBUF     0x300000ull       /* 8 KiB, Len 9 */
#define EVTLOG     0x310000ull       /* 8 KiB, Len 9 */
#define SEM        0x320000ull
#define PT_POOL    0x400000ull       /* page tables from here */
#define DATA       0x1000000ull      /* data pages from 16 MiB */

struct tctx {
    struct emu_mem *mem;
    struct emu_iommu *io;
    uint64_t pt_next;
    uint64_t sem_val;
};
extern struct tctx T;

void t_setup(const char *profile);
void t_teardown(void);
uint64_t rd(uint64_t off);
uint32_t rd32(uint64_t off);
void wr(uint64_t off, uint64_t val);
void wr32(uint64_t off, uint32_t val);
uint64_t m64(uint64_t gpa);
void w64(uint64_t gpa, uint64_t v);
/* Linux order (amdvi.md §3.3): devtab, command buffer, event log, IommuEn. */
void t_bringup(void);
/* Queue one command at CmdTail and ring the doorbell. */
void t_cmd(uint64_t q0, uint64_t q1);
/* COMPLETION_WAIT S=1 with a fresh value; true if it landed. */
bool t_sync(void);
void t_dte(uint16_t devid, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3);
uint64_t t_alloc(void);
/* Map iova -> pa with a 2^shift page in a v1 table of `mode` levels at root. */
uint64_t t_map_v1(uint64_t root, unsigned mode, uint64_t iova, uint64_t pa, unsigned shift,
                  bool r, bool w);
/* v2 (x86-64 style) map, 4K/2M/1G, levels 4 or 5. */
uint64_t t_map_v2(uint64_t root, unsigned levels, uint64_t iova, uint64_t pa, unsigned shift,
                  bool w);
/* Pop up to max events (16 bytes each) from the log; returns the count. */
int t_events(uint64_t ev[][2], int max);
/* A translated (v1) device: DTE V, TV, Mode, root, IR/IW, domain, HAD. */
uint64_t dte_v1(unsigned mode, uint64_t root, unsigned had);
int dma(uint16_t rid, uint64_t iova, void *buf, size_t len, bool write, struct emu_fault *f);

#endif
