/* The generic unit: creation errors, MMIO dispatch/width rules, tracing, DMA loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fake_model.h"
#include "tests/common/test_util.h"

struct tlog {
    unsigned n[8];
    struct emu_trace_rec last[8];
    char what[8][32];
};

static void tfn(void *opaque, const struct emu_iommu *iommu, const struct emu_trace_rec *rec)
{
    struct tlog *t = opaque;
    t->n[rec->kind]++;
    t->last[rec->kind] = *rec;
    snprintf(t->what[rec->kind], sizeof(t->what[0]), "%s", rec->what ? rec->what : "");
}

static struct emu_mem *m;
static struct emu_iommu *u;

static void setup(void)
{
    m = emu_mem_new();
    /* Output window: gpa [FAKE_OUT_BASE, +0x10000) backs iova [0, 0x10000)
     * and the first 0x8000 of the 2M-page window at iova 0x10000. */
    cr_assert_eq(emu_mem_map(m, FAKE_OUT_BASE, 0x18000, NULL), 0);
    u = emu_iommu_new_ops(&fake_ops, NULL, m);
    cr_assert_not_null(u);
}

static void teardown(void)
{
    emu_iommu_free(u);
    emu_mem_free(m);
}

Test(iommu, creation_errors)
{
    struct emu_mem *mm = emu_mem_new();
    struct emu_iommu *x;

    errno = 0;
    cr_assert_null(emu_iommu_new(EMU_VTD, NULL, mm));      /* no model linked in this suite */
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new(EMU_AMDVI, "default", mm));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new(EMU_SMMUV3, NULL, mm));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new((enum emu_model)0, NULL, mm));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new_ops(&fake_ops, "no-such-profile", mm));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new_ops(&fake_ops, NULL, NULL));
    cr_assert_eq(errno, EINVAL);
    x = emu_iommu_new_ops(&fake_ops, "qemu", mm);
    cr_assert_not_null(x);
    cr_assert_eq(fake_state(x)->resets, 1);                 /* reset after init */
    cr_assert_eq(emu_iommu_model(x), EMU_VTD);
    cr_assert_eq(emu_iommu_mem(x), mm);
    cr_assert_eq(emu_mmio_size(x), FAKE_SIZE);
    emu_iommu_free(x);
    emu_iommu_free(NULL);
    emu_mem_free(mm);
    cr_assert_str_eq(emu_model_name(EMU_VTD), "vtd");
    cr_assert_str_eq(emu_model_name(EMU_AMDVI), "amdvi");
    cr_assert_str_eq(emu_model_name(EMU_SMMUV3), "smmuv3");
    cr_assert_str_eq(emu_model_name((enum emu_model)99), "unknown");
    ASSERT_NO_LEAKS();
}

Test(iommu, mmio_width_rules_and_trace_once, .init = setup, .fini = teardown)
{
    struct tlog t = { 0 };
    struct fake_state *s = fake_state(u);

    emu_set_trace(u, tfn, &t);
    /* Invalid widths: read 0, write ignored, model never called, no trace. */
    cr_assert_eq(emu_mmio_read(u, 0x00, 3), 0);
    cr_assert_eq(emu_mmio_read(u, 0x00, 16), 0);
    cr_assert_eq(emu_mmio_read(u, 0x00, 0), 0);
    emu_mmio_write(u, 0x10, 3, 0);
    emu_mmio_write(u, UINT64_MAX - 1, 4, 0);                /* offset + width wraps */
    cr_assert_eq(s->mmio_reads + s->mmio_writes, 0);
    cr_assert_eq(t.n[EMU_TRACE_MMIO_READ] + t.n[EMU_TRACE_MMIO_WRITE], 0);

    /* Valid widths: one call, one trace each, value masked to width. */
    cr_assert_eq(emu_mmio_read(u, 0x00, 1), 0xA5);
    cr_assert_eq(emu_mmio_read(u, 0x00, 2), 0xA5A5);
    cr_assert_eq(emu_mmio_read(u, 0x00, 4), 0xA5A5A5A5);
    cr_assert_eq(emu_mmio_read(u, 0x08, 8), 0x0123456789ABC0EFull);
    cr_assert_eq(s->mmio_reads, 4);
    cr_assert_eq(t.n[EMU_TRACE_MMIO_READ], 4);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_READ].a, 0x08);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_READ].b, 0x0123456789ABC0EFull);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_READ].width, 8);
    cr_assert_str_eq(t.what[EMU_TRACE_MMIO_READ], "B");
    /* The model's own rule beyond the block (all-ones) is traced too, masked. */
    cr_assert_eq(emu_mmio_read(u, 0x1000, 2), 0xFFFF);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_READ].b, 0xFFFF);
    emu_mmio_write(u, 0x10, 2, 0xFFFFABCD);                 /* only 2 bytes reach the model */
    cr_assert_eq(emu_regfile_get(&u->regs, 0x10, 4), 0x1234ABCD);
    cr_assert_eq(t.n[EMU_TRACE_MMIO_WRITE], 1);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_WRITE].b, 0xABCD);
    cr_assert_eq(t.last[EMU_TRACE_MMIO_WRITE].width, 2);
    cr_assert_str_eq(t.what[EMU_TRACE_MMIO_WRITE], "C");
    /* Tracing off again. */
    emu_set_trace(u, NULL, NULL);
    emu_mmio_read(u, 0, 4);
    cr_assert_eq(t.n[EMU_TRACE_MMIO_READ], 5);
}

