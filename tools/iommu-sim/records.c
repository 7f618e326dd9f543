/* SPDX-License-Identifier: MIT */
/*
 * The records carried by the fds an ioctl returns, decoded by field instead
 * of hex-dumped (issue #8):
 *   - the fault fd (IOMMU_FAULT_QUEUE_ALLOC): a read returns whole
 *     struct iommu_hwpt_pgfault (40 bytes, iommufd.md §4.15; the 4 bytes at
 *     offset 20 are the explicit __reserved of e721f619e3ec), a write takes
 *     struct iommu_hwpt_page_response (8 bytes: cookie, code);
 *   - the vEVENTQ fd (IOMMU_VEVENTQ_ALLOC): back-to-back
 *     struct iommufd_vevent_header {flags, sequence}, each followed by the
 *     queue type's payload, except the lost-events marker
 *     (flags = LOST_EVENTS), which has none (iommufd.md §4.18, line 413).
 * The fields are described with struct mfd_ufield like the ioctl structs, so
 * values print and parse the same way (IDs by object name, flags by name).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <linux/iommufd.h>

#include <iommufd_test.h>

#include "sim.h"

#define F(st, m, k, pre) { #m, offsetof(struct st, m), sizeof(((struct st *)0)->m), k, pre, NULL, 0, 0 }
#define FA(st, m, i, name) { name, offsetof(struct st, m) + (i) * sizeof(((struct st *)0)->m[0]), \
                             sizeof(((struct st *)0)->m[0]), MFD_UF_NUM, NULL, NULL, 0, 0 }
#define ST(st, fl) { #st, sizeof(struct st), fl, sizeof(fl) / sizeof(fl[0]) }

static const struct mfd_ufield f_pgfault[] = {
    F(iommu_hwpt_pgfault, flags, MFD_UF_FLAGS, "IOMMU_PGFAULT_FLAGS_"),
    F(iommu_hwpt_pgfault, dev_id, MFD_UF_ID, NULL),
    F(iommu_hwpt_pgfault, pasid, MFD_UF_NUM, NULL),
    F(iommu_hwpt_pgfault, grpid, MFD_UF_NUM, NULL),
    F(iommu_hwpt_pgfault, perm, MFD_UF_FLAGS, "IOMMU_PGFAULT_PERM_"),
    F(iommu_hwpt_pgfault, __reserved, MFD_UF_NUM, NULL),
    F(iommu_hwpt_pgfault, addr, MFD_UF_NUM, NULL),
    F(iommu_hwpt_pgfault, length, MFD_UF_NUM, NULL),
    F(iommu_hwpt_pgfault, cookie, MFD_UF_NUM, NULL),
};
static const struct mfd_ufield f_resp[] = {
    F(iommu_hwpt_page_response, cookie, MFD_UF_NUM, NULL),
    F(iommu_hwpt_page_response, code, MFD_UF_ENUM, "IOMMUFD_PAGE_RESP_"),
};
static const struct mfd_ufield f_vhdr[] = {
    F(iommufd_vevent_header, flags, MFD_UF_FLAGS, "IOMMU_VEVENTQ_FLAG_"),
    F(iommufd_vevent_header, sequence, MFD_UF_NUM, NULL),
};
static const struct mfd_ufield f_vselftest[] = {
    F(iommu_viommu_event_selftest, virt_id, MFD_UF_NUM, NULL),
};
static const struct mfd_ufield f_vsmmuv3[] = {
    FA(iommu_vevent_arm_smmuv3, evt, 0, "evt[0]"), FA(iommu_vevent_arm_smmuv3, evt, 1, "evt[1]"),
    FA(iommu_vevent_arm_smmuv3, evt, 2, "evt[2]"), FA(iommu_vevent_arm_smmuv3, evt, 3, "evt[3]"),
};
static const struct mfd_ufield f_vtegra[] = {
    FA(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0, "lvcmdq_err_map[0]"),
    FA(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 1, "lvcmdq_err_map[1]"),
};

static const struct mfd_ustruct s_pgfault = ST(iommu_hwpt_pgfault, f_pgfault);
static const struct mfd_ustruct s_resp = ST(iommu_hwpt_page_response, f_resp);
static const struct mfd_ustruct s_vhdr = ST(iommufd_vevent_header, f_vhdr);
static const struct mfd_ustruct s_vselftest = ST(iommu_viommu_event_selftest, f_vselftest);
static const struct mfd_ustruct s_vsmmuv3 = ST(iommu_vevent_arm_smmuv3, f_vsmmuv3);
static const struct mfd_ustruct s_vtegra = ST(iommu_vevent_tegra241_cmdqv, f_vtegra);

#define K(c) { #c, (uint64_t)(c) }
/* The record structs' constants (the ioctl tables in mockfd/core/record.c
 * hold only those of ioctl fields). */
