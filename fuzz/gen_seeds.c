/* SPDX-License-Identifier: MIT */
/*
 * Seed generator: writes realistic inputs for every harness into
 * OUTDIR/<harness>/<name> (make fuzz-seeds: build/fuzz/seeds/). The seeds are
 * the programming sequences a driver uses to bring each model up, written
 * from shared/reference/{vtd,amdvi,smmuv3}.md and the models' own test
 * helpers (tests/vtd/vtd_util.h, tests/amdvi/helpers.c,
 * tests/smmuv3/helpers.h), then DMAs through the result; and for the ioctl
 * harness, the call sequences of the mockfd tests (IOAS map/unmap/copy,
 * VFIO compat, device bind/attach/DMA/dirty, selftest ops).
 *
 *   gen_seeds OUTDIR          write the seeds
 *   gen_seeds --check OUTDIR  also run each one and print what it reached
 *                             (translations and faults for MMIO seeds,
 *                             every call's result for ioctl seeds)
 *   gen_seeds --dict DIR      write the AFL++ dictionaries (fuzz/dict/):
 *                             ioctl numbers, sizes, flags, magic values and
 *                             verb headers; per model every register of its
 *                             table as an MMIO op prefix
 *
 * Only their afl-cmin-minimised form is checked in (fuzz/corpus/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <iommufd_test.h>

#include "emu/amdvi/amdvi.h"
#include "emu/core/stream.h"
#include "emu/emu.h"
#include "emu/smmuv3/smmuv3.h"
#include "emu/vtd/vtd.h"
#include "fuzz/harness_ioctl.h"
#include "fuzz/harness_mmio.h"

/* ---- output buffer ------------------------------------------------------------ */

struct sb {
    uint8_t b[65536];
    size_t n;
};

