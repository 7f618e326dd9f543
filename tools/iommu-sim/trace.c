/* SPDX-License-Identifier: MIT */
/*
 * The trace: one line per ioctl, register access, table fetch, A/D update,
 * translation, fault, invalidation and event record, as text (QEMU
 * trace-events style, peers.md §2.5 item 7) or JSON lines (--trace=json).
 * Deterministic: host addresses are printed relative to the buffer or the
 * driver table pool they fall in ("buf0+0x10", "pool+0x3000").
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

void tr_begin(struct trec *t, const char *ev)
{
    t->ev = ev;
    t->head[0] = '\0';
    t->n = 0;
}

void tr_kv(struct trec *t, const char *sec, const char *k, const char *fmt, ...)
{
    va_list ap;

    if (t->n >= (int)(sizeof(t->kv) / sizeof(t->kv[0])))
        return;
    t->kv[t->n].sec = sec;
    snprintf(t->kv[t->n].k, sizeof(t->kv[0].k), "%s", k);
    va_start(ap, fmt);
    vsnprintf(t->kv[t->n].v, sizeof(t->kv[0].v), fmt, ap);
    va_end(ap);
    t->n++;
}

static void json_str(FILE *out, const char *v)
{
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fprintf(out, "\\%c", *v);
        else if ((unsigned char)*v < 0x20)
            fprintf(out, "\\u%04x", *v);
        else
            fputc(*v, out);
    }
    fputc('"', out);
}

/* text: the caller's line; JSON: {"line":N,"ev":..., "<sec>":{k:v}} with
 * sections in order of first appearance. */
void tr_emit(struct sim *s, struct trec *t, unsigned cat, const char *text)
{
    FILE *out;

    if (s->quiet || !(s->trace & cat))
        return;
    /* what the hardware does during a call prints after the call's line */
    out = s->defer ? s->defer : stdout;
    if (!s->json) {
        fprintf(out, "%s\n", text);
        return;
    }
    fprintf(out, "{\"line\":%d,\"ev\":", s->line);
    json_str(out, t->ev);
    for (int i = 0; i < t->n; i++) {
        const char *sec = t->kv[i].sec;
        bool first = true;
        int j;

        for (j = 0; j < i; j++)
            if (t->kv[j].sec == sec || (sec && t->kv[j].sec && !strcmp(t->kv[j].sec, sec)))
                break;
        if (j < i)
            continue;   /* section already printed */
        if (sec) {
            fprintf(out, ",");
            json_str(out, sec);
            fprintf(out, ":{");
        }
        for (j = i; j < t->n; j++) {
            if (!(t->kv[j].sec == sec || (sec && t->kv[j].sec && !strcmp(t->kv[j].sec, sec))))
                continue;
            fprintf(out, "%s", !sec || !first ? "," : "");
            json_str(out, t->kv[j].k);
            fputc(':', out);
            json_str(out, t->kv[j].v);
            first = false;
        }
        if (sec)
            fprintf(out, "}");
    }
    fprintf(out, "}\n");
}

void defer_start(struct sim *s)
{
    if (!s->defer)
        s->defer = open_memstream(&s->defer_buf, &s->defer_len);
}

void defer_flush(struct sim *s)
{
    if (!s->defer)
        return;
    fclose(s->defer);
    s->defer = NULL;
    if (s->defer_buf)
        fputs(s->defer_buf, stdout);
    free(s->defer_buf);
    s->defer_buf = NULL;
    s->defer_len = 0;
}

void sim_say(struct sim *s, unsigned cat, const char *fmt, ...)
{
    struct trec t;
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    tr_begin(&t, "note");
    tr_kv(&t, NULL, "text", "%s", text);
    tr_emit(s, &t, cat, text);
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    s->failed++;
    /* failures always print, --quiet included */
    if (s->json) {
        printf("{\"line\":%d,\"ev\":\"fail\",\"file\":", s->line);
        json_str(stdout, s->file);
        printf(",\"text\":");
        json_str(stdout, text);
        printf("}\n");
    } else {
        printf("FAIL %s:%d: %s\n", s->file, s->line, text);
    }
}

/* ---- symbolisation --------------------------------------------------------- */

/* The driver table pool (mockfd/core/platform.c: one 8 GiB region,
 * identity-mapped as guest memory): the platform's table_ptr() answers
 * "is this page in the pool", so the base is the lowest page for which it
 * does, found by bisection below a pool address. */
