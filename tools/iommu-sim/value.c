/* SPDX-License-Identifier: MIT */
/*
 * Symbols and values of the scenario language: numbers (0x10, 4096, 64K,
 * 2M, 1G), named constants (FIXED_IOVA or IOMMU_IOAS_MAP_FIXED_IOVA, OR-ed
 * with |), symbols (ioas0 -> its ID, buf0+0x10 -> an address, dev0 -> its
 * bound device ID) and their reverse: printing a field value by name, so
 * the trace never shows a host address.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

struct sym *sym_find(struct sim *s, const char *name)
{
    /* newest first: a name may be rebound */
    for (int i = s->nsym - 1; i >= 0; i--)
        if (!strcmp(s->syms[i].name, name))
            return &s->syms[i];
    return NULL;
}

static bool valid_name(const char *n)
{
    if (!isalpha((unsigned char)*n) && *n != '_')
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && *n != '_')
            return false;
    return true;
}

struct sym *sym_new(struct sim *s, const char *name, enum sym_kind k)
{
    struct sym *y;

    if (strlen(name) >= SIM_NAMELEN || !valid_name(name))
        sim_die(s, "bad name '%s'", name);
    if (s->nsym >= SIM_MAXSYM)
        sim_die(s, "too many symbols");
    y = &s->syms[s->nsym++];
    memset(y, 0, sizeof(*y));
    snprintf(y->name, sizeof(y->name), "%s", name);
    y->kind = k;
    y->fd = -1;
    return y;
}

const char *sym_of_id(struct sim *s, uint64_t id)
{
    for (int i = s->nsym - 1; i >= 0; i--) {
        struct sym *y = &s->syms[i];

        if (y->dead || !id)
            continue;
        if (y->kind == S_OBJ && y->v == id)
            return y->name;
        if (y->kind == S_DEVICE && y->bound && y->devid == id)
            return y->name;
    }
    return NULL;
}

static int num_parse(const char *str, uint64_t *out)
{
    char *end;
    unsigned long long v;
    bool neg = *str == '-';

    if (!isdigit((unsigned char)str[neg]))
        return -1;
    errno = 0;
    v = strtoull(str + neg, &end, 0);
    if (errno)
        return -1;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M')
        v <<= 20, end++;
    else if (*end == 'G')
        v <<= 30, end++;
    else if (*end == 'T')
        v <<= 40, end++;
    if (*end)
        return -1;
    *out = neg ? (uint64_t)-(int64_t)v : v;
    return 0;
}

/* The named constants: the uapi tables' (ioctl fields), then the sim's own
 * (fault / vEVENT record fields, records.c). */
#define NCONSTS (mfd_uapi_nconsts + sim_nconsts)
static const struct mfd_uconst *const_at(size_t i)
{
    return i < mfd_uapi_nconsts ? &mfd_uapi_consts[i] : &sim_consts[i - mfd_uapi_nconsts];
}

/* A constant by full name, or by the part after one of the field's prefixes
 * ("IOMMU_IOAS_MAP_|..."). */
static int const_parse(const struct mfd_ufield *f, const char *name, uint64_t *out)
{
    for (size_t i = 0; i < NCONSTS; i++)
        if (!strcmp(const_at(i)->name, name)) {
            *out = const_at(i)->val;
            return 0;
        }
    if (!f || !f->prefix)
        return -1;
    for (const char *p = f->prefix; *p;) {
        const char *bar = strchr(p, '|');
        size_t pl = bar ? (size_t)(bar - p) : strlen(p);

        for (size_t i = 0; i < NCONSTS; i++) {
            const char *cn = const_at(i)->name;

            if (!strncmp(cn, p, pl) && !strcmp(cn + pl, name)) {
                *out = const_at(i)->val;
                return 0;
            }
        }
        p += pl + (bar ? 1 : 0);
    }
    return -1;
}

static int term_parse(struct sim *s, const struct mfd_ufield *f, const char *t, uint64_t *out)
{
    char name[SIM_NAMELEN + 8];
    const char *plus;
    struct sym *y;
    uint64_t off = 0;

    if (!num_parse(t, out) || !const_parse(f, t, out))
        return 0;
    plus = strchr(t, '+');
    if (plus) {
        if ((size_t)(plus - t) >= sizeof(name) || num_parse(plus + 1, &off))
            return -1;
        memcpy(name, t, (size_t)(plus - t));
        name[plus - t] = '\0';
    } else {
        snprintf(name, sizeof(name), "%s", t);
    }
    if (!strcmp(name, "iommufd")) {
        *out = (uint64_t)(int64_t)s->iommufd + off;
        return 0;
    }
    y = sym_find(s, name);
    if (!y)
        return -1;
    switch (y->kind) {
    case S_BUFFER:
        *out = y->v + off;
        return 0;
    case S_OBJ:
    case S_FD:
        *out = y->v + off;
        return 0;
    case S_DEVICE:
        /* dev0 in an ID field: the device's bound ID (0 before BIND) */
        *out = (uint64_t)y->devid + off;
        return 0;
    case S_IOMMU:
        *out = y->v + off;
        return 0;
    default:
        return -1;
    }
}

