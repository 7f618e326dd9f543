/* SPDX-License-Identifier: MIT */
/*
 * Running one scenario: a parse pass (every line checked and every symbol
 * defined, nothing executed: a typo on line 90 is exit 2 before line 1
 * runs) and an execution pass. The statements are documented in
 * docs/scenarios.md and `iommu-sim --help`.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include <iommufd_test.h>

#include "../../mockfd/core/device.h"
#include "../../mockfd/core/mockfd_internal.h"
#include "../../mockfd/core/platform.h"
#include "../../mockfd/mockfd.h"
#include "sim.h"

struct sim *sim_current;

_Noreturn void sim_die(struct sim *s, const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "%s:%d: error: ", s->file ? s->file : "?", s->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

void sim_init(struct sim *s)
{
    memset(s, 0, sizeof(*s));
    s->trace = T_DEFAULT;
    s->iommufd = -1;
    sim_current = s;
}

void sim_fini(struct sim *s)
{
    defer_flush(s);
    s->trace = 0;   /* teardown runs (and is leak-checked) but is not traced */
    for (int i = 0; i < s->nsym; i++) {
        struct sym *y = &s->syms[i];

        if (y->kind == S_DEVICE && y->fd >= 0)
            mockfd_close(y->fd);
        if (y->kind == S_FD && !y->dead)
            y->host_fd ? close((int)y->v) : mockfd_close((int)y->v);
        if (y->kind == S_BUFFER && !y->dead && y->len)
            munmap((void *)(uintptr_t)y->v, y->len);
    }
    if (s->iommufd >= 0)
        mockfd_close(s->iommufd);
    s->iommufd = -1;
    free(s->dma_data);
    s->dma_data = NULL;
    free(s->rec_data);
    s->rec_data = NULL;
    free(s->tpages);
    s->tpages = NULL;
    s->ntpages = s->captpages = 0;
    mfd_platform_set_log_hook(NULL, NULL);
    sim_logs_clear(s);
    free(s->logs);
    s->logs = NULL;
    s->caplog = 0;
}

/* ---- tokens ------------------------------------------------------------------ */

struct toks {
    int n;
    char *t[SIM_MAXTOK];
};

static void tokenize(struct sim *s, char *line, struct toks *tk)
{
    char *save = NULL, *p, *hash = strchr(line, '#');

    if (hash)
        *hash = '\0';
    tk->n = 0;
    for (p = strtok_r(line, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
        if (tk->n >= SIM_MAXTOK)
            sim_die(s, "too many words on one line");
        tk->t[tk->n++] = p;
    }
}

/* "key=value": value, or NULL when tok is not of that key. */
static const char *kv(const char *tok, const char *key)
{
    size_t l = strlen(key);

    return !strncmp(tok, key, l) && tok[l] == '=' ? tok + l + 1 : NULL;
}

static struct sym *need_sym(struct sim *s, const char *name, enum sym_kind k, const char *what)
{
    struct sym *y = sym_find(s, name);

    if (!y || y->kind != k)
        sim_die(s, "'%s' is not %s", name, what);
    return y;
}

/* ---- IOMMUs, devices, buffers ------------------------------------------------ */

static struct emu_iommu *iommu_hw(struct sim *s, struct sym *y)
{
    if (y->hw || s->dry)
        return y->hw;
    /* the platform's accessors (device.h) */
    y->hw = mfd_platform_iommu((int)y->v);
    s->table_ptr = mfd_platform_table_ptr;
    if (y->hw)
        emu_set_trace(y->hw, sim_hook, s);
    return y->hw;
}

static struct emu_iommu *need_hw(struct sim *s, struct sym *y)
{
    struct emu_iommu *hw = iommu_hw(s, y);

    if (!hw && !s->dry)
        sim_die(s, "%s: no such IOMMU on the platform", y->name);
    return hw;
}

static struct sym *creating;       /* the IOMMU statement in flight */

/* mfd_platform_set_iommu_hook: the model exists, its driver has not probed */
static void iommu_created(void *arg, int index, struct emu_iommu *hw)
{
    struct sim *s = arg;

    (void)index;
    if (!creating)
        return;
    creating->hw = hw;
    s->table_ptr = mfd_platform_table_ptr;   /* tblN names for the probe's tables */
    emu_set_trace(hw, sim_hook, s);
}

static void st_iommu(struct sim *s, struct toks *tk)
{
    struct sym *y;
    int idx = 0;
    const char *spec;

    if (tk->n != 4 || strcmp(tk->t[2], "="))
        sim_die(s, "usage: iommu NAME = MODEL[:PROFILE]");
    spec = tk->t[3];
    y = sym_new(s, tk->t[1], S_IOMMU);
    y->model = !strncmp(spec, "vtd", 3) ? EMU_VTD : !strncmp(spec, "amdvi", 5) ? EMU_AMDVI
             : !strncmp(spec, "smmuv3", 6) ? EMU_SMMUV3 : 0;
    if (!y->model)
        sim_die(s, "unknown IOMMU model in '%s' (vtd, amdvi, smmuv3)", spec);
    if (s->dry)
        return;
    fail_before(s);
    /* the trace hook goes in before the driver's probe, so the bring-up's
     * register traffic (capability reads, table/queue programming, enable)
     * is traced under the setup line */
    creating = y;
    mfd_platform_set_iommu_hook(iommu_created, s);
    defer_start(s);
    idx = mockfd_platform_add_iommu(spec);
    mfd_platform_set_iommu_hook(NULL, NULL);
    creating = NULL;
    fail_after(s, tk->t[0], idx < 0, false);
    if (idx < 0)
        sim_die(s, "iommu %s: %s", spec, mfd_errno_name(errno) ? mfd_errno_name(errno) : "error");
    y->v = (uint64_t)idx;
    {
        FILE *d = s->defer;

        s->defer = NULL;
        sim_say(s, T_SETUP, "iommu %s = %s", y->name, spec);
        s->defer = d;
    }
    defer_flush(s);
}

static void st_device(struct sim *s, struct toks *tk)
{
    struct sym *y, *io;
    int idx;

    if (tk->n != 5 || strcmp(tk->t[2], "="))
        sim_die(s, "usage: device NAME = IOMMU RID");
    io = need_sym(s, tk->t[3], S_IOMMU, "an iommu");
    y = sym_new(s, tk->t[1], S_DEVICE);
    y->iommu = (int)(io - s->syms);
    y->rid = (uint32_t)val_num(s, tk->t[4]);
    if (s->dry)
        return;
    fail_before(s);
    defer_start(s);
    idx = mockfd_platform_add_device((int)io->v, y->rid);
    if (idx >= 0)
        y->fd = mockfd_device_open(idx);
    fail_after(s, tk->t[0], idx < 0 || y->fd < 0, false);
    if (idx < 0 || y->fd < 0)
        sim_die(s, "device %s: %s", y->name, mfd_errno_name(errno) ? mfd_errno_name(errno) : "?");
    y->v = (uint64_t)idx;
    iommu_hw(s, io);
    {
        FILE *d = s->defer;

        s->defer = NULL;
        sim_say(s, T_SETUP, "device %s = %s rid=0x%x (/dev/vfio/devices/vfio%d)", y->name,
                io->name, y->rid, idx);
        s->defer = d;
    }
    defer_flush(s);
}

/* Buffers sit at an address whose lowest set bit is bit 30, so that the
 * automatic IOVA allocator (alignment = min(roundup_pow2(length), lowest
 * set bit of user_va), iommufd.md §4.5) behaves the same in every run. */
static uint64_t buf_alloc(struct sim *s, uint64_t len, uint64_t align)
{
    const uint64_t slot = 1ull << 30;
    uint64_t map_len = len + 3 * slot, a;
    void *base;

    if (!len || len > slot || (len & 4095))
        sim_die(s, "buffer size must be a multiple of 4K, at most 1G");
    base = mmap(NULL, map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        sim_die(s, "buffer: mmap failed");
    /* lowest set bit of the address == align (default 1G) */
    a = (((uint64_t)(uintptr_t)base + 2 * slot - 1) & ~(2 * slot - 1)) + align;
    if (a < (uint64_t)(uintptr_t)base)
        sim_die(s, "buffer: placement failed");
    if (a > (uint64_t)(uintptr_t)base)
        munmap(base, a - (uint64_t)(uintptr_t)base);
    if ((uint64_t)(uintptr_t)base + map_len > a + len)
        munmap((void *)(uintptr_t)(a + len), (uint64_t)(uintptr_t)base + map_len - (a + len));
    if (mprotect((void *)(uintptr_t)a, len, PROT_READ | PROT_WRITE))
        sim_die(s, "buffer: mprotect failed");
    return a;
}

/* NAME[+off] of a buffer: host address, and bytes left in the buffer. */
static unsigned char *buf_at(struct sim *s, const char *ref, uint64_t *room)
{
    char name[SIM_NAMELEN];
    const char *plus = strchr(ref, '+');
    uint64_t off = 0;
    struct sym *y;
    size_t nl = plus ? (size_t)(plus - ref) : strlen(ref);

    if (nl >= sizeof(name))
        sim_die(s, "bad buffer reference '%s'", ref);
    memcpy(name, ref, nl);
    name[nl] = '\0';
    y = need_sym(s, name, S_BUFFER, "a buffer");
    if (plus)
        off = val_num(s, plus + 1);
    if (off > y->len)
        sim_die(s, "%s: offset past the buffer", ref);
    *room = y->len - off;
    return (unsigned char *)(uintptr_t)(y->v + off);
}

/* memfd NAME = SIZE [pattern=B]: a memfd for IOMMU_IOAS_MAP_FILE (fd=NAME);
 * a host fd, closed with `close NAME` or at the end of the run. */
static void st_memfd(struct sim *s, struct toks *tk)
{
    struct sym *y;
    uint64_t len, pat = 0;
    unsigned char chunk[4096];
    int fd;

    if (tk->n < 4 || strcmp(tk->t[2], "="))
        sim_die(s, "usage: memfd NAME = SIZE [pattern=BYTE]");
    len = val_num(s, tk->t[3]);
    for (int i = 4; i < tk->n; i++) {
        const char *v = kv(tk->t[i], "pattern");

        if (!v)
            sim_die(s, "memfd: unknown option '%s'", tk->t[i]);
        pat = val_num(s, v);
    }
    if (!len || len > (1ull << 30) || (len & 4095))
        sim_die(s, "memfd size must be a multiple of 4K, at most 1G");
    y = sym_new(s, tk->t[1], S_FD);
    y->host_fd = true;
    if (s->dry)
        return;
    fd = memfd_create("iommu-sim", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)len))
        sim_die(s, "memfd: %s", strerror(errno));
    memset(chunk, (int)(pat & 0xff), sizeof(chunk));
    for (uint64_t off = 0; pat && off < len; off += sizeof(chunk))
        if (pwrite(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk))
            sim_die(s, "memfd: write failed");
    y->v = (uint64_t)fd;
    sim_say(s, T_SETUP, "memfd %s = 0x%" PRIx64 " bytes pattern=0x%02x", y->name, len,
            (unsigned)(pat & 0xff));
}

