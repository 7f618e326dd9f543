/* The fault interrupt path end to end (mockfd/core/platform.h): a device DMA
 * that faults makes the model record the fault (VT-d FRCD/FSTS, AMD-Vi event
 * log, SMMUv3 event queue) and write its MSI; the platform notices the
 * doorbell after the DMA and runs the driver's handler, which consumes the
 * hardware log through MMIO + guest memory and prints the kernel's line.
 *
 * Table-driven over the models; what differs comes from the case entry:
 * SMMUv3 without IDR0.MSI (QEMU's profile) has wired interrupts only, which
 * the platform does not deliver, so there the faults stay in the queue and
 * the queue overflows. SMMUv3 cases use a 128-entry event queue (IDR1
 * EVENTQS=7) so that "more faults than the log holds" stays quick. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/e2e/e2e_util.h"
#include "mockfd/core/device.h"
#include "mockfd/core/platform.h"

enum irq_kind { K_VTD, K_AMD, K_SMMU };

struct irq_case {
    struct e2e_model m;
    enum irq_kind kind;
    bool msi;              /* the interrupt reaches the driver */
    bool unmask_resends;   /* unmasking with a fault pending sends the MSI (VT-d IP) */
};

#define FAULT_IOVA 0x200000ull
#define OK_IOVA    0x100000ull

static const struct irq_case c_vtd = { { .spec = "vtd", .rid = 0x10 }, K_VTD, true, true };
static const struct irq_case c_vtd_qemu = { { .spec = "vtd:qemu", .rid = 0x100 }, K_VTD, true,
                                            true };
static const struct irq_case c_amd = { { .spec = "amdvi", .rid = 0x10 }, K_AMD, true, false };
static const struct irq_case c_amd_qemu = { { .spec = "amdvi:qemu", .rid = 0x100 }, K_AMD, true,
                                            false };
static const struct irq_case c_smmu = { { .spec = "smmuv3:idr1=0x02670510", .rid = 0x10 },
                                        K_SMMU, true, false };
static const struct irq_case c_smmu_qemu = {
    { .spec = "smmuv3:qemu,idr5=0x75,idr1=0x02670010", .rid = 0x100 }, K_SMMU, false, false };

#define IRQ_ONE(name, tag, c) Test(e2e_irq_##tag, name) { name(&c); }
#define IRQ_TEST(name) static void name(const struct irq_case *c); \
    IRQ_ONE(name, vtd, c_vtd) IRQ_ONE(name, vtd_qemu, c_vtd_qemu) \
    IRQ_ONE(name, amdvi, c_amd) IRQ_ONE(name, amdvi_qemu, c_amd_qemu) \
    IRQ_ONE(name, smmu, c_smmu) IRQ_ONE(name, smmu_qemu, c_smmu_qemu) \
    static void name(const struct irq_case *c)

/* ---- registers, as the tests read them (specs: vtd.md §6, amdvi.md §3.2,
 * §7, smmuv3.md §1.4, §3.5) ---- */
#define V_CAP    0x008
#define V_FSTS   0x034
#define V_FECTL  0x038
#define A_CTRL   0x0018
#define A_EVTBAR 0x0010
#define A_HEAD   0x2010
#define A_TAIL   0x2018
#define A_STATUS 0x2020
#define S_IDR1   0x004
#define S_IRQCTL 0x050
#define S_IRQACK 0x054
#define S_GERR   0x060
#define S_GERRN  0x064
#define S_PROD   0x100a8
#define S_CONS   0x100ac

struct fx {
    struct e2e e;
    struct emu_iommu *hw;
    void *buf;
};

static uint64_t rd(struct fx *f, uint64_t off, unsigned w)
{
    return emu_mmio_read(f->hw, off, w);
}

static void fx_setup(struct fx *f, const struct irq_case *c)
{
    uint32_t pt;

    e2e_setup(&f->e, &c->m);
    f->hw = mfd_platform_iommu(f->e.iommu);
    cr_assert_not_null(f->hw);
    f->buf = e2e_buf(4096, 4096);
    cr_assert_eq(e2e_map(&f->e, f->e.ioas, f->buf, 4096, OK_IOVA), 0);
    pt = f->e.ioas;
    cr_assert_eq(e2e_attach(&f->e, &pt), 0);
}

static void fx_teardown(struct fx *f)
{
    e2e_teardown(&f->e);
    munmap(f->buf, 4096);   /* e2e_buf's page-aligned request: the mapping starts here */
}