static void put(struct sb *s, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes && s->n < sizeof(s->b); i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void putb(struct sb *s, const void *p, size_t len)
{
    if (s->n + len > sizeof(s->b))
        len = sizeof(s->b) - s->n;
    memcpy(s->b + s->n, p, len);
    s->n += len;
}

static unsigned lg(unsigned w) { return w == 8 ? 3 : w == 4 ? 2 : w == 2 ? 1 : 0; }

/* emu_apply_stream operations (emu/core/stream.h). */
static void mw(struct sb *s, uint32_t off, unsigned w, uint64_t v)
{
    put(s, EMU_STREAM_MMIO_WRITE | (lg(w) << EMU_STREAM_F_WIDTH_SHIFT), 1);
    put(s, off, 4);
    put(s, v, w);
}

static void mr(struct sb *s, uint32_t off, unsigned w)
{
    put(s, EMU_STREAM_MMIO_READ | (lg(w) << EMU_STREAM_F_WIDTH_SHIFT), 1);
    put(s, off, 4);
}

static void m64(struct sb *s, uint64_t gpa, uint64_t v)
{
    put(s, EMU_STREAM_MEM_WRITE64, 1);
    put(s, gpa, 8);
    put(s, v, 8);
}

static void dma(struct sb *s, uint32_t rid, uint32_t pasid, uint64_t iova, unsigned len, bool wr)
{
    put(s, EMU_STREAM_DMA | (wr ? EMU_STREAM_F_WRITE : 0) |
               (pasid != EMU_NO_PASID ? EMU_STREAM_F_PASID : 0), 1);
    put(s, rid, 4);
    if (pasid != EMU_NO_PASID)
        put(s, pasid, 4);
    put(s, iova, 8);
    put(s, len - 1, 2);
}

static const char *outdir;
static bool check;

static void save(const char *harness, const char *name, const struct sb *s)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", outdir, harness);
    mkdir(outdir, 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
    f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* --check: count translations and faults of an MMIO seed. */
struct counts {
    unsigned xlate, faults, events;
};

static void count_trace(void *opaque, const struct emu_iommu *io, const struct emu_trace_rec *r)
{
    struct counts *c = opaque;

    (void)io;
    if (r->kind == EMU_TRACE_TRANSLATE)
        c->xlate++;
    else if (r->kind == EMU_TRACE_FAULT)
        c->faults++;
    else if (r->kind == EMU_TRACE_EVENT)
        c->events++;
}

static void save_mmio(enum emu_model model, const char *name, const struct sb *s)
{
    char h[32];

    snprintf(h, sizeof(h), "mmio_%s", emu_model_name(model));
    save(h, name, s);
    if (check) {
        struct counts c = { 0 };
        struct emu_mem *mem = emu_mem_new();
        struct emu_iommu *io;

        emu_mem_map(mem, FUZZ_MMIO_WIN_BASE, FUZZ_MMIO_WIN_LEN, NULL);
        io = emu_iommu_new(model, "default", mem);
        if (io) {
            emu_set_trace(io, count_trace, &c);
            emu_apply_stream(io, s->b + 1, s->n - 1);
            emu_iommu_free(io);
        }
        emu_mem_free(mem);
        printf("%-8s %-24s %5zu bytes  translations %u  faults %u  events %u\n", h, name, s->n,
               c.xlate, c.faults, c.events);
    }
}

/* ---- VT-d (vtd.md §3 GCMD handshake, §4 tables, §5.2 queued invalidation) ---- */

#define V_ROOT   0x100000ull
#define V_CTX    0x101000ull
#define V_PT     0x102000ull    /* 4 levels: 0x102000..0x105fff */
#define V_IQ     0x110000ull
#define V_STATUS 0x111000ull
#define V_PASIDD 0x120000ull
#define V_PASIDT 0x121000ull
#define V_DATA   0x200000ull
#define V_IOVA   0x40000000ull

struct vtd_gen {
    struct sb s;
    uint32_t gsts;          /* what the driver believes GSTS holds */
    unsigned iqt;
};

static void vtd_gcmd(struct vtd_gen *g, uint32_t bit)
{
    /* vtd.md §3.1: one command per write, the other bits = current status. */
    g->gsts |= bit;
    mw(&g->s, VTD_GCMD, 4, g->gsts);
    mr(&g->s, VTD_GSTS, 4);
    if (bit == GCMD_SRTP)
        g->gsts &= ~GCMD_SRTP;   /* one-shot: not a persistent status */
}

static void vtd_qi(struct vtd_gen *g, uint64_t lo, uint64_t hi)
{
    m64(&g->s, V_IQ + g->iqt * 16ull, lo);
    m64(&g->s, V_IQ + g->iqt * 16ull + 8, hi);
    g->iqt++;
    mw(&g->s, VTD_IQT, 8, g->iqt << 4);
}

/* 4-level second-stage (or first-stage, same layout for R/W/P here) chain
 * for n pages at V_IOVA. */
static void vtd_map(struct vtd_gen *g, unsigned n, uint64_t extra)
{
    unsigned l4 = (V_IOVA >> 39) & 511, l3 = (V_IOVA >> 30) & 511, l2 = (V_IOVA >> 21) & 511;

    m64(&g->s, V_PT + l4 * 8, (V_PT + 0x1000) | 3);
    m64(&g->s, V_PT + 0x1000 + l3 * 8, (V_PT + 0x2000) | 3);
    m64(&g->s, V_PT + 0x2000 + l2 * 8, (V_PT + 0x3000) | 3);
    for (unsigned i = 0; i < n; i++)
        m64(&g->s, V_PT + 0x3000 + (((V_IOVA >> 12) + i) & 511) * 8,
            (V_DATA + i * 4096ull) | 3 | extra);
}

static void vtd_common_up(struct vtd_gen *g, unsigned ttm)
{
    put(&g->s, 0, 1);                                /* header: profile default */
    mr(&g->s, VTD_CAP, 8);
    mr(&g->s, VTD_ECAP, 8);
    mw(&g->s, VTD_RTADDR, 8, V_ROOT | ((uint64_t)ttm << 10));
    vtd_gcmd(g, GCMD_SRTP);
    mw(&g->s, VTD_IQA, 8, V_IQ);                     /* 4 KB queue, 128-bit descriptors */
    mw(&g->s, VTD_IQT, 8, 0);
    vtd_gcmd(g, GCMD_QIE);
    mw(&g->s, VTD_FECTL, 4, 0);
}

static void vtd_flush(struct vtd_gen *g)
{
    vtd_qi(g, 0x1 | (1u << 4), 0);                               /* context cache, global */
    vtd_qi(g, 0x2 | (1u << 4) | (1u << 6) | (1u << 7), 0);       /* IOTLB, global, DR|DW */
    vtd_qi(g, 0x5 | (1u << 5) | (0x1234ull << 32), V_STATUS);    /* wait, status write */
}

static void gen_vtd(void)
{
    struct vtd_gen g;

    /* Legacy mode, 4-level second stage, RID 00:02.0. */
    memset(&g, 0, sizeof(g));
    vtd_common_up(&g, 0);
    m64(&g.s, V_ROOT + 0 * 16, V_CTX | 1);
    m64(&g.s, V_CTX + 0x10 * 16, V_PT | 1);                      /* TT=0, P */
    m64(&g.s, V_CTX + 0x10 * 16 + 8, 2 | (1u << 8));             /* AW 48-bit, DID 1 */
    vtd_map(&g, 4, 0);
    vtd_flush(&g);
    vtd_gcmd(&g, GCMD_TE);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA, 0x2000, true);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA + 0x1000, 0x3000, false);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA + 0x10000, 16, true);   /* not mapped: fault */
    dma(&g.s, 0x18, EMU_NO_PASID, V_IOVA, 16, false);            /* no context: fault */
    mr(&g.s, VTD_FSTS, 4);
    mw(&g.s, VTD_FSTS, 4, 0xffffffff);
    save_mmio(EMU_VTD, "legacy_sl4", &g.s);

    /* Legacy, pass-through context (TT=2) and register-based invalidation. */
    memset(&g, 0, sizeof(g));
    put(&g.s, 1, 1);                                 /* profile qemu */
    mw(&g.s, VTD_RTADDR, 8, V_ROOT);
    vtd_gcmd(&g, GCMD_SRTP);
    m64(&g.s, V_ROOT, V_CTX | 1);
    m64(&g.s, V_CTX + 0x10 * 16, (2u << 2) | 1);
    m64(&g.s, V_CTX + 0x10 * 16 + 8, 1 | (2u << 8));
    mw(&g.s, VTD_CCMD, 8, (1ull << 63) | (1ull << 61));          /* ICC, global */
    mr(&g.s, VTD_CCMD, 8);
    vtd_gcmd(&g, GCMD_TE);
    dma(&g.s, 0x10, EMU_NO_PASID, V_DATA, 0x100, true);
    dma(&g.s, 0x10, EMU_NO_PASID, V_DATA, 0x100, false);
    save_mmio(EMU_VTD, "legacy_passthrough", &g.s);

    /* Scalable mode, second-stage with SSADE (dirty tracking), PASID 0 and 5. */
    memset(&g, 0, sizeof(g));
    vtd_common_up(&g, 1);
    m64(&g.s, V_ROOT, V_CTX | 1);                                /* lower ctx pointer */
    m64(&g.s, V_CTX + 0x10 * 32, V_PASIDD | 8 | 1);              /* PASIDE, P, 4 KB dir */
    m64(&g.s, V_PASIDD, V_PASIDT | 1);
    for (unsigned p = 0; p <= 5; p += 5) {
        uint64_t pe = V_PASIDT + p * 64ull;

        m64(&g.s, pe, V_PT | (1u << 9) | (2u << 6) | (2u << 2) | 1);  /* SSADE, PGTT=SS, AW */
        m64(&g.s, pe + 8, 1 | (1u << 23));
    }
    vtd_map(&g, 4, 0);
    vtd_qi(&g, 0x7 | (1u << 4), 0);                              /* PASID cache, all */
    vtd_flush(&g);
    vtd_gcmd(&g, GCMD_TE);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA, 0x2000, true);
    dma(&g.s, 0x10, 5, V_IOVA + 0x2000, 0x1000, true);
    dma(&g.s, 0x10, 7, V_IOVA, 16, true);                        /* PASID not present */
    put(&g.s, EMU_STREAM_MEM_READ64, 1);
    put(&g.s, V_PT + 0x3000 + ((V_IOVA >> 12) & 511) * 8, 8);     /* A/D bits */
    save_mmio(EMU_VTD, "scalable_ss_dirty", &g.s);

    /* Scalable, first stage (PGTT=FS), 4-level. */
    memset(&g, 0, sizeof(g));
    vtd_common_up(&g, 1);
    m64(&g.s, V_ROOT, V_CTX | 1);
    m64(&g.s, V_CTX + 0x10 * 32, V_PASIDD | 8 | 1);
    m64(&g.s, V_PASIDD, V_PASIDT | 1);
    m64(&g.s, V_PASIDT, (1u << 6) | (2u << 2) | 1);                 /* PGTT=FS */
    m64(&g.s, V_PASIDT + 8, 1 | (1u << 23));
    m64(&g.s, V_PASIDT + 16, V_PT);                                 /* FSPTPTR, 4-level */
    vtd_map(&g, 2, 4);                                              /* U/S */
    vtd_flush(&g);
    vtd_gcmd(&g, GCMD_TE);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA, 0x1000, true);
    dma(&g.s, 0x10, EMU_NO_PASID, V_IOVA, 0x1000, false);
    save_mmio(EMU_VTD, "scalable_fs", &g.s);

    /* Fault handling: fault with FECTL masked, read the recording registers. */
    memset(&g, 0, sizeof(g));
    vtd_common_up(&g, 0);
    vtd_gcmd(&g, GCMD_TE);
    mw(&g.s, VTD_FECTL, 4, 1u << 31);
    for (unsigned i = 0; i < 6; i++)
        dma(&g.s, 0x10 + i, EMU_NO_PASID, V_IOVA + i * 4096ull, 8, i & 1);
    mr(&g.s, VTD_FSTS, 4);
    for (uint32_t off = 0x400; off < 0x500; off += 8)
        mr(&g.s, off, 8);
    mw(&g.s, VTD_FSTS, 4, 0x7f);
    save_mmio(EMU_VTD, "faults", &g.s);

    /* Every fixed register read and written once. */
    memset(&g, 0, sizeof(g));
    put(&g.s, 2, 1);
    for (uint32_t off = 0; off < VTD_FIXED_END; off += 4)
        mr(&g.s, off, 4);
    for (uint32_t off = 0; off < VTD_FIXED_END; off += 8)
        mw(&g.s, off, 8, 0);
    save_mmio(EMU_VTD, "regs", &g.s);
}