static void st_buffer(struct sim *s, struct toks *tk)
{
    struct sym *y;
    uint64_t len, pat = 0, align = 1ull << 30;

    if (tk->n < 4 || strcmp(tk->t[2], "="))
        sim_die(s, "usage: buffer NAME = SIZE [pattern=BYTE] [align=POW2]");
    len = val_num(s, tk->t[3]);
    for (int i = 4; i < tk->n; i++) {
        const char *v;

        if ((v = kv(tk->t[i], "pattern")))
            pat = val_num(s, v);
        else if ((v = kv(tk->t[i], "align")))
            align = val_num(s, v);
        else
            sim_die(s, "buffer: unknown option '%s'", tk->t[i]);
    }
    if (align < 4096 || align > (1ull << 30) || (align & (align - 1)))
        sim_die(s, "buffer: align is a power of two, 4K..1G");
    y = sym_new(s, tk->t[1], S_BUFFER);
    y->len = len;
    if (s->dry)
        return;
    y->v = buf_alloc(s, len, align);
    memset((void *)(uintptr_t)y->v, (int)(pat & 0xff), len);
    sim_say(s, T_SETUP, "buffer %s = 0x%" PRIx64 " bytes pattern=0x%02x", y->name, len,
            (unsigned)(pat & 0xff));
}

static void st_fill(struct sim *s, struct toks *tk)
{
    uint64_t room = 0, len = 0, pat = 0;
    unsigned char *p;
    bool have_len = false;

    if (tk->n < 3)
        sim_die(s, "usage: fill BUF[+off] [len=N] pattern=BYTE");
    for (int i = 2; i < tk->n; i++) {
        const char *v;

        if ((v = kv(tk->t[i], "len")))
            len = val_num(s, v), have_len = true;
        else if ((v = kv(tk->t[i], "pattern")))
            pat = val_num(s, v);
        else
            sim_die(s, "fill: unknown option '%s'", tk->t[i]);
    }
    p = buf_at(s, tk->t[1], &room);
    if (!have_len)
        len = room;
    if (len > room)
        sim_die(s, "fill: past the end of the buffer");
    if (!s->dry)
        memset(p, (int)(pat & 0xff), len);
}

static void st_poke(struct sim *s, struct toks *tk)
{
    uint64_t room = 0;
    unsigned char *p, b[SIM_MAXTOK];
    int n = 0;

    if (tk->n < 3)
        sim_die(s, "usage: poke BUF[+off] BYTE...");
    p = buf_at(s, tk->t[1], &room);
    for (int i = 2; i < tk->n; i++)
        if (val_bytes(s, tk->t[i], b + n, 1) != 1)
            sim_die(s, "poke: bad byte '%s'", tk->t[i]);
        else
            n++;
    if ((uint64_t)n > room)
        sim_die(s, "poke: past the end of the buffer");
    if (!s->dry)
        memcpy(p, b, (size_t)n);
}

static void st_protect(struct sim *s, struct toks *tk)
{
    struct sym *y;
    int prot;

    if (tk->n != 3)
        sim_die(s, "usage: protect BUF none|ro|rw");
    y = need_sym(s, tk->t[1], S_BUFFER, "a buffer");
    prot = !strcmp(tk->t[2], "none") ? PROT_NONE : !strcmp(tk->t[2], "ro") ? PROT_READ
         : !strcmp(tk->t[2], "rw") ? PROT_READ | PROT_WRITE : -1;
    if (prot < 0)
        sim_die(s, "protect: none, ro or rw");
    if (!s->dry && mprotect((void *)(uintptr_t)y->v, y->len, prot))
        sim_die(s, "protect: mprotect failed");
    if (!s->dry)
        sim_say(s, T_SETUP, "protect %s %s", y->name, tk->t[2]);
}

/* The line of a call: printed before the hardware events it caused. */
static void emit_head(struct sim *s, struct trec *t, unsigned cat, const char *text)
{
    FILE *d = s->defer;

    s->defer = NULL;
    tr_emit(s, t, cat, text);
    s->defer = d;
}

/* ---- ioctls ---------------------------------------------------------------------- */

static void ret_str(long ret, int err, char *buf, size_t len)
{
    if (ret >= 0)
        snprintf(buf, len, "%ld", ret);
    else
        snprintf(buf, len, "-1 %s", mfd_errno_name(err) ? mfd_errno_name(err) : "E?");
}

static void print_payload(struct sim *s, const unsigned char *cmd, const struct mfd_ustruct *st)
{
    const struct mfd_ufield *tf = mfd_uapi_field(st, "out_data_type");
    const struct mfd_ufield *pf = mfd_uapi_field(st, "data_uptr");
    const struct mfd_ufield *lf = mfd_uapi_field(st, "data_len");
    const struct mfd_ufield *df = mfd_uapi_field(st, "dev_id");
    uint64_t type = mfd_uapi_get(cmd, tf), uptr = mfd_uapi_get(cmd, pf);
    uint64_t dlen = mfd_uapi_get(cmd, lf), devid = mfd_uapi_get(cmd, df), room = 0;
    const char *pname = type == IOMMU_HW_INFO_TYPE_INTEL_VTD ? "iommu_hw_info_vtd"
                      : type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 ? "iommu_hw_info_arm_smmuv3"
                      : type == IOMMU_HW_INFO_TYPE_AMD ? "iommu_hw_info_amd" : NULL;
    const struct mfd_ustruct *ps = NULL;
    struct emu_iommu *hw = NULL;
    unsigned char *data = NULL;

    if (!pname || !uptr)
        return;
    for (size_t i = 0; i < mfd_uapi_npayloads; i++)
        if (!strcmp(mfd_uapi_payloads[i].name, pname))
            ps = &mfd_uapi_payloads[i];
    for (int i = 0; i < s->nsym; i++) {
        struct sym *y = &s->syms[i];

        if (y->kind == S_BUFFER && !y->dead && uptr >= y->v && uptr < y->v + y->len) {
            data = (unsigned char *)(uintptr_t)uptr;
            room = y->v + y->len - uptr;
        }
        if (y->kind == S_DEVICE && y->bound && y->devid == devid)
            hw = s->syms[y->iommu].hw;
    }
    if (!ps || !data)
        return;
    /* the raw hardware registers the driver reported, decoded by the model's
     * own register table (never mixed with the generic out_capabilities) */
    for (unsigned i = 0; i < ps->nf; i++) {
        const struct mfd_ufield *f = &ps->f[i];
        char reg[32], dec[512], sdec[600], text[900];
        unsigned w = 0;
        uint64_t v;
        struct trec t;
        size_t k;

        if (f->off + f->size > dlen || f->off + f->size > room || !strncmp(f->name, "__", 2))
            continue;
        v = mfd_uapi_get(data, f);
        for (k = 0; f->name[k] && k < sizeof(reg) - 1; k++)
            reg[k] = (char)toupper((unsigned char)f->name[k]);
        reg[k] = '\0';
        if (k > 4 && !strcmp(reg + k - 4, "_REG"))
            reg[k - 4] = '\0';
        dec[0] = '\0';
        if (hw && strcmp(f->name, "flags")) {
            int64_t off = emu_reg_lookup(hw, reg, &w);

            if (off >= 0)
                emu_reg_decode(hw, (uint64_t)off, v, dec, sizeof(dec));
        }
        sym_text(s, dec, sdec, sizeof(sdec));
        tr_begin(&t, "hw_info_data");
        tr_kv(&t, NULL, "type", "%s", pname);
        tr_kv(&t, NULL, "field", "%s", f->name);
        tr_kv(&t, NULL, "value", "0x%" PRIx64, v);
        tr_kv(&t, NULL, "decoded", "%s", sdec);
        snprintf(text, sizeof(text), "    %s.%s = 0x%" PRIx64 "%s%s%s", pname + 14, f->name, v,
                 sdec[0] ? " [" : "", sdec, sdec[0] ? "]" : "");
        tr_emit(s, &t, T_IOCTL, text);
    }
}