const struct mfd_uconst sim_consts[] = {
    K(IOMMU_PGFAULT_FLAGS_PASID_VALID), K(IOMMU_PGFAULT_FLAGS_LAST_PAGE),
    K(IOMMU_PGFAULT_PERM_READ), K(IOMMU_PGFAULT_PERM_WRITE), K(IOMMU_PGFAULT_PERM_EXEC),
    K(IOMMU_PGFAULT_PERM_PRIV),
    K(IOMMUFD_PAGE_RESP_SUCCESS), K(IOMMUFD_PAGE_RESP_INVALID),
    K(IOMMU_VEVENTQ_FLAG_LOST_EVENTS),
};
const size_t sim_nconsts = sizeof(sim_consts) / sizeof(sim_consts[0]);

/* The payload after each vEVENT header, by the queue's type (fixed at
 * IOMMU_VEVENTQ_ALLOC); NULL: a type whose layout the sim does not know. */
static const struct mfd_ustruct *vevent_payload(uint32_t type)
{
    switch (type) {
    case IOMMU_VEVENTQ_TYPE_SELFTEST:
        return &s_vselftest;
    case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
        return &s_vsmmuv3;
    case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
        return &s_vtegra;
    default:
        return NULL;
    }
}

static void add_fields(struct sim *s, struct trec *t, const struct mfd_ustruct *st,
                       const unsigned char *p, char *text, size_t tlen, size_t *o)
{
    for (unsigned i = 0; i < st->nf; i++) {
        const struct mfd_ufield *f = &st->f[i];
        char vb[160];

        val_print(s, f, mfd_uapi_get(p, f), vb, sizeof(vb));
        tr_kv(t, NULL, f->name, "%s", vb);
        if (*o < tlen)
            *o += (size_t)snprintf(text + *o, tlen - *o, " %s=%s", f->name, vb);
    }
}

static void trailing(struct sim *s, const char *fdname, const unsigned char *p, size_t n)
{
    char hx[3 * 64 + 8];
    size_t o = 0;

    for (size_t k = 0; k < n && k < 64 && o < sizeof(hx); k++)
        o += (size_t)snprintf(hx + o, sizeof(hx) - o, "%s%02x", k ? "," : "", p[k]);
    {
        struct trec t;
        char text[300];

        tr_begin(&t, "record_trailing");
        tr_kv(&t, NULL, "fd", "%s", fdname);
        tr_kv(&t, NULL, "bytes", "%s", hx);
        snprintf(text, sizeof(text), "  trailing %zu bytes (not a whole record): %s", n, hx);
        tr_emit(s, &t, T_IOCTL, text);
    }
}

