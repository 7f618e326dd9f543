/* emu_apply_stream: decoding, effects, truncation at every byte, garbage input. */
#include <stdlib.h>
#include <string.h>

#include "emu/core/stream.h"
#include "fake_model.h"
#include "tests/common/test_util.h"

static struct emu_mem *m;
static struct emu_iommu *u;

static void setup(void)
{
    m = emu_mem_new();
    cr_assert_eq(emu_mem_map(m, FAKE_OUT_BASE, 0x18000, NULL), 0);
    u = emu_iommu_new_ops(&fake_ops, NULL, m);
}

static void teardown(void)
{
    emu_iommu_free(u);
    emu_mem_free(m);
}

struct sb {
    uint8_t b[512];
    size_t n;
    size_t ends[32];    /* byte length after each complete op */
    size_t nops;
};

static void put(struct sb *s, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void end_op(struct sb *s)
{
    s->ends[s->nops++] = s->n;
}

/* A stream exercising every opcode; returns it built into *s. */
static void build(struct sb *s)
{
    memset(s, 0, sizeof(*s));
    put(s, EMU_STREAM_MMIO_WRITE | (2 << EMU_STREAM_F_WIDTH_SHIFT), 1);   /* 4 bytes */
    put(s, 0x00, 4);
    put(s, 0x0000BEEF, 4);
    end_op(s);
    put(s, EMU_STREAM_NOP, 1);                                            /* not counted */
    put(s, EMU_STREAM_MMIO_WRITE | (1 << EMU_STREAM_F_WIDTH_SHIFT) | EMU_STREAM_F_INRANGE, 1);
    put(s, FAKE_SIZE + 0x10, 4);                                          /* -> 0x10 */
    put(s, 0x4321, 2);
    end_op(s);
    put(s, EMU_STREAM_MMIO_READ | (3 << EMU_STREAM_F_WIDTH_SHIFT), 1);
    put(s, 0x08, 4);
    end_op(s);
    put(s, EMU_STREAM_MEM_WRITE, 1);
    put(s, FAKE_OUT_BASE + 0x100, 8);
    put(s, 3, 2);
    put(s, 0xCCBBAA, 3);
    end_op(s);
    put(s, EMU_STREAM_MEM_WRITE64, 1);
    put(s, FAKE_OUT_BASE + 0x200, 8);
    put(s, 0x1122334455667788ull, 8);
    end_op(s);
    put(s, EMU_STREAM_DMA | EMU_STREAM_F_WRITE | EMU_STREAM_F_PASID, 1);
    put(s, 0x10, 4);
    put(s, 1, 4);
    put(s, 0x1000, 8);
    put(s, 0x1FF, 2);                                                     /* 0x200 bytes */
    end_op(s);
    put(s, EMU_STREAM_DMA, 1);                                            /* read, faulting */
    put(s, 0x10, 4);
    put(s, 0x50000, 8);
    put(s, 0, 2);
    end_op(s);
    put(s, EMU_STREAM_MEM_READ64, 1);
    put(s, FAKE_OUT_BASE + 0x200, 8);
    end_op(s);
}

Test(stream, every_opcode_applies, .init = setup, .fini = teardown)
{
    struct sb s;
    uint8_t b[3];
    uint64_t v;

    build(&s);
    cr_assert_eq(emu_apply_stream(u, s.b, s.n), s.nops);
    cr_assert_eq(emu_regfile_get(&u->regs, 0x00, 4), 0xA5A5BEEF);
    cr_assert_eq(emu_regfile_get(&u->regs, 0x10, 4), 0x12344321);
    cr_assert_eq(fake_state(u)->mmio_reads, 1);
    cr_assert_eq(emu_mem_read(m, FAKE_OUT_BASE + 0x100, b, 3), 0);
    cr_assert_eq(b[0], 0xAA);
    cr_assert_eq(b[2], 0xCC);
    cr_assert_eq(emu_mem_read64(m, FAKE_OUT_BASE + 0x200, &v), 0);
    cr_assert_eq(v, 0x1122334455667788ull);
    /* DMA write of pattern (iova + i) & 0xff to iova 0x1000. */
    cr_assert_eq(emu_mem_read(m, FAKE_OUT_BASE + 0x1000 + 0x1FF, b, 2), 0);
    cr_assert_eq(b[0], 0xFF);
    cr_assert_eq(b[1], 0);
    cr_assert_eq(fake_state(u)->translates, 2);
    /* RESET op. */
    uint8_t r = EMU_STREAM_RESET;
    cr_assert_eq(emu_apply_stream(u, &r, 1), 1);
    cr_assert_eq(emu_regfile_get(&u->regs, 0x00, 4), 0xA5A5A5A5);
    ASSERT_NO_LEAKS();
}

Test(stream, truncated_at_every_byte, .init = setup, .fini = teardown)
{
    struct sb s;

    build(&s);
    for (size_t len = 0; len <= s.n; len++) {
        size_t want = 0;
        uint8_t *copy = malloc(len ? len : 1);   /* exact-size buffer: ASan catches overreads */

        memcpy(copy, s.b, len);
        while (want < s.nops && s.ends[want] <= len)
            want++;
        cr_assert_eq(emu_apply_stream(u, copy, len), want, "len %zu", len);
        free(copy);
    }
    cr_assert_eq(emu_apply_stream(u, NULL, 100), 0);
    cr_assert_eq(emu_apply_stream(NULL, s.b, s.n), 0);
    ASSERT_NO_LEAKS();
}

Test(stream, garbage_never_crashes, .init = setup, .fini = teardown, .timeout = 60)
{
    uint32_t x = 0x12345678;
    uint8_t *buf = malloc(4096);

    /* Also map low guest memory so gpa-random writes sometimes land. */
    cr_assert_eq(emu_mem_map(m, 0, 0x10000, NULL), 0);
    for (int it = 0; it < 2000; it++) {
        size_t len = 1 + (x % 4096);
        for (size_t i = 0; i < len; i++) {
            x = x * 1664525u + 1013904223u;
            buf[i] = (uint8_t)(x >> 24);
            /* Bias some bytes towards small values so offsets/gpas are sane. */
            if ((x & 0x700) == 0)
                buf[i] = 0;
        }
        (void)emu_apply_stream(u, buf, len);
    }
    free(buf);
    ASSERT_NO_LEAKS();
}
