/* Translation: v1 walks at every Mode and page size, NextLevel 7, level
 * skipping, reserved bits, A/D (amdvi.md §5, §8), v2/GCR3 (§5.4), pass-through
 * cases, IOTLB/DTE caching and invalidation. */
#include "amdvi_test.h"

static void setup(void) { t_setup(NULL); t_bringup(); }
static void teardown(void) { t_teardown(); }
TestSuite(amdvi_walk, .init = setup, .fini = teardown);

static struct emu_tlb_entry *tlb_find(uint16_t dev, uint16_t dom, uint32_t pasid, uint64_t iova)
{
    return emu_iotlb_lookup(AMDVI(T.io)->tlb, dev, dom, pasid, iova);
}

/* Write through the IOMMU, read back through guest memory at pa. */
static void check_rw(uint16_t dev, uint64_t iova, uint64_t pa)
{
    uint64_t v = 0xA5A5000000000000ull ^ iova, r = 0;
    struct emu_fault f;
    cr_assert_eq(dma(dev, iova, &v, 8, true, &f), 0, "iova 0x%llx reason %u",
                 (unsigned long long)iova, f.reason);
    cr_assert_eq(m64(pa), v, "iova 0x%llx -> pa 0x%llx", (unsigned long long)iova,
                 (unsigned long long)pa);
    cr_assert_eq(dma(dev, iova, &r, 8, false, &f), 0);
    cr_assert_eq(r, v);
}

Test(amdvi_walk, every_mode_4k)
{
    for (unsigned mode = 1; mode <= 6; mode++) {
        uint16_t dev = (uint16_t)(0x100 + mode);
        uint64_t root = t_alloc();
        t_dte(dev, dte_v1(mode, root, 0), mode, 0, 0);
        uint64_t iova = mode == 1 ? 0x1F5000 : (0x1ull << (12 + 9 * (mode - 1))) + 0x3000;
        if (mode == 6)
            iova = 0x8000000000003000ull;
        uint64_t pa = DATA + mode * 0x1000;
        t_map_v1(root, mode, iova, pa, 12, true, true);
        check_rw(dev, iova + 0x18, pa + 0x18);
        struct emu_tlb_entry *e = tlb_find(dev, mode, AMDVI_TLB_NOPASID, iova);
        cr_assert(e);
        cr_assert_eq(e->shift, 12);
        cr_assert_eq(e->out, pa);
        /* beyond the Mode's range */
        if (mode < 6) {
            uint8_t b[8];
            struct emu_fault f;
            cr_assert_eq(dma(dev, 1ull << (12 + 9 * mode), b, 8, false, &f), -EFAULT);
            cr_assert_eq(f.reason, 2);
        }
    }
}

Test(amdvi_walk, default_size_leaves)
{
    uint64_t root = t_alloc();
    t_dte(0x10, dte_v1(6, root, 0), 1, 0, 0);
    /* 2 MiB at L2, 1 GiB at L3, 512 GiB at L4, 256 TiB at L5 (NL=0) */
    unsigned shifts[] = {21, 30, 39, 48};
    for (int i = 0; i < 4; i++) {
        uint64_t iova = (uint64_t)(i + 1) << 50;
        uint64_t pa = shifts[i] <= 24 ? DATA : 0;
        uint64_t off = shifts[i] <= 24 ? 0x1238 : DATA + 0x1238;
        t_map_v1(root, 6, iova, pa, shifts[i], true, true);
        check_rw(0x10, iova + off, pa + off);
        struct emu_tlb_entry *e = tlb_find(0x10, 1, AMDVI_TLB_NOPASID, iova + off);
        cr_assert(e && e->shift == shifts[i]);
    }
}

Test(amdvi_walk, nextlevel7_sizes)
{
    uint64_t root = t_alloc();
    t_dte(0x11, dte_v1(4, root, 0), 2, 0, 0);
    /* 8K, 64K, 1M at L1; 4M at L2; 2G at L3 */
    unsigned shifts[] = {13, 16, 20, 22, 31};
    for (int i = 0; i < 5; i++) {
        uint64_t iova = (uint64_t)(i + 1) << 36;
        uint64_t pa = shifts[i] <= 22 ? DATA + (4ull << 20) : 0;
        t_map_v1(root, 4, iova, pa, shifts[i], true, true);
        uint64_t size = 1ull << shifts[i];
        uint64_t off = (shifts[i] > 22) ? DATA + 0x2340 : size - 8;
        check_rw(0x11, iova + off, pa + off);
        struct emu_tlb_entry *e = tlb_find(0x11, 2, AMDVI_TLB_NOPASID, iova + off);
        cr_assert(e && e->shift == shifts[i], "shift %u", shifts[i]);
    }
}

