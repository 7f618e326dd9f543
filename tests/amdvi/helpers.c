#include "amdvi_test.h"

struct tctx T;

void t_setup(const char *profile)
{
    memset(&T, 0, sizeof(T));
    T.mem = emu_mem_new();
    cr_assert(T.mem);
    cr_assert_eq(emu_mem_map(T.mem, 0, MEM_SIZE, NULL), 0);
    T.io = emu_iommu_new(EMU_AMDVI, profile, T.mem);
    cr_assert(T.io, "emu_iommu_new(%s)", profile ? profile : "NULL");
    T.pt_next = PT_POOL;
}

void t_teardown(void)
{
    emu_iommu_free(T.io);
    emu_mem_free(T.mem);
    T.io = NULL;
    T.mem = NULL;
}

uint64_t rd(uint64_t off) { return emu_mmio_read(T.io, off, 8); }
uint32_t rd32(uint64_t off) { return (uint32_t)emu_mmio_read(T.io, off, 4); }
void wr(uint64_t off, uint64_t val) { emu_mmio_write(T.io, off, 8, val); }
void wr32(uint64_t off, uint32_t val) { emu_mmio_write(T.io, off, 4, val); }

uint64_t m64(uint64_t gpa)
{
    uint64_t v = 0;
    cr_assert_eq(emu_mem_read64(T.mem, gpa, &v), 0);
    return v;
}

void w64(uint64_t gpa, uint64_t v) { cr_assert_eq(emu_mem_write64(T.mem, gpa, v), 0); }

void t_bringup(void)
{
    wr(AMDVI_DEV_TAB_BAR, DEVTAB | 0x1FF);
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (9ull << 56));
    wr32(AMDVI_CMD_HEAD, 0);
    wr32(AMDVI_CMD_TAIL, 0);
    wr(AMDVI_EVT_LOG_BAR, EVTLOG | (9ull << 56));
    wr32(AMDVI_EVT_HEAD, 0);
    wr32(AMDVI_EVT_TAIL, 0);
    uint64_t c = rd(AMDVI_CONTROL);
    c |= CTRL_CMDBUF_EN | CTRL_EVT_LOG_EN | (4ull << 5);
    wr(AMDVI_CONTROL, c);
    wr(AMDVI_CONTROL, c | CTRL_IOMMU_EN);
}

void t_cmd(uint64_t q0, uint64_t q1)
{
    uint64_t bar = rd(AMDVI_CMD_BUF_BAR);
    uint64_t size = 16ull << ((bar >> 56) & 0xF);
    uint64_t tail = rd(AMDVI_CMD_TAIL);
    w64((bar & AMDVI_RING_BASE_MASK) + tail, q0);
    w64((bar & AMDVI_RING_BASE_MASK) + tail + 8, q1);
    wr32(AMDVI_CMD_TAIL, (uint32_t)((tail + 16) % size));
}

bool t_sync(void)
{
    T.sem_val++;
    t_cmd((1ull << 60) | SEM | 1, T.sem_val);
    return m64(SEM) == T.sem_val;
}

void t_dte(uint16_t devid, uint64_t q0, uint64_t q1, uint64_t q2, uint64_t q3)
{
    uint64_t a = DEVTAB + devid * 32ull;
    w64(a, q0);
    w64(a + 8, q1);
    w64(a + 16, q2);
    w64(a + 24, q3);
    t_cmd((2ull << 60) | devid, 0);
    t_cmd((3ull << 60) | ((q1 & 0xFFFF) << 32), 0x7FFFFFFFFFFFF000ull | 3);
    cr_assert(t_sync());
}

uint64_t t_alloc(void)
{
    uint64_t p = T.pt_next;
    T.pt_next += 4096;
    cr_assert(p < DATA);
    static const uint8_t z[4096];
    cr_assert_eq(emu_mem_write(T.mem, p, z, sizeof(z)), 0);
    return p;
}

uint64_t t_map_v1(uint64_t root, unsigned mode, uint64_t iova, uint64_t pa, unsigned shift,
                  bool r, bool w)
{
    unsigned leaf = (shift - 12) / 9 + 1;
    uint64_t table = root;
    for (unsigned l = mode; l > leaf; l--) {
        uint64_t a = table + ((iova >> (12 + 9 * (l - 1))) & 0x1FF) * 8;
        uint64_t e = m64(a);
        if (!(e & 1)) {
            e = t_alloc() | ((uint64_t)(l - 1) << 9) | 1 | PTE_IR | PTE_IW;
            w64(a, e);
        }
        table = e & PTE_ADDR_MASK;
    }
    unsigned dsh = 12 + 9 * (leaf - 1);
    uint64_t perms = (r ? PTE_IR : 0) | (w ? PTE_IW : 0) | (1ull << 60) /* FC */ | 1;
    unsigned idx = (unsigned)((iova >> dsh) & 0x1FF);
    if (shift == dsh) {
        w64(table + idx * 8, (pa & PTE_ADDR_MASK) | perms);
        return table + idx * 8;
    }
    uint64_t size = 1ull << shift;
    unsigned count = 1u << (shift - dsh);
    uint64_t pte = (((pa | (size - 1)) & ~(size >> 1)) & PTE_ADDR_MASK) | (7ull << 9) | perms;
    idx &= ~(count - 1);
    for (unsigned i = 0; i < count; i++)
        w64(table + (idx + i) * 8, pte);
    return table + idx * 8;
}

uint64_t t_map_v2(uint64_t root, unsigned levels, uint64_t iova, uint64_t pa, unsigned shift,
                  bool w)
{
    unsigned leaf = (shift - 12) / 9 + 1;
    uint64_t table = root;
    for (unsigned l = levels; l > leaf; l--) {
        uint64_t a = table + ((iova >> (12 + 9 * (l - 1))) & 0x1FF) * 8;
        uint64_t e = m64(a);
        if (!(e & 1)) {
            e = t_alloc() | 1 | 2 | 4;
            w64(a, e);
        }
        table = e & PTE_ADDR_MASK;
    }
    uint64_t a = table + ((iova >> shift) & 0x1FF) * 8;
    w64(a, (pa & PTE_ADDR_MASK) | 1 | (w ? 2 : 0) | 4 | (leaf > 1 ? 0x80 : 0));
    return a;
}

int t_events(uint64_t ev[][2], int max)
{
    uint64_t bar = rd(AMDVI_EVT_LOG_BAR);
    uint64_t size = 16ull << ((bar >> 56) & 0xF);
    uint64_t head = rd(AMDVI_EVT_HEAD), tail = rd(AMDVI_EVT_TAIL);
    int n = 0;
    while (head != tail && n < max) {
        ev[n][0] = m64((bar & AMDVI_RING_BASE_MASK) + head);
        ev[n][1] = m64((bar & AMDVI_RING_BASE_MASK) + head + 8);
        n++;
        head = (head + 16) % size;
    }
    wr32(AMDVI_EVT_HEAD, (uint32_t)head);
    return n;
}

uint64_t dte_v1(unsigned mode, uint64_t root, unsigned had)
{
    return 1 | 2 | ((uint64_t)had << 7) | ((uint64_t)mode << 9) | (root & PTE_ADDR_MASK) |
           PTE_IR | PTE_IW;
}

int dma(uint16_t rid, uint64_t iova, void *buf, size_t len, bool write, struct emu_fault *f)
{
    return emu_dma(T.io, rid, EMU_NO_PASID, iova, buf, len, write, f);
}
