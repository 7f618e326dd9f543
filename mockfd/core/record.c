/* SPDX-License-Identifier: MIT */
/*
 * The MOCKFD_RECORD recorder (peers.md §2.5 items 1-2: record/replay of a
 * run): with MOCKFD_RECORD=FILE set, every ioctl through mockfd_ioctl() is
 * written to FILE as an iommu-sim scenario line with its fields by name
 * (the ABI description tables in uapi_desc.c), preceded by the buffers its
 * user pointers point into (content captured when small) and followed by
 * `expect errno=...`. The platform lines come from MOCKFD_PLATFORM (same
 * grammar as platform.c). Replaying the file with iommu-sim issues the same
 * calls and checks the same errnos.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <iommufd_test.h>

#include "uapi_desc.h"
#include "device.h"
#include "mockfd_internal.h"

#define REC_MAX_BUFS 256
#define REC_CAPTURE_MAX 4096       /* non-uniform content captured up to this size */

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static int rec_state;              /* 0: not looked at, 1: off, 2: on */
static FILE *rec_out;
static _Thread_local int rec_nested;
static struct { uint64_t start, len; } rec_bufs[REC_MAX_BUFS];
static int rec_nbufs;
static uint32_t rec_ids[64];       /* object IDs that have a name */
static char rec_idname[64][24];
static int rec_nids;

/* The platform as iommu / device declarations of the replay language. */
struct rec_plat {
    int iommus, devs;
};

static int rec_spec_iommu(void *arg, const char *entry)
{
    struct rec_plat *p = arg;

    fprintf(rec_out, "iommu iommu%d = %s\n", p->iommus, entry);
    return p->iommus++;
}

static int rec_spec_device(void *arg, int idx, const char *id)
{
    struct rec_plat *p = arg;

    fprintf(rec_out, "device dev%d = iommu%d %s\n", p->devs++, idx, id);
    return 0;
}

static void rec_platform(const char *env)
{
    struct rec_plat p = { 0 };

    mfd_platform_spec_walk(env, rec_spec_iommu, rec_spec_device, &p);
}

static bool rec_on(void)
{
    int st;

    pthread_mutex_lock(&rec_lock);
    if (!rec_state) {
        const char *path = getenv("MOCKFD_RECORD");
        const char *plat = getenv("MOCKFD_PLATFORM");

        rec_state = 1;
        if (path && *path && (rec_out = fopen(path, "w"))) {
            rec_state = 2;
            fprintf(rec_out, "# recorded by mockfd (MOCKFD_RECORD); replay: iommu-sim FILE\n");
            rec_platform(plat ? plat : MFD_DEFAULT_PLATFORM);
        }
    }
    st = rec_state;
    pthread_mutex_unlock(&rec_lock);
    return st == 2;
}

static const char *rec_idsym(uint32_t id)
{
    for (int i = 0; i < rec_nids; i++)
        if (rec_ids[i] == id)
            return rec_idname[i];
    return NULL;
}

/* Write the current content of user memory [p, p+len) into buffer i at
 * off, so that the replay passes the same bytes. */
static void rec_content(int i, uint64_t off, uint64_t p, uint64_t len)
{
    unsigned char data[REC_CAPTURE_MAX];
    uint64_t k;
    bool uniform = true;

    if (len > REC_CAPTURE_MAX) {
        fprintf(rec_out, "# rbuf%d+0x%llx: content (0x%llx bytes) not captured\n", i,
                (unsigned long long)off, (unsigned long long)len);
        return;
    }
    if (!len || mfd_copy_from_user(data, p, len))
        return;
    for (k = 1; k < len; k++)
        uniform &= data[k] == data[0];
    if (uniform) {
        fprintf(rec_out, "fill rbuf%d+0x%llx len=0x%llx pattern=0x%02x\n", i,
                (unsigned long long)off, (unsigned long long)len, data[0]);
        return;
    }
    for (k = 0; k < len; k += 32) {
        fprintf(rec_out, "poke rbuf%d+0x%llx", i, (unsigned long long)(off + k));
        for (uint64_t j = k; j < len && j < k + 32; j++)
            fprintf(rec_out, " %02x", data[j]);
        fputc('\n', rec_out);
    }
}

/* The buffer holding [p, p+len): an existing one, or a new page-aligned one
 * declared now; the content of in-pointers is captured. */
