/* SPDX-License-Identifier: MIT */
/*
 * emu_reg_lookup / emu_reg_name over every register table (contract:
 * "Offset of a register by name (case-insensitive); -1 if unknown. *width
 * gets its width"), for all three models and every profile: each row's name
 * looks up to its own offset and width, in upper and lower case, and the
 * offset names that row back. Regression for AMD-Vi lookups returning
 * width 0.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <string.h>

#include "emu/core/emu_internal.h"
#include "emu/emu.h"
#include "tests/common/test_util.h"

static void check_model(enum emu_model model, const char *profile)
{
    struct emu_mem *mem = emu_mem_new();
    struct emu_iommu *io;
    size_t n;

    cr_assert_not_null(mem);
    io = emu_iommu_new(model, profile, mem);
    cr_assert_not_null(io, "model %d profile %s", model, profile);
    n = io->regs.nregs;
    cr_assert_gt(n, 10, "model %d: a register table", model);
    for (size_t i = 0; i < n; i++) {
        const struct emu_reg *r = &io->regs.regs[i];
        char lower[64];
        unsigned w = 0xdead;
        size_t k;

        if (!r->name)
            continue;
        cr_expect_eq(emu_reg_lookup(io, r->name, &w), (int64_t)r->offset, "model %d %s", model,
                     r->name);
        cr_expect_eq(w, r->width, "model %d %s: width %u, table %u", model, r->name, w,
                     r->width);
        cr_expect(w == 4 || w == 8, "model %d %s: width %u", model, r->name, w);
        for (k = 0; r->name[k] && k < sizeof(lower) - 1; k++)
            lower[k] = (char)tolower((unsigned char)r->name[k]);
        lower[k] = 0;
        w = 0;
        cr_expect_eq(emu_reg_lookup(io, lower, &w), (int64_t)r->offset, "%s", lower);
        cr_expect_eq(w, r->width, "%s", lower);
        cr_expect_str_eq(emu_reg_name(io, r->offset), r->name);
    }
    cr_expect_eq(emu_reg_lookup(io, "NO_SUCH_REGISTER", NULL), -1);
    emu_iommu_free(io);
    emu_mem_free(mem);
    ASSERT_NO_LEAKS();
}

Test(reg_lookup, vtd) { check_model(EMU_VTD, NULL); check_model(EMU_VTD, "qemu"); }
Test(reg_lookup, amdvi) { check_model(EMU_AMDVI, NULL); check_model(EMU_AMDVI, "qemu"); }
Test(reg_lookup, smmuv3) { check_model(EMU_SMMUV3, NULL); check_model(EMU_SMMUV3, "qemu"); }