/* ---- IOMMU_TEST_CMD (the selftest mock, uapi/iommufd_test.h) ---- */

static bool is_test_cmd(const struct mfd_uioctl *u)
{
    return u->req == IOMMU_TEST_CMD;
}

static uint32_t test_op(const struct mfd_ustruct *st, const unsigned char *cmd)
{
    return (uint32_t)mfd_uapi_get(cmd, mfd_uapi_field(st, "op"));
}

/* `NAME = TEST_CMD op=...`: what the op creates gets symbolic names.
 * MOCK_DOMAIN(_FLAGS): NAME = out_stdev_id, NAME_hwpt, NAME_idev;
 * CREATE_ACCESS: NAME is the access fd (an fd symbol: id=NAME in the
 * ACCESS_* ops, close NAME); ACCESS_PAGES: NAME = out_access_pages_id.
 * res NULL: the parse pass declares them (dead until the call succeeds);
 * else they get their values from the completed call. */
static void test_assign(struct sim *s, const struct mfd_ustruct *st, const unsigned char *cmd,
                        const char *name, const unsigned char *res)
{
    static const char *const sfx[] = { "", "_hwpt", "_idev" };
    static const char *const outs[] = { "out_stdev_id", "out_hwpt_id", "out_idev_id" };
    uint32_t op = test_op(st, cmd);
    const char *m = mfd_uapi_test_member(op);
    char full[96], sn[SIM_NAMELEN + 8];
    struct sym *y;

    if (op == IOMMU_TEST_OP_MOCK_DOMAIN || op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS) {
        for (int i = 0; i < 3; i++) {
            snprintf(sn, sizeof(sn), "%s%s", name, sfx[i]);
            snprintf(full, sizeof(full), "%s.%s", m, outs[i]);
            if (!res) {
                sym_new(s, sn, S_OBJ)->dead = true;
                continue;
            }
            y = sym_find(s, sn);
            y->dead = false;
            y->v = mfd_uapi_get(res, mfd_uapi_field(st, full));
        }
        return;
    }
    if (op != IOMMU_TEST_OP_CREATE_ACCESS && op != IOMMU_TEST_OP_ACCESS_PAGES)
        sim_die(s, "TEST_CMD op %u creates nothing to name", op);
    snprintf(full, sizeof(full), "%s.%s", m,
             op == IOMMU_TEST_OP_CREATE_ACCESS ? "out_access_fd" : "out_access_pages_id");
    if (!res) {
        sym_new(s, name, op == IOMMU_TEST_OP_CREATE_ACCESS ? S_FD : S_OBJ)->dead = true;
        return;
    }
    y = sym_find(s, name);
    y->dead = false;
    y->v = mfd_uapi_get(res, mfd_uapi_field(st, full));
}