/* ---- AMD-Vi (amdvi.md: DTE, command buffer, event log; tests/amdvi/helpers.c) --- */

#define A_DEVTAB 0x100000ull     /* Size 0: 4 KB, 128 DTEs */
#define A_CMDBUF 0x110000ull     /* Len 8: 256 entries */
#define A_EVTLOG 0x111000ull
#define A_SEM    0x112000ull
#define A_PT     0x120000ull
#define A_DATA   0x200000ull
#define A_IOVA   0x40000000ull

struct amd_gen {
    struct sb s;
    unsigned tail;
};

static void amd_cmd(struct amd_gen *g, uint64_t q0, uint64_t q1)
{
    m64(&g->s, A_CMDBUF + g->tail, q0);
    m64(&g->s, A_CMDBUF + g->tail + 8, q1);
    g->tail = (g->tail + 16) % 4096;
    mw(&g->s, AMDVI_CMD_TAIL, 4, g->tail);
}

static void amd_up(struct amd_gen *g, unsigned profile)
{
    put(&g->s, profile, 1);
    mr(&g->s, AMDVI_EFR, 8);
    mw(&g->s, AMDVI_DEV_TAB_BAR, 8, A_DEVTAB | 0);
    mw(&g->s, AMDVI_CMD_BUF_BAR, 8, A_CMDBUF | (8ull << 56));
    mw(&g->s, AMDVI_CMD_HEAD, 4, 0);
    mw(&g->s, AMDVI_CMD_TAIL, 4, 0);
    mw(&g->s, AMDVI_EVT_LOG_BAR, 8, A_EVTLOG | (8ull << 56));
    mw(&g->s, AMDVI_EVT_HEAD, 4, 0);
    mw(&g->s, AMDVI_EVT_TAIL, 4, 0);
    mw(&g->s, AMDVI_CONTROL, 8, CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN | (4ull << 5));
    mw(&g->s, AMDVI_CONTROL, 8, CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN | (4ull << 5) | CTRL_IOMMU_EN);
}

static void amd_dte(struct amd_gen *g, uint16_t devid, uint64_t q0, uint64_t q1)
{
    m64(&g->s, A_DEVTAB + devid * 32ull, q0);
    m64(&g->s, A_DEVTAB + devid * 32ull + 8, q1);
    amd_cmd(g, (2ull << 60) | devid, 0);                                 /* INV_DEVTAB_ENTRY */
    amd_cmd(g, (3ull << 60) | ((q1 & 0xffff) << 32), 0x7ffffffffffff000ull | 3); /* INV_PAGES all */
    amd_cmd(g, (1ull << 60) | A_SEM | 1, 0x42);                          /* COMPLETION_WAIT, store */
}

