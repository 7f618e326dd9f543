/* SPDX-License-Identifier: MIT */
/* ioc: the oracle's ioctl corpus interpreter; the format is in ioc.h. */
#include "tools/oracle/ioc.h"
#include "mockfd/core/uapi_desc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_CALLS  256
#define MAX_FDS    16
#define MAX_BUFS   32
#define MAX_STRUCT 512
#define ALIGN_2M   (2UL << 20)

/* Names the corpus may use (EXPR SYMBOL) are the project's uapi description
 * tables (mockfd/core/uapi_desc.c: mfd_uapi_consts and the ioctl numbers of
 * mfd_uapi_ioctls), compiled into both runners. Values come from the
 * project's (newest) uapi headers; every one used by the corpus has the same
 * value on 6.12 (docs/oracle.md lists the check). */

struct buf {
    char label[32];
    unsigned char *p;
    size_t len, maplen;
    void *map;
    bool print;
};

struct prog {
    const struct ioc_backend *be;
    int fds[MAX_FDS];
    int nfds;
    /* each call's struct after it ran, for `id C.O` */
    unsigned char *after[MAX_CALLS];
    size_t after_len[MAX_CALLS];
    struct buf bufs[MAX_BUFS];
    int nbufs;
    void *fault_page;
    /* the output text */
    char *out;
    size_t out_len, out_cap;
};