static void find_pool(struct sim *s, uint64_t v)
{
    const uint64_t span = 8ull << 30;
    uint64_t lo, hi;

    if (!s->table_ptr || !s->table_ptr(v & ~4095ull))
        return;
    s->pool_searched = true;
    lo = (v & ~4095ull) > span ? (v & ~4095ull) - span : 0;
    hi = v & ~4095ull;       /* in the pool */
    while (hi - lo > 4096) {
        uint64_t mid = lo + (((hi - lo) / 2) & ~4095ull);

        if (s->table_ptr(mid))
            hi = mid;
        else
            lo = mid;
    }
    s->pool_base = s->table_ptr(lo) ? lo : hi;
    s->pool_len = span;
}

static bool addr_name(struct sim *s, uint64_t v, char *buf, size_t len)
{
    for (int i = s->nsym - 1; i >= 0; i--) {
        struct sym *y = &s->syms[i];

        if (y->kind == S_BUFFER && !y->dead && v >= y->v && v < y->v + y->len) {
            if (v == y->v)
                snprintf(buf, len, "%s", y->name);
            else
                snprintf(buf, len, "%s+0x%" PRIx64, y->name, v - y->v);
            return true;
        }
    }
    if (v >= (1ull << 32) && (!s->pool_len || v < s->pool_base || v >= s->pool_base + s->pool_len))
        find_pool(s, v);
    if (s->pool_len && v >= s->pool_base && v < s->pool_base + s->pool_len) {
        /* Where the driver's allocator puts a table differs between
         * builds; the order in which tables first appear does not. */
        uint64_t pg = v & ~4095ull;
        size_t k;

        for (k = 0; k < s->ntpages && s->tpages[k] != pg; k++)
            ;
        if (k == s->ntpages) {
            if (s->ntpages == s->captpages) {
                size_t nc = s->captpages ? 2 * s->captpages : 256;
                uint64_t *np = realloc(s->tpages, nc * sizeof(*np));

                if (!np) {
                    snprintf(buf, len, "pool+0x%" PRIx64, v - s->pool_base);
                    return true;
                }
                s->tpages = np;
                s->captpages = nc;
            }
            s->tpages[s->ntpages++] = pg;
        }
        if (v & 4095)
            snprintf(buf, len, "tbl%zu+0x%" PRIx64, k, v & 4095);
        else
            snprintf(buf, len, "tbl%zu", k);
        return true;
    }
    return false;
}

void sym_addr(struct sim *s, uint64_t v, char *buf, size_t len)
{
    if (!v)
        snprintf(buf, len, "0");
    else if (!addr_name(s, v, buf, len))
        snprintf(buf, len, "0x%" PRIx64, v);
}

/* A table entry or register value: its address bits (12..51) symbolised
 * when they point into a buffer or the pool, the rest OR-ed on. */
void sym_val(struct sim *s, uint64_t v, char *buf, size_t len)
{
    const uint64_t amask = 0x0000fffffffff000ull;   /* user VAs are below 2^48 */
    uint64_t a = v & amask;
    char nb[96];

    if (a >= (1ull << 32) && addr_name(s, a, nb, sizeof(nb))) {
        if (v & ~amask)
            snprintf(buf, len, "%s|0x%" PRIx64, nb, v & ~amask);
        else
            snprintf(buf, len, "%s", nb);
        return;
    }
    snprintf(buf, len, "0x%" PRIx64, v);
}

/* Rewrite every 0x... number of a decoded string that is a host address. */
/* A decoded register field holding a table-pool or buffer address shifted
 * right (VT-d RTA/IQA and AMD-Vi DevTabBase are address >> 12, SMMUv3
 * STRTAB_BASE.ADDR >> 6, Q_BASE.ADDR >> 5): "tbl1>>12", "dt>>12", so the
 * probe's table programming prints the same in every build. */
static bool shifted_name(struct sim *s, uint64_t v, char *buf, size_t len)
{
    static const unsigned shifts[] = { 12, 6, 5 };

    for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
        uint64_t a = v << shifts[i];
        char nb[80];

        if ((a >> shifts[i]) != v || a < (1ull << 32))
            continue;
        if (!addr_name(s, a, nb, sizeof(nb)))
            continue;
        snprintf(buf, len, "%s>>%u", nb, shifts[i]);
        return true;
    }
    return false;
}

void sym_text(struct sim *s, const char *in, char *out, size_t len)
{
    size_t o = 0;

    while (*in && o + 1 < len) {
        if (in[0] == '0' && in[1] == 'x') {
            char *end;
            uint64_t v = strtoull(in, &end, 16);
            char nb[96];

            if (v >= (1ull << 20) && v < (1ull << 32) && end > in + 2 && shifted_name(s, v, nb, sizeof(nb))) {
                o += (size_t)snprintf(out + o, len - o, "%s", nb);
                if (o >= len)
                    o = len - 1;
                in = end;
                continue;
            }
            if (v >= (1ull << 32) && end > in + 2) {
                if (shifted_name(s, v, nb, sizeof(nb))) {
                    o += (size_t)snprintf(out + o, len - o, "%s", nb);
                    if (o >= len)
                        o = len - 1;
                    in = end;
                    continue;
                }
                sym_val(s, v, nb, sizeof(nb));
                o += (size_t)snprintf(out + o, len - o, "%s", nb);
                if (o >= len)
                    o = len - 1;
                in = end;
                continue;
            }
        }
        out[o++] = *in++;
    }
    out[o] = '\0';
}