Test(iommu, reset_names_decode_set_id, .init = setup, .fini = teardown)
{
    char buf[64];
    unsigned w = 0;

    emu_mmio_write(u, 0x00, 4, 0xFFFF);
    emu_iommu_reset(u);
    cr_assert_eq(emu_mmio_read(u, 0x00, 4), 0xA5A5A5A5);
    cr_assert_str_eq(emu_reg_name(u, 0x08), "B");
    cr_assert_str_eq(emu_reg_name(u, 0x0C), "B");           /* upper half */
    cr_assert_null(emu_reg_name(u, 0x04));
    cr_assert_null(emu_reg_name(u, 0x1000));
    cr_assert_eq(emu_reg_lookup(u, "b", &w), 0x08);
    cr_assert_eq(w, 8);
    cr_assert_eq(emu_reg_lookup(u, "C", NULL), 0x10);
    cr_assert_eq(emu_reg_lookup(u, "nope", &w), -1);
    cr_assert_eq(emu_reg_decode(u, 0x08, 0x505, buf, sizeof(buf)), (int)strlen("LO=5 WO=5 HI=0x0"));
    cr_assert_str_eq(buf, "LO=5 WO=5 HI=0x0");
    /* A 32-bit value read at the upper half decodes as the high bits. */
    emu_reg_decode(u, 0x0C, 0x1234, buf, sizeof(buf));
    cr_assert_str_eq(buf, "LO=0 WO=0 HI=0x1234");
    cr_assert_eq(emu_reg_decode(u, 0x04, 1, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(emu_iommu_set_id(u, "cap", 0x77), 0);
    cr_assert_eq(emu_regfile_get(&u->regs, 0x10, 4), 0x77);
    cr_assert_eq(emu_iommu_set_id(u, "bogus", 1), -EINVAL);
    cr_assert_eq(emu_iommu_set_id(u, NULL, 1), -EINVAL);
}

Test(iommu, dma_page_by_page, .init = setup, .fini = teardown)
{
    struct tlog t = { 0 };
    uint8_t src[0x3000], dst[0x3000];
    struct emu_fault f;

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 13 + 1);
    emu_set_trace(u, tfn, &t);
    /* 0x3000 bytes from iova 0x800: pages 0,1,2,3 -> 4 translations. */
    cr_assert_eq(emu_dma(u, 0x10, EMU_NO_PASID, 0x800, src, sizeof(src), true, &f), 0);
    cr_assert_eq(fake_state(u)->translates, 4);
    cr_assert_eq(t.n[EMU_TRACE_TRANSLATE], 4);
    cr_assert_eq(t.last[EMU_TRACE_TRANSLATE].a, 0x3000);
    cr_assert_eq(t.last[EMU_TRACE_TRANSLATE].b, FAKE_OUT_BASE + 0x3000);
    cr_assert_eq(t.last[EMU_TRACE_TRANSLATE].width, 12);
    cr_assert_eq(t.last[EMU_TRACE_TRANSLATE].rid, 0x10);
    cr_assert_eq(emu_mem_read(m, FAKE_OUT_BASE + 0x800, dst, sizeof(dst)), 0);
    cr_assert_eq(memcmp(src, dst, sizeof(dst)), 0);
    memset(dst, 0, sizeof(dst));
    cr_assert_eq(emu_dma(u, 0x10, 5, 0x800, dst, sizeof(dst), false, &f), 0);
    cr_assert_eq(memcmp(src, dst, sizeof(dst)), 0);
    /* Zero length: nothing translated. */
    cr_assert_eq(emu_dma(u, 0x10, 5, 0x800, dst, 0, false, NULL), 0);
    cr_assert_eq(fake_state(u)->translates, 8);
    cr_assert_eq(emu_dma(u, 0x10, 5, UINT64_MAX - 10, dst, 100, false, NULL), -EINVAL);
    cr_assert_eq(emu_dma(u, 0x10, 5, 0, NULL, 100, false, NULL), -EINVAL);
}

Test(iommu, dma_fault_after_prefix, .init = setup, .fini = teardown)
{
    uint8_t src[0x2000], back[0x1000];
    struct emu_fault f = { 0 };

    memset(src, 0x3C, sizeof(src));
    /* Page 0xF000 translates, page 0x10000 faults: the first page's bytes
     * stay transferred (contract: bytes before the faulting page). */
    cr_assert_eq(emu_dma(u, 7, 3, 0xF000, src, sizeof(src), true, &f), -EACCES);
    cr_assert_eq(f.iova, 0x10000);
    cr_assert_eq(f.reason, FAKE_FAULT_REASON);
    cr_assert_eq(f.rid, 7);
    cr_assert_eq(f.pasid, 3);
    cr_assert(f.write);
    cr_assert_eq(emu_mem_read(m, FAKE_OUT_BASE + 0xF000, back, sizeof(back)), 0);
    for (size_t i = 0; i < sizeof(back); i++)
        cr_assert_eq(back[i], 0x3C);
    cr_assert_eq(fake_state(u)->translates, 2);
    /* Read fault on the very first page. */
    cr_assert_eq(emu_dma(u, 7, EMU_NO_PASID, 0x30000, back, 1, false, &f), -EPERM);
    cr_assert_eq(f.iova, 0x30000);
    cr_assert_eq(f.pasid, EMU_NO_PASID);
    cr_assert(!f.write);
    cr_assert_eq(emu_dma(u, 7, 3, 0x30000, back, 1, false, NULL), -EPERM); /* NULL fault ok */
}

Test(iommu, dma_big_page_one_translation, .init = setup, .fini = teardown)
{
    uint8_t src[0x6000];
    struct tlog t = { 0 };

    emu_set_trace(u, tfn, &t);
    memset(src, 0x5A, sizeof(src));
    /* 0x6000 bytes inside one 2M page: a single translate. */
    cr_assert_eq(emu_dma(u, 1, EMU_NO_PASID, FAKE_BIG_IOVA + 0x1000, src, sizeof(src), true, NULL), 0);
    cr_assert_eq(fake_state(u)->translates, 1);
    cr_assert_eq(t.last[EMU_TRACE_TRANSLATE].width, 21);
    uint8_t b = 0;
    cr_assert_eq(emu_mem_read(m, FAKE_BIG_OUT + 0x6FFF, &b, 1), 0);
    cr_assert_eq(b, 0x5A);
}

Test(iommu, dma_guest_memory_error_is_efault_reason0, .init = setup, .fini = teardown)
{
    uint8_t buf[0x100], b;
    struct emu_fault f;

    /* The 2M page's output runs past the 0x18000-byte guest window at
     * FAKE_BIG_OUT + 0x8000: the translation succeeds, the copy cannot. */
    cr_assert_eq(emu_dma(u, 2, EMU_NO_PASID, FAKE_BIG_IOVA + 0x9000, buf, sizeof(buf), false, &f), -EFAULT);
    cr_assert_eq(f.iova, FAKE_BIG_IOVA + 0x9000);
    cr_assert_eq(f.reason, 0);
    cr_assert_eq(f.rid, 2);
    /* A chunk straddling the end of the window fails whole: nothing written. */
    memset(buf, 0x11, sizeof(buf));
    cr_assert_eq(emu_dma(u, 2, EMU_NO_PASID, FAKE_BIG_IOVA + 0x7F80, buf, sizeof(buf), true, &f), -EFAULT);
    cr_assert_eq(f.iova, FAKE_BIG_IOVA + 0x7F80);
    cr_assert(f.write);
    cr_assert_eq(emu_mem_read(m, FAKE_BIG_OUT + 0x7F80, &b, 1), 0);
    cr_assert_eq(b, 0);
}

Test(iommu, fetch_traces, .init = setup, .fini = teardown)
{
    struct tlog t = { 0 };
    uint64_t v[2] = { 0 };

    cr_assert_eq(emu_mem_write64(m, FAKE_OUT_BASE + 0x40, 0xFEEDull), 0);
    cr_assert_eq(emu_fetch(u, "ctx", FAKE_OUT_BASE + 0x40, v, 16), 0);   /* no hook: fine */
    emu_set_trace(u, tfn, &t);
    cr_assert_eq(emu_fetch(u, "ctx", FAKE_OUT_BASE + 0x40, v, 16), 0);
    cr_assert_eq(v[0], 0xFEED);
    cr_assert_eq(t.n[EMU_TRACE_TABLE_FETCH], 1);
    cr_assert_eq(t.last[EMU_TRACE_TABLE_FETCH].a, FAKE_OUT_BASE + 0x40);
    cr_assert_eq(t.last[EMU_TRACE_TABLE_FETCH].b, 0xFEED);
    cr_assert_eq(t.last[EMU_TRACE_TABLE_FETCH].width, 16);
    cr_assert_str_eq(t.what[EMU_TRACE_TABLE_FETCH], "ctx");
    cr_assert_eq(emu_fetch(u, "ctx", 0x10, v, 8), -EFAULT);
    cr_assert_eq(t.n[EMU_TRACE_TABLE_FETCH], 1);
}