static void st_ioctl(struct sim *s, const char *assign, struct toks *tk, int first)
{
    const struct mfd_uioctl *u = mfd_uapi_ioctl_by_name(tk->t[first]);
    const struct mfd_ustruct *st;
    struct sym *dev = NULL;
    unsigned char cmd[512] = { 0 }, before[512], tail[256];
    bool set[96] = { false }, guard = false, have_size = false, test_named = false;
    const char *test_name = assign;
    uint64_t usize = 0, varg = 0, L, npages;
    int ntail = 0, fd, err = 0, i;
    long ret;
    unsigned char *map, *arg;
    char text[2048], vb[160], rs[64];
    size_t o = 0;
    struct trec t;

    if (!u)
        sim_die(s, "unknown statement or ioctl '%s'", tk->t[first]);
    st = u->st;
    i = first + 1;
    if (u->fdk == MFD_UFD_DEVICE) {
        if (i >= tk->n)
            sim_die(s, "%s: which device?", u->name);
        dev = need_sym(s, tk->t[i++], S_DEVICE, "a device");
    }
    fd = dev ? dev->fd : s->iommufd;
    for (; i < tk->n; i++) {
        const char *a = tk->t[i], *eq = strchr(a, '='), *v;
        const struct mfd_ufield *f;
        char key[48];

        if (!strcmp(a, "guard")) {
            guard = true;
            continue;
        }
        if (!eq || (size_t)(eq - a) >= sizeof(key))
            sim_die(s, "%s: expected field=value, got '%s'", u->name, a);
        memcpy(key, a, (size_t)(eq - a));
        key[eq - a] = '\0';
        v = eq + 1;
        if (!strcmp(key, "tail")) {
            int n = val_bytes(s, v, tail + ntail, sizeof(tail) - (size_t)ntail);

            if (n < 0)
                sim_die(s, "bad tail bytes '%s'", v);
            ntail += n;
            /* tail=00 00 01: the following bare hex bytes belong to it */
            while (i + 1 < tk->n && !strchr(tk->t[i + 1], '=') && strlen(tk->t[i + 1]) <= 2 &&
                   isxdigit((unsigned char)tk->t[i + 1][0]) && strcmp(tk->t[i + 1], "guard")) {
                if (val_bytes(s, tk->t[++i], tail + ntail, sizeof(tail) - (size_t)ntail) != 1)
                    sim_die(s, "bad tail byte '%s'", tk->t[i]);
                ntail++;
            }
            continue;
        }
        /* fd= picks the fd the ioctl goes to, unless the struct has an fd
         * field (IOMMU_IOAS_MAP_FILE: fd=MEMFD) */
        if (!strcmp(key, "fd") && !(st && mfd_uapi_field(st, "fd"))) {
            uint64_t fv;

            if (val_parse(s, NULL, v, &fv)) {
                struct sym *y = sym_find(s, v);

                if (!y || y->kind != S_DEVICE)
                    sim_die(s, "fd=: unknown '%s'", v);
                fv = (uint64_t)(int64_t)y->fd;
            } else if (sym_find(s, v) && sym_find(s, v)->kind == S_DEVICE) {
                fv = (uint64_t)(int64_t)sym_find(s, v)->fd;
            }
            fd = (int)fv;
            continue;
        }
        if (!st) {
            if (strcmp(key, "arg"))
                sim_die(s, "%s takes arg=VALUE", u->name);
            varg = val_num(s, v);
            continue;
        }
        if (!strcmp(key, "size") || !strcmp(key, "argsz")) {
            usize = val_num(s, v);
            have_size = true;
            if (usize > (1u << 20))
                sim_die(s, "size too large for a scenario (max 1M)");
            continue;
        }
        f = mfd_uapi_field(st, key);
        if (!f && is_test_cmd(u)) {
            /* TEST_CMD: a union field by its bare name once op= chose the
             * member ("op=DIRTY iova=..." is "dirty.iova=...") */
            const char *m = mfd_uapi_test_member(test_op(st, cmd));
            char full[96];

            if (m) {
                snprintf(full, sizeof(full), "%s.%s", m, key);
                f = mfd_uapi_field(st, full);
            }
        }
        if (!f)
            sim_die(s, "%s has no field '%s'", st->name, key);
        {
            uint64_t fv;

            if (val_parse(s, f, v, &fv))
                sim_die(s, "%s: bad value '%s' for %s", u->name, v, key);
            mfd_uapi_set(cmd, f, fv);
            set[f - st->f] = true;
        }
    }
    if (assign && is_test_cmd(u)) {
        test_assign(s, st, cmd, assign, NULL);
        assign = NULL;      /* named after the call by test_assign */
        test_named = true;
    }
    if (assign && !u->result)
        sim_die(s, "%s creates no object to name", u->name);
    if (assign) {
        struct sym *y = sym_new(s, assign, S_OBJ);

        y->dead = true;    /* until the call succeeds */
        if (st && (mfd_uapi_field(st, "out_fault_fd") || mfd_uapi_field(st, "out_veventq_fd"))) {
            char fdn[SIM_NAMELEN + 4];

            struct sym *fy;

            snprintf(fdn, sizeof(fdn), "%s_fd", assign);
            fy = sym_new(s, fdn, S_FD);
            fy->dead = true;
            /* its reads are records: decoded by field, assertable (records.c) */
            fy->fdk = mfd_uapi_field(st, "out_fault_fd") ? SIM_FDK_FAULT : SIM_FDK_VEVENTQ;
        }
    }
    if (s->dry)
        return;

    if (st) {
        const struct mfd_ufield *szf = &st->f[0];
        const struct mfd_ufield *ifd = mfd_uapi_field(st, "iommufd");

        if (!have_size)
            usize = st->size + (uint64_t)ntail;
        if (ntail && st->size + (uint64_t)ntail > usize)
            sim_die(s, "tail longer than size - sizeof(struct %s)", st->name);
        mfd_uapi_set(cmd, szf, usize);
        if (ifd && !set[ifd - st->f])
            mfd_uapi_set(cmd, ifd, (uint64_t)(int64_t)s->iommufd);
        L = guard ? usize : (usize > st->size ? usize : st->size);
    } else {
        L = 0;
    }
    /* the struct ends right before a PROT_NONE page: a read past what the
     * caller provided is an EFAULT, as on a real process */
    npages = (L + 4095) / 4096 + 1;
    map = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        sim_die(s, "mmap failed");
    mprotect(map + (npages - 1) * 4096, 4096, PROT_NONE);
    arg = map + (npages - 1) * 4096 - L;
    if (st) {
        memcpy(arg, cmd, L < st->size ? L : st->size);
        if (L > st->size)
            memcpy(arg + st->size, tail, (size_t)ntail);
    }
    memset(before, 0, sizeof(before));
    memcpy(before, arg, L < sizeof(before) ? L : sizeof(before));

    fail_before(s);
    defer_start(s);
    errno = 0;
    ret = mockfd_ioctl(fd, u->req, st ? (void *)arg : (void *)(uintptr_t)varg);
    err = ret < 0 ? errno : 0;
    fail_after(s, u->name, ret < 0, true);

    s->have_last = true;
    s->last_u = u;
    s->last_ret = ret;
    s->last_err = err;
    memset(s->last, 0, sizeof(s->last));
    memcpy(s->last, arg, L < sizeof(s->last) ? L : sizeof(s->last));
    s->last_len = L;

    /* bind results before printing so the out fields show their names */
    if (!err && st && u->result) {
        const struct mfd_ufield *rf = mfd_uapi_field(st, u->result);
        uint64_t id = rf->off + rf->size <= L ? mfd_uapi_get(arg, rf) : 0;

        if (dev && !strcmp(u->result, "out_devid")) {
            dev->devid = (uint32_t)id;
            dev->bound = true;
        }
        if (assign) {
            struct sym *y = sym_find(s, assign);
            const struct mfd_ufield *ff = mfd_uapi_field(st, "out_fault_fd");

            if (!ff)
                ff = mfd_uapi_field(st, "out_veventq_fd");
            y->dead = false;
            y->v = id;
            if (ff) {
                char fdn[SIM_NAMELEN + 4];
                struct sym *fy;

                snprintf(fdn, sizeof(fdn), "%s_fd", assign);
                fy = sym_find(s, fdn);
                fy->dead = false;
                fy->v = mfd_uapi_get(arg, ff);
                /* a vEVENTQ's payload layout is fixed by its type at alloc */
                if (fy->fdk == SIM_FDK_VEVENTQ)
                    fy->evtype = (uint32_t)mfd_uapi_get(arg, mfd_uapi_field(st, "type"));
            }
        }
    }

    if (test_named && !err)
        test_assign(s, st, arg, test_name, arg);

    tr_begin(&t, "ioctl");
    tr_kv(&t, NULL, "name", "%s", u->name);
    o += (size_t)snprintf(text + o, sizeof(text) - o, "%s", u->name);
    if (dev) {
        tr_kv(&t, NULL, "device", "%s", dev->name);
        o += (size_t)snprintf(text + o, sizeof(text) - o, " %s", dev->name);
    }
    if (!st) {
        tr_kv(&t, "in", "arg", "0x%" PRIx64, varg);
        o += (size_t)snprintf(text + o, sizeof(text) - o, " arg=0x%" PRIx64, varg);
    }
    for (unsigned k = 0; st && k < st->nf; k++) {
        const struct mfd_ufield *f = &st->f[k];
        uint64_t v;

        if (f->kind == MFD_UF_SIZE) {
            /* the size word, even when the memory ends before it (guard) */
            if (usize != st->size) {
                tr_kv(&t, "in", f->name, "0x%" PRIx64, usize);
                if (o < sizeof(text))
                    o += (size_t)snprintf(text + o, sizeof(text) - o, " %s=0x%" PRIx64, f->name,
                                          usize);
            }
            continue;
        }
        if (f->off + f->size > L || f->off + f->size > sizeof(before) ||
            !mfd_uapi_field_active(st, f, before))
            continue;
        v = mfd_uapi_get(before, f);
        if (!v && !set[k])
            continue;
        if (is_test_cmd(u) && !strcmp(f->name, "id")) {
            /* TEST_CMD's id: the access fd for the access ops, else an ID */
            struct mfd_ufield idf = *f;
            uint32_t op = test_op(st, before);

            idf.kind = op == IOMMU_TEST_OP_ACCESS_PAGES || op == IOMMU_TEST_OP_ACCESS_RW ||
                       op == IOMMU_TEST_OP_DESTROY_ACCESS_PAGES ||
                       op == IOMMU_TEST_OP_ACCESS_REPLACE_IOAS ? MFD_UF_FD : MFD_UF_ID;
            val_print(s, &idf, v, vb, sizeof(vb));
        } else {
            val_print(s, f, v, vb, sizeof(vb));
        }
        tr_kv(&t, "in", f->name, "%s", vb);
        if (o < sizeof(text))
            o += (size_t)snprintf(text + o, sizeof(text) - o, " %s=%s", f->name, vb);
    }
    if (ntail) {
        char hx[3 * 256 + 1] = "";

        size_t ho = 0;

        for (int k = 0; k < ntail; k++)
            ho += (size_t)snprintf(hx + ho, sizeof(hx) - ho, "%s%02x", k ? "," : "", tail[k]);
        tr_kv(&t, "in", "tail", "%s", hx);
        if (o < sizeof(text))
            o += (size_t)snprintf(text + o, sizeof(text) - o, " tail=%s", hx);
    }
    if (guard && o < sizeof(text))
        o += (size_t)snprintf(text + o, sizeof(text) - o, " guard");
    ret_str(ret, err, rs, sizeof(rs));
    tr_kv(&t, NULL, "ret", "%ld", ret);
    tr_kv(&t, NULL, "errno", "%s", err ? mfd_errno_name(err) ? mfd_errno_name(err) : "?" : "0");
    if (o < sizeof(text))
        o += (size_t)snprintf(text + o, sizeof(text) - o, " = %s", rs);
    /* out: every field the call changed */
    {
        bool first_out = true;

        for (unsigned k = 0; st && k < st->nf; k++) {
            const struct mfd_ufield *f = &st->f[k];
            uint64_t v;

            if (f->off + f->size > L || f->off + f->size > sizeof(before) ||
                !memcmp(before + f->off, arg + f->off, f->size) ||
                !mfd_uapi_field_active(st, f, before))
                continue;
            /* a union (in_data_type/out_data_type): print the out_ member */
            if (!strchr(f->name, '.') && strncmp(f->name, "out_", 4) &&
                ((k + 1 < st->nf && st->f[k + 1].off == f->off) ||
                 (k && st->f[k - 1].off == f->off)))
                continue;
            v = mfd_uapi_get(arg, f);
            val_print(s, f, v, vb, sizeof(vb));
            tr_kv(&t, "out", f->name, "%s", vb);
            if (o < sizeof(text))
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s=%s",
                                      first_out ? " -> " : " ", f->name, vb);
            first_out = false;
        }
    }
    emit_head(s, &t, T_IOCTL, text);
    if (!err && st && u->req == IOMMU_GET_HW_INFO)
        print_payload(s, arg, st);
    defer_flush(s);
    /* a destroyed object's name no longer stands for its (reusable) ID */
    if (!err && u->req == IOMMU_DESTROY) {
        uint64_t id = mfd_uapi_get(arg, mfd_uapi_field(st, "id"));

        for (int k = 0; k < s->nsym; k++)
            if (s->syms[k].kind == S_OBJ && s->syms[k].v == id)
                s->syms[k].dead = true;
    }
    munmap(map, npages * 4096);
}

/* `let NAME = FIELD`: name the value of a field of the last ioctl. */
static void st_let(struct sim *s, struct toks *tk)
{
    const struct mfd_ufield *f = NULL;
    struct sym *y;

    if (tk->n != 4 || strcmp(tk->t[2], "="))
        sim_die(s, "usage: let NAME = FIELD");
    y = sym_new(s, tk->t[1], S_OBJ);
    if (s->dry)
        return;
    if (s->last_u && s->last_u->st)
        f = mfd_uapi_field(s->last_u->st, tk->t[3]);
    if (!f)
        sim_die(s, "let: the last ioctl has no field '%s'", tk->t[3]);
    y->v = mfd_uapi_get(s->last, f);
    y->dead = s->last_err != 0;
}

/* ---- DMA, registers, memory, walks ------------------------------------------------ */