static int rec_buffer(uint64_t p, uint64_t len, bool in, uint64_t *off)
{
    uint64_t start = p & ~4095ull, end;
    int i;

    if (!len)
        len = 1;
    for (i = 0; i < rec_nbufs; i++)
        if (p >= rec_bufs[i].start && p + len <= rec_bufs[i].start + rec_bufs[i].len) {
            *off = p - rec_bufs[i].start;
            if (in)
                rec_content(i, *off, p, len);
            return i;
        }
    if (rec_nbufs >= REC_MAX_BUFS || len > (1ull << 30))
        return -1;
    end = (p + len + 4095) & ~4095ull;
    i = rec_nbufs++;
    rec_bufs[i].start = start;
    rec_bufs[i].len = end - start;
    *off = p - start;
    /* the start's alignment too: automatic IOVAs follow it (iommufd.md §4.5) */
    fprintf(rec_out, "buffer rbuf%d = 0x%llx align=0x%llx\n", i, (unsigned long long)(end - start),
            (unsigned long long)(start & -start & ((1ull << 31) - 1) ? start & -start : 1ull << 30));
    if (in)
        rec_content(i, *off, p, len);
    return i;
}

static uint64_t ptr_len(const struct mfd_ustruct *st, const void *s, const struct mfd_ufield *f)
{
    const struct mfd_ufield *lf = f->lenfield ? mfd_uapi_field(st, f->lenfield) : NULL;

    if (!f->lenfield)
        return f->lenmul;
    if (!lf)
        return 0;
    if (f->lenmul == 0) {      /* dirty bitmap: one bit per page_size */
        /* "page_size", or "dirty.page_size" beside "dirty.uptr" */
        const char *dot = strchr(f->name, '.');
        char pn[48];
        const struct mfd_ufield *ps;

        snprintf(pn, sizeof(pn), "%.*spage_size", dot ? (int)(dot - f->name + 1) : 0, f->name);
        ps = mfd_uapi_field(st, pn);
        uint64_t psz = ps ? mfd_uapi_get(s, ps) : 0;

        return psz ? ((mfd_uapi_get(s, lf) / psz + 63) / 64) * 8 : 0;
    }
    if (f->lenmul == 0xffffffff) { /* entry_num * entry_len */
        const struct mfd_ufield *el = mfd_uapi_field(st, "entry_len");

        return el ? mfd_uapi_get(s, lf) * mfd_uapi_get(s, el) : 0;
    }
    return mfd_uapi_get(s, lf) * f->lenmul;
}

static const char *obj_prefix(const struct mfd_uioctl *u)
{
    if (!strcmp(u->result, "out_ioas_id"))
        return "ioas";
    if (!strcmp(u->result, "out_hwpt_id"))
        return "hwpt";
    if (!strcmp(u->result, "out_devid"))
        return "idev";
    if (!strcmp(u->result, "out_fault_id"))
        return "fault";
    return "obj";
}