static void gen_amdvi(void)
{
    struct amd_gen g;
    unsigned l4 = (A_IOVA >> 39) & 511, l3 = (A_IOVA >> 30) & 511, l2 = (A_IOVA >> 21) & 511;

    /* v1 host page table, 4 levels (Mode 4), with HAD (A/D updates). */
    memset(&g, 0, sizeof(g));
    amd_up(&g, 0);
    m64(&g.s, A_PT + l4 * 8, (A_PT + 0x1000) | (3ull << 9) | PTE_PR | PTE_IR | PTE_IW);
    m64(&g.s, A_PT + 0x1000 + l3 * 8, (A_PT + 0x2000) | (2ull << 9) | PTE_PR | PTE_IR | PTE_IW);
    m64(&g.s, A_PT + 0x2000 + l2 * 8, (A_PT + 0x3000) | (1ull << 9) | PTE_PR | PTE_IR | PTE_IW);
    for (unsigned i = 0; i < 4; i++)
        m64(&g.s, A_PT + 0x3000 + (((A_IOVA >> 12) + i) & 511) * 8,
            (A_DATA + i * 4096ull) | PTE_PR | PTE_IR | PTE_IW | (1ull << 60));
    amd_dte(&g, 0x10, 1 | 2 | (3ull << 7) | (4ull << 9) | A_PT | PTE_IR | PTE_IW, 1);
    dma(&g.s, 0x10, EMU_NO_PASID, A_IOVA, 0x2000, true);
    dma(&g.s, 0x10, EMU_NO_PASID, A_IOVA + 0x1000, 0x3000, false);
    dma(&g.s, 0x10, EMU_NO_PASID, A_IOVA + 0x100000, 8, true);  /* IO_PAGE_FAULT event */
    dma(&g.s, 0x11, EMU_NO_PASID, A_IOVA, 8, true);             /* invalid DTE */
    mr(&g.s, AMDVI_EVT_TAIL, 8);
    mr(&g.s, AMDVI_STATUS, 8);
    mw(&g.s, AMDVI_EVT_HEAD, 4, 32);
    save_mmio(EMU_AMDVI, "v1_mode4", &g.s);

    /* Mode 0 (no translation) and a 3-level table, profile qemu. */
    memset(&g, 0, sizeof(g));
    amd_up(&g, 1);
    amd_dte(&g, 0x10, 1 | 2 | PTE_IR | PTE_IW, 2);
    m64(&g.s, A_PT + l3 * 8, (A_PT + 0x1000) | (2ull << 9) | PTE_PR | PTE_IR | PTE_IW);
    m64(&g.s, A_PT + 0x1000 + l2 * 8, (A_PT + 0x2000) | (1ull << 9) | PTE_PR | PTE_IR | PTE_IW);
    m64(&g.s, A_PT + 0x2000 + ((A_IOVA >> 12) & 511) * 8, A_DATA | PTE_PR | PTE_IR | PTE_IW);
    amd_dte(&g, 0x18, 1 | 2 | (3ull << 9) | A_PT | PTE_IR | PTE_IW, 3);
    dma(&g.s, 0x10, EMU_NO_PASID, A_DATA, 0x100, true);
    dma(&g.s, 0x18, EMU_NO_PASID, A_IOVA, 0x100, true);
    dma(&g.s, 0x18, EMU_NO_PASID, A_IOVA, 0x100, false);
    save_mmio(EMU_AMDVI, "v1_mode3_passthrough", &g.s);

    /* Illegal command, then recovery. */
    memset(&g, 0, sizeof(g));
    amd_up(&g, 0);
    amd_cmd(&g, 0xfull << 60, 0);
    mr(&g.s, AMDVI_STATUS, 8);
    mr(&g.s, AMDVI_EVT_TAIL, 8);
    mw(&g.s, AMDVI_STATUS, 8, ~0ull);
    save_mmio(EMU_AMDVI, "illegal_cmd", &g.s);

    memset(&g, 0, sizeof(g));
    put(&g.s, 2, 1);
    for (uint32_t off = 0; off < 0x200; off += 8)
        mr(&g.s, off, 8);
    for (uint32_t off = 0x2000; off < 0x2050; off += 8)
        mr(&g.s, off, 8);
    save_mmio(EMU_AMDVI, "regs", &g.s);
}

/* ---- SMMUv3 (smmuv3.md; tests/smmuv3/helpers.h bring-up) ----------------------- */

#define S_STRTAB 0x100000ull     /* linear, 256 STEs */
#define S_CMDQ   0x108000ull     /* LOG2 8 */
#define S_EVTQ   0x10a000ull     /* LOG2 6 */
#define S_CD     0x10c000ull
#define S_PT     0x110000ull
#define S_DATA   0x200000ull
#define S_IOVA   0x40000000ull

struct smmu_gen {
    struct sb s;
    uint32_t prod;
};

static void smmu_cmd(struct smmu_gen *g, uint64_t c0, uint64_t c1)
{
    uint32_t idx = g->prod & 255;

    m64(&g->s, S_CMDQ + idx * 16ull, c0);
    m64(&g->s, S_CMDQ + idx * 16ull + 8, c1);
    g->prod = (g->prod + 1) & 511;
    mw(&g->s, SMMU_CMDQ_PROD, 4, g->prod);
}

static void smmu_up(struct smmu_gen *g, unsigned profile)
{
    put(&g->s, profile, 1);
    mr(&g->s, SMMU_IDR0, 4);
    mr(&g->s, SMMU_IDR5, 4);
    mw(&g->s, SMMU_GBPA, 4, GBPA_UPDATE | GBPA_ABORT);
    mw(&g->s, SMMU_CR0, 4, 0);
    mw(&g->s, SMMU_CR1, 4, 0x0d75);
    mw(&g->s, SMMU_CR2, 4, CR2_RECINVSID);
    mw(&g->s, SMMU_STRTAB_BASE, 8, S_STRTAB);
    mw(&g->s, SMMU_STRTAB_BASE_CFG, 4, 8);
    mw(&g->s, SMMU_CMDQ_BASE, 8, S_CMDQ | 8);
    mw(&g->s, SMMU_CMDQ_PROD, 4, 0);
    mw(&g->s, SMMU_CMDQ_CONS, 4, 0);
    mw(&g->s, SMMU_EVENTQ_BASE, 8, S_EVTQ | 6);
    mw(&g->s, SMMU_EVENTQ_PROD, 4, 0);
    mw(&g->s, SMMU_EVENTQ_CONS, 4, 0);
    mw(&g->s, SMMU_CR0, 4, CR0_CMDQEN);
    mw(&g->s, SMMU_CR0, 4, CR0_CMDQEN | CR0_EVENTQEN);
    mw(&g->s, SMMU_IRQ_CTRL, 4, IRQ_GERROR_EN | IRQ_EVENTQ_EN);
    mw(&g->s, SMMU_CR0, 4, CR0_CMDQEN | CR0_EVENTQEN | CR0_SMMUEN);
    mr(&g->s, SMMU_CR0ACK, 4);
}