bool rec_decode(struct sim *s, const struct sym *y, const unsigned char *p, size_t len, bool write)
{
    const struct mfd_ustruct *pay = NULL, *one;
    const char *ev, *tag;
    size_t off = 0;
    unsigned char *copy;

    if (y->fdk == SIM_FDK_FAULT) {
        one = write ? &s_resp : &s_pgfault;
        ev = write ? "page_response" : "fault_record";
        tag = write ? "response" : "fault";
    } else if (y->fdk == SIM_FDK_VEVENTQ && !write) {
        pay = vevent_payload(y->evtype);
        if (!pay)
            return false;
        one = &s_vhdr;
        ev = "vevent";
        tag = "vevent";
    } else {
        return false;
    }
    copy = malloc(len ? len : 1);
    if (!copy)
        sim_die(s, "out of memory");
    memcpy(copy, p, len);
    free(s->rec_data);
    s->rec_data = copy;
    s->rec_len = len;
    s->nrec = 0;
    s->have_recs = true;
    while (off + one->size <= len && s->nrec < (int)(sizeof(s->recs) / sizeof(s->recs[0]))) {
        struct srec *r = &s->recs[s->nrec];
        const struct mfd_ustruct *rp = NULL;
        char text[1024];
        size_t o;
        struct trec t;

        if (one == &s_vhdr) {
            uint32_t flags = (uint32_t)mfd_uapi_get(p + off, &f_vhdr[0]);

            /* the lost-events marker is a bare header (no payload) */
            rp = flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS ? NULL : pay;
            if (rp && off + one->size + rp->size > len)
                break;
        }
        r->hdr = one;
        r->pay = rp;
        r->off = off;
        tr_begin(&t, ev);
        tr_kv(&t, NULL, "fd", "%s", y->name);
        tr_kv(&t, NULL, "index", "%d", s->nrec);
        o = (size_t)snprintf(text, sizeof(text), "  %s[%d]", tag, s->nrec);
        add_fields(s, &t, one, p + off, text, sizeof(text), &o);
        if (rp)
            add_fields(s, &t, rp, p + off + one->size, text, sizeof(text), &o);
        else if (one == &s_vhdr && o < sizeof(text))
            snprintf(text + o, sizeof(text) - o, " (lost-events marker, no payload)");
        tr_emit(s, &t, T_IOCTL, text);
        off += one->size + (rp ? rp->size : 0);
        s->nrec++;
    }
    if (off < len)
        trailing(s, y->name, p + off, len - off);
    return true;
}

/* "recN.FIELD" (N decimal) or "nrec"; NULL (a failed expect printed) when
 * there is no record N. */
const struct mfd_ufield *rec_field(struct sim *s, const char *lhs, uint64_t *v)
{
    static const struct mfd_ufield nrec = { "nrec", 0, 4, MFD_UF_NUM, NULL, NULL, 0, 0 };
    const struct srec *r;
    const struct mfd_ustruct *parts[2];
    char *end;
    unsigned long n;

    if (!strcmp(lhs, "nrec")) {
        *v = (uint64_t)s->nrec;
        return &nrec;
    }
    if (strncmp(lhs, "rec", 3) || lhs[3] < '0' || lhs[3] > '9')
        return NULL;
    n = strtoul(lhs + 3, &end, 10);
    if (*end != '.')
        return NULL;
    if (n >= (unsigned long)s->nrec) {
        /* a result, not a scenario error: the expect fails, the run goes on */
        sim_fail(s, "expect %s: the last read/write has %d record(s)", lhs, s->nrec);
        return NULL;
    }
    r = &s->recs[n];
    parts[0] = r->hdr;
    parts[1] = r->pay;
    for (size_t k = 0, base = r->off; k < 2 && parts[k]; base += parts[k]->size, k++) {
        const struct mfd_ufield *f = mfd_uapi_field(parts[k], end + 1);

        if (f) {
            *v = mfd_uapi_get(s->rec_data + base, f);
            return f;
        }
    }
    sim_die(s, "expect %s: record %lu (%s%s%s) has no field '%s'", lhs, n, r->hdr->name,
            r->pay ? " + " : "", r->pay ? r->pay->name : "", end + 1);
}

/* `rec_field` syntax check for the parse pass (no records yet). */
bool rec_lhs(const char *lhs)
{
    const char *p = lhs + 3;

    if (!strcmp(lhs, "nrec"))
        return true;
    if (strncmp(lhs, "rec", 3) || *p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '.' && p[1];
}

/* --self-check: every byte of every record struct is in exactly one field
 * (the fields are in offset order), as mfd_uapi_check does for the ioctls. */
int rec_check(char *buf, size_t len)
{
    static const struct mfd_ustruct *const all[] = { &s_pgfault, &s_resp, &s_vhdr, &s_vselftest,
                                                     &s_vsmmuv3, &s_vtegra };

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        unsigned at = 0;

        for (unsigned k = 0; k < all[i]->nf; k++) {
            if (all[i]->f[k].off != at) {
                snprintf(buf, len, "struct %s: byte %u not covered (field %s at %u)",
                         all[i]->name, at, all[i]->f[k].name, all[i]->f[k].off);
                return -1;
            }
            at += all[i]->f[k].size;
        }
        if (at != all[i]->size) {
            snprintf(buf, len, "struct %s: fields cover %u of %u bytes", all[i]->name, at,
                     all[i]->size);
            return -1;
        }
    }
    return 0;
}