static void emit(struct prog *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct prog *p, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (p->out_len + (size_t)n + 1 > p->out_cap) {
        size_t cap = (p->out_cap ? p->out_cap * 2 : 4096) + (size_t)n;
        char *o = realloc(p->out, cap);

        if (!o)
            return;
        p->out = o;
        p->out_cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(p->out + p->out_len, p->out_cap - p->out_len, fmt, ap);
    va_end(ap);
    p->out_len += (size_t)n;
}

static void emit_hex(struct prog *p, const unsigned char *b, size_t n, const char *mark)
{
    static const char hx[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        if (mark && mark[i])
            emit(p, "%c%c", mark[i], mark[i]);
        else
            emit(p, "%c%c", hx[b[i] >> 4], hx[b[i] & 15]);
    }
}

static bool parse_num(const char *s, unsigned long long *v)
{
    char *end;

    if (!*s)
        return false;
    errno = 0;
    if (*s == '-')
        *v = (unsigned long long)strtoll(s, &end, 0);
    else
        *v = strtoull(s, &end, 0);
    return !*end && !errno;
}

/* EXPR: NUM or SYMBOL, joined by '|'. */
static bool parse_expr(const char *s, unsigned long long *v)
{
    char term[96];

    *v = 0;
    while (*s) {
        size_t n = strcspn(s, "|");
        unsigned long long t;

        if (n == 0 || n >= sizeof(term))
            return false;
        memcpy(term, s, n);
        term[n] = 0;
        if (!parse_num(term, &t)) {
            uint64_t u;

            if (mfd_uapi_value(term, &u))
                return false;
            t = u;
        }
        *v |= t;
        s += n;
        if (*s == '|')
            s++;
    }
    return true;
}

static struct buf *find_buf(struct prog *p, const char *label)
{
    for (int i = 0; i < p->nbufs; i++)
        if (p->bufs[i].label[0] && !strcmp(p->bufs[i].label, label))
            return &p->bufs[i];
    return NULL;
}

/* A fresh 2 MiB-aligned mapping of len bytes (len 0 is allowed: one page). */
static struct buf *new_buf(struct prog *p, size_t len, bool print)
{
    size_t span = (len ? (len + 4095) & ~4095UL : 4096);
    size_t maplen = span + ALIGN_2M;
    struct buf *b;
    unsigned char *m;

    if (p->nbufs >= MAX_BUFS || len > (1UL << 30))
        return NULL;
    m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    b = &p->bufs[p->nbufs++];
    memset(b, 0, sizeof(*b));
    b->map = m;
    b->maplen = maplen;
    b->p = (unsigned char *)(((uintptr_t)m + ALIGN_2M - 1) & ~(uintptr_t)(ALIGN_2M - 1));
    b->len = len;
    b->print = print;
    if (!print) /* patterned and touched, as the selftests' buffers are */
        for (size_t i = 0; i < len; i++)
            b->p[i] = (unsigned char)(i * 7 + 1);
    return b;
}

static char **split(char *line, int *n)
{
    static char *tok[128];
    int k = 0;

    for (char *s = strtok(line, " \t"); s && k < 128; s = strtok(NULL, " \t"))
        tok[k++] = s;
    *n = k;
    return tok;
}

static bool get_fd(struct prog *p, const char *s, int *fd)
{
    unsigned long long v;

    if (!parse_num(s, &v) || v >= (unsigned long long)p->nfds)
        return false;
    *fd = p->fds[v];
    return true;
}

static void put(unsigned char *st, size_t *len, unsigned long long v, size_t w)
{
    for (size_t i = 0; i < w; i++)
        st[*len + i] = (unsigned char)(v >> (8 * i));
    *len += w;
}

static void record(struct prog *p, int idx, const unsigned char *st, size_t len)
{
    p->after[idx] = malloc(len ? len : 1);
    if (p->after[idx]) {
        memcpy(p->after[idx], st, len);
        p->after_len[idx] = len;
    }
}

/* One `ioctl` line: build the struct, run it, print the result. */
/* The struct bytes of tok[first..ntok) (the FIELDs of ioc.h) into st/len;
 * mark flags the bytes printed as P or ?, used[] lists the printed buffers. */
struct built {
    unsigned char st[MAX_STRUCT] __attribute__((aligned(8)));
    char mark[MAX_STRUCT];
    int used[MAX_BUFS], nused;
    size_t len;
};

static const char *build_struct(struct prog *p, int idx, char **tok, int first, int ntok,
                                struct built *bs)
{
    unsigned char *st = bs->st;
    char *mark = bs->mark;
    int *used = bs->used;
    unsigned long long v;

    memset(bs, 0, sizeof(*bs));
    for (int i = first; i < ntok; i++) {
        const char *f = tok[i], *a = i + 1 < ntok ? tok[i + 1] : NULL;
        size_t w = 0;

        if (bs->len + 8 > MAX_STRUCT)
            return "struct too long";
        if (!strcmp(f, "u8")) w = 1;
        else if (!strcmp(f, "u16")) w = 2;
        else if (!strcmp(f, "u32")) w = 4;
        else if (!strcmp(f, "u64")) w = 8;
        if (w) {
            if (!a || !parse_expr(a, &v))
                return "bad literal";
            put(st, &bs->len, v, w);
            i++;
        } else if (!strcmp(f, "id") || !strcmp(f, "id64")) {
            unsigned long long c, o;
            char cs[32];
            const char *dot = a ? strchr(a, '.') : NULL;

            w = f[2] ? 8 : 4;
            if (!dot || (size_t)(dot - a) >= sizeof(cs))
                return "id wants C.O";
            memcpy(cs, a, (size_t)(dot - a));
            cs[dot - a] = 0;
            if (!parse_num(cs, &c) || !parse_num(dot + 1, &o) || c >= (unsigned long long)idx)
                return "id refers to no earlier call";
            /* Bytes the earlier call did not produce (a short read, a
             * verb without a struct) read as 0, so that a program goes on
             * after a divergence and both sides still print every call. */
            v = 0;
            for (size_t b = 0; b < w; b++)
                if (p->after[c] && o + b < p->after_len[c])
                    v |= (unsigned long long)p->after[c][o + b] << (8 * b);
            put(st, &bs->len, v, w);
            i++;
        } else if (!strcmp(f, "pad")) {
            if (!a || !parse_num(a, &v) || bs->len + v > MAX_STRUCT - 8)
                return "bad pad";
            bs->len += v;
            i++;
        } else if (!strcmp(f, "buf") || !strcmp(f, "mem")) {
            struct buf *b;

            if (!a || !parse_expr(a, &v))
                return "bad buffer size";
            b = new_buf(p, v, f[0] == 'b');
            if (!b)
                return "buffer allocation failed";
            i++;
            for (; i + 1 < ntok && (tok[i + 1][0] == '=' || tok[i + 1][0] == ':'); i++) {
                const char *h = tok[i + 1] + 1;

                if (tok[i + 1][0] == '=') {
                    snprintf(b->label, sizeof(b->label), "%s", h);
                    continue;
                }
                /* ":HEX" initial contents */
                for (size_t k = 0; h[0] && h[1]; k++, h += 2) {
                    unsigned int byte;

                    if (k >= b->len || sscanf(h, "%2x", &byte) != 1)
                        return "bad :hex initialiser";
                    b->p[k] = (unsigned char)byte;
                }
                if (*h)
                    return "odd :hex initialiser";
            }
            if (b->print && bs->nused < MAX_BUFS)
                used[bs->nused++] = (int)(b - p->bufs);
            memset(mark + bs->len, 'P', 8);
            put(st, &bs->len, (uintptr_t)b->p, 8);
        } else if (!strcmp(f, "ptr")) {
            char lab[32];
            const char *plus = a ? strchr(a, '+') : NULL;
            size_t n = plus ? (size_t)(plus - a) : (a ? strlen(a) : 0);
            unsigned long long off = 0;
            struct buf *b;

            if (!a || n >= sizeof(lab))
                return "bad ptr";
            memcpy(lab, a, n);
            lab[n] = 0;
            b = find_buf(p, lab);
            if (!b || (plus && !parse_num(plus + 1, &off)))
                return "ptr to an unknown label";
            memset(mark + bs->len, 'P', 8);
            put(st, &bs->len, (uintptr_t)b->p + off, 8);
            i++;
        } else if (!strcmp(f, "null")) {
            put(st, &bs->len, 0, 8);
        } else if (!strcmp(f, "fault")) {
            memset(mark + bs->len, 'P', 8);
            put(st, &bs->len, (uintptr_t)p->fault_page, 8);
        } else if (!strcmp(f, "mask")) {
            unsigned long long o, l;

            if (i + 2 >= ntok || !parse_num(tok[i + 1], &o) || !parse_num(tok[i + 2], &l) ||
                o + l > MAX_STRUCT)
                return "bad mask";
            memset(mark + o, '?', l);
            i += 2;
        } else {
            return "unknown field";
        }
    }
    return NULL;
}

static void emit_bufs(struct prog *p, const struct built *bs)
{
    for (int k = 0; k < bs->nused; k++) {
        struct buf *b = &p->bufs[bs->used[k]];

        emit(p, " b%d=", k);
        emit_hex(p, b->p, b->len, NULL);
    }
    emit(p, "\n");
}

static const char *do_ioctl(struct prog *p, int idx, char **tok, int ntok)
{
    static struct built bs;
    unsigned long long req;
    const char *why;
    int fd, ret, err;

    if (ntok < 3 || !get_fd(p, tok[1], &fd))
        return "ioctl needs an open fd slot";
    if (!parse_expr(tok[2], &req))
        return "unknown command";
    why = build_struct(p, idx, tok, 3, ntok, &bs);
    if (why)
        return why;
    errno = 0;
    ret = p->be->ioctl(fd, (unsigned long)req, bs.st);
    err = ret < 0 ? errno : 0;
    record(p, idx, bs.st, bs.len);
    emit(p, "%d ioctl %s ret=%d errno=%s out=", idx, tok[2], ret,
         err ? strerrorname_np(err) : "0");
    emit_hex(p, bs.st, bs.len, bs.mark);
    emit_bufs(p, &bs);
    return NULL;
}

/* write F FIELD...: the struct bytes written to a queue fd (fault responses). */
static const char *do_write(struct prog *p, int idx, char **tok, int ntok)
{
    static struct built bs;
    const char *why;
    long ret;
    int fd, err;

    if (ntok < 2 || !get_fd(p, tok[1], &fd))
        return "write needs an open fd slot";
    why = build_struct(p, idx, tok, 2, ntok, &bs);
    if (why)
        return why;
    if (!p->be->write)
        return "this backend cannot write";
    errno = 0;
    ret = p->be->write(fd, bs.st, bs.len);
    err = ret < 0 ? errno : 0;
    record(p, idx, bs.st, bs.len);
    emit(p, "%d write ret=%ld errno=%s out=", idx, ret, err ? strerrorname_np(err) : "0");
    emit_hex(p, bs.st, bs.len, bs.mark);
    emit(p, "\n");
    return NULL;
}

/* read F N: up to N bytes from a queue fd; the bytes read become this call's
 * struct (for `id C.O`, e.g. a fault cookie). */
static const char *do_read(struct prog *p, int idx, char **tok, int ntok)
{
    unsigned char b[MAX_STRUCT];
    unsigned long long n;
    long ret;
    int fd, err;

    if (ntok != 3 || !get_fd(p, tok[1], &fd) || !parse_num(tok[2], &n) || n > sizeof(b))
        return "read F N (N <= 512)";
    if (!p->be->read)
        return "this backend cannot read";
    memset(b, 0, sizeof(b));
    errno = 0;
    ret = p->be->read(fd, b, (size_t)n);
    err = ret < 0 ? errno : 0;
    record(p, idx, b, ret > 0 ? (size_t)ret : 0);
    emit(p, "%d read ret=%ld errno=%s data=", idx, ret, err ? strerrorname_np(err) : "0");
    emit_hex(p, b, ret > 0 ? (size_t)ret : 0, NULL);
    emit(p, "\n");
    return NULL;
}

/* fd C.O: the u32 at offset O of call C's struct (an out_*_fd) becomes the
 * next fd slot; the number itself is never printed. */
static const char *do_fd(struct prog *p, int idx, char **tok, int ntok)
{
    unsigned long long c, o;
    char cs[32];
    const char *dot = ntok == 2 ? strchr(tok[1], '.') : NULL;
    uint32_t v = 0;

    if (!dot || (size_t)(dot - tok[1]) >= sizeof(cs) || p->nfds >= MAX_FDS)
        return "fd C.O (at most 16 fds)";
    memcpy(cs, tok[1], (size_t)(dot - tok[1]));
    cs[dot - tok[1]] = 0;
    if (!parse_num(cs, &c) || !parse_num(dot + 1, &o) || c >= (unsigned long long)idx ||
        !p->after[c] || o + 4 > p->after_len[c])
        return "fd refers to no earlier struct bytes";
    for (int b = 0; b < 4; b++)
        v |= (uint32_t)p->after[c][o + (unsigned)b] << (8 * b);
    /* A failed call leaves the field as the program wrote it (usually 0):
     * never adopt fds 0-2 or a negative number. */
    p->fds[p->nfds++] = (int)v > 2 ? (int)v : -1;
    emit(p, "%d fd ret=%s\n", idx, (int)v > 2 ? "fd" : "none");
    return NULL;
}

static const char *do_line(struct prog *p, int idx, char *line)
{
    int ntok, fd, ret, err;
    char **tok = split(line, &ntok);
    unsigned long long v;

    if (!strcmp(tok[0], "open")) {
        if (ntok != 1 || p->nfds >= MAX_FDS)
            return "open takes nothing (and at most 16 fds)";
        errno = 0;
        fd = p->be->open();
        err = fd < 0 ? errno : 0;
        if (fd >= 0)
            p->fds[p->nfds++] = fd;
        emit(p, "%d open ret=%s errno=%s\n", idx, fd >= 0 ? "fd" : "-1",
             err ? strerrorname_np(err) : "0");
        return NULL;
    }
    if (!strcmp(tok[0], "close")) {
        if (ntok != 2 || !get_fd(p, tok[1], &fd))
            return "close needs an open fd slot";
        errno = 0;
        ret = p->be->close(fd);
        err = ret < 0 ? errno : 0;
        /* The slot stays, pointing at a closed number: later calls on it
         * test EBADF, and the cleanup skips it. */
        p->fds[strtoul(tok[1], NULL, 0)] = -1;
        emit(p, "%d close ret=%d errno=%s\n", idx, ret, err ? strerrorname_np(err) : "0");
        return NULL;
    }
    if (!strcmp(tok[0], "ioctlv") || !strcmp(tok[0], "ioctlp")) {
        unsigned long long req;
        uintptr_t arg;

        if (ntok != 4 || !get_fd(p, tok[1], &fd) || !parse_expr(tok[2], &req))
            return "ioctlv/ioctlp F CMD ARG";
        if (tok[0][5] == 'p') {
            if (!strcmp(tok[3], "null"))
                arg = 0;
            else if (!strcmp(tok[3], "fault"))
                arg = (uintptr_t)p->fault_page;
            else
                return "ioctlp takes null or fault";
        } else {
            if (!parse_expr(tok[3], &v))
                return "bad ioctlv value";
            arg = (uintptr_t)v;
        }
        errno = 0;
        ret = p->be->ioctl(fd, (unsigned long)req, (void *)arg);
        err = ret < 0 ? errno : 0;
        emit(p, "%d %s %s ret=%d errno=%s\n", idx, tok[0], tok[2], ret,
             err ? strerrorname_np(err) : "0");
        return NULL;
    }
    if (!strcmp(tok[0], "ioctl"))
        return do_ioctl(p, idx, tok, ntok);
    if (!strcmp(tok[0], "read"))
        return do_read(p, idx, tok, ntok);
    if (!strcmp(tok[0], "write"))
        return do_write(p, idx, tok, ntok);
    if (!strcmp(tok[0], "fd"))
        return do_fd(p, idx, tok, ntok);
    return "unknown verb";
}

int ioc_run(const struct ioc_backend *be, const char *text, char **out)
{
    struct prog *p = calloc(1, sizeof(*p));
    char *copy = strdup(text);
    int idx = 0, lineno = 0, rc = 0;

    *out = NULL;
    if (!p || !copy) {
        free(p);
        free(copy);
        return -1;
    }
    p->be = be;
    p->fault_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (char *l = copy, *nl; l; l = nl) {
        const char *why;
        char *hash;

        nl = strchr(l, '\n');
        if (nl)
            *nl++ = 0;
        lineno++;
        hash = strchr(l, '#');
        if (hash)
            *hash = 0;
        while (*l && isspace((unsigned char)*l))
            l++;
        if (!*l)
            continue;
        if (idx >= MAX_CALLS) {
            emit(p, "error: line %d: more than %d calls\n", lineno, MAX_CALLS);
            rc = -1;
            break;
        }
        why = do_line(p, idx, l);
        if (why) {
            emit(p, "error: line %d: %s\n", lineno, why);
            rc = -1;
            break;
        }
        idx++;
    }
    /* Everything the program left open or mapped goes away with it. */
    for (int i = p->nfds - 1; i >= 0; i--)
        if (p->fds[i] >= 0)
            be->close(p->fds[i]);
    for (int i = 0; i < p->nbufs; i++)
        munmap(p->bufs[i].map, p->bufs[i].maplen);
    for (int i = 0; i < MAX_CALLS; i++)
        free(p->after[i]);
    if (p->fault_page != MAP_FAILED)
        munmap(p->fault_page, 4096);
    *out = p->out ? p->out : strdup("");
    free(copy);
    free(p);
    return rc;
}