/* 4 KB granule, 48-bit, 4 levels starting at S_PT; leaf attributes `attr`. */
static void smmu_map(struct smmu_gen *g, unsigned n, uint64_t attr)
{
    unsigned l0 = (S_IOVA >> 39) & 511, l1 = (S_IOVA >> 30) & 511, l2 = (S_IOVA >> 21) & 511;

    m64(&g->s, S_PT + l0 * 8, (S_PT + 0x1000) | 3);
    m64(&g->s, S_PT + 0x1000 + l1 * 8, (S_PT + 0x2000) | 3);
    m64(&g->s, S_PT + 0x2000 + l2 * 8, (S_PT + 0x3000) | 3);
    for (unsigned i = 0; i < n; i++)
        m64(&g->s, S_PT + 0x3000 + (((S_IOVA >> 12) + i) & 511) * 8,
            (S_DATA + i * 4096ull) | 3 | attr);
}

static void smmu_ste(struct smmu_gen *g, uint32_t sid, const uint64_t ste[4])
{
    for (unsigned i = 0; i < 4; i++)
        m64(&g->s, S_STRTAB + sid * 64ull + i * 8, ste[i]);
    smmu_cmd(g, CMD_CFGI_STE | ((uint64_t)sid << 32), 0);
    smmu_cmd(g, CMD_TLBI_NSNH_ALL, 0);
    smmu_cmd(g, CMD_SYNC, 0);
}

static void gen_smmuv3(void)
{
    struct smmu_gen g;
    uint64_t ste[4];
    /* S1 attributes (tests/smmuv3/helpers.h S1_ATTR), S2 (S2_ATTR), DBM bit 51. */
    const uint64_t s1 = (1ull << 10) | (1ull << 11) | (1ull << 6) | (3ull << 8);
    const uint64_t s2 = (1ull << 10) | (1ull << 6) | (1ull << 7) | (0xfull << 2) | (3ull << 8);

    /* Stage 1: STE -> CD (T0SZ 16, 4 KB, HA/HD) -> 4-level table. */
    memset(&g, 0, sizeof(g));
    smmu_up(&g, 0);
    m64(&g.s, S_CD, 16 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 30) | (1ull << 31) |
                        (5ull << 32) | (1ull << 41) | (1ull << 42) | (1ull << 43) | (1ull << 45) |
                        (1ull << 46) | (1ull << 47) | (1ull << 48));
    m64(&g.s, S_CD + 8, S_PT);
    m64(&g.s, S_CD + 24, 0x0000000000ff04ffull);
    smmu_map(&g, 4, s1 | (1ull << 51));
    ste[0] = 1 | (5ull << 1) | S_CD;
    ste[1] = (1ull << 2) | (1ull << 4) | (3ull << 6);
    ste[2] = ste[3] = 0;
    smmu_ste(&g, 0x10, ste);
    dma(&g.s, 0x10, EMU_NO_PASID, S_IOVA, 0x2000, true);
    dma(&g.s, 0x10, EMU_NO_PASID, S_IOVA + 0x1000, 0x3000, false);
    dma(&g.s, 0x10, EMU_NO_PASID, S_IOVA + 0x100000, 8, true);  /* translation fault event */
    dma(&g.s, 0x11, EMU_NO_PASID, S_IOVA, 8, true);             /* STE not valid */
    mr(&g.s, SMMU_EVENTQ_PROD, 4);
    mw(&g.s, SMMU_EVENTQ_CONS, 4, 2);
    save_mmio(EMU_SMMUV3, "s1_4k_httu", &g.s);

    /* Stage 2 only (VTCR T0SZ 16, SL0 2, 4 KB, PS 48-bit), HA/HD. */
    memset(&g, 0, sizeof(g));
    smmu_up(&g, 0);
    smmu_map(&g, 4, s2 | (1ull << 51));
    ste[0] = 1 | (6ull << 1);
    ste[1] = 0;
    ste[2] = 1 | ((16ull | (2ull << 6) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (5ull << 16))
                  << 32) | (1ull << 51) | (1ull << 58) | (1ull << 56) | (1ull << 55);
    ste[3] = S_PT;
    smmu_ste(&g, 0x10, ste);
    dma(&g.s, 0x10, EMU_NO_PASID, S_IOVA, 0x2000, true);
    dma(&g.s, 0x10, EMU_NO_PASID, S_IOVA, 0x4000, false);
    save_mmio(EMU_SMMUV3, "s2_4k_httu", &g.s);

    /* Bypass STE and abort STE, profile qemu. */
    memset(&g, 0, sizeof(g));
    smmu_up(&g, 1);
    ste[0] = 1 | (4ull << 1);
    ste[1] = ste[2] = ste[3] = 0;
    smmu_ste(&g, 0x10, ste);
    ste[0] = 1;
    smmu_ste(&g, 0x18, ste);
    dma(&g.s, 0x10, EMU_NO_PASID, S_DATA, 0x100, true);
    dma(&g.s, 0x18, EMU_NO_PASID, S_DATA, 0x100, true);
    save_mmio(EMU_SMMUV3, "bypass_abort", &g.s);

    memset(&g, 0, sizeof(g));
    put(&g.s, 2, 1);
    for (uint32_t off = 0; off < 0x100; off += 4)
        mr(&g.s, off, 4);
    mr(&g.s, SMMU_EVENTQ_PROD, 4);
    mr(&g.s, SMMU_PRIQ_PROD, 4);
    smmu_cmd(&g, 0xff, 0);                        /* illegal opcode: CMDQ error */
    mr(&g.s, SMMU_GERROR, 4);
    save_mmio(EMU_SMMUV3, "regs_cerror", &g.s);
}

/* ---- ioctl harness (format: fuzz/harness_ioctl.h) ------------------------------- */

#define REMAP FZ_F_REMAP
#define PTR(m) ((unsigned)(m) << FZ_F_PTR_SHIFT)
#define TGT(k) ((unsigned)(k) << FZ_F_TARGET_SHIFT)

static void rec(struct sb *s, const char *verb, unsigned flags, unsigned size, const void *p,
                size_t len)
{
    int v = fuzz_ioctl_verb(verb);

    if (v < 0) {
        fprintf(stderr, "gen_seeds: no verb %s\n", verb);
        exit(1);
    }
    put(s, (unsigned)v, 1);
    put(s, flags, 1);
    put(s, size, 2);
    put(s, len, 1);
    putb(s, p, len);
}

static void save_ioctl(const char *name, const struct sb *s)
{
    save("ioctl", name, s);
    if (check) {
        printf("== ioctl/%s (%zu bytes)\n", name, s->n);
        fflush(stdout);
        fuzz_ioctl_one(s->b, s->n);
    }
}

