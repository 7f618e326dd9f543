/* SPDX-License-Identifier: MIT */
/*
 * Body of the ioctl-stream harness (fuzz/ioctl.c for AFL++ and libFuzzer,
 * tests/corpus/ for corpus replay): a sequence of calls on a fresh iommufd,
 * with oracles checked after every call. Format (peers.md §3.2, the
 * recommended [op][len][payload] record, plus an independent size word):
 *
 *   record := op:u8 flags:u8 size:u16le plen:u8 payload[plen]
 *
 *   op       verb = op % FUZZ_IOCTL_NVERBS (table in harness_ioctl.c: every
 *            iommufd ioctl, each IOMMU_TEST_CMD op, the VFIO type1 compat
 *            ioctls, the VFIO cdev ioctls, and harness verbs: open/close a
 *            device, device DMA, re-open the iommufd, arm fail-nth, raw
 *            ioctl number, read()/write() on a returned fd)
 *   flags    bit 0     remap: object-ID fields become "index into the live
 *                      objects", fd fields an index into the harness's fds,
 *                      IOVA fields "nth area + page offset" (the syzkaller
 *                      trick)
 *            bits 2..1 pointer fields: 0 into the harness arena at an
 *                      offset, 1 ending at the arena's guard page, 2 an
 *                      exact-size heap buffer, 3 a never-mapped address
 *                      (EFAULT paths)
 *            bit 3     size word from the record (else the struct's size)
 *            bit 4     pad bytes past the payload with 0xff (else 0)
 *            bits 7..6 target fd: 0 the iommufd (device verbs: device
 *                      slot 0), k device slot k
 *   payload  the struct bytes; the call's buffer is an exact-size heap copy
 *            of max(size, plen, 4) bytes, so ASan sees a handler reading
 *            past what the caller declared.
 *
 * A truncated final record uses whatever payload bytes are left.
 */
#ifndef IOMMU_EMU_FUZZ_HARNESS_IOCTL_H
#define IOMMU_EMU_FUZZ_HARNESS_IOCTL_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_IOCTL_HDR 5
/* Calls per input; the rest of a longer input is ignored. */
#define FUZZ_IOCTL_MAX_CALLS 256

enum {
    FZ_F_REMAP = 0x01,
    FZ_F_PTR_SHIFT = 1,
    FZ_F_SIZE = 0x08,
    FZ_F_PADFF = 0x10,
    FZ_F_TARGET_SHIFT = 6,
};
enum { FZ_PTR_ARENA, FZ_PTR_ARENA_END, FZ_PTR_HEAP, FZ_PTR_RAW };

/* Once per process: the platform (one IOMMU of each model, two devices
 * each, when the platform API has landed), the arena, a memfd. Idempotent. */
void fuzz_ioctl_setup(void);
/* One input. Aborts (an AFL++ crash) on an oracle violation, after printing
 * what broke to stderr. */
void fuzz_ioctl_one(const uint8_t *data, size_t len);
/* Verb table, for the seed generator and docs: index of a verb by name
 * ("IOAS_MAP", "TEST_MOCK_DOMAIN", "DEV_BIND", "DMA", ...), -1 if none. */
int fuzz_ioctl_verb(const char *name);
unsigned fuzz_ioctl_nverbs(void);
/* Leak check after close (LSan), done per input in FUZZ_SANITIZED builds. */
void fuzz_ioctl_set_leak_check(int on);

#endif