static void rec_line(int fd, const struct mfd_uioctl *u, int devidx, const unsigned char *in,
                     uint32_t usize, const unsigned char *tail, size_t ntail, unsigned long varg)
{
    const struct mfd_ustruct *st = u->st;
    char bufdecl[8][48];
    int nptr = 0;

    (void)fd;
    /* pointer fields first: their buffers are declared before the call */
    for (unsigned i = 0; st && i < st->nf; i++) {
        const struct mfd_ufield *f = &st->f[i];
        uint64_t v = mfd_uapi_get(in, f), off = 0;
        int b;

        if (f->kind != MFD_UF_PTR || !v || nptr >= 8 || !mfd_uapi_field_active(st, f, in))
            continue;
        b = rec_buffer(v, ptr_len(st, in, f), f->in, &off);
        if (b < 0)
            snprintf(bufdecl[nptr++], sizeof(bufdecl[0]), "%s=0x%llx", f->name,
                     (unsigned long long)v);
        else
            snprintf(bufdecl[nptr++], sizeof(bufdecl[0]), "%s=rbuf%d+0x%llx", f->name, b,
                     (unsigned long long)off);
    }
    fprintf(rec_out, "%s", u->name);
    if (u->fdk == MFD_UFD_DEVICE)
        fprintf(rec_out, " dev%d", devidx);
    if (!st) {
        fprintf(rec_out, " arg=0x%lx\n", varg);
        return;
    }
    nptr = 0;
    for (unsigned i = 0; i < st->nf; i++) {
        const struct mfd_ufield *f = &st->f[i];
        uint64_t v;
        const char *sym;

        if ((f->off + f->size > usize && f->kind != MFD_UF_SIZE) ||
            !mfd_uapi_field_active(st, f, in))
            continue;
        v = mfd_uapi_get(in, f);
        if (f->kind == MFD_UF_SIZE) {
            if (usize != st->size)
                fprintf(rec_out, " size=%u", usize);
            continue;
        }
        if (f->kind == MFD_UF_PTR) {
            if (v)
                fprintf(rec_out, " %s", bufdecl[nptr++]);
            continue;
        }
        if (!v || (u->result && !strcmp(f->name, u->result)))
            continue;
        if (f->kind == MFD_UF_FD && !strcmp(f->name, "iommufd")) {
            fprintf(rec_out, " iommufd=iommufd");
            continue;
        }
        if (f->kind == MFD_UF_ID && (sym = rec_idsym((uint32_t)v)))
            fprintf(rec_out, " %s=%s", f->name, sym);
        else
            fprintf(rec_out, " %s=0x%llx", f->name, (unsigned long long)v);
    }
    if (ntail) {
        fprintf(rec_out, " tail=");
        for (size_t k = 0; k < ntail; k++)
            fprintf(rec_out, "%s%02x", k ? "," : "", tail[k]);
    }
    fputc('\n', rec_out);
}

int mfd_record_ioctl(int fd, unsigned long request, void *arg)
{
    const struct mfd_uioctl *u;
    struct mfd_file *f;
    unsigned char in[256] = { 0 }, tail[64];
    size_t ntail = 0;
    uint32_t usize = 0;
    int devidx = -1, rc, err;

    if (rec_nested || __builtin_expect(rec_state == 1, 1) || !rec_on())
        return MFD_RECORD_PASS;
    u = mfd_uapi_ioctl_by_req(request);
    f = mfd_file_get(fd);
    if (!u || !f) {
        if (f)
            mfd_file_put(f);
        return MFD_RECORD_PASS;
    }
    if (u->fdk == MFD_UFD_DEVICE) {
        devidx = mfd_vfio_df_index(f);
        if (devidx < 0) {
            mfd_file_put(f);
            return MFD_RECORD_PASS;
        }
    }
    mfd_file_put(f);

    pthread_mutex_lock(&rec_lock);
    rec_nested = 1;
    if (u->st && !mfd_copy_from_user(&usize, mfd_uptr(arg), 4)) {
        size_t n = usize < u->st->size ? usize : u->st->size;

        if (mfd_copy_from_user(in, mfd_uptr(arg), n))
            usize = 0;
        if (usize > u->st->size) {
            ntail = usize - u->st->size > sizeof(tail) ? sizeof(tail) : usize - u->st->size;
            if (mfd_copy_from_user(tail, mfd_uptr(arg) + u->st->size, ntail))
                ntail = 0;
            while (ntail && !tail[ntail - 1])
                ntail--;
        }
    }
    rec_line(fd, u, devidx, in, usize, tail, ntail, (unsigned long)(uintptr_t)arg);
    rc = mockfd_ioctl(fd, request, arg);
    err = rc < 0 ? errno : 0;
    fprintf(rec_out, "expect errno=%s\n", err ? (mfd_errno_name(err) ? mfd_errno_name(err) : "?") : "0");
    /* name the new object after its ID, so later lines can refer to it */
    if (!err && u->st && u->result && rec_nids < 64) {
        const struct mfd_ufield *rf = mfd_uapi_field(u->st, u->result);
        uint32_t id = 0;

        if (rf && !mfd_copy_from_user(&id, mfd_uptr(arg) + rf->off, 4) && id) {
            rec_ids[rec_nids] = id;
            snprintf(rec_idname[rec_nids], sizeof(rec_idname[0]), "%s%u", obj_prefix(u), id);
            fprintf(rec_out, "let %s = %s\n", rec_idname[rec_nids], u->result);
            rec_nids++;
        }
    }
    fflush(rec_out);
    rec_nested = 0;
    pthread_mutex_unlock(&rec_lock);
    if (err)
        errno = err;
    return rc;
}