/* Object-index helpers: with REMAP, id fields are indexes into the live
 * objects in id order. */
static void ioas_alloc(struct sb *s)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    rec(s, "IOAS_ALLOC", 0, 0, &a, sizeof(a));
}

static void ioas_map(struct sb *s, uint32_t ioas_idx, uint64_t arena_off, uint64_t len,
                     uint64_t iova, uint32_t flags)
{
    struct iommu_ioas_map m = {
        .size = sizeof(m), .flags = flags, .ioas_id = ioas_idx,
        .user_va = arena_off, .length = len, .iova = iova,
    };

    rec(s, "IOAS_MAP", REMAP | PTR(FZ_PTR_ARENA), 0, &m, sizeof(m));
}

#define MAP_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define MAP_FIXED (MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA)

static void dev_open_bind(struct sb *s, unsigned slot, unsigned dev)
{
    uint32_t idx = dev;
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = 0 };

    rec(s, "DEV_OPEN", REMAP | TGT(slot), 0, &idx, sizeof(idx));
    rec(s, "DEV_BIND", REMAP | TGT(slot), 0, &b, sizeof(b));
}

static void dev_dma(struct sb *s, unsigned slot, uint64_t iova, unsigned len, bool wr)
{
    uint8_t p[13] = { 0 };

    memcpy(p + 4, &iova, 8);
    p[12] = wr;
    rec(s, "DMA", TGT(slot), (uint16_t)(len - 1), p, sizeof(p));
}