static void fault_dma(struct fx *f)
{
    uint32_t v;

    cr_assert_eq(e2e_dma(&f->e, FAULT_IOVA, &v, sizeof(v), false), -EFAULT);
}

static void ok_dma(struct fx *f)
{
    uint32_t v;

    cr_assert_eq(e2e_dma(&f->e, OK_IOVA, &v, sizeof(v), false), 0);
}

static struct mfd_irq_stats stats(struct fx *f)
{
    struct mfd_irq_stats st;

    cr_assert_eq(mfd_platform_irq_stats(f->e.iommu, &st), 0);
    return st;
}

/* Records the hardware still holds for software (0: the log is consumed). */
static unsigned pending(struct fx *f, const struct irq_case *c)
{
    switch (c->kind) {
    case K_VTD: {
        uint64_t cap = rd(f, V_CAP, 8);
        unsigned fro = (unsigned)((cap >> 24) & 0x3ff) * 16, nfr = ((cap >> 40) & 0xff) + 1, n = 0;

        for (unsigned i = 0; i < nfr; i++)
            n += (unsigned)(rd(f, fro + 16 * i + 8, 8) >> 63);
        /* FSTS.PPF follows the F bits (VT-d spec §11.4.7.1) */
        cr_assert_eq(!!(rd(f, V_FSTS, 4) & 2), n > 0);
        return n;
    }
    case K_AMD: {
        uint64_t size = 16ull << ((rd(f, A_EVTBAR, 8) >> 56) & 0xf);
        uint32_t h = (uint32_t)rd(f, A_HEAD, 4), t = (uint32_t)rd(f, A_TAIL, 4);

        return (unsigned)(((t - h) % size) / 16);
    }
    case K_SMMU: {
        uint32_t shift = (uint32_t)(rd(f, S_IDR1, 4) >> 16) & 0x1f;
        uint32_t m = (2u << shift) - 1, p = (uint32_t)rd(f, S_PROD, 4), k = (uint32_t)rd(f, S_CONS, 4);

        return ((p & m) - (k & m)) & m;
    }
    }
    return 0;
}

/* The hardware log overflowed (and the overflow is still unacknowledged). */
static bool overflowed(struct fx *f, const struct irq_case *c)
{
    switch (c->kind) {
    case K_VTD:
        return rd(f, V_FSTS, 4) & 1;                             /* PFO */
    case K_AMD:
        return rd(f, A_STATUS, 4) & 1;                           /* EventOverflow */
    case K_SMMU:
        return (rd(f, S_PROD, 4) ^ rd(f, S_CONS, 4)) & (1u << 31); /* OVFLG != OVACKFLG */
    }
    return false;
}

/* How many entries the hardware log holds. */
static unsigned capacity(struct fx *f, const struct irq_case *c)
{
    switch (c->kind) {
    case K_VTD:
        return (unsigned)((rd(f, V_CAP, 8) >> 40) & 0xff) + 1;
    case K_AMD:
        return 1u << ((rd(f, A_EVTBAR, 8) >> 56) & 0xf);
    case K_SMMU:
        return 1u << ((rd(f, S_IDR1, 4) >> 16) & 0x1f);
    }
    return 0;
}

/* The line of a read fault at FAULT_IOVA by the case's device must be in
 * the log: the decode names the device, the address and the access. */
static void expect_fault_line(struct fx *f, const struct irq_case *c, uint64_t from)
{
    uint32_t r = c->m.rid;
    char want[160], want2[80] = "", line[MFD_LOG_LEN];
    int64_t seq;

    switch (c->kind) {
    case K_VTD:
        snprintf(want, sizeof(want), "DMAR: [DMA Read NO_PASID] Request device [%02x:%02x.%u] "
                 "fault addr 0x%llx [fault reason 0x", r >> 8, (r >> 3) & 0x1f, r & 7,
                 (unsigned long long)FAULT_IOVA);
        break;
    case K_AMD:
        snprintf(want, sizeof(want), "AMD-Vi: Event logged [IO_PAGE_FAULT device=0000:%02x:%02x.%x "
                 "domain=0x", r >> 8, (r >> 3) & 0x1f, r & 7);
        snprintf(want2, sizeof(want2), " address=0x%llx flags=0x0000]",
                 (unsigned long long)FAULT_IOVA);
        break;
    case K_SMMU:
        snprintf(want, sizeof(want), "event: F_TRANSLATION client: 0000:%02x:%02x.%x sid: 0x%x "
                 "ssid: 0x0 iova: 0x%llx ipa: 0x0", r >> 8, (r >> 3) & 0x1f, r & 7, r,
                 (unsigned long long)FAULT_IOVA);
        snprintf(want2, sizeof(want2), "event: F_TRANSLATION");
        break;
    }
    seq = mfd_platform_log_find(f->e.iommu, from, want);
    cr_assert_geq(seq, 0, "no log line \"%s\"", want);
    cr_assert_eq(mfd_platform_log_line(f->e.iommu, (uint64_t)seq, line, sizeof(line)), 0);
    cr_assert(strstr(line, want2), "\"%s\" lacks \"%s\"", line, want2);
}