static void st_dma(struct sim *s, struct toks *tk)
{
    struct sym *dev;
    bool write;
    uint64_t iova = 0, len = 0, pasid = 0, pat = 0, room = 0;
    unsigned char *from = NULL, *into = NULL, *data;
    int rc, err;
    char text[512], rs[64], ib[96] = "";
    struct trec t;

    if (tk->n < 4)
        sim_die(s, "usage: dma DEV read|write iova=X len=N [pattern=B|from=BUF|into=BUF] [pasid=N]");
    dev = need_sym(s, tk->t[1], S_DEVICE, "a device");
    if (strcmp(tk->t[2], "read") && strcmp(tk->t[2], "write"))
        sim_die(s, "dma: read or write");
    write = !strcmp(tk->t[2], "write");
    for (int i = 3; i < tk->n; i++) {
        const char *v;

        if ((v = kv(tk->t[i], "iova")))
            iova = val_num(s, v);
        else if ((v = kv(tk->t[i], "len")))
            len = val_num(s, v);
        else if ((v = kv(tk->t[i], "pasid")))
            pasid = val_num(s, v);
        else if ((v = kv(tk->t[i], "pattern")))
            pat = val_num(s, v);
        else if ((v = kv(tk->t[i], "from")))
            from = buf_at(s, v, &room), snprintf(ib, sizeof(ib), " from=%s", v);
        else if ((v = kv(tk->t[i], "into")))
            into = buf_at(s, v, &room), snprintf(ib, sizeof(ib), " into=%s", v);
        else
            sim_die(s, "dma: unknown option '%s'", tk->t[i]);
    }
    if (!len || len > (64u << 20))
        sim_die(s, "dma: len must be 1..64M");
    if ((from || into) && len > room && !s->dry)
        sim_die(s, "dma: len past the end of the buffer");
    if (s->dry)
        return;
    data = malloc(len);
    if (!data)
        sim_die(s, "out of memory");
    if (write)
        from ? memcpy(data, from, len) : memset(data, (int)(pat & 0xff), len);
    else
        memset(data, 0, len);
    fail_before(s);
    defer_start(s);
    errno = 0;
    rc = mockfd_device_dma(dev->fd, (uint32_t)pasid, iova, data, len, write);
    err = rc < 0 ? errno : 0;
    fail_after(s, "dma", rc < 0, false);
    if (!write && into)
        memcpy(into, data, len);
    free(s->dma_data);
    s->dma_data = data;
    s->dma_len = len;
    s->have_last = true;
    s->last_u = NULL;
    s->last_ret = rc;
    s->last_err = err;
    ret_str(rc, err, rs, sizeof(rs));
    tr_begin(&t, "dma");
    tr_kv(&t, NULL, "device", "%s", dev->name);
    tr_kv(&t, NULL, "dir", "%s", tk->t[2]);
    tr_kv(&t, NULL, "iova", "0x%" PRIx64, iova);
    tr_kv(&t, NULL, "len", "0x%" PRIx64, len);
    tr_kv(&t, NULL, "ret", "%d", rc);
    tr_kv(&t, NULL, "errno", "%s", err ? mfd_errno_name(err) : "0");
    snprintf(text, sizeof(text), "dma %s %s iova=0x%" PRIx64 " len=0x%" PRIx64 "%s%s = %s",
             dev->name, tk->t[2], iova, len, pasid ? " pasid=" : "", "", rs);
    if (pasid)
        snprintf(text, sizeof(text), "dma %s %s iova=0x%" PRIx64 " len=0x%" PRIx64
                 " pasid=0x%" PRIx64 "%s = %s", dev->name, tk->t[2], iova, len, pasid, ib, rs);
    else
        snprintf(text, sizeof(text), "dma %s %s iova=0x%" PRIx64 " len=0x%" PRIx64 "%s = %s",
                 dev->name, tk->t[2], iova, len, ib, rs);
    emit_head(s, &t, T_DMA, text);
    defer_flush(s);
}

/* REG name or offset of an IOMMU: offset and width. */
static uint64_t reg_ref(struct sim *s, struct emu_iommu *hw, const char *ref, unsigned *width)
{
    uint64_t off;
    int64_t o;

    if (isdigit((unsigned char)ref[0])) {
        const char *n;

        off = val_num(s, ref);
        *width = 4;
        if (hw && (n = emu_reg_name(hw, off)) && emu_reg_lookup(hw, n, width) != (int64_t)off)
            *width = 4;
        return off;
    }
    if (!hw)
        return 0;
    o = emu_reg_lookup(hw, ref, width);
    if (o < 0)
        sim_die(s, "%s has no register '%s'", emu_model_name(emu_iommu_model(hw)), ref);
    return (uint64_t)o;
}

static void mmio_line(struct sim *s, const char *iname, struct emu_iommu *hw, bool write,
                      uint64_t off, unsigned w, uint64_t v)
{
    const char *name = emu_reg_name(hw, off);
    char dec[512] = "", sdec[600], vb[96], text[900];
    struct trec t;

    emu_reg_decode(hw, off, v, dec, sizeof(dec));
    sym_text(s, dec, sdec, sizeof(sdec));
    sym_val(s, v, vb, sizeof(vb));
    tr_begin(&t, write ? "mmio_write" : "mmio_read");
    tr_kv(&t, NULL, "iommu", "%s", iname);
    tr_kv(&t, NULL, "reg", "%s", name ? name : "?");
    tr_kv(&t, NULL, "offset", "0x%" PRIx64, off);
    tr_kv(&t, NULL, "width", "%u", w);
    tr_kv(&t, NULL, "value", "%s", vb);
    tr_kv(&t, NULL, "fields", "%s", sdec);
    snprintf(text, sizeof(text), "mmio %s %s %s(0x%" PRIx64 ") %s %s%s%s%s", iname,
             write ? "write" : "read ", name ? name : "", off, write ? "<-" : "->", vb,
             sdec[0] ? " [" : "", sdec, sdec[0] ? "]" : "");
    tr_emit(s, &t, T_MMIO | T_IOCTL, text);
}

static void st_mmio(struct sim *s, struct toks *tk)
{
    struct sym *io;
    struct emu_iommu *hw;
    bool write;
    unsigned w = 4;
    uint64_t off, val = 0;
    int i;

    if (tk->n < 4)
        sim_die(s, "usage: mmio IOMMU read REG|OFFSET [width=N] | mmio IOMMU write REG|OFFSET VALUE");
    io = need_sym(s, tk->t[1], S_IOMMU, "an iommu");
    hw = need_hw(s, io);
    if (strcmp(tk->t[2], "read") && strcmp(tk->t[2], "write"))
        sim_die(s, "mmio: read or write");
    write = !strcmp(tk->t[2], "write");
    off = reg_ref(s, hw, tk->t[3], &w);
    i = 4;
    if (write) {
        if (tk->n < 5)
            sim_die(s, "mmio write: which value?");
        val = val_num(s, tk->t[i++]);
    }
    for (; i < tk->n; i++) {
        const char *v = kv(tk->t[i], "width");

        if (!v)
            sim_die(s, "mmio: unknown option '%s'", tk->t[i]);
        w = (unsigned)val_num(s, v);
        if (w != 1 && w != 2 && w != 4 && w != 8)
            sim_die(s, "mmio: width is 1, 2, 4 or 8");
    }
    if (s->dry)
        return;
    s->in_mmio_verb = true;
    if (write) {
        mmio_line(s, io->name, hw, true, off, w, val);
        emu_mmio_write(hw, off, w, val);
        s->in_mmio_verb = false;
    } else {
        val = emu_mmio_read(hw, off, w);
        s->in_mmio_verb = false;
        mmio_line(s, io->name, hw, false, off, w, val);
    }
}

static void hexdump(struct sim *s, const char *base, const unsigned char *p, uint64_t len)
{
    for (uint64_t o = 0; o < len; o += 16) {
        char text[128];
        size_t n = (size_t)snprintf(text, sizeof(text), "  %s+0x%04" PRIx64 ":", base, o);

        for (uint64_t k = o; k < len && k < o + 16; k++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, " %02x", p[k]);
        sim_say(s, T_IOCTL | T_DMA, "%s", text);
    }
}

static void st_dump(struct sim *s, struct toks *tk)
{
    uint64_t room = 0, len = 0;
    unsigned char *p;

    if (tk->n < 3 || strcmp(tk->t[1], "mem"))
        sim_die(s, "usage: dump mem BUF[+off] len=N");
    p = buf_at(s, tk->t[2], &room);
    len = room;
    for (int i = 3; i < tk->n; i++) {
        const char *v = kv(tk->t[i], "len");

        if (!v)
            sim_die(s, "dump: unknown option '%s'", tk->t[i]);
        len = val_num(s, v);
    }
    if (len > room || len > 65536)
        sim_die(s, "dump: past the end of the buffer (or more than 64K)");
    if (s->dry)
        return;
    sim_say(s, T_IOCTL | T_DMA, "dump mem %s len=0x%" PRIx64, tk->t[2], len);
    hexdump(s, tk->t[2], p, len);
}

