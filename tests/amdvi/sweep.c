/* Fixed-seed random sweep (>= 100k operations), mostly valid programming with
 * a shadow oracle, hostile devices on the side and a final fully random phase;
 * plus random bytes through emu_apply_stream. */
#include "amdvi_test.h"

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

#define NSLOT 256
#define NPOOL 1024
#define IOVA0 0x100000ull
static uint64_t shadow[2][NSLOT];     /* per domain: pa + 1, or 0 if unmapped */
static uint64_t roots[2];

static void check_invariants(void)
{
    uint64_t bar = rd(AMDVI_CMD_BUF_BAR);
    uint64_t size = 16ull << ((bar >> 56) & 0xF);
    uint64_t h = rd(AMDVI_CMD_HEAD), t = rd(AMDVI_CMD_TAIL);
    cr_assert(h < size && t < size && !(h & 0xF) && !(t & 0xF));
    cr_assert_eq(rd(AMDVI_STATUS) & ~0x79FFFull, 0);
    uint64_t eb = rd(AMDVI_EVT_LOG_BAR);
    uint64_t es = 16ull << ((eb >> 56) & 0xF);
    cr_assert(rd(AMDVI_EVT_HEAD) < es && rd(AMDVI_EVT_TAIL) < es);
}

static void drain_events(void)
{
    uint64_t ev[64][2];
    int n;
    while ((n = t_events(ev, 64)) > 0)
        for (int i = 0; i < n; i++) {
            unsigned code = (unsigned)(ev[i][0] >> 60);
            cr_assert(code >= 1 && code <= 6, "event code %u", code);
        }
    if (rd(AMDVI_STATUS) & ST_EVT_OVERFLOW) {
        uint64_t c = rd(AMDVI_CONTROL);
        wr(AMDVI_CONTROL, c & ~CTRL_EVT_LOG_EN);
        wr(AMDVI_STATUS, ST_EVT_OVERFLOW);
        wr(AMDVI_CONTROL, c);
    }
}

static void flush_page(unsigned dom, uint64_t iova)
{
    t_cmd((3ull << 60) | ((uint64_t)(dom + 1) << 32), iova | 2);
    cr_assert(t_sync());
}

static void recover_cmdbuf(void)
{
    if (rd(AMDVI_STATUS) & ST_CMDBUF_RUN)
        return;
    /* fix the failing slot with a barrier and toggle CmdBufEn (§6.1) */
    uint64_t h = rd(AMDVI_CMD_HEAD);
    w64(CMDBUF + h, 1ull << 60);
    w64(CMDBUF + h + 8, 0);
    uint64_t c = rd(AMDVI_CONTROL);
    wr(AMDVI_CONTROL, c & ~CTRL_CMDBUF_EN);
    wr(AMDVI_CONTROL, c);
    cr_assert(rd(AMDVI_STATUS) & ST_CMDBUF_RUN);
}

static const uint64_t safe_regs[] = {0x20, 0x38, 0x40, 0x48, 0x50, 0xE0, 0xE8, 0xF0, 0xF8,
                                     0x154, 0x15C, 0x160, 0x164, 0x170, 0x178, 0x180,
                                     0x2030, 0x2038, 0x2040, 0x2048, 0x2080, 0x2088, 0x30,
                                     0x1A0, 0x1FF8, 0x4000, 0x58, 0x3000};

