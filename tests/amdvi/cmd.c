/* Command buffer (amdvi.md §6) and event log (§7). */
#include "amdvi_test.h"

static void setup(void) { t_setup(NULL); t_bringup(); }
static void teardown(void) { t_teardown(); }
TestSuite(amdvi_cmd, .init = setup, .fini = teardown);

#define EVQ0(code, dev, id, flags) \
    (((uint64_t)(code) << 60) | (flags) | ((uint64_t)(id) << 32) | (dev))

Test(amdvi_cmd, inv_range_encoding)
{
    uint64_t b, s;
    amdvi_inv_range(0x40000000, false, &b, &s);
    cr_assert(b == 0x40000000 && s == 0x1000);
    amdvi_inv_range(0x40000000, true, &b, &s);
    cr_assert(b == 0x40000000 && s == 0x2000);
    amdvi_inv_range(0x40001000, true, &b, &s);
    cr_assert(b == 0x40000000 && s == 0x4000);
    amdvi_inv_range(0x400FF000, true, &b, &s);
    cr_assert(b == 0x40000000 && s == 0x200000);
    amdvi_inv_range(0x7FFFF000, true, &b, &s);
    cr_assert(b == 0 && s == 0x100000000ull);
    amdvi_inv_range(0x0007FFFFFFFFF000ull, true, &b, &s);
    cr_assert(b == 0 && s == 0);
    amdvi_inv_range(0x7FFFFFFFFFFFF000ull, true, &b, &s);
    cr_assert(b == 0 && s == 0);
    /* Every address bit set (fuzzer find: ctz of zero under UBSan). */
    amdvi_inv_range(~0ull, true, &b, &s);
    cr_assert(b == 0 && s == 0);
}

Test(amdvi_cmd, completion_wait_store_and_barrier)
{
    cr_assert(t_sync());
    cr_assert_eq(rd(AMDVI_CMD_HEAD), rd(AMDVI_CMD_TAIL));
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0x10);
    t_cmd(1ull << 60, 0x1234);         /* S=I=0: pure barrier, no store */
    cr_assert_eq(m64(SEM), 1);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_COMWAIT_INT, 0);
    cr_assert_eq(AMDVI(T.io)->cmds_done, 2);
}

Test(amdvi_cmd, completion_wait_interrupt)
{
    struct amdvi *s = AMDVI(T.io);
    t_cmd((1ull << 60) | 2, 0);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_COMWAIT_INT, ST_COMWAIT_INT);
    cr_assert_eq(s->irq_count, 0);               /* ComWaitIntEn = 0 */
    wr(AMDVI_STATUS, 0);                          /* writing 0 does not clear */
    cr_assert_eq(rd(AMDVI_STATUS) & ST_COMWAIT_INT, ST_COMWAIT_INT);
    wr(AMDVI_STATUS, ST_COMWAIT_INT);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_COMWAIT_INT, 0);
    wr32(AMDVI_MSI_ADDR_LO, 0x330000);
    wr32(AMDVI_MSI_DATA, 0x41);
    wr32(AMDVI_MSI_CAP_HDR, 1u << 16);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_COMWAIT_EN);
    t_cmd((1ull << 60) | 2, 0);
    cr_assert_eq(s->irq_count, 1);
    cr_assert_eq(s->msi_writes, 1);
    cr_assert_eq(m64(0x330000), 0x41);
    /* IntCapXT: counted, no MSI write */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_INTCAPXT_EN);
    t_cmd((1ull << 60) | 2, 0);
    cr_assert_eq(s->irq_count, 2);
    cr_assert_eq(s->msi_writes, 1);
}

static void expect_illegal(uint64_t q0, uint64_t q1)
{
    uint64_t tail = rd(AMDVI_CMD_TAIL);
    uint64_t ev[4][2];
    t_cmd(q0, q1);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_CMDBUF_RUN, 0, "q0=0x%llx", (unsigned long long)q0);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), tail);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(5, 0, 0, 0), "0x%llx", (unsigned long long)ev[0][0]);
    cr_assert_eq(ev[0][1], CMDBUF + tail);
    /* software fixes the buffer and toggles CmdBufEn (§6.1) */
    w64(CMDBUF + tail, 1ull << 60);
    w64(CMDBUF + tail + 8, 0);
    uint64_t c = rd(AMDVI_CONTROL);
    wr(AMDVI_CONTROL, c & ~CTRL_CMDBUF_EN);
    wr(AMDVI_CONTROL, c);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), rd(AMDVI_CMD_TAIL));
    cr_assert(t_sync());
}