static void gen_ioctl(void)
{
    struct sb s;

    /* IOAS basics: map fixed and automatic, ranges, unmap, destroy. */
    memset(&s, 0, sizeof(s));
    ioas_alloc(&s);
    ioas_map(&s, 0, 0, 0x4000, 0x100000, MAP_FIXED);
    ioas_map(&s, 0, 0x8000, 0x2000, 0, MAP_RW);
    {
        struct iommu_ioas_iova_ranges r = { .size = sizeof(r), .num_iovas = 4 };
        struct iommu_ioas_unmap u = { .size = sizeof(u), .iova = 0x100000, .length = 0x4000 };
        struct iommu_destroy d = { .size = sizeof(d) };

        rec(&s, "IOAS_IOVA_RANGES", REMAP | PTR(FZ_PTR_HEAP), 0, &r, sizeof(r));
        rec(&s, "IOAS_UNMAP", REMAP, 0, &u, sizeof(u));
        u.iova = 0;
        u.length = UINT64_MAX;
        rec(&s, "IOAS_UNMAP", REMAP, 0, &u, sizeof(u));
        rec(&s, "DESTROY", REMAP, 0, &d, sizeof(d));
    }
    save_ioctl("ioas_map_unmap", &s);

    /* Allowed IOVAs and COPY between two IOASes. */
    memset(&s, 0, sizeof(s));
    ioas_alloc(&s);
    ioas_alloc(&s);
    {
        uint8_t a[sizeof(struct iommu_ioas_allow_iovas) + sizeof(struct iommu_iova_range)];
        struct iommu_iova_range rg = { .start = 0x200000, .last = 0x3fffff };
        struct iommu_ioas_allow_iovas al = { .size = sizeof(al), .ioas_id = 1, .num_iovas = 1 };
        struct iommu_ioas_copy c = {
            .size = sizeof(c), .flags = MAP_FIXED, .dst_ioas_id = 1, .src_ioas_id = 0,
            .length = 0x2000, .dst_iova = 0x200000, .src_iova = 0,
        };

        ioas_map(&s, 0, 0, 0x4000, 0x100000, MAP_FIXED);
        memcpy(a, &al, sizeof(al));
        memcpy(a + sizeof(al), &rg, sizeof(rg));
        rec(&s, "IOAS_ALLOW_IOVAS", REMAP | PTR(FZ_PTR_HEAP), 0, a, sizeof(a));
        rec(&s, "IOAS_COPY", REMAP, 0, &c, sizeof(c));
        c.flags = MAP_RW;
        rec(&s, "IOAS_COPY", REMAP, 0, &c, sizeof(c));
    }
    save_ioctl("allow_copy", &s);

    /* OPTION (RLIMIT_MODE, HUGE_PAGES) and size negotiation. */
    memset(&s, 0, sizeof(s));
    ioas_alloc(&s);
    {
        struct iommu_option o = { .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
                                  .op = IOMMU_OPTION_OP_SET, .object_id = 0, .val64 = 0 };

        rec(&s, "OPTION", REMAP, 0, &o, sizeof(o));
        o.op = IOMMU_OPTION_OP_GET;
        rec(&s, "OPTION", REMAP, 0, &o, sizeof(o));
        o.option_id = IOMMU_OPTION_RLIMIT_MODE;
        o.op = IOMMU_OPTION_OP_SET;
        o.val64 = 1;
        rec(&s, "OPTION", 0, 0, &o, sizeof(o));
        ioas_map(&s, 0, 0, 0x1000, 0x100000, MAP_FIXED);
        rec(&s, "IOAS_ALLOC", FZ_F_SIZE, 8, &o, 8);           /* too small: EINVAL */
        rec(&s, "IOAS_ALLOC", FZ_F_SIZE | FZ_F_PADFF, 64, &o, 0); /* trailing bytes: E2BIG */
    }
    save_ioctl("option_sizes", &s);

    /* VFIO type1 compat. */
    memset(&s, 0, sizeof(s));
    {
        uint32_t ext = VFIO_TYPE1v2_IOMMU;
        struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_GET };

        rec(&s, "VFIO_IOAS", 0, 0, &v, sizeof(v));          /* none yet: ENODEV */
        ioas_alloc(&s);
        v.op = IOMMU_VFIO_IOAS_SET;
        struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
            .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, .vaddr = 0x1000,
            .iova = 0x100000, .size = 0x4000 };
        struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0x100000,
                                                .size = 0x4000 };
        uint8_t info[128] = { 0 };

        rec(&s, "VFIO_GET_API_VERSION", 0, 0, NULL, 0);
        rec(&s, "VFIO_CHECK_EXTENSION", 0, 0, &ext, 4);
        rec(&s, "VFIO_IOAS", REMAP, 0, &v, sizeof(v));
        rec(&s, "VFIO_SET_IOMMU", 0, 0, &ext, 4);
        info[0] = 128;
        rec(&s, "VFIO_IOMMU_GET_INFO", FZ_F_SIZE, 128, info, 8);
        rec(&s, "VFIO_IOMMU_MAP_DMA", PTR(FZ_PTR_ARENA), 0, &m, sizeof(m));
        rec(&s, "VFIO_IOMMU_UNMAP_DMA", 0, 0, &u, sizeof(u));
        ext = VFIO_TYPE1_IOMMU;
        rec(&s, "VFIO_CHECK_EXTENSION", 0, 0, &ext, 4);
    }
    save_ioctl("vfio_compat", &s);

    /* Devices: one seed per platform device (vtd 0,1; amdvi 2,3; smmuv3 4,5):
     * bind, IOAS, map, attach, DMA, HWPT with dirty tracking, harvest. */
    for (unsigned dev = 0; dev < 6; dev += 2) {
        char name[64];

        memset(&s, 0, sizeof(s));
        dev_open_bind(&s, 0, dev);                    /* device object: index 0 */
        ioas_alloc(&s);                               /* IOAS: index 1 */
        ioas_map(&s, 1, 0, 0x8000, 0x100000, MAP_FIXED);
        {
            struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at), .pt_id = 1 };
            struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
            struct iommu_hw_info hi = { .size = sizeof(hi), .dev_id = 0, .data_len = 64 };
            struct iommu_hwpt_alloc ha = {
                .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING, .dev_id = 0,
                .pt_id = 1,
            };
            struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
                .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = 2 };
            struct iommu_hwpt_get_dirty_bitmap gd = { .size = sizeof(gd), .hwpt_id = 2,
                .iova = 0x100000, .length = 0x8000, .page_size = 4096 };

            rec(&s, "GET_HW_INFO", REMAP | PTR(FZ_PTR_HEAP), 0, &hi, sizeof(hi));
            rec(&s, "DEV_ATTACH", REMAP, 0, &at, sizeof(at));
            dev_dma(&s, 0, 0x100000, 0x2000, true);
            dev_dma(&s, 0, 0x101000, 0x100, false);
            dev_dma(&s, 0, 0x200000, 8, true);        /* unmapped: EFAULT */
            rec(&s, "DEV_DETACH", 0, 0, &dt, sizeof(dt));
            rec(&s, "HWPT_ALLOC", REMAP, 0, &ha, sizeof(ha));   /* HWPT: index 2 */
            at.pt_id = 2;
            rec(&s, "DEV_ATTACH", REMAP, 0, &at, sizeof(at));
            rec(&s, "HWPT_SET_DIRTY", REMAP, 0, &sd, sizeof(sd));
            dev_dma(&s, 0, 0x102000, 0x1000, true);
            rec(&s, "HWPT_GET_DIRTY", REMAP | PTR(FZ_PTR_HEAP), 0, &gd, sizeof(gd));
            rec(&s, "DEV_DETACH", 0, 0, &dt, sizeof(dt));
        }
        snprintf(name, sizeof(name), "device%u_attach_dma_dirty", dev);
        save_ioctl(name, &s);
    }

    /* Selftest ops (IOMMU_TEST_CMD): mock domain, check map, access. */
    memset(&s, 0, sizeof(s));
    ioas_alloc(&s);
    {
        struct iommu_test_cmd t = { .size = sizeof(t), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = 0 };

        rec(&s, "TEST_MOCK_DOMAIN", REMAP, 0, &t, sizeof(t));
        ioas_map(&s, 0, 0, 0x4000, 0x100000, MAP_FIXED);
        memset(&t, 0, sizeof(t));
        t.size = sizeof(t);
        t.id = 0;
        t.check_map.iova = 0x100000;
        t.check_map.length = 0x4000;
        rec(&s, "TEST_MD_CHECK_MAP", REMAP | PTR(FZ_PTR_ARENA), 0, &t, sizeof(t));
        memset(&t, 0, sizeof(t));
        t.size = sizeof(t);
        t.add_reserved.start = 0x800000;
        t.add_reserved.length = 0x100000;
        rec(&s, "TEST_ADD_RESERVED", REMAP, 0, &t, sizeof(t));
        memset(&t, 0, sizeof(t));
        t.size = sizeof(t);
        rec(&s, "TEST_CREATE_ACCESS", REMAP, 0, &t, sizeof(t));
    }
    save_ioctl("selftest", &s);

    /* Fault injection in the middle of a map, and a fault queue. */
    memset(&s, 0, sizeof(s));
    ioas_alloc(&s);
    rec(&s, "FAIL_NTH", 0, 1, NULL, 0);
    ioas_map(&s, 0, 0, 0x4000, 0x100000, MAP_FIXED);
    rec(&s, "FAIL_NTH", 0, 2, NULL, 0);
    ioas_alloc(&s);
    {
        struct iommu_fault_alloc f = { .size = sizeof(f) };

        rec(&s, "FAULT_QUEUE_ALLOC", 0, 0, &f, sizeof(f));
        rec(&s, "READ", 0, 64, NULL, 0);
    }
    rec(&s, "REOPEN", 0, 0, NULL, 0);
    ioas_alloc(&s);
    save_ioctl("fail_nth_fault", &s);
}

/* ---- dictionaries (peers.md §3.3) ------------------------------------------------ */

static FILE *dict_open(const char *dir, const char *name)
{
    char path[512];
    FILE *f;

    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "# Generated by build/fuzz/gen_seeds --dict (fuzz/gen_seeds.c); do not edit.\n");
    return f;
}

static void tok(FILE *f, const char *name, const void *p, size_t len)
{
    const uint8_t *b = p;

    fprintf(f, "%s=\"", name);
    for (size_t i = 0; i < len; i++)
        fprintf(f, "\\x%02x", b[i]);
    fprintf(f, "\"\n");
}

static void tok_le(FILE *f, const char *name, uint64_t v, unsigned n)
{
    uint8_t b[8];

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    tok(f, name, b, n);
}

