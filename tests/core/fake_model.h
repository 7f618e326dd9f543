/* A tiny fake model for the core suite (links emu/core only). */
#ifndef TESTS_CORE_FAKE_MODEL_H
#define TESTS_CORE_FAKE_MODEL_H
#include "emu/core/emu_internal.h"

/* Register space 0x20 bytes:
 *  0x00 A   32-bit  reset 0xA5A5A5A5  wmask 0x0000FFFF  w1c 0x00FF0000
 *  0x04     (hole: no row)
 *  0x08 B   64-bit  reset 0x0123456789ABCDEF  wmask 0xFFFFFFFF00000F00
 *                   w1c 0xF0  wo 0x0F00, write hook
 *  0x10 C   32-bit  reset 0x12345678  wmask 0xFFFFFFFF, read hook (~stored),
 *                   write hook
 *  0x14..0x1F hole
 * Translation: iova < 0x10000 -> iova + FAKE_OUT_BASE, 4K pages, RW;
 *   [FAKE_BIG_IOVA, +2M) -> FAKE_BIG_OUT + (iova - FAKE_BIG_IOVA) as one 2M
 *   page (shift 21), so one chunk can run past the end of guest memory;
 *   anything else faults with reason FAKE_FAULT_REASON: -EPERM (read) /
 *   -EACCES (write). */
#define FAKE_SIZE 0x20
#define FAKE_OUT_BASE 0x100000ull
#define FAKE_FAULT_REASON 0x42
#define FAKE_BIG_IOVA 0x200000ull
#define FAKE_BIG_OUT (FAKE_OUT_BASE + 0x10000)

struct fake_hook_call {
    const struct emu_reg *reg;
    uint64_t old, val;
};
struct fake_state {
    struct fake_hook_call calls[16];
    unsigned ncalls;
    unsigned mmio_writes, mmio_reads, translates, resets;
};

extern const struct emu_model_ops fake_ops;
extern const struct emu_reg fake_regs[];
extern const size_t fake_nregs;
struct fake_state *fake_state(struct emu_iommu *iommu);
#endif
