/* Register-file engine: formula for every offset/width, RW1C, WO, hooks, init checks. */
#include <errno.h>
#include <string.h>

#include "fake_model.h"
#include "tests/common/test_util.h"

/* Independent byte-wise oracle built straight from the table. */
struct oracle {
    uint8_t val[FAKE_SIZE], wm[FAKE_SIZE], w1c[FAKE_SIZE], wo[FAKE_SIZE];
};

static void oracle_reset(struct oracle *o)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < fake_nregs; i++)
        for (unsigned b = 0; b < fake_regs[i].width; b++) {
            unsigned at = fake_regs[i].offset + b;
            o->val[at] = (uint8_t)(fake_regs[i].reset >> (8 * b));
            o->wm[at] = (uint8_t)(fake_regs[i].wmask >> (8 * b));
            o->w1c[at] = (uint8_t)(fake_regs[i].w1cmask >> (8 * b));
            o->wo[at] = (uint8_t)(fake_regs[i].womask >> (8 * b));
        }
}

static void oracle_write(struct oracle *o, unsigned off, unsigned w, uint64_t v)
{
    for (unsigned b = 0; b < w && off + b < FAKE_SIZE; b++) {
        uint8_t x = (uint8_t)(v >> (8 * b)), at = (uint8_t)(off + b);
        o->val[at] = (uint8_t)(((o->val[at] & ~o->wm[at]) | (x & o->wm[at])) & ~(o->w1c[at] & x));
    }
}

/* Register C (0x10..0x13) has a read hook returning ~stored. */
static uint64_t oracle_read(const struct oracle *o, unsigned off, unsigned w)
{
    uint64_t v = 0;
    for (unsigned b = 0; b < w && off + b < FAKE_SIZE; b++) {
        unsigned at = off + b;
        uint8_t x = at >= 0x10 && at < 0x14 ? (uint8_t)~o->val[at] : (uint8_t)(o->val[at] & ~o->wo[at]);
        v |= (uint64_t)x << (8 * b);
    }
    return v;
}

static struct emu_regfile rf;

static void setup_rf(void)
{
    cr_assert_eq(emu_regfile_init(&rf, FAKE_SIZE, fake_regs, fake_nregs), 0);
}

static void teardown_rf(void)
{
    emu_regfile_fini(&rf);
}

Test(regfile, reset_values_and_holes, .init = setup_rf, .fini = teardown_rf)
{
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x00, 4), 0xA5A5A5A5);
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x04, 4), 0);      /* hole */
    /* B: WO nibble 0xF00 reads as 0; raw get sees it. */
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x08, 8), 0x0123456789ABC0EFull);
    cr_assert_eq(emu_regfile_get(&rf, 0x08, 8), 0x0123456789ABCDEFull);
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x10, 4), ~0x12345678u);  /* read hook */
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x14, 8), 0);
    cr_assert_eq(emu_regfile_find(&rf, 0x0F), &fake_regs[1]);
    cr_assert_null(emu_regfile_find(&rf, 0x05));
    cr_assert_null(emu_regfile_find(&rf, 0x20));
    cr_assert_null(emu_regfile_find(&rf, UINT64_MAX));
}

Test(regfile, formula_hand_checked, .init = setup_rf, .fini = teardown_rf)
{
    /* A: low 16 bits RW, bits 23:16 RW1C, top byte RO. */
    emu_regfile_write(NULL, &rf, 0x00, 4, 0xFF0F1234);
    /* RO 0xA5 kept; RW1C: 0xA5 & ~0x0F = 0xA0; RW = 0x1234. */
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xA5A01234);
    /* Writing 0 to RW1C bits keeps them. */
    emu_regfile_write(NULL, &rf, 0x02, 1, 0x00);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xA5A01234);
    emu_regfile_write(NULL, &rf, 0x02, 1, 0xFF);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xA5001234);
    /* Hole ignores writes. */
    emu_regfile_write(NULL, &rf, 0x04, 4, 0xFFFFFFFF);
    cr_assert_eq(emu_regfile_get(&rf, 0x04, 4), 0);
    /* B: WO bits store but read 0. */
    emu_regfile_write(NULL, &rf, 0x08, 8, 0xDEADBEEF00000A00ull);
    cr_assert_eq(emu_regfile_get(&rf, 0x08, 8), 0xDEADBEEF89ABCAEFull);
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x08, 8), 0xDEADBEEF89ABC0EFull);
    /* Unaligned 2-byte write straddling A's top and the hole. */
    emu_regfile_write(NULL, &rf, 0x03, 2, 0xFFFF);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 8), 0x00000000A5001234ull);
}