int val_parse(struct sim *s, const struct mfd_ufield *f, const char *str, uint64_t *out)
{
    char tmp[256];
    char *save = NULL, *t;
    uint64_t acc = 0, v;

    if (!*str || strlen(str) >= sizeof(tmp))
        return -1;
    snprintf(tmp, sizeof(tmp), "%s", str);
    for (t = strtok_r(tmp, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        if (term_parse(s, f, t, &v))
            return -1;
        acc |= v;
    }
    *out = acc;
    return 0;
}

uint64_t val_num(struct sim *s, const char *str)
{
    uint64_t v;

    if (val_parse(s, NULL, str, &v))
        sim_die(s, "bad value '%s'", str);
    return v;
}

int val_bytes(struct sim *s, const char *str, unsigned char *out, size_t max)
{
    size_t n = 0;

    (void)s;
    while (*str) {
        char *end;
        unsigned long b;

        if (*str == ',' || *str == ' ') {
            str++;
            continue;
        }
        b = strtoul(str, &end, 16);
        if (end == str || b > 0xff || n >= max)
            return -1;
        out[n++] = (unsigned char)b;
        str = end;
    }
    return (int)n;
}

static void hexnum(uint64_t v, char *buf, size_t len)
{
    if (v < 10)
        snprintf(buf, len, "%llu", (unsigned long long)v);
    else
        snprintf(buf, len, "0x%llx", (unsigned long long)v);
}

/* The short name of a constant (after the matching prefix). */
static const char *short_name(const char *full, const char *prefix)
{
    for (const char *p = prefix; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t pl = bar ? (size_t)(bar - p) : strlen(p);

        if (!strncmp(full, p, pl))
            return full + pl;
        p += pl + (bar ? 1 : 0);
    }
    return full;
}

static bool in_prefix(const char *full, const char *prefix)
{
    return short_name(full, prefix) != full;
}

void val_print(struct sim *s, const struct mfd_ufield *f, uint64_t v, char *buf, size_t len)
{
    const char *n;

    if (!f) {
        hexnum(v, buf, len);
        return;
    }
    switch (f->kind) {
    case MFD_UF_ID:
        n = sym_of_id(s, v);
        if (n)
            snprintf(buf, len, "%s", n);
        else
            hexnum(v, buf, len);
        return;
    case MFD_UF_PTR:
        sym_addr(s, v, buf, len);
        return;
    case MFD_UF_FD:
        if ((int)v == s->iommufd && s->iommufd >= 0) {
            snprintf(buf, len, "iommufd");
            return;
        }
        for (int i = s->nsym - 1; i >= 0; i--)
            if (s->syms[i].kind == S_FD && !s->syms[i].dead && s->syms[i].v == v) {
                snprintf(buf, len, "%s", s->syms[i].name);
                return;
            }
        snprintf(buf, len, "%d", (int)v);
        return;
    case MFD_UF_ENUM:
        for (size_t i = 0; i < NCONSTS; i++)
            if (const_at(i)->val == v && in_prefix(const_at(i)->name, f->prefix)) {
                snprintf(buf, len, "%s", short_name(const_at(i)->name, f->prefix));
                return;
            }
        hexnum(v, buf, len);
        return;
    case MFD_UF_FLAGS: {
        uint64_t rest = v;
        size_t o = 0;

        if (!v) {
            snprintf(buf, len, "0");
            return;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < NCONSTS && o < len; i++) {
            uint64_t c = const_at(i)->val;

            if (c && (c & (c - 1)) == 0 && (rest & c) &&
                in_prefix(const_at(i)->name, f->prefix)) {
                o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "|" : "",
                                      short_name(const_at(i)->name, f->prefix));
                rest &= ~c;
            }
        }
        if (rest && o < len)
            snprintf(buf + o, len - o, "%s0x%llx", o ? "|" : "", (unsigned long long)rest);
        return;
    }
    default:
        hexnum(v, buf, len);
        return;
    }
}