Test(amdvi_walk, nextlevel7_bad_size)
{
    uint64_t root = t_alloc();
    t_dte(0x12, dte_v1(3, root, 0), 2, 0, 0);
    uint64_t pte = t_map_v1(root, 3, 0x0, DATA, 12, true, true);
    /* NL=7 at L1 encoding 4 MiB (bits 20:12 ones): not between 4K and 2M */
    w64(pte, (DATA | 0x1FF000) | (7ull << 9) | 1 | PTE_IR | PTE_IW);
    struct emu_fault f;
    uint8_t b[8];
    cr_assert_eq(dma(0x12, 0x0, b, 8, false, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0] & emu_mask(59, 48), EVF_PR | EVF_RZ);
}

Test(amdvi_walk, level_skipping)
{
    uint64_t root = t_alloc(), l1 = t_alloc();
    t_dte(0x13, dte_v1(3, root, 0), 3, 0, 0);
    /* L3 entry 1 -> an L1 table directly (NextLevel 1) */
    w64(root + 8, l1 | (1ull << 9) | 1 | PTE_IR | PTE_IW);
    w64(l1 + 5 * 8, (DATA + 0x5000) | 1 | PTE_IR | PTE_IW);
    check_rw(0x13, (1ull << 30) + 0x5010, DATA + 0x5010);
    /* the skipped L2 index bits must be 0 */
    struct emu_fault f;
    uint8_t b[8];
    cr_assert_eq(dma(0x13, (1ull << 30) + (1ull << 21) + 0x5000, b, 8, false, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0] & emu_mask(59, 48), EVF_PR);
    /* NextLevel >= current level is invalid */
    w64(root + 16, l1 | (3ull << 9) | 1 | PTE_IR | PTE_IW);
    cr_assert_eq(dma(0x13, (2ull << 30), b, 8, false, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0] & emu_mask(59, 48), EVF_PR | EVF_RZ);
}

Test(amdvi_walk, self_reference_terminates)
{
    uint64_t root = t_alloc();
    t_dte(0x14, dte_v1(6, root, 0), 3, 0, 0);
    for (int i = 0; i < 512; i++)   /* every entry points back at the root */
        w64(root + i * 8, root | (5ull << 9) | 1 | PTE_IR | PTE_IW);
    struct emu_fault f;
    uint8_t b[8];
    /* L6 -> L5 -> (L5 table entry says NL=5 again) -> RZ fault */
    cr_assert_eq(dma(0x14, 0x123456789000ull, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 2);
}

Test(amdvi_walk, reserved_pde_bits)
{
    uint64_t root = t_alloc();
    t_dte(0x15, dte_v1(3, root, 0), 3, 0, 0);
    t_map_v1(root, 3, 0x1000, DATA, 12, true, true);
    w64(root, m64(root) | (1ull << 60));    /* FC is reserved in a PDE */
    struct emu_fault f;
    uint8_t b[8];
    cr_assert_eq(dma(0x15, 0x1000, b, 8, false, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0] & emu_mask(59, 48), EVF_PR | EVF_RZ);
}

Test(amdvi_walk, permissions_anded)
{
    uint64_t root = t_alloc();
    t_dte(0x16, dte_v1(3, root, 0), 3, 0, 0);
    t_map_v1(root, 3, 0x1000, DATA, 12, true, true);
    w64(root, m64(root) & ~PTE_IW);          /* PDE read-only */
    struct emu_fault f;
    uint64_t v = 1;
    cr_assert_eq(dma(0x16, 0x1000, &v, 8, true, &f), -EFAULT);
    cr_assert_eq(dma(0x16, 0x1000, &v, 8, false, &f), 0);
    /* DTE IW=0 */
    t_dte(0x17, dte_v1(3, root, 0) & ~PTE_IW, 4, 0, 0);
    w64(root, m64(root) | PTE_IW);
    cr_assert_eq(dma(0x17, 0x1000, &v, 8, true, &f), -EFAULT);
    cr_assert_eq(f.reason, 2);
}

Test(amdvi_walk, passthrough_cases)
{
    struct emu_fault f;
    /* V=0: untranslated full access */
    check_rw(0x50, DATA + 0x40, DATA + 0x40);
    /* Mode 0 with IR/IW */
    t_dte(0x51, 3 | PTE_IR | PTE_IW, 1, 0, 0);
    check_rw(0x51, DATA + 0x80, DATA + 0x80);
    t_dte(0x52, 3 | PTE_IR, 1, 0, 0);          /* read only */
    uint64_t v = 0;
    cr_assert_eq(dma(0x52, DATA, &v, 8, false, &f), 0);
    cr_assert_eq(dma(0x52, DATA, &v, 8, true, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0], (2ull << 60) | EVF_PR | EVF_PE | EVF_RW | (1ull << 32) | 0x52);
    /* Linux's blocked DTE: V=1 TV=1 Mode 0 IR=IW=0 */
    t_dte(0x53, 3, 1, 0, 0);
    cr_assert_eq(dma(0x53, DATA, &v, 8, false, &f), -EFAULT);
    /* IommuEn=0 */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_IOMMU_EN);
    check_rw(0x53, DATA + 0x100, DATA + 0x100);
}