/* Register offsets as stream-op prefixes: "MMIO write/read, width w, offset". */
static void model_dict(const char *dir, enum emu_model m)
{
    struct emu_mem *mem = emu_mem_new();
    struct emu_iommu *io = emu_iommu_new(m, "default", mem);
    char name[128], fn[64];
    FILE *f;

    snprintf(fn, sizeof(fn), "%s.dict", emu_model_name(m));
    f = dict_open(dir, fn);
    for (uint64_t off = 0; io && off < emu_mmio_size(io); off += 4) {
        const char *rn = emu_reg_name(io, off);
        unsigned w = 0;
        uint8_t b[5];

        if (!rn || emu_reg_lookup(io, rn, &w) != (int64_t)off)
            continue;
        for (unsigned wr = 0; wr < 2; wr++) {
            b[0] = (uint8_t)((wr ? EMU_STREAM_MMIO_WRITE : EMU_STREAM_MMIO_READ) |
                             (lg(w ? w : 4) << EMU_STREAM_F_WIDTH_SHIFT));
            for (unsigned i = 0; i < 4; i++)
                b[1 + i] = (uint8_t)(off >> (8 * i));
            snprintf(name, sizeof(name), "%s_%s", wr ? "w" : "r", rn);
            for (char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9')))
                    *c = '_';
            tok(f, name, b, sizeof(b));
        }
    }
    /* Table-entry and page-size constants every model compares against. */
    tok_le(f, "present_rw", 3, 8);
    tok_le(f, "page_4k", 0x1000, 8);
    tok_le(f, "page_2m", 0x200000, 8);
    tok_le(f, "page_1g", 0x40000000, 8);
    tok_le(f, "win_top", FUZZ_MMIO_WIN_LEN - 0x1000, 8);
    tok_le(f, "no_pasid", EMU_NO_PASID, 4);
    fclose(f);
    if (io)
        emu_iommu_free(io);
    emu_mem_free(mem);
}

static void gen_dicts(const char *dir)
{
    static const struct { const char *name; uint64_t v; unsigned n; } k[] = {
        { "IOMMU_DESTROY", IOMMU_DESTROY, 4 }, { "IOMMU_IOAS_ALLOC", IOMMU_IOAS_ALLOC, 4 },
        { "IOMMU_IOAS_MAP", IOMMU_IOAS_MAP, 4 }, { "IOMMU_IOAS_UNMAP", IOMMU_IOAS_UNMAP, 4 },
        { "IOMMU_HWPT_ALLOC", IOMMU_HWPT_ALLOC, 4 }, { "IOMMU_TEST_CMD", IOMMU_TEST_CMD, 4 },
        { "VFIO_GET_API_VERSION", VFIO_GET_API_VERSION, 4 },
        { "VFIO_DEVICE_BIND_IOMMUFD", VFIO_DEVICE_BIND_IOMMUFD, 4 },
        { "sz_map", sizeof(struct iommu_ioas_map), 4 },
        { "sz_hwpt_alloc", sizeof(struct iommu_hwpt_alloc), 4 },
        { "sz_hw_info", sizeof(struct iommu_hw_info), 4 },
        { "sz_dirty_bitmap", sizeof(struct iommu_hwpt_get_dirty_bitmap), 4 },
        { "sz_test_cmd", sizeof(struct iommu_test_cmd), 4 },
        { "sz_viommu", sizeof(struct iommu_viommu_alloc), 4 },
        { "sz_u16_test_cmd", sizeof(struct iommu_test_cmd), 2 },
        { "map_fixed_rw", IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                          IOMMU_IOAS_MAP_WRITEABLE, 4 },
        { "hwpt_nest_parent", IOMMU_HWPT_ALLOC_NEST_PARENT, 4 },
        { "hwpt_dirty", IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 4 },
        { "hwpt_pasid", IOMMU_HWPT_ALLOC_PASID, 4 },
        { "hwpt_data_vtd_s1", IOMMU_HWPT_DATA_VTD_S1, 4 },
        { "hwpt_data_smmuv3", IOMMU_HWPT_DATA_ARM_SMMUV3, 4 },
        { "hw_info_amd", IOMMU_HW_INFO_TYPE_AMD, 4 },
        { "viommu_smmuv3", IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 4 },
        { "option_huge", IOMMU_OPTION_HUGE_PAGES, 4 },
        { "type1v2", VFIO_TYPE1v2_IOMMU, 4 },
        { "magic_dead", 0xdead, 4 }, { "magic_deadbeef", 0xdeadbeef, 4 },
        { "page_4k", 0x1000, 8 }, { "page_64k", 0x10000, 8 }, { "page_2m", 0x200000, 8 },
        { "bit63", 1ull << 63, 8 }, { "u64_max", UINT64_MAX, 8 }, { "u32_max", UINT32_MAX, 4 },
    };
    FILE *f = dict_open(dir, "ioctl.dict");
    char name[64];

    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        tok_le(f, k[i].name, k[i].v, k[i].n);
    /* Record headers: each verb with the remap flag and its natural size. */
    for (unsigned v = 0; v < fuzz_ioctl_nverbs(); v++) {
        uint8_t h[2] = { (uint8_t)v, FZ_F_REMAP };

        snprintf(name, sizeof(name), "verb_%u", v);
        tok(f, name, h, sizeof(h));
    }
    fclose(f);
    model_dict(dir, EMU_VTD);
    model_dict(dir, EMU_AMDVI);
    model_dict(dir, EMU_SMMUV3);
}

int main(int argc, char **argv)
{
    int i = 1;

    if (argc > 2 && !strcmp(argv[1], "--dict")) {
        gen_dicts(argv[2]);
        return 0;
    }

    if (argc > 1 && !strcmp(argv[1], "--check")) {
        check = true;
        i++;
        setenv("FUZZ_TRACE", "1", 0);
    }
    /* An option-looking OUTDIR is a mistyped option ("--dict" without its
     * DIR once created a directory named "--dict"): refuse it. */
    if (i >= argc || argv[i][0] == '-') {
        fprintf(stderr, "usage: gen_seeds [--check] OUTDIR | --dict DIR\n");
        return 2;
    }
    outdir = argv[i];
    if (check)
        fuzz_ioctl_setup();
    gen_vtd();
    gen_amdvi();
    gen_smmuv3();
    gen_ioctl();
    return 0;
}