const char *iommu_symname(struct sim *s, const struct emu_iommu *hw)
{
    for (int i = 0; i < s->nsym; i++)
        if (s->syms[i].kind == S_IOMMU && s->syms[i].hw == hw)
            return s->syms[i].name;
    return "?";
}

static void rid_str(struct sim *s, const struct emu_iommu *hw, uint32_t rid, uint32_t pasid,
                    char *buf, size_t len)
{
    const char *dn = NULL;

    for (int i = 0; i < s->nsym; i++) {
        struct sym *y = &s->syms[i];

        if (y->kind == S_DEVICE && y->rid == rid && s->syms[y->iommu].hw == hw)
            dn = y->name;
    }
    if (pasid != EMU_NO_PASID)
        snprintf(buf, len, "%s%srid=0x%x pasid=0x%x", dn ? dn : "", dn ? " " : "", rid, pasid);
    else
        snprintf(buf, len, "%s%srid=0x%x", dn ? dn : "", dn ? " " : "", rid);
}

/* The emu trace hook (emu.h): runs under the model's lock, only prints. */
void sim_hook(void *opaque, const struct emu_iommu *iommu, const struct emu_trace_rec *r)
{
    struct sim *s = opaque;
    const char *in = iommu_symname(s, iommu);
    char text[1024], v1[128], v2[128], dec[512], sdec[600], rs[96];
    struct trec t;
    unsigned cat;
    const char *name;

    switch (r->kind) {
    case EMU_TRACE_MMIO_READ:
    case EMU_TRACE_MMIO_WRITE:
        if (s->in_mmio_verb)
            return;
        cat = T_MMIO;
        name = emu_reg_name(iommu, r->a);
        dec[0] = '\0';
        emu_reg_decode(iommu, r->a, r->b, dec, sizeof(dec));
        sym_text(s, dec, sdec, sizeof(sdec));
        sym_val(s, r->b, v1, sizeof(v1));
        tr_begin(&t, r->kind == EMU_TRACE_MMIO_READ ? "mmio_read" : "mmio_write");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "reg", "%s", name ? name : "?");
        tr_kv(&t, NULL, "offset", "0x%" PRIx64, r->a);
        tr_kv(&t, NULL, "width", "%u", r->width);
        tr_kv(&t, NULL, "value", "%s", v1);
        tr_kv(&t, NULL, "fields", "%s", sdec);
        snprintf(text, sizeof(text), "  mmio %s %s %s(0x%" PRIx64 ") %s %s%s%s%s", in,
                 r->kind == EMU_TRACE_MMIO_READ ? "read " : "write", name ? name : "",
                 r->a, r->kind == EMU_TRACE_MMIO_READ ? "->" : "<-", v1,
                 sdec[0] ? " [" : "", sdec, sdec[0] ? "]" : "");
        break;
    case EMU_TRACE_TABLE_FETCH:
        cat = T_TABLE;
        sym_addr(s, r->a, v1, sizeof(v1));
        sym_val(s, r->b, v2, sizeof(v2));
        tr_begin(&t, "table_fetch");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "table", "%s", r->what ? r->what : "?");
        tr_kv(&t, NULL, "at", "%s", v1);
        tr_kv(&t, NULL, "bytes", "%u", r->width);
        tr_kv(&t, NULL, "value", "%s", v2);
        snprintf(text, sizeof(text), "  fetch %s %-12s @%s (%u bytes) = %s", in,
                 r->what ? r->what : "?", v1, r->width, v2);
        break;
    case EMU_TRACE_AD_UPDATE:
        cat = T_AD;
        sym_addr(s, r->a, v1, sizeof(v1));
        sym_val(s, r->b, v2, sizeof(v2));
        tr_begin(&t, "ad_update");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "bits", "%s", r->what ? r->what : "?");
        tr_kv(&t, NULL, "at", "%s", v1);
        tr_kv(&t, NULL, "value", "%s", v2);
        snprintf(text, sizeof(text), "  set-%s %s @%s = %s", r->what ? r->what : "?", in, v1, v2);
        break;
    case EMU_TRACE_FAULT: {
        const struct emu_fault *f = r->fault;

        cat = T_FAULT;
        rid_str(s, iommu, f ? f->rid : r->rid, f ? f->pasid : r->pasid, rs, sizeof(rs));
        tr_begin(&t, "fault");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "source", "%s", rs);
        tr_kv(&t, NULL, "iova", "0x%" PRIx64, f ? f->iova : r->a);
        tr_kv(&t, NULL, "access", "%s", f && f->write ? "write" : "read");
        tr_kv(&t, NULL, "reason", "0x%x", f ? f->reason : 0);
        tr_kv(&t, NULL, "what", "%s", r->what ? r->what : "");
        snprintf(text, sizeof(text), "  FAULT %s %s iova=0x%" PRIx64 " %s reason=0x%x %s", in, rs,
                 f ? f->iova : r->a, f && f->write ? "write" : "read", f ? f->reason : 0,
                 r->what ? r->what : "");
        break;
    }
    case EMU_TRACE_INVAL:
        cat = T_INVAL;
        sym_text(s, r->what ? r->what : "", sdec, sizeof(sdec));
        tr_begin(&t, "inval");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "what", "%s", sdec);
        snprintf(text, sizeof(text), "  inval %s %s", in, sdec);
        break;
    case EMU_TRACE_TRANSLATE:
        cat = T_XLATE;
        rid_str(s, iommu, r->rid, r->pasid, rs, sizeof(rs));
        sym_addr(s, r->b, v1, sizeof(v1));
        tr_begin(&t, "translate");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "source", "%s", rs);
        tr_kv(&t, NULL, "iova", "0x%" PRIx64, r->a);
        tr_kv(&t, NULL, "to", "%s", v1);
        tr_kv(&t, NULL, "page_shift", "%u", r->width);
        snprintf(text, sizeof(text), "  xlate %s %s iova=0x%" PRIx64 " -> %s (2^%u)", in, rs, r->a,
                 v1, r->width);
        break;
    case EMU_TRACE_EVENT:
    default:
        cat = T_EVENT;
        sym_text(s, r->what ? r->what : "", sdec, sizeof(sdec));
        tr_begin(&t, "event");
        tr_kv(&t, NULL, "iommu", "%s", in);
        tr_kv(&t, NULL, "record", "%s", sdec);
        snprintf(text, sizeof(text), "  event %s %s", in, sdec);
        break;
    }
    tr_emit(s, &t, cat, text);
}