Test(amdvi_walk, exclusion_range)
{
    uint64_t root = t_alloc();
    t_dte(0x60, dte_v1(3, root, 0), 1 | (1ull << 39) /* EX */, 0, 0);
    t_dte(0x61, dte_v1(3, root, 0), 1, 0, 0);
    wr(AMDVI_EXCL_BASE, DATA | 1);
    wr(AMDVI_EXCL_LIMIT, DATA + 0x1000);
    check_rw(0x60, DATA + 0x1FF8, DATA + 0x1FF8);     /* limit | 0xFFF inclusive */
    uint64_t v;
    cr_assert_eq(dma(0x60, DATA + 0x2000, &v, 8, false, NULL), -EFAULT);
    cr_assert_eq(dma(0x61, DATA, &v, 8, false, NULL), -EFAULT);
    wr(AMDVI_EXCL_BASE, DATA | 3);                    /* Allow: all devices */
    cr_assert_eq(dma(0x61, DATA, &v, 8, false, NULL), 0);
}

Test(amdvi_walk, interrupt_window_untranslated)
{
    t_dte(0x62, 3, 1, 0, 0);   /* blocked device */
    uint64_t v;
    cr_assert_eq(dma(0x62, 0xFEE00000, &v, 4, false, NULL), -EFAULT); /* not RAM */
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0);
}

/* ---- A/D ---------------------------------------------------------------- */

static uint64_t pde_chain[4];

static uint64_t ad_setup(uint16_t dev, unsigned had, uint64_t iova)
{
    uint64_t root = t_alloc();
    t_dte(dev, dte_v1(3, root, had), 7, 0, 0);
    uint64_t leaf = t_map_v1(root, 3, iova, DATA, 12, true, true);
    pde_chain[3] = root + ((iova >> 30) & 0x1FF) * 8;
    uint64_t l2 = m64(pde_chain[3]) & PTE_ADDR_MASK;
    pde_chain[2] = l2 + ((iova >> 21) & 0x1FF) * 8;
    pde_chain[1] = leaf;
    return leaf;
}