Test(amdvi_sweep, random_100k, .timeout = 300)
{
    t_setup(NULL);
    t_bringup();
    wr(AMDVI_EVT_LOG_BAR, 0);   /* ignored while running */
    roots[0] = t_alloc();
    roots[1] = t_alloc();
    /* devices 0x10,0x11 -> domain 1 (HAD 0); 0x12,0x13 -> domain 2 (HAD 3) */
    for (unsigned d = 0; d < 4; d++)
        t_dte((uint16_t)(0x10 + d), dte_v1(3, roots[d / 2], d / 2 ? 3 : 0), d / 2 + 1, 0, 0);
    uint64_t hostile_root = t_alloc();
    long ops = 0, dmas_ok = 0, faults = 0;
    for (; ops < 100000; ops++) {
        unsigned op = rn(100);
        if (op < 35) {                              /* DMA on a sane device */
            unsigned d = rn(4), dom = d / 2, slot = rn(NSLOT);
            uint64_t iova = IOVA0 + slot * 0x1000ull + rn(4096 / 8) * 8;
            bool w = rn(2);
            uint64_t v = rnd(), r = 0;
            struct emu_fault f;
            int rc = dma((uint16_t)(0x10 + d), iova, w ? &v : &r, 8, w, &f);
            if (shadow[dom][slot]) {
                uint64_t pa = shadow[dom][slot] - 1 + (iova & 0xFFF);
                cr_assert_eq(rc, 0, "op %ld", ops);
                dmas_ok++;
                if (w) {
                    cr_assert_eq(m64(pa), v);
                    if (dom == 1) {
                        uint64_t leaf = (m64((m64(roots[1]) & PTE_ADDR_MASK)) & PTE_ADDR_MASK) +
                                        ((iova >> 12) & 0x1FF) * 8;
                        cr_assert_eq(m64(leaf) & (PTE_A | PTE_D), PTE_A | PTE_D, "op %ld", ops);
                    }
                } else {
                    cr_assert_eq(r, m64(pa));
                }
            } else {
                cr_assert_eq(rc, -EFAULT, "op %ld", ops);
                cr_assert_eq(f.reason, 2);
                faults++;
            }
        } else if (op < 50) {                       /* map */
            unsigned dom = rn(2), slot = rn(NSLOT);
            uint64_t pa = DATA + rn(NPOOL) * 0x1000ull;
            uint64_t iova = IOVA0 + slot * 0x1000ull;
            t_map_v1(roots[dom], 3, iova, pa, 12, true, true);
            shadow[dom][slot] = pa + 1;
            flush_page(dom, iova);                  /* NpCache-style flush on map */
        } else if (op < 60) {                       /* unmap */
            unsigned dom = rn(2), slot = rn(NSLOT);
            uint64_t iova = IOVA0 + slot * 0x1000ull;
            if (shadow[dom][slot]) {
                uint64_t l2 = m64(roots[dom]) & PTE_ADDR_MASK;
                uint64_t l1 = m64(l2) & PTE_ADDR_MASK;
                w64(l1 + ((iova >> 12) & 0x1FF) * 8, 0);
                shadow[dom][slot] = 0;
                flush_page(dom, iova);
            }
        } else if (op < 64) {                       /* harvest dirty bits (domain 2) */
            unsigned slot = rn(NSLOT);
            if (shadow[1][slot]) {
                uint64_t iova = IOVA0 + slot * 0x1000ull;
                uint64_t l1 = m64(m64(roots[1]) & PTE_ADDR_MASK) & PTE_ADDR_MASK;
                uint64_t a = l1 + ((iova >> 12) & 0x1FF) * 8, e = m64(a);
                while (emu_mem_cmpxchg64(T.mem, a, &e, e & ~PTE_D) == 0) {}
                flush_page(1, iova);
            }
        } else if (op < 72) {                       /* assorted valid commands */
            static const uint64_t cmds[][2] = {
                {2ull << 60 | 0x77, 0}, {5ull << 60 | 0x10, 0}, {4ull << 60 | 0x12, 0x3000},
                {3ull << 60 | 9ull << 32, 0x7FFFFFFFFFFFF003ull}, {1ull << 60, 0},
                {6ull << 60 | 0x55, 0x10}, {1ull << 60 | 2, 0}};
            unsigned k = rn(sizeof(cmds) / sizeof(cmds[0]));
            t_cmd(cmds[k][0], cmds[k][1]);
            if (rn(50) == 0) {
                t_cmd(8ull << 60, 0);
                cr_assert(t_sync());
            }
        } else if (op < 75) {                       /* garbage command: halt + recover */
            t_cmd(rnd() | (rn(2) ? 0 : 0xF000000000000000ull), rnd());
            recover_cmdbuf();
        } else if (op < 85) {                       /* hostile device 0x20..0x27 */
            uint16_t dev = (uint16_t)(0x20 + rn(8));
            if (rn(4) == 0) {
                uint64_t q[4] = {rnd(), rnd(), rnd(), rnd()};
                if (rn(2))
                    q[0] = (q[0] & ~PTE_ADDR_MASK & ~emu_mask(6, 2)) | hostile_root;
                t_dte(dev, q[0], q[1], q[2], q[3] & (rn(2) ? 0 : ~0ull));
                recover_cmdbuf();
            } else if (rn(3) == 0) {
                w64(hostile_root + rn(512) * 8, rn(2) ? rnd() : (hostile_root | rn(8) << 9 | 1));
                t_cmd(3ull << 60 | (rnd() & 0xFFFF) << 32, 0x7FFFFFFFFFFFF003ull);
                recover_cmdbuf();
            } else {
                uint8_t buf[64];
                uint32_t pasid = rn(3) ? EMU_NO_PASID : rn(1u << 17);
                emu_dma(T.io, dev, pasid, rnd() >> rn(64), buf, 1 + rn(64), rn(2), NULL);
            }
        } else if (op < 92) {                       /* MMIO reads anywhere */
            static const unsigned ws[] = {1, 2, 4, 8, 3};
            emu_mmio_read(T.io, rn(2) ? rn(0x4010) : rnd(), ws[rn(5)]);
        } else if (op < 97) {                       /* writes to harmless registers */
            uint64_t off = safe_regs[rn(sizeof(safe_regs) / sizeof(safe_regs[0]))];
            uint64_t v = rnd();
            if (off == 0x20)
                v &= ~1ull;                         /* keep the exclusion range off */
            emu_mmio_write(T.io, off + (rn(4) == 0 ? 4 : 0), rn(2) ? 4 : 8, v);
        } else {
            drain_events();
        }
        check_invariants();
    }
    cr_assert_gt(dmas_ok, 10000);
    cr_assert_gt(faults, 1000);
    /* Fully random phase: anything goes, nothing may crash. */
    for (long i = 0; i < 30000; i++, ops++) {
        unsigned op = rn(10);
        if (op < 4) {
            static const unsigned ws[] = {1, 2, 4, 8};
            uint64_t off = rn(4) ? (rn(2) ? rn(0x200) : 0x2000 + rn(0x60)) : rn(0x4000);
            uint64_t v = rnd();
            if (off >= 0x18 && off < 0x20 && rn(2))
                v |= CTRL_IOMMU_EN | CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN;
            emu_mmio_write(T.io, off & ~7ull, ws[rn(4)], v);
        } else if (op < 6) {
            w64((rn(2) ? PT_POOL : DEVTAB) + rn(0x100000) * 8 % 0x200000, rnd());
        } else if (op < 9) {
            uint8_t buf[256];
            emu_dma(T.io, rn(0x10000), rn(4) ? EMU_NO_PASID : rn(1u << 20),
                    rn(2) ? IOVA0 + rn(0x100000) : rnd(), buf, 1 + rn(256), rn(2), NULL);
        } else if (rn(100) == 0) {
            emu_iommu_reset(T.io);
        }
    }
    cr_assert_geq(ops, 130000);
    t_teardown();
    ASSERT_NO_LEAKS();
}

Test(amdvi_sweep, apply_stream_random, .timeout = 300)
{
    t_setup(NULL);
    uint8_t buf[4096];
    size_t total = 0;
    for (int it = 0; it < 300; it++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)rnd();
        total += emu_apply_stream(T.io, buf, sizeof(buf));
        if (it % 50 == 0)
            t_bringup();
    }
    cr_assert_gt(total, 1000);
    /* a well-formed stream: enable the IOMMU through MMIO ops, then DMA */
    uint8_t s[64];
    size_t n = 0;
    s[n++] = 0 | (3 << 3);                         /* MMIO_WRITE width 8 */
    uint32_t off = AMDVI_CONTROL;
    memcpy(s + n, &off, 4), n += 4;
    uint64_t v = 0x400 | CTRL_IOMMU_EN;
    memcpy(s + n, &v, 8), n += 8;
    s[n++] = 1 | (3 << 3);                         /* MMIO_READ */
    memcpy(s + n, &off, 4), n += 4;
    cr_assert_eq(emu_apply_stream(T.io, s, n), 2);
    cr_assert_eq(rd(AMDVI_CONTROL), 0x401);
    t_teardown();
    ASSERT_NO_LEAKS();
}