Test(regfile, every_offset_and_width_vs_oracle, .init = setup_rf, .fini = teardown_rf)
{
    static const uint64_t vals[] = { 0, ~0ull, 0x5555555555555555ull, 0xAAAAAAAAAAAAAAAAull,
                                     0x0123456789ABCDEFull, 0xF0F0F0F00F0F0F0Full };
    struct oracle o;

    for (size_t vi = 0; vi < sizeof(vals) / sizeof(vals[0]); vi++)
        for (unsigned off = 0; off < FAKE_SIZE; off++)
            for (unsigned w = 1; w <= 8 && off + w <= FAKE_SIZE; w++) {
                emu_regfile_reset(&rf);
                oracle_reset(&o);
                /* Pre-dirty with an all-ones full write so RW1C has something to clear. */
                for (unsigned r = 0; r < FAKE_SIZE; r += 4) {
                    emu_regfile_write(NULL, &rf, r, 4, 0xFFFF0000FFFFFFFFull ^ r);
                    oracle_write(&o, r, 4, 0xFFFF0000FFFFFFFFull ^ r);
                }
                emu_regfile_write(NULL, &rf, off, w, vals[vi]);
                oracle_write(&o, off, w, vals[vi]);
                for (unsigned b = 0; b < FAKE_SIZE; b++)
                    cr_assert_eq(emu_regfile_get(&rf, b, 1), o.val[b],
                                 "write off %u w %u val %zu: byte %u", off, w, vi, b);
                for (unsigned roff = 0; roff < FAKE_SIZE; roff++)
                    for (unsigned rw = 1; rw <= 8 && roff + rw <= FAKE_SIZE; rw++)
                        cr_assert_eq(emu_regfile_read(NULL, &rf, roff, rw), oracle_read(&o, roff, rw),
                                     "read off %u w %u", roff, rw);
            }
}

/* Hooks via a unit with the fake model, so iommu->model records calls. */
Test(regfile, hooks_once_per_row_with_old_new)
{
    struct emu_mem *m = emu_mem_new();
    struct emu_iommu *u = emu_iommu_new_ops(&fake_ops, NULL, m);
    struct fake_state *s = fake_state(u);

    /* 8-byte access at 0x0C: B's upper half and all of C. */
    emu_mmio_write(u, 0x0C, 8, 0x11223344AABBCCDDull);
    cr_assert_eq(s->ncalls, 2);
    cr_assert_eq(s->calls[0].reg, &fake_regs[1]);
    cr_assert_eq(s->calls[0].old, 0x0123456789ABCDEFull);
    cr_assert_eq(s->calls[0].val, 0xAABBCCDD89ABCDEFull);
    cr_assert_eq(s->calls[1].reg, &fake_regs[2]);
    cr_assert_eq(s->calls[1].old, 0x12345678);
    cr_assert_eq(s->calls[1].val, 0x11223344);
    /* A write with no effect still calls the hook (hardware sees the write). */
    s->ncalls = 0;
    emu_mmio_write(u, 0x08, 1, 0);
    cr_assert_eq(s->ncalls, 1);
    cr_assert_eq(s->calls[0].old, s->calls[0].val);
    /* A (no hook) and the hole: no call. */
    s->ncalls = 0;
    emu_mmio_write(u, 0x00, 8, ~0ull);
    cr_assert_eq(s->ncalls, 0);
    /* Unaligned 8 bytes at 0x06: hole + 6 bytes of B -> B's hook once. */
    emu_mmio_write(u, 0x06, 8, 0);
    cr_assert_eq(s->ncalls, 1);
    cr_assert_eq(s->calls[0].reg, &fake_regs[1]);
    /* Read hook splices: bytes 0x0E,0x0F from B, 0x10,0x11 from ~C. */
    uint64_t b = emu_regfile_get(&u->regs, 0x08, 8), c = emu_regfile_get(&u->regs, 0x10, 4);
    uint64_t want = ((b >> 48) & 0xFFFF) | ((~c & 0xFFFF) << 16);
    cr_assert_eq(emu_mmio_read(u, 0x0E, 4), want);
    emu_iommu_free(u);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}