Test(amdvi_walk, ad_off)
{
    uint64_t leaf = ad_setup(0x70, 0, 0x1000);
    uint64_t before = m64(leaf), v = 1;
    cr_assert_eq(dma(0x70, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(leaf), before);
    cr_assert_eq(m64(pde_chain[3]) & (PTE_A | PTE_D), 0);
}

Test(amdvi_walk, ad_access_only)
{
    uint64_t leaf = ad_setup(0x71, 1, 0x1000);
    uint64_t v = 1;
    cr_assert_eq(dma(0x71, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(leaf) & (PTE_A | PTE_D), PTE_A);
    cr_assert_eq(m64(pde_chain[3]) & (PTE_A | PTE_D), PTE_A);
    cr_assert_eq(m64(pde_chain[2]) & (PTE_A | PTE_D), PTE_A);
}

Test(amdvi_walk, ad_dirty_semantics)
{
    uint64_t leaf = ad_setup(0x72, 3, 0x1000);
    uint64_t v = 1;
    cr_assert_eq(dma(0x72, 0x1000, &v, 8, false, NULL), 0);
    cr_assert_eq(m64(leaf) & (PTE_A | PTE_D), PTE_A);          /* read: no D */
    cr_assert_eq(m64(pde_chain[2]) & (PTE_A | PTE_D), PTE_A);
    cr_assert_eq(dma(0x72, 0x1000, &v, 8, true, NULL), 0);     /* IOTLB hit, not dirty */
    cr_assert_eq(m64(leaf) & (PTE_A | PTE_D), PTE_A | PTE_D);
    cr_assert_eq(m64(pde_chain[2]) & PTE_D, 0);                /* D only in the leaf */
    /* Linux harvest: test-and-clear D; a cached dirty translation lets the
     * next write through without setting D until the IOTLB is flushed. */
    uint64_t e = m64(leaf);
    cr_assert_eq(emu_mem_cmpxchg64(T.mem, leaf, &e, e & ~PTE_D), 1);
    cr_assert_eq(dma(0x72, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(leaf) & PTE_D, 0);
    t_cmd((3ull << 60) | (7ull << 32), 0x1000 | 2);            /* S=0, PDE */
    cr_assert(t_sync());
    cr_assert_eq(dma(0x72, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(leaf) & PTE_D, PTE_D);
    /* no write when already set */
    uint64_t before = m64(leaf);
    t_cmd(8ull << 60, 0);
    cr_assert_eq(dma(0x72, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(leaf), before);
}

Test(amdvi_walk, ad_replicated_large_page)
{
    uint64_t root = t_alloc();
    t_dte(0x73, dte_v1(3, root, 3), 7, 0, 0);
    uint64_t first = t_map_v1(root, 3, 0x10000, DATA, 16, true, true);   /* 16 replicas */
    uint64_t v = 1;
    cr_assert_eq(dma(0x73, 0x10000 + 0x5008, &v, 8, true, NULL), 0);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(m64(first + i * 8) & PTE_D, i == 5 ? PTE_D : 0, "replica %d", i);
    cr_assert_eq(m64(DATA + 0x5008), 1);
}

Test(amdvi_walk, had_needs_efr)
{
    t_teardown();
    t_setup("nodirty");
    t_bringup();
    uint64_t root = t_alloc();
    struct emu_fault f;
    uint64_t v;
    t_dte(0x74, dte_v1(3, root, 3), 7, 0, 0);
    cr_assert_eq(dma(0x74, 0x1000, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
    t_map_v1(root, 3, 0x1000, DATA, 12, true, true);
    t_dte(0x75, dte_v1(3, root, 1), 7, 0, 0);
    cr_assert_eq(dma(0x75, 0x1000, &v, 8, true, &f), 0);
    t_teardown();
    t_setup("noad");
    t_bringup();
    t_dte(0x75, dte_v1(3, t_alloc(), 1), 7, 0, 0);
    cr_assert_eq(dma(0x75, 0x1000, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
}

/* ---- caching ------------------------------------------------------------ */

Test(amdvi_walk, dte_cache_needs_invalidation)
{
    uint64_t root = t_alloc();
    t_map_v1(root, 3, 0x1000, DATA, 12, true, true);
    t_dte(0x80, dte_v1(3, root, 0), 7, 0, 0);
    uint64_t v;
    cr_assert_eq(dma(0x80, 0x1000, &v, 8, false, NULL), 0);
    w64(DEVTAB + 0x80 * 32, 3);    /* blocked, not invalidated yet */
    t_cmd((3ull << 60) | (7ull << 32), 0x7FFFFFFFFFFFF000ull | 3);
    cr_assert_eq(dma(0x80, 0x1000, &v, 8, false, NULL), 0);
    t_cmd((2ull << 60) | 0x80, 0);
    cr_assert_eq(dma(0x80, 0x1000, &v, 8, false, NULL), -EFAULT);
}

Test(amdvi_walk, iotlb_invalidation_ranges)
{
    uint64_t root = t_alloc();
    t_dte(0x81, dte_v1(3, root, 0), 0x22, 0, 0);
    t_dte(0x82, dte_v1(3, root, 0), 0x33, 0, 0);
    for (int i = 0; i < 16; i++)
        t_map_v1(root, 3, 0x40000000 + i * 0x1000ull, DATA + i * 0x1000ull, 12, true, true);
    uint64_t v;
    struct emu_iotlb *tlb = AMDVI(T.io)->tlb;
    for (int i = 0; i < 16; i++) {
        cr_assert_eq(dma(0x81, 0x40000000 + i * 0x1000ull, &v, 8, false, NULL), 0);
        cr_assert_eq(dma(0x82, 0x40000000 + i * 0x1000ull, &v, 8, false, NULL), 0);
    }
    cr_assert_eq(emu_iotlb_count(tlb), 32);
    t_cmd((3ull << 60) | (0x22ull << 32), 0x40001000);         /* one page */
    cr_assert_eq(emu_iotlb_count(tlb), 31);
    cr_assert_null(tlb_find(0x81, 0x22, AMDVI_TLB_NOPASID, 0x40001000));
    t_cmd((3ull << 60) | (0x22ull << 32), 0x40004000 | 1 | 0x1000);   /* 16K at 0x40004000 */
    cr_assert_eq(emu_iotlb_count(tlb), 27);
    t_cmd((3ull << 60) | (0x22ull << 32) | 5, 0x7FFFFFFFFFFFF000ull | 5);  /* GN: no match */
    cr_assert_eq(emu_iotlb_count(tlb), 27);
    t_cmd((3ull << 60) | (0x22ull << 32), 0x7FFFFFFFFFFFF000ull | 3);
    cr_assert_eq(emu_iotlb_count(tlb), 16);
    /* PREFETCH with Inval drops one device's range */
    t_cmd((6ull << 60) | 0x82, 0x40000000 | 0x7000 | 1 | 0x10);   /* 64K */
    cr_assert_eq(emu_iotlb_count(tlb), 0);
    cr_assert(t_sync());
}

Test(amdvi_walk, stale_translation_until_flush)
{
    uint64_t root = t_alloc();
    t_dte(0x83, dte_v1(3, root, 0), 0x44, 0, 0);
    uint64_t pte = t_map_v1(root, 3, 0x2000, DATA, 12, true, true);
    uint64_t v = 0x11;
    cr_assert_eq(dma(0x83, 0x2000, &v, 8, true, NULL), 0);
    w64(pte, 0);   /* unmap without flush: the IOTLB still translates */
    cr_assert_eq(dma(0x83, 0x2000, &v, 8, false, NULL), 0);
    t_cmd((3ull << 60) | (0x44ull << 32), 0x2000 | 2);
    cr_assert_eq(dma(0x83, 0x2000, &v, 8, false, NULL), -EFAULT);
}

/* ---- v2 ------------------------------------------------------------------ */

static uint64_t v2_dev(uint16_t dev, uint16_t dom, unsigned glx, bool five, bool giov,
                       uint64_t *gcr3_out)
{
    uint64_t gcr3 = t_alloc();
    uint64_t q0 = 1 | 2 | PTE_IR | PTE_IW | (1ull << 55) | ((uint64_t)glx << 56) |
                  (giov ? 1ull << 54 : 0) | (emu_bits(gcr3, 14, 12) << 58);
    uint64_t q1 = dom | (emu_bits(gcr3, 30, 15) << 16) | (emu_bits(gcr3, 51, 31) << 43);
    uint64_t q2 = five ? 1ull << 54 : 0;
    t_dte(dev, q0, q1, q2, 0);
    *gcr3_out = gcr3;
    return gcr3;
}

static uint64_t gcr3_set(uint64_t gcr3, unsigned glx, uint32_t pasid)
{
    uint64_t t = gcr3;
    for (unsigned l = glx + 1; l > 1; l--) {
        uint64_t a = t + ((pasid >> (9 * (l - 1))) & 0x1FF) * 8;
        if (!(m64(a) & 1))
            w64(a, t_alloc() | 1);
        t = m64(a) & PTE_ADDR_MASK;
    }
    uint64_t root = t_alloc();
    w64(t + (pasid & 0x1FF) * 8, root | 1);
    return root;
}

static int pdma(uint16_t dev, uint32_t pasid, uint64_t iova, void *b, bool w,
                struct emu_fault *f)
{
    return emu_dma(T.io, dev, pasid, iova, b, 8, w, f);
}

Test(amdvi_walk, v2_pasid_walks)
{
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_GT_EN);
    uint64_t gcr3;
    v2_dev(0x90, 0x90, 1, false, false, &gcr3);
    uint64_t root = gcr3_set(gcr3, 1, 0x345);
    uint64_t leaf = t_map_v2(root, 4, 0x7000, DATA + 0x3000, 12, true);
    uint64_t v = 0x77, r = 0;
    struct emu_fault f;
    cr_assert_eq(pdma(0x90, 0x345, 0x7010, &v, true, &f), 0);
    cr_assert_eq(m64(DATA + 0x3010), 0x77);
    cr_assert_eq(m64(leaf) & 0x60, 0x60);          /* A and D */
    cr_assert_eq(m64(root) & 0x60, 0x20);          /* A only above */
    cr_assert_eq(pdma(0x90, 0x345, 0x7010, &r, false, &f), 0);
    cr_assert_eq(r, 0x77);
    cr_assert(tlb_find(0x90, 0x90, 0x345, 0x7000));
    /* other PASID: not present in GCR3 */
    cr_assert_eq(pdma(0x90, 0x346, 0x7010, &r, false, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0], (2ull << 60) | EVF_GN | (0x346ull << 32) | 0x90);
    /* PASID wider than PASmax+1 = 16 bits */
    cr_assert_eq(pdma(0x90, 0x10000, 0x7010, &r, false, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0], (2ull << 60) | EVF_GN | (1ull << 16) | 0x90);
    /* read-only leaf */
    t_map_v2(root, 4, 0x8000, DATA, 12, false);
    cr_assert_eq(pdma(0x90, 0x345, 0x8000, &v, true, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0], (2ull << 60) | EVF_GN | EVF_PR | EVF_PE | EVF_RW |
                               (0x345ull << 32) | 0x90);
    /* GN invalidation drops the PASID's entries */
    t_cmd((3ull << 60) | (0x90ull << 32) | 0x345, 0x7FFFFFFFFFFFF000ull | 7);
    cr_assert_null(tlb_find(0x90, 0x90, 0x345, 0x7000));
}

Test(amdvi_walk, v2_large_and_five_level)
{
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_GT_EN);
    uint64_t gcr3;
    v2_dev(0x91, 0x91, 0, true, true, &gcr3);
    uint64_t root = gcr3_set(gcr3, 0, 0);
    t_map_v2(root, 5, 0x80000000000000ull, 0, 30, true);          /* 1G, L5 walk */
    t_map_v2(root, 5, 0x200000, DATA, 21, true);                    /* 2M */
    uint64_t v = 5;
    cr_assert_eq(dma(0x91, 0x80000000000000ull + DATA + 8, &v, 8, true, NULL), 0);
    cr_assert_eq(m64(DATA + 8), 5);
    cr_assert_eq(dma(0x91, 0x200000 + 0x1FFFF8, &v, 8, true, NULL), 0);   /* GIoV */
    cr_assert_eq(m64(DATA + 0x1FFFF8), 5);
    struct emu_tlb_entry *e = tlb_find(0x91, 0x91, 0, 0x200000);
    cr_assert(e && e->shift == 21);
    /* PS at L4 is reserved */
    w64(root + 8 * 3, DATA | 0x83);
    struct emu_fault f;
    cr_assert_eq(dma(0x91, 3ull << 48, &v, 8, false, &f), -EFAULT);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 1);
    cr_assert_eq(ev[0][0] & emu_mask(59, 48), EVF_PR | EVF_RZ);
    /* GTEn=0: GV is not used, the v1 fields (Mode 0) apply */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_GT_EN);
    cr_assert_eq(dma(0x91, DATA + 8, &v, 8, false, NULL), 0);
    /* 5-level needs GATS=01: qemu-like EFR without it is an illegal DTE */
}

Test(amdvi_walk, v2_hostile_gcr3)
{
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_GT_EN);
    uint64_t gcr3;
    v2_dev(0x92, 0x92, 1, false, false, &gcr3);
    w64(gcr3, 0xF00000000000ull | 1);    /* L2 GCR3 entry outside memory */
    struct emu_fault f;
    uint64_t v;
    cr_assert_eq(pdma(0x92, 0x5, 0x1000, &v, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 4);
    w64(gcr3, gcr3 | 1);                 /* self-reference: terminates */
    cr_assert_eq(pdma(0x92, 0x5, 0x1000, &v, false, &f), -EFAULT);
    /* GLX beyond GLXSup (1) is illegal */
    t_dte(0x93, 3 | (1ull << 55) | (2ull << 56), 0x93, 0, 0);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_GT_EN);
    cr_assert_eq(pdma(0x93, 1, 0, &v, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
}