/* Lines one read fault prints: VT-d "DRHD: handling fault status reg" +
 * the record; AMD-Vi the event; SMMUv3 "event 0x10 received:", 4 raw
 * dwords and 2 decoded lines. */
static uint64_t lines_per_fault(const struct irq_case *c)
{
    return c->kind == K_VTD ? 2 : c->kind == K_AMD ? 1 : 7;
}

IRQ_TEST(fault_is_consumed_and_decoded)
{
    struct fx f;
    struct mfd_irq_stats st;

    fx_setup(&f, c);
    st = stats(&f);
    cr_assert_eq(st.nvec, c->msi ? (c->kind == K_SMMU ? 2u : 1u) : 0u);
    cr_assert_eq(st.lines, 0, "probe logged something");
    ok_dma(&f);
    cr_assert_eq(stats(&f).irqs[0], 0, "a DMA that does not fault raises nothing");
    fault_dma(&f);
    st = stats(&f);
    if (!c->msi) {
        /* wired interrupt: not delivered, the record stays in the queue */
        cr_assert_eq(pending(&f, c), 1);
        cr_assert_eq(st.lines, 0);
        cr_assert_eq(st.records, 0);
    } else {
        cr_assert_eq(pending(&f, c), 0, "the handler left records behind");
        cr_assert_eq(st.irqs[0], 1, "one fault, one interrupt");
        cr_assert_eq(st.records, 1);
        cr_assert_eq(st.lines, lines_per_fault(c));
        expect_fault_line(&f, c, 0);
        if (c->kind == K_VTD)
            cr_assert_eq(rd(&f, V_FSTS, 4) & 0xff, 0, "FSTS status bits cleared");
        if (c->kind == K_AMD)
            cr_assert_eq(rd(&f, A_STATUS, 4) & 3, 0, "EventLogInt / EventOverflow cleared");
        if (c->kind == K_SMMU) {
            cr_assert_eq(st.irqs[1], 0, "no global error");
            cr_assert_eq(rd(&f, S_GERR, 4), rd(&f, S_GERRN, 4));
        }
    }
    fx_teardown(&f);
    ASSERT_NO_LEAKS();
}

IRQ_TEST(many_faults_never_overflow)
{
    struct fx f;
    struct mfd_irq_stats st;
    unsigned n, i;

    fx_setup(&f, c);
    n = 3 * capacity(&f, c) + 1;
    for (i = 0; i < n; i++)
        fault_dma(&f);
    st = stats(&f);
    if (!c->msi) {
        /* nobody consumes: the queue fills and overflows */
        cr_assert(overflowed(&f, c));
        cr_assert_eq(st.records, 0);
    } else {
        cr_assert(!overflowed(&f, c), "the handler did not keep up");
        cr_assert_eq(pending(&f, c), 0);
        cr_assert_eq(st.irqs[0], n, "one interrupt per fault");
        cr_assert_eq(st.records, n, "every fault decoded once");
        cr_assert_eq(st.lines, n * lines_per_fault(c));
        /* the ring keeps the newest lines: the last fault is there */
        expect_fault_line(&f, c, st.lines - lines_per_fault(c));
        /* the ring is bounded: the first line is gone once it wrapped */
        cr_assert_eq(mfd_platform_log_line(f.e.iommu, 0, NULL, 0),
                     st.lines > MFD_LOG_LINES ? -ENODATA : 0);
    }
    fx_teardown(&f);
    ASSERT_NO_LEAKS();
}

/* Mask the interrupt the way a guest could, through MMIO: VT-d FECTL.IM,
 * AMD-Vi Control.EventIntEn, SMMUv3 IRQ_CTRL.EVENTQ_IRQEN (with its ACK). */