Test(amdvi_cmd, illegal_opcodes_and_reserved_bits)
{
    uint64_t ops[] = {0x0, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0xF};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        expect_illegal(ops[i] << 60, 0);
    expect_illegal((1ull << 60) | (1ull << 52), 0);             /* COMPLETION_WAIT 59:52 */
    expect_illegal((2ull << 60) | (1ull << 16), 0);             /* INV_DEVTAB 59:16 */
    expect_illegal((2ull << 60), 1);                            /* INV_DEVTAB qw1 */
    expect_illegal((3ull << 60) | (1ull << 20), 0);             /* INV_PAGES 31:20 */
    expect_illegal((3ull << 60) | (1ull << 48), 0);             /* INV_PAGES 59:48 */
    expect_illegal((3ull << 60), 1ull << 3);                    /* INV_PAGES 11:3 */
    expect_illegal((4ull << 60), 1ull << 1);                    /* INV_IOTLB bit 1 */
    expect_illegal((4ull << 60), 1ull << 4);                    /* Type without support */
    expect_illegal((5ull << 60) | (1ull << 40), 0);             /* INV_INTR 59:16 */
    expect_illegal((6ull << 60) | (1ull << 16), 0);             /* PREFETCH 23:16 */
    expect_illegal((7ull << 60), 0);                            /* PPR without PPRSup */
    expect_illegal((8ull << 60) | 1, 0);                        /* INV_ALL reserved */
    expect_illegal((8ull << 60), 1);
}

Test(amdvi_cmd, legal_commands_execute)
{
    t_cmd((2ull << 60) | 0x1234, 0);
    t_cmd((3ull << 60) | (5ull << 32), 0x7FFFFFFFFFFFF000ull | 3);
    t_cmd((3ull << 60) | (5ull << 32) | 0x77, 0x1000 | 4);
    t_cmd((4ull << 60) | 0x1234 | (0x1234ull << 32), 0x5000 | 1 | 4);
    t_cmd((5ull << 60) | 0x1234, 0);
    t_cmd((6ull << 60) | 0x10 | (4ull << 24), 0x5000 | 0x10);
    t_cmd(8ull << 60, 0);
    cr_assert(t_sync());
    cr_assert_eq(rd(AMDVI_STATUS) & ST_CMDBUF_RUN, ST_CMDBUF_RUN);
    cr_assert_eq(AMDVI(T.io)->cmds_done, 8);
    uint64_t ev[2][2];
    cr_assert_eq(t_events(ev, 2), 0);
}

Test(amdvi_cmd, feature_gated_commands)
{
    t_teardown();
    t_setup("qemu");           /* PPRSup, PreF, IA */
    t_bringup();
    t_cmd((7ull << 60) | 0x10, (5ull << 32) | (1ull << 44));
    cr_assert(t_sync());
    t_teardown();
    t_setup("efr=0");          /* no IASup, no PreFSup */
    t_bringup();
    expect_illegal(8ull << 60, 0);
    expect_illegal(6ull << 60, 0);
}

Test(amdvi_cmd, hardware_errors)
{
    uint64_t ev[4][2];
    /* store outside guest memory */
    uint64_t tail = rd(AMDVI_CMD_TAIL);
    t_cmd((1ull << 60) | 0x4000000000ull | 1, 7);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_CMDBUF_RUN, 0);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(6, 0, 0, EVF_TYPE_MASTER_ABORT));
    cr_assert_eq(ev[0][1], CMDBUF + tail);
    /* command buffer outside guest memory */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_CMDBUF_EN);
    wr(AMDVI_CMD_BUF_BAR, 0x8000000000ull | (8ull << 56));
    wr32(AMDVI_CMD_TAIL, 0x20);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_CMDBUF_EN);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_CMDBUF_RUN, 0);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(6, 0, 0, EVF_TYPE_MASTER_ABORT));
    cr_assert_eq(ev[0][1], 0x8000000000ull);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0);
}

Test(amdvi_cmd, ring_wraps)
{
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_CMDBUF_EN);
    wr(AMDVI_CMD_BUF_BAR, CMDBUF | (8ull << 56));     /* 256 entries */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_CMDBUF_EN);
    for (int i = 0; i < 700; i++) {
        cr_assert(t_sync());
        uint64_t h = rd(AMDVI_CMD_HEAD);
        cr_assert(h < 0x1000 && h == rd(AMDVI_CMD_TAIL));
    }
    cr_assert_eq(rd(AMDVI_CMD_HEAD), (700 * 16) % 0x1000);
    /* a batch that wraps in one doorbell */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_CMDBUF_EN);
    wr32(AMDVI_CMD_HEAD, 0xFC0);
    wr32(AMDVI_CMD_TAIL, 0xFC0);
    for (int i = 0; i < 8; i++) {
        uint64_t t = (0xFC0 + i * 16) % 0x1000;
        w64(CMDBUF + t, (1ull << 60) | SEM | 1);
        w64(CMDBUF + t + 8, 1000 + i);
    }
    wr32(AMDVI_CMD_TAIL, (0xFC0 + 8 * 16) % 0x1000);
    cr_assert_eq(m64(SEM), T.sem_val);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_CMDBUF_EN);
    cr_assert_eq(m64(SEM), 1007);
    cr_assert_eq(rd(AMDVI_CMD_HEAD), 0x40);
}

