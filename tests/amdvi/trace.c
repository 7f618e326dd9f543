/* Trace records and segmented device tables. */
#include <stdio.h>
#include "amdvi_test.h"

static void setup(void) { t_setup(NULL); t_bringup(); }
static void teardown(void) { t_teardown(); }
TestSuite(amdvi_trace, .init = setup, .fini = teardown);

static int counts[8];
static char last_event[200], last_ad[8], last_fetch[32];
static void tr(void *o, const struct emu_iommu *io, const struct emu_trace_rec *r)
{
    (void)o, (void)io;
    counts[r->kind]++;
    if (r->kind == EMU_TRACE_EVENT && r->what && !strncmp(r->what, "logged", 6))
        snprintf(last_event, sizeof(last_event), "%s", r->what);
    if (r->kind == EMU_TRACE_AD_UPDATE)
        snprintf(last_ad, sizeof(last_ad), "%s", r->what);
    if (r->kind == EMU_TRACE_TABLE_FETCH)
        snprintf(last_fetch, sizeof(last_fetch), "%s", r->what);
}

Test(amdvi_trace, records)
{
    uint64_t root = t_alloc();
    t_map_v1(root, 3, 0x1000, DATA, 12, true, true);
    t_dte(0x0210, dte_v1(3, root, 3), 0x1234, 0, 0);
    emu_set_trace(T.io, tr, NULL);
    uint64_t v = 1;
    cr_assert_eq(dma(0x0210, 0x1000, &v, 8, true, NULL), 0);
    cr_assert_eq(counts[EMU_TRACE_AD_UPDATE], 3);
    cr_assert_str_eq(last_ad, "AD");
    cr_assert_str_eq(last_fetch, "v1 L1");
    cr_assert_eq(counts[EMU_TRACE_TRANSLATE], 1);
    cr_assert_eq(dma(0x0210, 0x9000, &v, 8, true, NULL), -EFAULT);
    cr_assert_eq(counts[EMU_TRACE_FAULT], 1);
    cr_assert_str_eq(last_event,
                     "logged IO_PAGE_FAULT dev=02:02.0 id=0x1234 flags=0x020 addr=0x9000");
    t_cmd((3ull << 60) | (0x1234ull << 32), 0x1000);
    cr_assert_eq(counts[EMU_TRACE_INVAL], 1);
    emu_set_trace(T.io, NULL, NULL);
}

Test(amdvi_trace, segmented_device_table)
{
    t_teardown();
    t_setup("efr=0x0000004000000040");   /* IASup, DevTblSegSup=1 (2 segments) */
    t_bringup();
    wr(AMDVI_DEV_TAB_BAR, DEVTAB | 0xFF);             /* segment 0: 1 MiB */
    wr(AMDVI_DEV_TAB_SEG(1), (DEVTAB + 0x100000) | 0xFF);
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | (1ull << 34));
    cr_assert_eq((rd(AMDVI_CONTROL) >> 34) & 7, 1);
    /* devid 0x8005 lives in segment 1 at index 5: blocked DTE there */
    w64(DEVTAB + 0x100000 + 5 * 32, 3);
    t_cmd(8ull << 60, 0);
    uint64_t v;
    struct emu_fault f;
    cr_assert_eq(dma(0x8005, DATA, &v, 8, false, &f), -EFAULT);
    cr_assert_eq(dma(0x0005, DATA, &v, 8, false, &f), 0);   /* seg 0 entry 5: V=0 */
    /* 4 segments exceed DevTblSegSup=1: write ignored */
    wr(AMDVI_CONTROL, rd(AMDVI_CONTROL) | (2ull << 34));
    cr_assert_eq((rd(AMDVI_CONTROL) >> 34) & 7, 1);
}
