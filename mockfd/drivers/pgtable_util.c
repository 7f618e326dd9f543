/* SPDX-License-Identifier: MIT */
/* Page-table helpers shared by the drivers (pgtable_util.h). */
#include "pgtable_util.h"

#include <stdlib.h>

void mfd_pt_fl_add(struct mfd_pt_freelist *f, uint64_t gpa)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 16;
        uint64_t *nv = realloc(f->v, nc * sizeof(*nv));

        if (!nv)
            return;                     /* leak the table page rather than crash */
        f->v = nv;
        f->cap = nc;
    }
    f->v[f->n++] = gpa;
}

void mfd_pt_fl_release(struct mfd_pt_freelist *f, const struct mfd_platform_ops *plat)
{
    for (size_t i = 0; i < f->n; i++)
        plat->table_free(f->v[i], 4096);
    free(f->v);
    *f = (struct mfd_pt_freelist){ 0 };
}

bool mfd_pt_table_empty(struct emu_mem *mem, uint64_t gpa)
{
    uint64_t buf[512];

    if (emu_mem_read(mem, gpa, buf, sizeof(buf)))
        return false;
    for (size_t i = 0; i < 512; i++)
        if (buf[i])
            return false;
    return true;
}
