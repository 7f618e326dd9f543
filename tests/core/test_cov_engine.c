/* The engine's generic behaviour for a model that is only its register
 * table (no reset / mmio_read / mmio_write / translate / set_id hooks):
 * register semantics come from the table alone, accesses past the table are
 * RAZ/WI, DMA is refused; and the public API's handling of NULL and bad
 * arguments (contract: nothing crashes whatever the user passes). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "fake_model.h"
#include "tests/common/test_util.h"

static struct emu_model_ops bare_ops;

static struct emu_iommu *bare_new(struct emu_mem *mem)
{
    bare_ops = fake_ops;
    bare_ops.reset = NULL;
    bare_ops.mmio_read = NULL;
    bare_ops.mmio_write = NULL;
    bare_ops.mmio_size = NULL;
    bare_ops.translate = NULL;
    bare_ops.set_id = NULL;
    return emu_iommu_new_ops(&bare_ops, NULL, mem);
}

Test(cov_engine, table_only_model_registers)
{
    struct emu_mem *mem = emu_mem_new();
    struct emu_iommu *io;

    cr_assert_not_null(mem);
    io = bare_new(mem);
    cr_assert_not_null(io);
    cr_assert_eq(emu_mmio_size(io), FAKE_SIZE, "size from the table");
    /* reset values from the table */
    cr_assert_eq(emu_mmio_read(io, 0x00, 4), 0xA5A5A5A5);
    cr_assert_eq(emu_mmio_read(io, 0x08, 8), 0x0123456789ABC0EFull, "write-only bits read 0");
    /* A: [15:0] RW, [23:16] W1C, [31:24] RO */
    emu_mmio_write(io, 0x00, 4, 0xFFFFFFFF);
    cr_assert_eq(emu_mmio_read(io, 0x00, 4), 0xA500FFFF);
    cr_assert_eq(emu_mmio_read(io, 0x01, 1), 0xFF, "byte access inside a row");
    /* past the table: reads as zero, writes ignored; a straddling access too */
    cr_assert_eq(emu_mmio_read(io, FAKE_SIZE, 4), 0);
    cr_assert_eq(emu_mmio_read(io, FAKE_SIZE - 2, 4), 0);
    emu_mmio_write(io, FAKE_SIZE - 2, 4, 0xFFFFFFFF);
    emu_mmio_write(io, FAKE_SIZE, 8, ~0ull);
    cr_assert_eq(emu_mmio_read(io, 0x10, 4), ~0x12345678u, "C untouched (read hook: ~stored)");
    /* bad widths and a wrapping offset are refused */
    cr_assert_eq(emu_mmio_read(io, 0x00, 3), 0);
    cr_assert_eq(emu_mmio_read(io, ~0ull - 1, 4), 0);
    emu_mmio_write(io, 0x00, 16, 0);
    cr_assert_eq(emu_mmio_read(io, 0x00, 4), 0xA500FFFF);
    /* the generic reset reloads the table's reset values */
    emu_iommu_reset(io);
    cr_assert_eq(emu_mmio_read(io, 0x00, 4), 0xA5A5A5A5);
    emu_iommu_free(io);
    emu_mem_free(mem);
    ASSERT_NO_LEAKS();
}

Test(cov_engine, table_only_model_has_no_dma_or_ids)
{
    struct emu_mem *mem = emu_mem_new();
    struct emu_iommu *io;
    struct emu_fault f;
    uint32_t v = 0;

    cr_assert_not_null(mem);
    io = bare_new(mem);
    cr_assert_not_null(io);
    cr_assert_eq(emu_dma(io, 0x10, EMU_NO_PASID, 0x1000, &v, 4, false, &f), -EINVAL);
    cr_assert_eq(emu_iommu_set_id(io, "idr0", 1), -EINVAL);
    emu_iommu_free(io);
    emu_mem_free(mem);
    ASSERT_NO_LEAKS();
}

Test(cov_engine, null_and_bad_arguments)
{
    struct emu_mem *mem = emu_mem_new();
    struct emu_iommu *io;
    struct emu_model_ops noinit = fake_ops;
    char buf[16] = "junk";
    unsigned w = 77;

    cr_assert_not_null(mem);
    errno = 0;
    cr_assert_null(emu_iommu_new_ops(NULL, NULL, mem));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new_ops(&fake_ops, NULL, NULL));
    cr_assert_eq(errno, EINVAL);
    noinit.init = NULL;
    errno = 0;
    cr_assert_null(emu_iommu_new_ops(&noinit, NULL, mem));
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_null(emu_iommu_new((enum emu_model)99, NULL, mem));
    cr_assert_eq(errno, EINVAL);

    emu_iommu_reset(NULL);
    emu_iommu_free(NULL);
    emu_set_trace(NULL, NULL, NULL);
    emu_mmio_write(NULL, 0, 4, 1);
    cr_assert_eq(emu_mmio_size(NULL), 0);
    cr_assert_eq(emu_mmio_read(NULL, 0, 4), 0);
    cr_assert_null(emu_reg_name(NULL, 0));
    cr_assert_eq(emu_reg_lookup(NULL, "A", &w), -1);
    cr_assert_eq(w, 77);
    cr_assert_eq(emu_reg_decode(NULL, 0, 1, buf, sizeof(buf)), 0);
    cr_assert_str_empty(buf);
    cr_assert_eq(emu_iommu_set_id(NULL, "x", 0), -EINVAL);

    io = emu_iommu_new_ops(&fake_ops, NULL, mem);
    cr_assert_not_null(io);
    cr_assert_eq(emu_reg_lookup(io, NULL, &w), -1);
    cr_assert_eq(emu_reg_lookup(io, "a", &w), 0x00, "names match case-insensitively");
    cr_assert_eq(w, 4);
    cr_assert_eq(emu_reg_lookup(io, "B", NULL), 0x08);
    cr_assert_eq(emu_reg_lookup(io, "nope", &w), -1);
    cr_assert_null(emu_reg_name(io, 0x04), "a hole has no name");
    strcpy(buf, "junk");
    cr_assert_eq(emu_reg_decode(io, 0x04, 1, buf, sizeof(buf)), 0);
    cr_assert_str_empty(buf);
    cr_assert_eq(emu_iommu_set_id(io, NULL, 0), -EINVAL);
    emu_iommu_free(io);
    emu_mem_free(mem);
    ASSERT_NO_LEAKS();
}