static void st_walk(struct sim *s, struct toks *tk)
{
    struct sym *dev;
    struct emu_iommu *hw;
    uint64_t iova = 0, pasid = EMU_NO_PASID;
    bool write = false;
    unsigned char byte = 0;
    struct emu_fault f;
    unsigned saved;
    int rc;

    if (tk->n < 3)
        sim_die(s, "usage: walk DEV iova=X [pasid=N] [write]");
    dev = need_sym(s, tk->t[1], S_DEVICE, "a device");
    for (int i = 2; i < tk->n; i++) {
        const char *v;

        if ((v = kv(tk->t[i], "iova")))
            iova = val_num(s, v);
        else if ((v = kv(tk->t[i], "pasid")))
            pasid = val_num(s, v);
        else if (!strcmp(tk->t[i], "write"))
            write = true;
        else
            sim_die(s, "walk: unknown option '%s'", tk->t[i]);
    }
    if (s->dry)
        return;
    hw = need_hw(s, &s->syms[dev->iommu]);
    sim_say(s, T_IOCTL | T_DMA, "walk %s iova=0x%" PRIx64 " (%s of 1 byte; an IOTLB hit "
            "shows no fetches)", dev->name, iova, write ? "write" : "read");
    /* each level's entry comes from the model's TABLE_FETCH trace records */
    saved = s->trace;
    s->trace |= T_TABLE | T_XLATE | T_FAULT | T_AD;
    if (!(saved & T_IOCTL))
        s->trace &= ~(unsigned)(T_TABLE | T_XLATE | T_FAULT | T_AD);
    memset(&f, 0, sizeof(f));
    fail_before(s);
    rc = emu_dma(hw, dev->rid, (uint32_t)pasid, iova, &byte, 1, write, &f);
    fail_after(s, "walk", rc < 0, false);
    s->trace = saved;
    if (rc)
        sim_say(s, T_IOCTL | T_DMA, "  walk result: %s (fault reason 0x%x)",
                mfd_errno_name(-rc) ? mfd_errno_name(-rc) : "error", f.reason);
    else
        sim_say(s, T_IOCTL | T_DMA, "  walk result: ok");
}

/* ---- fds ------------------------------------------------------------------------- */

static void st_open_close(struct sim *s, struct toks *tk, bool open)
{
    struct sym *y;
    int rc = 0, err;

    if (tk->n != 2)
        sim_die(s, "usage: %s DEV|iommufd|FD", tk->t[0]);
    if (!strcmp(tk->t[1], "iommufd")) {
        if (s->dry)
            return;
        fail_before(s);
        errno = 0;
        if (open)
            rc = s->iommufd = mockfd_open();
        else
            rc = mockfd_close(s->iommufd);
        err = rc < 0 ? errno : 0;
        fail_after(s, tk->t[0], rc < 0, false);
        if (!open && !err)
            s->iommufd = -1;
        sim_say(s, T_IOCTL, "%s iommufd = %s", tk->t[0], err ? mfd_errno_name(err) : "0");
        s->last_err = err;
        s->last_ret = rc;
        s->last_u = NULL;
        return;
    }
    y = sym_find(s, tk->t[1]);
    if (!y || (y->kind != S_DEVICE && (y->kind != S_FD || open)))
        sim_die(s, "%s: '%s' is not a device%s", tk->t[0], tk->t[1], open ? "" : " or fd");
    if (s->dry)
        return;
    fail_before(s);
    defer_start(s);
    errno = 0;
    if (y->kind == S_FD) {
        rc = y->host_fd ? close((int)y->v) : mockfd_close((int)y->v);
        y->dead = true;
    } else if (open) {
        rc = mockfd_device_open((int)y->v);
        if (rc >= 0)
            y->fd = rc;
    } else {
        rc = mockfd_close(y->fd);
        y->fd = -1;
        y->bound = false;
    }
    err = rc < 0 ? errno : 0;
    fail_after(s, tk->t[0], rc < 0, false);
    s->last_err = err;
    s->last_ret = rc;
    s->last_u = NULL;
    {
        FILE *d = s->defer;

        s->defer = NULL;
        sim_say(s, T_IOCTL, "%s %s = %s", tk->t[0], y->name, err ? mfd_errno_name(err) : "0");
        s->defer = d;
    }
    defer_flush(s);
}

static void st_read(struct sim *s, struct toks *tk)
{
    struct sym *y;
    uint64_t len = 64;
    long rc;
    int err;
    unsigned char *data;

    if (tk->n < 2)
        sim_die(s, "usage: read FD [len=N]");
    y = need_sym(s, tk->t[1], S_FD, "an fd");
    for (int i = 2; i < tk->n; i++) {
        const char *v = kv(tk->t[i], "len");

        if (!v)
            sim_die(s, "read: unknown option '%s'", tk->t[i]);
        len = val_num(s, v);
    }
    if (!len || len > 65536)
        sim_die(s, "read: len 1..64K");
    if (s->dry)
        return;
    data = calloc(1, len);
    if (!data)
        sim_die(s, "out of memory");
    fail_before(s);
    errno = 0;
    rc = mockfd_read((int)y->v, data, len);
    err = rc < 0 ? errno : 0;
    fail_after(s, "read", rc < 0, false);
    sim_say(s, T_IOCTL, "read %s len=0x%" PRIx64 " = %ld%s%s", y->name, len, rc < 0 ? -1 : rc,
            err ? " " : "", err ? mfd_errno_name(err) : "");
    /* a fault / vEVENTQ fd: one line per record (none after an error or
     * 0); anything else: hex */
    if (!rec_decode(s, y, data, rc > 0 ? (size_t)rc : 0, false) && rc > 0)
        hexdump(s, y->name, data, (uint64_t)rc);
    free(s->dma_data);
    s->dma_data = data;
    s->dma_len = rc > 0 ? (size_t)rc : 0;
    s->last_err = err;
    s->last_ret = rc;
    s->last_u = NULL;
}

/* `write FD [cookie=C [code=X]]... [bytes=HEX,..] [len=N]`: each cookie=
 * starts a struct iommu_hwpt_page_response (code= sets the latest one's
 * code, SUCCESS by default); bytes= are raw bytes after them; len= the
 * count passed to write(2) (default: what was built; more is zero-filled).
 * The buffer ends right before a PROT_NONE page, like an ioctl's struct. */
