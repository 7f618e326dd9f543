/* SPDX-License-Identifier: MIT */
/*
 * Byte-stream format of emu_apply_stream() (emu/emu.h), the fuzzing entry point.
 *
 * A stream is a sequence of operations. Each starts with one op byte:
 *   bits 2..0  opcode (below)
 *   bits 7..3  flags, per opcode
 * followed by little-endian operands. If the input ends inside an operation,
 * that operation is dropped and the stream ends (a truncated stream is fine).
 * Every byte value decodes to something, so mutated inputs stay meaningful.
 *
 *   0 MMIO_WRITE   flags: bits 4..3 = log2(width) (1,2,4,8); bit 5 = "in range":
 *                  offset is taken modulo emu_mmio_size(), else used as is.
 *                  operands: u32 offset, then `width` bytes of value.
 *   1 MMIO_READ    flags as MMIO_WRITE. operands: u32 offset. Result discarded.
 *   2 MEM_WRITE    operands: u64 gpa, u16 n, then n bytes written to guest
 *                  memory at gpa (emu_mem_write; -EFAULT is ignored).
 *   3 MEM_WRITE64  operands: u64 gpa, u64 value (emu_mem_write64).
 *   4 DMA          flags: bit 3 = write (else read), bit 4 = has PASID.
 *                  operands: u32 rid, [u32 pasid if bit 4, else EMU_NO_PASID],
 *                  u64 iova, u16 n; length is n + 1 (1..65536 bytes).
 *                  A write DMA sends the bytes (iova + i) & 0xff; the data a
 *                  read DMA returns is discarded. Faults are ignored here (the
 *                  model records them in its log as hardware would).
 *   5 RESET        no operands: emu_iommu_reset().
 *   6 MEM_READ64   operands: u64 gpa (emu_mem_read64, result discarded).
 *   7 NOP          no operands; not counted as an operation.
 *
 * gpa values are used as given: the harness maps whatever guest memory window
 * it wants before applying the stream. The return value counts operations
 * executed (opcodes 0..6), whatever their individual outcome.
 */
#ifndef IOMMU_EMU_CORE_STREAM_H
#define IOMMU_EMU_CORE_STREAM_H

enum emu_stream_op {
    EMU_STREAM_MMIO_WRITE = 0,
    EMU_STREAM_MMIO_READ = 1,
    EMU_STREAM_MEM_WRITE = 2,
    EMU_STREAM_MEM_WRITE64 = 3,
    EMU_STREAM_DMA = 4,
    EMU_STREAM_RESET = 5,
    EMU_STREAM_MEM_READ64 = 6,
    EMU_STREAM_NOP = 7,
};

#define EMU_STREAM_F_WIDTH_SHIFT 3      /* MMIO: log2(width) in bits 4..3 */
#define EMU_STREAM_F_INRANGE 0x20       /* MMIO: offset modulo mmio size */
#define EMU_STREAM_F_WRITE 0x08         /* DMA: write */
#define EMU_STREAM_F_PASID 0x10         /* DMA: PASID operand present */
#define EMU_STREAM_DMA_MAX 65536u

#endif