Test(regfile, raw_access_and_masks, .init = setup_rf, .fini = teardown_rf)
{
    emu_regfile_set(&rf, 0x00, 4, 0xFFFFFFFF);          /* model side: no masks */
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xFFFFFFFF);
    emu_regfile_set(&rf, 0x1E, 8, ~0ull);               /* clipped at the end */
    cr_assert_eq(emu_regfile_get(&rf, 0x1E, 2), 0xFFFF);
    cr_assert_eq(emu_regfile_get(&rf, 0x1E, 8), 0xFFFF);
    cr_assert_eq(emu_regfile_get(&rf, 0x20, 4), 0);
    /* Make A fully RO at run time, then fully RW. */
    emu_regfile_set_masks(&rf, 0x00, 4, 0, 0, 0);
    emu_regfile_write(NULL, &rf, 0x00, 4, 0);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xFFFFFFFF);
    emu_regfile_set_masks(&rf, 0x00, 4, 0xFFFFFFFF, 0, 0xFF);
    emu_regfile_write(NULL, &rf, 0x00, 4, 0x12345678);
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x00, 4), 0x12345600);
    /* Reset restores the table's masks and values. */
    emu_regfile_reset(&rf);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xA5A5A5A5);
    emu_regfile_write(NULL, &rf, 0x00, 4, 0);
    cr_assert_eq(emu_regfile_get(&rf, 0x00, 4), 0xA5A50000);
    /* Out of range guest access: defined, no effect. */
    emu_regfile_write(NULL, &rf, UINT64_MAX, 8, ~0ull);
    cr_assert_eq(emu_regfile_read(NULL, &rf, UINT64_MAX - 3, 8), 0);
    cr_assert_eq(emu_regfile_read(NULL, &rf, 0x00, 0), 0);
}

Test(regfile, init_rejects_bad_tables)
{
    struct emu_regfile r2;
    const struct emu_reg overlap[] = { { 0x0, 8, 0, 0, 0, 0, "X", 0, 0, 0 },
                                       { 0x4, 4, 0, 0, 0, 0, "Y", 0, 0, 0 } };
    const struct emu_reg misal[] = { { 0x2, 4, 0, 0, 0, 0, "X", 0, 0, 0 } };
    const struct emu_reg w2[] = { { 0x0, 2, 0, 0, 0, 0, "X", 0, 0, 0 } };
    const struct emu_reg oob[] = { { 0x1C, 8, 0, 0, 0, 0, "X", 0, 0, 0 } };

    cr_assert_eq(emu_regfile_init(&r2, 0x20, overlap, 2), -EINVAL);
    cr_assert_null(r2.val);
    cr_assert_eq(emu_regfile_init(&r2, 0x20, misal, 1), -EINVAL);
    cr_assert_eq(emu_regfile_init(&r2, 0x20, w2, 1), -EINVAL);
    cr_assert_eq(emu_regfile_init(&r2, 0x20, oob, 1), -EINVAL);
    cr_assert_eq(emu_regfile_init(&r2, 0, NULL, 0), -EINVAL);
    cr_assert_eq(emu_regfile_init(&r2, 0x20, NULL, 0), 0);     /* empty table is fine */
    cr_assert_eq(emu_regfile_read(NULL, &r2, 0, 8), 0);
    emu_regfile_fini(&r2);
    emu_regfile_fini(&r2);                                       /* idempotent */
    ASSERT_NO_LEAKS();
}

Test(regfile, format_fields)
{
    char buf[64];
    const struct emu_reg *b = &fake_regs[1];

    int n = emu_reg_format_fields(b, 0xDEADBEEF00000A05ull, buf, sizeof(buf));
    cr_assert_str_eq(buf, "LO=5 WO=10 HI=0xdeadbeef");
    cr_assert_eq(n, (int)strlen(buf));
    /* snprintf semantics: truncated output, full length returned. */
    char small[6];
    cr_assert_eq(emu_reg_format_fields(b, 0xDEADBEEF00000A05ull, small, sizeof(small)), n);
    cr_assert_str_eq(small, "LO=5 ");
    cr_assert_eq(emu_reg_format_fields(b, 0, NULL, 0), (int)strlen("LO=0 WO=0 HI=0x0"));
    cr_assert_eq(emu_reg_format_fields(&fake_regs[0], 1, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
}