Test(amdvi_cmd, no_processing_while_disabled)
{
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_IOMMU_EN);
    T.sem_val = 5;
    t_cmd((1ull << 60) | SEM | 1, 5);
    cr_assert_eq(m64(SEM), 0);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_IOMMU_EN);
    cr_assert_eq(m64(SEM), 5);
}

/* ---- events ---------------------------------------------------------------- */

static uint64_t setup_dev(uint16_t dev, uint16_t dom, unsigned had)
{
    uint64_t root = t_alloc();
    t_dte(dev, dte_v1(3, root, had), dom, 0, 0);
    return root;
}

Test(amdvi_cmd, io_page_fault_layout)
{
    uint64_t root = setup_dev(0x0210, 0x1234, 0);
    struct emu_fault f;
    uint8_t b[8] = {0};
    cr_assert_eq(dma(0x0210, 0x5000, b, 8, true, &f), -EFAULT);
    cr_assert_eq(f.reason, 2);
    cr_assert_eq(f.iova, 0x5000);
    cr_assert_eq(f.rid, 0x0210);
    cr_assert(f.write);
    uint64_t ev[4][2];
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(2, 0x0210, 0x1234, EVF_RW));
    cr_assert_eq(ev[0][1], 0x5000);
    cr_assert(rd(AMDVI_STATUS) & ST_EVT_LOG_INT);
    /* permission */
    t_map_v1(root, 3, 0x6000, DATA, 12, true, false);
    cr_assert_eq(dma(0x0210, 0x6008, b, 8, true, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(2, 0x0210, 0x1234, EVF_RW | EVF_PR | EVF_PE));
    cr_assert_eq(ev[0][1], 0x6008);
    cr_assert_eq(dma(0x0210, 0x6008, b, 8, false, &f), 0);
    /* reserved bit in a PTE */
    uint64_t pte = t_map_v1(root, 3, 0x7000, DATA, 12, true, true);
    w64(pte, m64(pte) | (1ull << 55));
    cr_assert_eq(dma(0x0210, 0x7000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(2, 0x0210, 0x1234, EVF_PR | EVF_RZ));
}

Test(amdvi_cmd, illegal_dte_and_hw_errors)
{
    uint64_t ev[4][2];
    struct emu_fault f;
    uint8_t b[8];
    t_dte(0x18, dte_v1(3, t_alloc(), 0) | (1ull << 63), 1, 0, 0);
    cr_assert_eq(dma(0x18, 0x1234, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(1, 0x18, 0, EVF_RZ));
    cr_assert_eq(ev[0][1], 0x1234);
    /* HAD=10 reserved; Mode 7 reserved */
    t_dte(0x19, dte_v1(3, t_alloc(), 2), 1, 0, 0);
    cr_assert_eq(dma(0x19, 0, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
    t_dte(0x1A, dte_v1(7, t_alloc(), 0), 1, 0, 0);
    cr_assert_eq(dma(0x1A, 0, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
    t_dte(0x1B, dte_v1(3, t_alloc(), 0), 1, 0, 1);   /* qword 3 bit 0 reserved */
    cr_assert_eq(dma(0x1B, 0, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 1);
    cr_assert_eq(t_events(ev, 4), 3);
    /* page table outside memory */
    t_dte(0x20, dte_v1(3, 0x40000000000ull, 0), 7, 0, 0);
    cr_assert_eq(dma(0x20, 0x3000, b, 8, true, &f), -EFAULT);
    cr_assert_eq(f.reason, 4);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(4, 0x20, 7, EVF_RW | EVF_TYPE_MASTER_ABORT));
    cr_assert_eq(ev[0][1], 0x40000000000ull);
    /* device table outside memory */
    wr(AMDVI_DEV_TAB_BAR, 0x40000000000ull | 0x1FF);
    t_cmd(8ull << 60, 0);
    cr_assert_eq(dma(0x21, 0x3000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 3);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(3, 0x21, 0, EVF_TYPE_MASTER_ABORT));
    cr_assert_eq(ev[0][1], 0x40000000000ull + 0x21 * 32);
    /* DeviceID beyond the table (Size 0 = 128 entries) */
    wr(AMDVI_DEV_TAB_BAR, DEVTAB);
    t_cmd(8ull << 60, 0);
    cr_assert_eq(dma(0x80, 0x3000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 2);
    cr_assert_eq(t_events(ev, 4), 1);
    cr_assert_eq(ev[0][0], EVQ0(2, 0x80, 0, 0));
}

Test(amdvi_cmd, tv0_and_suppression)
{
    uint64_t ev[8][2];
    struct emu_fault f;
    uint8_t b[8];
    t_dte(0x30, 1, 9, 0, 0);                           /* V=1 TV=0: blocked */
    cr_assert_eq(dma(0x30, 0x1000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 8), 1);
    cr_assert_eq(ev[0][0], EVQ0(2, 0x30, 9, 0));
    t_dte(0x31, dte_v1(3, t_alloc(), 0), 9 | (1ull << 33), 0, 0);   /* SE */
    cr_assert_eq(dma(0x31, 0x1000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(f.reason, 2);
    cr_assert_eq(t_events(ev, 8), 0);
    t_dte(0x32, dte_v1(3, t_alloc(), 0), 9 | (1ull << 34), 0, 0);   /* SA */
    cr_assert_eq(dma(0x32, 0x1000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(dma(0x32, 0x1000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(dma(0x32, 0x2000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(t_events(ev, 8), 2);
    cr_assert_eq(ev[1][1], 0x2000);
    /* event logging disabled: fault returned, nothing logged */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_EVT_LOG_EN);
    cr_assert_eq(dma(0x30, 0x1000, b, 8, false, &f), -EFAULT);
    cr_assert_eq(rd(AMDVI_EVT_TAIL), rd(AMDVI_EVT_HEAD));
    cr_assert_eq(AMDVI(T.io)->events_dropped, 1);
}

Test(amdvi_cmd, event_overflow_and_restart)
{
    struct amdvi *s = AMDVI(T.io);
    uint8_t b[8];
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_EVT_LOG_EN);
    wr(AMDVI_EVT_LOG_BAR, EVTLOG | (8ull << 56));     /* 256 entries */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_EVT_LOG_EN | CTRL_EVT_INT_EN);
    t_dte(0x40, 1, 9, 0, 0);
    for (int i = 0; i < 300; i++)
        dma(0x40, 0x1000ull * i, b, 8, false, NULL);
    cr_assert_eq(s->events_logged, 255);               /* N-1 entries */
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0xFF0);
    cr_assert_eq(rd(AMDVI_STATUS) & (ST_EVT_OVERFLOW | ST_EVT_LOG_RUN), ST_EVT_OVERFLOW);
    cr_assert_eq(s->irq_count, 256);                    /* 255 events + overflow */
    cr_assert_eq(m64(EVTLOG + 254 * 16 + 8), 254 * 0x1000ull);
    /* consuming entries alone does not resume logging */
    wr32(AMDVI_EVT_HEAD, 0xFF0);
    dma(0x40, 0x999000, b, 8, false, NULL);
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0xFF0);
    /* W1C overflow alone: still stopped until EventLogEn toggles */
    wr(AMDVI_STATUS, ST_EVT_OVERFLOW);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_EVT_LOG_RUN, 0);
    uint64_t c = rd(AMDVI_CONTROL);
    wr(AMDVI_CONTROL, c & ~(CTRL_EVT_LOG_EN | CTRL_EVT_INT_EN));
    wr(AMDVI_CONTROL, c);
    cr_assert_eq(rd(AMDVI_STATUS) & ST_EVT_LOG_RUN, ST_EVT_LOG_RUN);
    dma(0x40, 0x777000, b, 8, false, NULL);
    cr_assert_eq(rd(AMDVI_EVT_TAIL), 0);
    cr_assert_eq(m64(EVTLOG + 0xFF0 + 8), 0x777000);
}

Test(amdvi_cmd, event_log_outside_memory)
{
    uint8_t b[8];
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) & ~CTRL_EVT_LOG_EN);
    wr(AMDVI_EVT_LOG_BAR, 0xF000000000ull | (8ull << 56));
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | CTRL_EVT_LOG_EN);
    t_dte(0x40, 1, 9, 0, 0);
    for (int i = 0; i < 600; i++)
        cr_assert_eq(dma(0x40, 0x1000ull * i, b, 8, false, NULL), -EFAULT);
    cr_assert(rd(AMDVI_STATUS) & ST_EVT_OVERFLOW);
}