static void st_write(struct sim *s, struct toks *tk)
{
    struct iommu_hwpt_page_response resp[64];
    unsigned char raw[256];
    int nresp = 0, nraw = 0, err;
    uint64_t len = 0, built, npages;
    bool have_len = false;
    unsigned char *map, *buf;
    struct sym *y;
    long rc;

    if (tk->n < 2)
        sim_die(s, "usage: write FD [cookie=C [code=SUCCESS|INVALID]].. [bytes=HEX,..] [len=N]");
    y = need_sym(s, tk->t[1], S_FD, "an fd");
    for (int i = 2; i < tk->n; i++) {
        const char *v;
        uint64_t x;

        if ((v = kv(tk->t[i], "cookie"))) {
            if (nresp == (int)(sizeof(resp) / sizeof(resp[0])))
                sim_die(s, "write: at most %zu responses", sizeof(resp) / sizeof(resp[0]));
            resp[nresp].cookie = (uint32_t)val_num(s, v);
            resp[nresp++].code = IOMMUFD_PAGE_RESP_SUCCESS;
        } else if ((v = kv(tk->t[i], "code"))) {
            static const struct mfd_ufield codef = { "code", 0, 4, MFD_UF_ENUM,
                                                     "IOMMUFD_PAGE_RESP_", NULL, 0, 0 };

            if (!nresp)
                sim_die(s, "write: code= belongs to a cookie= before it");
            if (val_parse(s, &codef, v, &x))
                sim_die(s, "write: bad code '%s'", v);
            resp[nresp - 1].code = (uint32_t)x;
        } else if ((v = kv(tk->t[i], "bytes"))) {
            int n = val_bytes(s, v, raw + nraw, sizeof(raw) - (size_t)nraw);

            if (n < 0)
                sim_die(s, "write: bad bytes '%s'", v);
            nraw += n;
        } else if ((v = kv(tk->t[i], "len"))) {
            len = val_num(s, v);
            have_len = true;
        } else {
            sim_die(s, "write: unknown option '%s'", tk->t[i]);
        }
    }
    built = (uint64_t)nresp * sizeof(resp[0]) + (uint64_t)nraw;
    if (!have_len)
        len = built;
    if (len > 65536)
        sim_die(s, "write: len at most 64K");
    if (s->dry)
        return;
    npages = (len + 4095) / 4096 + 1;
    map = mmap(NULL, npages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        sim_die(s, "mmap failed");
    mprotect(map + (npages - 1) * 4096, 4096, PROT_NONE);
    buf = map + (npages - 1) * 4096 - len;
    memset(buf, 0, len);
    {
        unsigned char all[64 * sizeof(resp[0]) + sizeof(raw)];

        memcpy(all, resp, (size_t)nresp * sizeof(resp[0]));
        memcpy(all + (size_t)nresp * sizeof(resp[0]), raw, (size_t)nraw);
        memcpy(buf, all, (size_t)(built < len ? built : len));
    }
    fail_before(s);
    defer_start(s);
    errno = 0;
    rc = mockfd_write((int)y->v, buf, len);
    err = rc < 0 ? errno : 0;
    fail_after(s, "write", rc < 0, false);
    {
        FILE *d = s->defer;

        s->defer = NULL;
        sim_say(s, T_IOCTL, "write %s len=0x%" PRIx64 " = %ld%s%s", y->name, len,
                rc < 0 ? -1 : rc, err ? " " : "", err ? mfd_errno_name(err) : "");
        /* what was offered, decoded (page responses on a fault fd) */
        if (!rec_decode(s, y, buf, (size_t)len, true) && len)
            hexdump(s, y->name, buf, len);
        s->defer = d;
    }
    defer_flush(s);
    munmap(map, npages * 4096);
    s->have_last = true;
    s->last_err = err;
    s->last_ret = rc;
    s->last_u = NULL;
}

/* ---- expect ---------------------------------------------------------------------- */

static void check_cmp(struct sim *s, const char *what, uint64_t got, uint64_t mask, bool eq,
                      uint64_t want, const struct mfd_ufield *f)
{
    char gb[160], wb[160];
    bool ok = eq ? (got & mask) == want : (got & mask) != want;

    val_print(s, f, got, gb, sizeof(gb));
    val_print(s, f, want, wb, sizeof(wb));
    if (ok)
        sim_say(s, T_EXPECT, "expect %s %s %s: ok", what, eq ? "==" : "!=", wb);
    else
        sim_fail(s, "expect %s %s %s: got %s", what, eq ? "==" : "!=", wb, gb);
}

/* expect log "TEXT" | expect log none: a driver log line (platform.h) of
 * the last statement contains TEXT (the words after `log`, single-spaced,
 * quotes optional) / it logged nothing. */
static void expect_log(struct sim *s, struct toks *tk)
{
    char want[1024];
    size_t o = 0, n;
    bool none;

    want[0] = '\0';
    for (int i = 2; i < tk->n && o < sizeof(want); i++)
        o += (size_t)snprintf(want + o, sizeof(want) - o, "%s%s", i > 2 ? " " : "", tk->t[i]);
    n = strlen(want);
    if (n >= 2 && want[0] == '"' && want[n - 1] == '"') {
        memmove(want, want + 1, n - 2);
        want[n - 2] = '\0';
    } else if (n && (want[0] == '"' || want[n - 1] == '"')) {
        sim_die(s, "expect log: unbalanced quote");
    }
    if (!want[0])
        sim_die(s, "usage: expect log \"TEXT\" | expect log none");
    none = !strcmp(want, "none") && tk->n == 3 && tk->t[2][0] != '"';
    if (s->dry)
        return;
    if (none) {
        if (!s->nlog)
            sim_say(s, T_EXPECT, "expect log none: ok");
        else
            sim_fail(s, "expect log none: got %d line%s, first \"%s\"", s->nlog,
                     s->nlog == 1 ? "" : "s", s->logs[0]);
        return;
    }
    for (int i = 0; i < s->nlog; i++)
        if (strstr(s->logs[i], want)) {
            sim_say(s, T_EXPECT, "expect log \"%s\": ok", want);
            return;
        }
    sim_fail(s, "expect log \"%s\": not among the %d line%s logged", want, s->nlog,
             s->nlog == 1 ? "" : "s");
}

static void expect_bits(struct sim *s, struct toks *tk)
{
    uint64_t room = 0, nbits = 0;
    unsigned char *p;
    const char *bits = NULL;
    char got[1024] = "", want[1024] = "";
    size_t go = 0;
    bool ok = true;

    if (tk->n < 4)
        sim_die(s, "usage: expect bitmap BUF[+off] bits=N,M,..|none [nbits=N]");
    p = buf_at(s, tk->t[2], &room);
    nbits = room * 8;
    for (int i = 3; i < tk->n; i++) {
        const char *v;

        if ((v = kv(tk->t[i], "bits")))
            bits = v;
        else if ((v = kv(tk->t[i], "nbits")))
            nbits = val_num(s, v);
        else
            sim_die(s, "expect bitmap: unknown option '%s'", tk->t[i]);
    }
    if (!bits)
        sim_die(s, "expect bitmap: bits= missing");
    if (nbits > room * 8)
        sim_die(s, "expect bitmap: nbits past the buffer");
    if (nbits > (1u << 20))
        nbits = 1u << 20;
    if (s->dry)
        return;
    snprintf(want, sizeof(want), "%s", bits);
    {
        /* the wanted set, in order */
        uint64_t wl[512];
        int nw = 0, k = 0;
        char tmp[1024], *save = NULL, *t;

        snprintf(tmp, sizeof(tmp), "%s", bits);
        if (strcmp(bits, "none"))
            for (t = strtok_r(tmp, ",", &save); t && nw < 512; t = strtok_r(NULL, ",", &save))
                wl[nw++] = val_num(s, t);
        for (uint64_t b = 0; b < nbits; b++) {
            bool set = p[b / 8] & (1u << (b % 8));

            if (!set)
                continue;
            if (go < sizeof(got) - 24)
                go += (size_t)snprintf(got + go, sizeof(got) - go, "%s%" PRIu64, go ? "," : "", b);
            if (k >= nw || wl[k] != b)
                ok = false;
            k++;
        }
        if (k != nw)
            ok = false;
    }
    if (!got[0])
        snprintf(got, sizeof(got), "none");
    if (ok)
        sim_say(s, T_EXPECT, "expect bitmap %s bits=%s: ok", tk->t[2], want);
    else
        sim_fail(s, "expect bitmap %s bits=%s: got %s", tk->t[2], want, got);
}

static void expect_bytes(struct sim *s, const char *what, const unsigned char *p, uint64_t len,
                         const char *pattern, const char *hex)
{
    unsigned char want[256];
    int n = 0;

    if (pattern) {
        uint64_t b = val_num(s, pattern);

        for (uint64_t k = 0; k < len; k++)
            if (p[k] != (unsigned char)b) {
                sim_fail(s, "expect %s pattern=0x%02x: byte 0x%" PRIx64 " is 0x%02x", what,
                         (unsigned)(b & 0xff), k, p[k]);
                return;
            }
        sim_say(s, T_EXPECT, "expect %s pattern=0x%02x: ok", what, (unsigned)(b & 0xff));
        return;
    }
    n = val_bytes(s, hex, want, sizeof(want));
    if (n < 0)
        sim_die(s, "bad bytes '%s'", hex);
    if ((uint64_t)n > len || memcmp(p, want, (size_t)n)) {
        sim_fail(s, "expect %s=%s: differs", what, hex);
        return;
    }
    sim_say(s, T_EXPECT, "expect %s=%s: ok", what, hex);
}

static void st_expect(struct sim *s, struct toks *tk)
{
    const char *v;
    int i = 1;
    uint64_t mask = UINT64_MAX, want, got = 0;
    bool eq = true;
    const struct mfd_ufield *f = NULL;
    char what[160], lhs[64];

    if (tk->n < 2)
        sim_die(s, "usage: expect ...");
    if ((v = kv(tk->t[1], "errno"))) {
        int e = !strcmp(v, "0") ? 0 : mfd_errno_value(v);

        if (e < 0 || tk->n != 2)
            sim_die(s, "expect errno=NAME (ENOENT, ...) or errno=0");
        if (s->dry)
            return;
        if (!s->have_last)
            sim_die(s, "expect errno: nothing ran yet");
        if (s->last_err == e)
            sim_say(s, T_EXPECT, "expect errno=%s: ok", v);
        else
            sim_fail(s, "expect errno=%s: got %s", v,
                     s->last_err ? mfd_errno_name(s->last_err) ? mfd_errno_name(s->last_err) : "E?"
                                 : "0 (success)");
        return;
    }
    if ((v = kv(tk->t[1], "ret"))) {
        want = val_num(s, v);
        if (!s->dry)
            check_cmp(s, "ret", (uint64_t)s->last_ret, UINT64_MAX, true, want, NULL);
        return;
    }
    if (!strcmp(tk->t[1], "log")) {
        expect_log(s, tk);
        return;
    }
    if (!strcmp(tk->t[1], "bitmap")) {
        expect_bits(s, tk);
        return;
    }
    if (!strcmp(tk->t[1], "data") || !strncmp(tk->t[1], "data=", 5)) {
        const char *pat = tk->n > 2 ? kv(tk->t[2], "pattern") : NULL;
        const char *hex = kv(tk->t[1], "data");

        if (!pat && !hex)
            sim_die(s, "usage: expect data pattern=B | expect data=HEX,HEX..");
        if (!s->dry)
            expect_bytes(s, "data", s->dma_data ? s->dma_data : (const unsigned char *)"",
                         s->dma_data ? s->dma_len : 0, pat, hex);
        return;
    }
    if (!strcmp(tk->t[1], "mem")) {
        uint64_t room = 0, len = 0;
        unsigned char *p;
        const char *pat = NULL, *hex = NULL;

        if (tk->n < 4)
            sim_die(s, "usage: expect mem BUF[+off] [len=N] pattern=B|bytes=HEX,..");
        p = buf_at(s, tk->t[2], &room);
        len = room;
        for (int k = 3; k < tk->n; k++) {
            if ((v = kv(tk->t[k], "len")))
                len = val_num(s, v);
            else if ((v = kv(tk->t[k], "pattern")))
                pat = v;
            else if ((v = kv(tk->t[k], "bytes")))
                hex = v;
            else
                sim_die(s, "expect mem: unknown option '%s'", tk->t[k]);
        }
        if ((!pat && !hex) || len > room)
            sim_die(s, "expect mem: pattern= or bytes=, within the buffer");
        snprintf(what, sizeof(what), "mem %s", tk->t[2]);
        if (!s->dry)
            expect_bytes(s, what, p, len, pat, hex);
        return;
    }
    /* LHS [& MASK] (==|!=) VALUE, LHS = FIELD or `mmio IOMMU REG`; FIELD=VALUE */
    if (!strcmp(tk->t[1], "mmio")) {
        struct sym *io;
        struct emu_iommu *hw;
        unsigned w = 4;
        uint64_t off;

        if (tk->n < 6)
            sim_die(s, "usage: expect mmio IOMMU REG [& MASK] ==|!= VALUE");
        io = need_sym(s, tk->t[2], S_IOMMU, "an iommu");
        hw = need_hw(s, io);
        off = reg_ref(s, hw, tk->t[3], &w);
        i = 4;
        snprintf(what, sizeof(what), "mmio %s %s", io->name, tk->t[3]);
        if (!s->dry) {
            s->in_mmio_verb = true;
            got = emu_mmio_read(hw, off, w);
            s->in_mmio_verb = false;
        }
    } else {
        const char *eqs = strchr(tk->t[1], '=');
        size_t ln = eqs ? (size_t)(eqs - tk->t[1]) : strlen(tk->t[1]);

        if (ln >= sizeof(lhs))
            sim_die(s, "expect: bad field '%s'", tk->t[1]);
        memcpy(lhs, tk->t[1], ln);
        lhs[ln] = '\0';
        snprintf(what, sizeof(what), "%s", lhs);
        i = 2;
        if (rec_lhs(lhs)) {
            /* a record of the last read / write of a fault or vEVENTQ fd */
            if (!s->dry) {
                if (!s->have_recs)
                    sim_die(s, "expect %s: no fault/vEVENTQ read or write yet", lhs);
                f = rec_field(s, lhs, &got);
                if (!f)
                    return;
            }
        } else if (!s->dry) {
            if (!s->last_u || !s->last_u->st || !(f = mfd_uapi_field(s->last_u->st, lhs)))
                sim_die(s, "expect: the last ioctl has no field '%s'", lhs);
            if (f->off + f->size > s->last_len)
                sim_die(s, "expect: field '%s' lies past the size given", lhs);
            got = mfd_uapi_get(s->last, f);
        }
        if (eqs) {
            if (tk->n != 2)
                sim_die(s, "expect FIELD=VALUE takes nothing more");
            if (s->dry)
                return;
            if (val_parse(s, f, eqs + 1, &want))
                sim_die(s, "expect: bad value '%s'", eqs + 1);
            check_cmp(s, what, got, mask, true, want, f);
            return;
        }
    }
    if (i < tk->n && !strcmp(tk->t[i], "&")) {
        if (i + 1 >= tk->n)
            sim_die(s, "expect: mask missing after &");
        if (!s->dry && val_parse(s, f, tk->t[i + 1], &mask))
            sim_die(s, "expect: bad mask '%s'", tk->t[i + 1]);
        snprintf(what + strlen(what), sizeof(what) - strlen(what), " & %s", tk->t[i + 1]);
        i += 2;
    }
    if (i + 2 != tk->n || (strcmp(tk->t[i], "==") && strcmp(tk->t[i], "!=")))
        sim_die(s, "expect: LHS [& MASK] ==|!= VALUE");
    eq = !strcmp(tk->t[i], "==");
    if (s->dry)
        return;
    if (val_parse(s, f, tk->t[i + 1], &want))
        sim_die(s, "expect: bad value '%s'", tk->t[i + 1]);
    check_cmp(s, what, got, mask, eq, want, f);
}

/* ---- trace control ------------------------------------------------------------------ */

static const struct { const char *n; unsigned bit; } cats[] = {
    { "ioctl", T_IOCTL }, { "mmio", T_MMIO }, { "table", T_TABLE }, { "ad", T_AD },
    { "fault", T_FAULT }, { "inval", T_INVAL }, { "xlate", T_XLATE }, { "event", T_EVENT },
    { "dma", T_DMA }, { "expect", T_EXPECT }, { "setup", T_SETUP }, { "log", T_LOG },
};

static void st_trace(struct sim *s, struct toks *tk)
{
    unsigned m = s->trace;

    if (tk->n < 2)
        sim_die(s, "usage: trace all|none|default|+CAT|-CAT ...");
    for (int i = 1; i < tk->n; i++) {
        const char *a = tk->t[i];
        bool found = false;

        if (!strcmp(a, "all")) {
            m = ~0u;
            continue;
        }
        if (!strcmp(a, "none")) {
            m = 0;
            continue;
        }
        if (!strcmp(a, "default")) {
            m = T_DEFAULT;
            continue;
        }
        if (*a != '+' && *a != '-')
            sim_die(s, "trace: +CAT or -CAT, got '%s'", a);
        for (size_t k = 0; k < sizeof(cats) / sizeof(cats[0]); k++)
            if (!strcmp(a + 1, cats[k].n)) {
                m = *a == '+' ? m | cats[k].bit : m & ~cats[k].bit;
                found = true;
            }
        if (!found)
            sim_die(s, "trace: unknown category '%s'", a + 1);
    }
    if (!s->dry)
        s->trace = m;
}

/* ---- a line, a file --------------------------------------------------------------- */

static void run_line(struct sim *s, char *line)
{
    struct toks tk;
    const char *w;

    tokenize(s, line, &tk);
    if (!tk.n)
        return;
    w = tk.t[0];
    /* `expect log` looks at what the last statement that ran logged */
    if (!s->dry && strcmp(w, "expect") && strcmp(w, "say") && strcmp(w, "trace"))
        sim_logs_clear(s);
    if (!strcmp(w, "iommu"))
        st_iommu(s, &tk);
    else if (!strcmp(w, "device"))
        st_device(s, &tk);
    else if (!strcmp(w, "buffer"))
        st_buffer(s, &tk);
    else if (!strcmp(w, "memfd"))
        st_memfd(s, &tk);
    else if (!strcmp(w, "fill"))
        st_fill(s, &tk);
    else if (!strcmp(w, "poke"))
        st_poke(s, &tk);
    else if (!strcmp(w, "protect"))
        st_protect(s, &tk);
    else if (!strcmp(w, "let"))
        st_let(s, &tk);
    else if (!strcmp(w, "dma"))
        st_dma(s, &tk);
    else if (!strcmp(w, "mmio"))
        st_mmio(s, &tk);
    else if (!strcmp(w, "dump"))
        st_dump(s, &tk);
    else if (!strcmp(w, "walk"))
        st_walk(s, &tk);
    else if (!strcmp(w, "expect"))
        st_expect(s, &tk);
    else if (!strcmp(w, "trace"))
        st_trace(s, &tk);
    else if (!strcmp(w, "open"))
        st_open_close(s, &tk, true);
    else if (!strcmp(w, "close"))
        st_open_close(s, &tk, false);
    else if (!strcmp(w, "read"))
        st_read(s, &tk);
    else if (!strcmp(w, "write"))
        st_write(s, &tk);
    else if (!strcmp(w, "say")) {
        char text[1024];
        size_t o = 0;

        text[0] = '\0';
        for (int i = 1; i < tk.n && o < sizeof(text); i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", i > 1 ? " " : "", tk.t[i]);
        if (!s->dry)
            sim_say(s, T_IOCTL | T_SETUP, "\n## %s", text);
    } else if (tk.n >= 3 && !strcmp(tk.t[1], "="))
        st_ioctl(s, tk.t[0], &tk, 2);
    else
        st_ioctl(s, NULL, &tk, 0);
}

static void run_pass(struct sim *s, const char *text)
{
    const char *p = text;

    s->line = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];

        s->line++;
        if (n >= sizeof(line))
            sim_die(s, "line too long");
        memcpy(line, p, n);
        line[n] = '\0';
        run_line(s, line);
        fflush(stdout);
        p += n + (nl ? 1 : 0);
    }
}

int sim_run_text(struct sim *s, const char *file, char *text)
{
    unsigned trace = s->trace;

    s->file = file;
    /* pass 1: syntax, names, symbols; nothing runs */
    s->dry = true;
    run_pass(s, text);
    s->nsym = 0;
    s->trace = trace;
    s->dry = false;
    s->line = 0;
    mfd_platform_set_log_hook(sim_log_hook, s);
    fail_before(s);
    s->iommufd = mockfd_open();
    fail_after(s, "open iommufd", s->iommufd < 0, false);
    if (s->iommufd < 0)
        sim_die(s, "cannot open the mock iommufd");
    run_pass(s, text);
    return s->failed ? 1 : 0;
}