/* A driver log line: hex numbers ("0x..." and the bare 16-digit words of
 * the kernel's %016llx, e.g. AMD-Vi "DTE[0]: ...") that hold a buffer or
 * table address are symbolised, so the trace is the same in every build;
 * every other character is the driver's own text. */
static void sym_log(struct sim *s, const char *in, char *out, size_t len)
{
    size_t o = 0;
    const char *start = in;

    while (*in && o + 1 < len) {
        bool word = in == start || (!isalnum((unsigned char)in[-1]) && in[-1] != '_');
        bool pfx = word && in[0] == '0' && in[1] == 'x';
        const char *d = pfx ? in + 2 : in;
        size_t n = 0;

        while (word && n < 17 && isxdigit((unsigned char)d[n]))
            n++;
        if (word && !isalnum((unsigned char)d[n]) && (pfx ? n > 8 && n <= 16 : n == 16)) {
            char hex[17], nb[96];

            memcpy(hex, d, n);
            hex[n] = '\0';
            sym_val(s, strtoull(hex, NULL, 16), nb, sizeof(nb));
            if (strncmp(nb, "0x", 2)) {
                o += (size_t)snprintf(out + o, len - o, "%s", nb);
                if (o >= len)
                    o = len - 1;
                in = d + n;
                continue;
            }
        }
        out[o++] = *in++;
    }
    out[o] = '\0';
}

void sim_logs_clear(struct sim *s)
{
    for (int i = 0; i < s->nlog; i++)
        free(s->logs[i]);
    s->nlog = 0;
}

void sim_log_hook(void *arg, int index, struct emu_iommu *hw, const char *line)
{
    struct sim *s = arg;
    const char *in = iommu_symname(s, hw);
    char sl[1024], text[1200];
    struct trec t;

    (void)index;
    sym_log(s, line, sl, sizeof(sl));
    if (s->nlog == s->caplog) {
        int nc = s->caplog ? 2 * s->caplog : 16;
        char **nl = realloc(s->logs, (size_t)nc * sizeof(*nl));

        if (nl) {
            s->logs = nl;
            s->caplog = nc;
        }
    }
    if (s->nlog < s->caplog && (s->logs[s->nlog] = strdup(sl)))
        s->nlog++;
    tr_begin(&t, "log");
    tr_kv(&t, NULL, "iommu", "%s", in);
    tr_kv(&t, NULL, "text", "%s", sl);
    snprintf(text, sizeof(text), "  log %s: %s", in, sl);
    tr_emit(s, &t, T_LOG, text);
}