static void set_masked(struct fx *f, const struct irq_case *c, bool masked)
{
    switch (c->kind) {
    case K_VTD:
        emu_mmio_write(f->hw, V_FECTL, 4, masked ? 1u << 31 : 0);
        break;
    case K_AMD: {
        uint64_t ctl = rd(f, A_CTRL, 8);

        emu_mmio_write(f->hw, A_CTRL, 8, masked ? ctl & ~(1ull << 3) : ctl | (1ull << 3));
        break;
    }
    case K_SMMU: {
        uint32_t v = masked ? 1u : 5u;     /* GERROR_IRQEN | EVENTQ_IRQEN */

        emu_mmio_write(f->hw, S_IRQCTL, 4, v);
        cr_assert_eq(rd(f, S_IRQACK, 4), v);
        break;
    }
    }
}

IRQ_TEST(masked_interrupt_leaves_faults_pending)
{
    struct fx f;
    struct mfd_irq_stats st;
    unsigned k, i;

    fx_setup(&f, c);
    /* two faults, or one where the log holds one (QEMU's VT-d: 1 FRCD) */
    k = capacity(&f, c) >= 2 ? 2 : 1;
    set_masked(&f, c, true);
    for (i = 0; i < k; i++)
        fault_dma(&f);
    st = stats(&f);
    cr_assert_eq(st.irqs[0], 0, "no interrupt, no handler");
    cr_assert_eq(st.lines, 0);
    cr_assert_eq(pending(&f, c), k, "the faults wait in the hardware log");
    cr_assert(!overflowed(&f, c));
    if (c->kind == K_VTD)
        cr_assert_eq(rd(&f, V_FECTL, 4), (1u << 31) | (1u << 30), "IM with IP pending");
    if (c->kind == K_AMD)
        cr_assert_eq(rd(&f, A_STATUS, 4) & 2, 2, "EventLogInt set without EventIntEn");
    set_masked(&f, c, false);
    ok_dma(&f);
    if (c->msi && c->unmask_resends) {
        /* VT-d spec §11.4.7.2: clearing IM with IP set sends the event */
        cr_assert_eq(pending(&f, c), 0);
        cr_assert_eq(stats(&f).records, k);
    } else {
        cr_assert_eq(pending(&f, c), k, "no new event, no interrupt");
    }
    /* the next fault interrupts again; the handler takes everything */
    fault_dma(&f);
    st = stats(&f);
    if (c->msi) {
        cr_assert_eq(pending(&f, c), 0);
        cr_assert_eq(st.records, k + 1);
        expect_fault_line(&f, c, 0);
    } else {
        cr_assert_eq(pending(&f, c), k + 1);
        cr_assert_eq(st.records, 0);
    }
    fx_teardown(&f);
    ASSERT_NO_LEAKS();
}

/* The GERROR interrupt (vector 1): the event queue moved (by a guest, with
 * EVENTQEN off) to memory that is not there, so the SMMU's record write
 * aborts and it activates GERROR.EVENTQ_ABT_ERR (smmuv3.md §3.5, §8.3); the
 * driver's GERROR handler reports it with the kernel's text and acknowledges
 * it (GERRORN := GERROR). */
Test(e2e_irq_smmu, gerror_reported_and_acknowledged)
{
    const uint64_t cr0 = 0x020, cr0ack = 0x024, evtq_base = 0x0a0;
    struct fx f;
    struct mfd_irq_stats st;
    uint32_t v;

    fx_setup(&f, &c_smmu);
    v = (uint32_t)rd(&f, cr0, 4);
    emu_mmio_write(f.hw, cr0, 4, v & ~4u);                 /* EVENTQEN off */
    cr_assert_eq(rd(&f, cr0ack, 4), v & ~4u);
    emu_mmio_write(f.hw, evtq_base, 8, (1ull << 62) | 0x1000 | 7);
    emu_mmio_write(f.hw, cr0, 4, v);
    cr_assert_eq(rd(&f, cr0ack, 4), v);
    fault_dma(&f);
    st = stats(&f);
    cr_assert_eq(st.irqs[0], 0, "no record written, no EVTQ interrupt");
    cr_assert_eq(st.irqs[1], 1);
    cr_assert_eq(rd(&f, S_GERR, 4) & 4, 4, "EVENTQ_ABT_ERR toggled");
    cr_assert_eq(rd(&f, S_GERR, 4), rd(&f, S_GERRN, 4), "acknowledged");
    cr_assert_geq(mfd_platform_log_find(f.e.iommu, 0, "arm-smmu-v3 arm-smmu-v3.0.auto: "
                  "unexpected global error reported (0x00000004), this could be serious"), 0);
    cr_assert_geq(mfd_platform_log_find(f.e.iommu, 0,
                                        "EVTQ write aborted -- events may have been lost"), 0);
    fx_teardown(&f);
    ASSERT_NO_LEAKS();
}
