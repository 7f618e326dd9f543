/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine (contract.md §2 "platform"): one guest memory shared
 * by every IOMMU, the IOMMUs with their drivers, and the devices behind them.
 * Process-wide and thread-safe (one mutex; drivers serialise their own
 * hardware access).
 *
 * Guest memory layout (identity, domain.h): a pinned user page at VA v is
 * guest-physical v; the drivers' tables come from a pool that is itself an
 * anonymous MAP_NORESERVE mapping registered at gpa == its address, so the
 * two can never collide (they are distinct mappings of one address space).
 *
 * MOCKFD_PLATFORM grammar (read lazily, docs/dirty.md):
 *     platform := iommu (';' iommu)*
 *     iommu    := model [':' profile] [':' devlist]
 *     devlist  := id (',' id)*            ids in C syntax (0x10, 16, 020)
 * The last ':'-field is the device list when it starts with a digit, so
 * "vtd:nodirty:0x10,0x18" is model vtd, profile nodirty, devices 0x10 and
 * 0x18; "vtd:nodirty" has no devices. Unset: "vtd:0x10" (MFD_DEFAULT_PLATFORM, device.h).
 * Empty: no IOMMU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "device.h"
#include "platform.h"

#define MAX_IOMMUS  16
#define MAX_DEVICES 256

/* Drivers are optional at link time: a model whose driver has not been
 * written yet (or not linked: the mockfd suite links mockfd/core alone) is
 * rejected with ENODEV. */
extern const struct mfd_iommu_driver mfd_vtd_driver __attribute__((weak));
extern const struct mfd_iommu_driver mfd_amdvi_driver __attribute__((weak));
extern const struct mfd_iommu_driver mfd_smmuv3_driver __attribute__((weak));

static pthread_mutex_t plat_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t mem_once = PTHREAD_ONCE_INIT;
static struct emu_mem *plat_mem;
static struct mfd_iommu_unit *units[MAX_IOMMUS];
static int nunits;         /* written under plat_lock; read lock-free (irq poll) */
static struct mfd_pdev *pdevs[MAX_DEVICES];
static int npdevs;
static bool env_loaded;
static mfd_platform_iommu_hook iommu_hook;     /* tools' trace installer */
static void *iommu_hook_arg;

void mfd_platform_lock(void) { pthread_mutex_lock(&plat_lock); }
void mfd_platform_unlock(void) { pthread_mutex_unlock(&plat_lock); }

static void mem_init(void)
{
    plat_mem = emu_mem_new();
}

/* The one guest memory; created once, never freed (process lifetime). Takes
 * no lock of ours, so probe (under plat_lock) can allocate tables. */
struct emu_mem *mfd_platform_mem(void)
{
    pthread_once(&mem_once, mem_init);
    return plat_mem;
}

/* ------------------------------------------------------------------------ */
/* Table pool: a buddy-less power-of-two allocator over one NORESERVE region.
 * Every block is naturally aligned in absolute guest-physical terms
 * (driver.h: hardware ignores the low bits of a table / queue base, e.g.
 * SMMUv3 STRTAB_BASE and Q_BASE, smmuv3.md §1.4 §4.1; VT-d's and AMD-Vi's
 * 4 KiB tables): the region itself is aligned to the largest block, and the
 * bump pointer is rounded up to each block's size in absolute gpa. */

#define POOL_SIZE   (8ull << 30)     /* virtual only; pages are touched on use */
#define POOL_ORDERS 12               /* 4 KiB .. 8 MiB blocks */
#define POOL_ALIGN  (4096ull << (POOL_ORDERS - 1))

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *pool_base;
static uint64_t pool_bump;
static uint64_t pool_free[POOL_ORDERS];  /* singly linked through the block's first word */

static int order_of(uint64_t size)
{
    int o = 0;

    while ((4096ull << o) < size)
        o++;
    return o;
}

static uint64_t table_alloc(uint64_t size)
{
    int o = order_of(size ? size : 1);
    uint64_t bsize, gpa = 0;

    if (o >= POOL_ORDERS || mfd_should_fail())
        return 0;
    bsize = 4096ull << o;
    pthread_mutex_lock(&pool_lock);
    if (!pool_base) {
        /* over-map by the largest block and trim, so that the region starts
         * POOL_ALIGN-aligned (mmap only promises page alignment) */
        uint8_t *raw = mmap(NULL, POOL_SIZE + POOL_ALIGN, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        struct emu_mem *m = mfd_platform_mem();
        uint8_t *p;
        uint64_t head;

        if (raw == MAP_FAILED)
            goto out;
        p = (uint8_t *)(((uintptr_t)raw + POOL_ALIGN - 1) & ~(uintptr_t)(POOL_ALIGN - 1));
        head = (uint64_t)(p - raw);
        if (head)
            munmap(raw, head);
        if (POOL_ALIGN - head)
            munmap(p + POOL_SIZE, POOL_ALIGN - head);
        /* identity: the pool is guest-physical at its own address */
        if (!m || emu_mem_map(m, (uint64_t)(uintptr_t)p, POOL_SIZE, p)) {
            munmap(p, POOL_SIZE);
            goto out;
        }
        pool_base = p;
    }
    if (pool_free[o]) {
        gpa = pool_free[o];
        memcpy(&pool_free[o], (void *)(uintptr_t)gpa, sizeof(uint64_t));
    } else {
        /* align the absolute address, not the offset (the base is aligned
         * too, but this does not depend on it) */
        uint64_t base = (uint64_t)(uintptr_t)pool_base;
        uint64_t at = (base + pool_bump + bsize - 1) & ~(bsize - 1);

        if (at - base + bsize > POOL_SIZE)
            goto out;
        pool_bump = at - base + bsize;
        gpa = at;
    }
    memset((void *)(uintptr_t)gpa, 0, bsize);
out:
    pthread_mutex_unlock(&pool_lock);
    return gpa;
}

static void table_free(uint64_t gpa, uint64_t size)
{
    int o = order_of(size ? size : 1);

    if (!gpa || o >= POOL_ORDERS)
        return;
    pthread_mutex_lock(&pool_lock);
    memcpy((void *)(uintptr_t)gpa, &pool_free[o], sizeof(uint64_t));
    pool_free[o] = gpa;
    pthread_mutex_unlock(&pool_lock);
}

static const uint64_t *table_ptr(uint64_t gpa)
{
    uint64_t base = (uint64_t)(uintptr_t)pool_base;

    /* pool pages are guest-physical at their own address (identity) */
    if (!base || gpa < base || gpa - base >= POOL_SIZE || (gpa & 4095))
        return NULL;
    return (const uint64_t *)(uintptr_t)gpa;
}

/* ------------------------------------------------------------------------ */
/* Identity map of pinned pages, reference counted per 4 KiB page. */

struct pin_ent {
    uint64_t pfn;      /* 0 = empty slot (page 0 is never user memory) */
    uint32_t count;
};

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin_ent *pin_tab;
static size_t pin_cap, pin_n;

static size_t pin_hash(uint64_t pfn)
{
    return (size_t)((pfn * 0x9E3779B97F4A7C15ull) >> 17) & (pin_cap - 1);
}

static struct pin_ent *pin_find(uint64_t pfn)
{
    size_t i;

    if (!pin_cap)
        return NULL;
    for (i = pin_hash(pfn);; i = (i + 1) & (pin_cap - 1)) {
        if (pin_tab[i].pfn == pfn)
            return &pin_tab[i];
        if (!pin_tab[i].pfn)
            return NULL;
    }
}

static int pin_grow(void)
{
    size_t ocap = pin_cap, i;
    struct pin_ent *old = pin_tab, *nt;

    if (pin_n + 1 <= pin_cap / 2)
        return 0;
    nt = calloc(ocap ? ocap * 2 : 1024, sizeof(*nt));
    if (!nt)
        return -ENOMEM;
    pin_tab = nt;
    pin_cap = ocap ? ocap * 2 : 1024;
    for (i = 0; i < ocap; i++) {
        if (old[i].pfn) {
            size_t j = pin_hash(old[i].pfn);

            while (pin_tab[j].pfn)
                j = (j + 1) & (pin_cap - 1);
            pin_tab[j] = old[i];
        }
    }
    free(old);
    return 0;
}

/* Remove by backward-shift deletion (linear probing stays valid). */
static void pin_remove(struct pin_ent *e)
{
    size_t i = (size_t)(e - pin_tab), j = i;

    for (;;) {
        size_t k;

        j = (j + 1) & (pin_cap - 1);
        if (!pin_tab[j].pfn)
            break;
        k = pin_hash(pin_tab[j].pfn);
        /* can pin_tab[j] move to i? only if i lies cyclically in [k, j) */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            pin_tab[i] = pin_tab[j];
            i = j;
        }
    }
    pin_tab[i].pfn = 0;
    pin_tab[i].count = 0;
    pin_n--;
}

static void unmap_run(struct emu_mem *m, uint64_t start, uint64_t end)
{
    if (end > start)
        emu_mem_unmap(m, start, end - start);
}

/* Drop one reference on [first, last) pages; unmap those reaching zero. */
static void pin_put_range(struct emu_mem *m, uint64_t pa, uint64_t npages)
{
    uint64_t run = 0, runend = 0, i;

    for (i = 0; i < npages; i++) {
        uint64_t addr = pa + i * 4096;
        struct pin_ent *e = pin_find(addr >> 12);

        if (!e)
            continue;
        if (--e->count)
            continue;
        pin_remove(e);
        if (runend != addr) {
            unmap_run(m, run, runend);
            run = addr;
        }
        runend = addr + 4096;
    }
    unmap_run(m, run, runend);
}

static int guest_map(uint64_t pa, uint64_t len)
{
    struct emu_mem *m = mfd_platform_mem();
    uint64_t first = pa & ~4095ull, npages, i, done = 0, run = 0, runend = 0;
    int rc = 0;

    if (!m)
        return -ENOMEM;
    if (!len)
        return 0;
    if (pa + len < pa)
        return -EINVAL;
    npages = ((pa + len + 4095) & ~4095ull) / 4096 - first / 4096;
    pthread_mutex_lock(&pin_lock);
    for (i = 0; i < npages; i++) {
        uint64_t addr = first + i * 4096;
        struct pin_ent *e;

        rc = pin_grow();
        if (rc)
            break;
        e = pin_find(addr >> 12);
        if (e) {
            e->count++;
            done = i + 1;
            continue;
        }
        /* a new page: insert with count 1 and extend the run to map */
        {
            size_t j = pin_hash(addr >> 12);

            while (pin_tab[j].pfn)
                j = (j + 1) & (pin_cap - 1);
            pin_tab[j].pfn = addr >> 12;
            pin_tab[j].count = 1;
            pin_n++;
        }
        done = i + 1;
        if (runend != addr) {
            if (runend > run) {
                rc = emu_mem_map(m, run, runend - run, (void *)(uintptr_t)run);
                if (rc)
                    break;
            }
            run = addr;
        }
        runend = addr + 4096;
    }
    if (!rc)
        done = npages;
    if (!rc && runend > run)
        rc = emu_mem_map(m, run, runend - run, (void *)(uintptr_t)run);
    if (rc) {
        /* All or nothing: drop the references taken so far. The run that
         * failed to map is not mapped; pin_put_range tolerates that since
         * emu_mem_unmap of an unmapped range changes nothing (-ENOENT). */
        pin_put_range(m, first, done);
    }
    pthread_mutex_unlock(&pin_lock);
    return rc;
}

static void guest_unmap(uint64_t pa, uint64_t len)
{
    struct emu_mem *m = mfd_platform_mem();
    uint64_t first = pa & ~4095ull, npages;

    if (!m || !len || pa + len < pa)
        return;
    npages = ((pa + len + 4095) & ~4095ull) / 4096 - first / 4096;
    pthread_mutex_lock(&pin_lock);
    pin_put_range(m, first, npages);
    pthread_mutex_unlock(&pin_lock);
}

/* ------------------------------------------------------------------------ */
/* Interrupts and the drivers' log (platform.h). */

struct mfd_unit_irq {
    uint32_t *db;                   /* host view of the doorbell page; NULL none */
    unsigned nvec;
    uint64_t irqs[MFD_MSI_MAX_VECS];
    /* the log ring, under log_lock */
    char ring[MFD_LOG_LINES][MFD_LOG_LEN];
    uint64_t lines, records;
};

/* The MSI doorbells: one 4 KiB page per unit index at a fixed guest-physical
 * window, so what the drivers program (FEADDR/FEUADDR, MSI_ADDR_LO/HI,
 * *_IRQ_CFG0) is the same in every run. It is the x86 interrupt window
 * 0xFEE0_0000 (vtd.md, amdvi.md §4.3): below 4 GiB because a VT-d unit
 * without ECAP.EIM has no FEUADDR (QEMU's profile), and a range no process
 * maps by itself, so it does not collide with the identity map of pinned
 * user pages (domain.h; a page pinned at exactly that VA cannot be made
 * visible to the hardware then). To the models it is ordinary guest RAM. */
#define MSI_WINDOW      0xfee00000ull
#define MSI_WINDOW_SIZE ((uint64_t)MAX_IOMMUS * 4096)
static uint8_t *msi_host;                      /* created once, never freed */

/* Doorbells by unit index, for the lock-free poll; set by msi_alloc during
 * probe (before the unit is published), cleared if the probe fails. */
static uint64_t *doorbells[MAX_IOMMUS];

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static mfd_platform_log_hook log_hook;         /* under log_lock */
static void *log_hook_arg;
static int dmesg = -1;                         /* MOCKFD_DMESG, read once */

/* x86-like vector numbers: non-zero, so a written doorbell word is never 0 */
#define MSI_VECTOR_BASE 0x20u

static uint32_t msi_data(int index, unsigned v)
{
    return MSI_VECTOR_BASE + (unsigned)index * MFD_MSI_MAX_VECS + v;
}

/* Caller holds plat_lock (probe runs under it). */
static int msi_alloc(struct mfd_iommu_unit *u, unsigned nvec, struct mfd_msi_msg *msgs)
{
    struct mfd_unit_irq *q = u->irq;
    unsigned v;

    if (!q || !nvec || nvec > MFD_MSI_MAX_VECS || q->db || u->index < 0 ||
        u->index >= MAX_IOMMUS)
        return -EINVAL;
    /* No fault-injection point: the drivers follow Linux, where SMMUv3 falls
     * back to wired interrupts when MSIs cannot be had, so a failed call
     * would still probe; only the window's one-time mmap can fail. */
    if (!msi_host) {
        struct emu_mem *m = mfd_platform_mem();
        uint8_t *h = mmap(NULL, MSI_WINDOW_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (h == MAP_FAILED)
            return -ENOMEM;
        if (!m || emu_mem_map(m, MSI_WINDOW, MSI_WINDOW_SIZE, h)) {
            munmap(h, MSI_WINDOW_SIZE);
            return -ENOMEM;
        }
        msi_host = h;
    }
    q->db = (uint32_t *)(msi_host + (uint64_t)u->index * 4096);
    memset(q->db, 0, 4096);     /* a unit that failed to probe may have used it */
    q->nvec = nvec;
    for (v = 0; v < nvec; v++) {
        msgs[v].addr = MSI_WINDOW + (uint64_t)u->index * 4096 + 4 * v;
        msgs[v].data = msi_data(u->index, v);
    }
    __atomic_store_n(&doorbells[u->index], (uint64_t *)q->db, __ATOMIC_RELEASE);
    return 0;
}

/* The unit's interrupt state goes with a unit that failed to probe. */
static void irq_free(struct mfd_iommu_unit *u)
{
    if (!u->irq)
        return;
    if (u->irq->db)
        __atomic_store_n(&doorbells[u->index], NULL, __ATOMIC_RELEASE);
    free(u->irq);
    u->irq = NULL;
}

static void plat_log(struct mfd_iommu_unit *u, bool record, const char *fmt, ...)
{
    struct mfd_unit_irq *q = u->irq;
    char *line;
    va_list ap;

    if (!q)
        return;
    pthread_mutex_lock(&log_lock);
    line = q->ring[q->lines % MFD_LOG_LINES];
    va_start(ap, fmt);
    vsnprintf(line, MFD_LOG_LEN, fmt, ap);
    va_end(ap);
    q->lines++;
    if (record)
        q->records++;
    if (dmesg < 0) {
        const char *e = getenv("MOCKFD_DMESG");

        dmesg = e && *e && strcmp(e, "0");
    }
    if (dmesg)
        fprintf(stderr, "mockfd: iommu%d: %s\n", u->index, line);
    if (log_hook)
        log_hook(log_hook_arg, u->index, u->hw, line);
    pthread_mutex_unlock(&log_lock);
}

/* One unit: each doorbell word written since the last look is taken (set
 * back to 0) and its vector's handler runs. Nothing written: one load. */
static void irq_poll_unit(int i)
{
    uint64_t *db = __atomic_load_n(&doorbells[i], __ATOMIC_ACQUIRE);
    struct mfd_iommu_unit *u;
    unsigned v;

    /* vectors 0 and 1 share the first 8 bytes (MFD_MSI_MAX_VECS == 2) */
    if (!db || !__atomic_load_n(db, __ATOMIC_ACQUIRE))
        return;
    u = units[i];
    for (v = 0; v < u->irq->nvec; v++) {
        uint32_t *slot = (uint32_t *)db + v;

        if (!__atomic_exchange_n(slot, 0, __ATOMIC_ACQ_REL))
            continue;
        __atomic_fetch_add(&u->irq->irqs[v], 1, __ATOMIC_RELAXED);
        if (u->drv->irq)
            u->drv->irq(u, v);
    }
}

void mfd_platform_irq_poll(void)
{
    int n = __atomic_load_n(&nunits, __ATOMIC_ACQUIRE), i;

    for (i = 0; i < n; i++)
        irq_poll_unit(i);
}

static struct mfd_unit_irq *irq_of(int index)
{
    int n = __atomic_load_n(&nunits, __ATOMIC_ACQUIRE);

    return index >= 0 && index < n ? units[index]->irq : NULL;
}

int mfd_platform_irq_stats(int index, struct mfd_irq_stats *out)
{
    struct mfd_unit_irq *q = irq_of(index);
    unsigned v;

    if (!q)
        return -ENOENT;
    memset(out, 0, sizeof(*out));
    out->nvec = q->nvec;
    for (v = 0; v < q->nvec; v++) {
        out->msi_addr[v] = MSI_WINDOW + (uint64_t)index * 4096 + 4 * v;
        out->msi_data[v] = msi_data(index, v);
        out->irqs[v] = __atomic_load_n(&q->irqs[v], __ATOMIC_RELAXED);
    }
    pthread_mutex_lock(&log_lock);
    out->lines = q->lines;
    out->records = q->records;
    pthread_mutex_unlock(&log_lock);
    return 0;
}

int mfd_platform_log_line(int index, uint64_t seq, char *buf, size_t len)
{
    struct mfd_unit_irq *q = irq_of(index);
    int rc = 0;

    if (!q)
        return -ENOENT;
    pthread_mutex_lock(&log_lock);
    if (seq >= q->lines)
        rc = -ENOENT;
    else if (q->lines - seq > MFD_LOG_LINES)
        rc = -ENODATA;
    else if (buf && len)
        snprintf(buf, len, "%s", q->ring[seq % MFD_LOG_LINES]);
    pthread_mutex_unlock(&log_lock);
    return rc;
}

int64_t mfd_platform_log_find(int index, uint64_t from, const char *needle)
{
    struct mfd_unit_irq *q = irq_of(index);
    int64_t found = -ENOENT;
    uint64_t seq;

    if (!q || !needle)
        return -ENOENT;
    pthread_mutex_lock(&log_lock);
    seq = q->lines > MFD_LOG_LINES ? q->lines - MFD_LOG_LINES : 0;
    for (seq = seq > from ? seq : from; seq < q->lines; seq++)
        if (strstr(q->ring[seq % MFD_LOG_LINES], needle)) {
            found = (int64_t)seq;
            break;
        }
    pthread_mutex_unlock(&log_lock);
    return found;
}

void mfd_platform_set_log_hook(mfd_platform_log_hook fn, void *arg)
{
    pthread_mutex_lock(&log_lock);
    log_hook = fn;
    log_hook_arg = arg;
    pthread_mutex_unlock(&log_lock);
}

static const struct mfd_platform_ops plat_ops = {
    .table_alloc = table_alloc,
    .table_free = table_free,
    .table_ptr = table_ptr,
    .guest_map = guest_map,
    .guest_unmap = guest_unmap,
    .copy_struct_from_user = mfd_copy_struct_from_user,
    .msi_alloc = msi_alloc,
    .log = plat_log,
};

/* ------------------------------------------------------------------------ */
/* IOMMUs and devices. */

static const struct mfd_iommu_driver *driver_for(enum emu_model model)
{
    const struct mfd_iommu_driver *all[] = { &mfd_vtd_driver, &mfd_amdvi_driver,
                                             &mfd_smmuv3_driver };
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i] && all[i]->model == model)
            return all[i];
    return NULL;
}

static int model_from_name(const char *name, size_t len, enum emu_model *out)
{
    static const enum emu_model models[] = { EMU_VTD, EMU_AMDVI, EMU_SMMUV3 };
    size_t i;

    for (i = 0; i < 3; i++) {
        const char *n = emu_model_name(models[i]);

        if (n && strlen(n) == len && !strncasecmp(n, name, len)) {
            *out = models[i];
            return 0;
        }
    }
    return -EINVAL;
}

/* Caller holds plat_lock. Returns the index or -errno. */
static int add_iommu_locked(const char *spec)
{
    const char *colon;
    char profile[32] = "";
    enum emu_model model;
    struct mfd_iommu_unit *u;
    struct emu_mem *m;
    int rc;

    if (!spec)
        return -EINVAL;
    colon = strchr(spec, ':');
    if (model_from_name(spec, colon ? (size_t)(colon - spec) : strlen(spec), &model))
        return -EINVAL;
    if (colon) {
        if (strlen(colon + 1) >= sizeof(profile) || !colon[1])
            return -EINVAL;
        strcpy(profile, colon + 1);
    }
    if (nunits >= MAX_IOMMUS)
        return -ENOSPC;
    u = calloc(1, sizeof(*u));
    m = mfd_platform_mem();
    if (!u || !m || !(u->irq = calloc(1, sizeof(*u->irq)))) {
        free(u);
        return -ENOMEM;
    }
    u->drv = driver_for(model);
    if (!u->drv) {
        free(u->irq);
        free(u);
        return -ENODEV;
    }
    u->hw = emu_iommu_new(model, profile[0] ? profile : NULL, m);
    if (!u->hw) {
        rc = errno ? -errno : -EINVAL;
        free(u->irq);
        free(u);
        return rc;
    }
    u->index = nunits;
    u->mem = m;
    u->plat = &plat_ops;
    memcpy(u->profile, profile, sizeof(profile));
    /* before probe: a tracer sees the driver's whole bring-up (the reads of
     * the capability registers, the table and queue programming) */
    if (iommu_hook)
        iommu_hook(iommu_hook_arg, u->index, u->hw);
    /* probe takes locks below ours only (pool, its own) */
    rc = u->drv->probe(u);
    if (rc) {
        irq_free(u);
        emu_iommu_free(u->hw);
        free(u);
        return rc;
    }
    units[nunits] = u;
    /* publish after the unit is complete: the irq poll reads lock-free */
    __atomic_store_n(&nunits, nunits + 1, __ATOMIC_RELEASE);
    return nunits - 1;
}

static int add_device_locked(int iommu_index, uint32_t rid)
{
    struct mfd_pdev *d;
    int i;

    if (iommu_index < 0 || iommu_index >= nunits)
        return -EINVAL;
    /* PCI requester IDs are 16 bits (bus:devfn) on VT-d and AMD-Vi */
    if (units[iommu_index]->drv->model != EMU_SMMUV3 && rid > 0xffff)
        return -EINVAL;
    for (i = 0; i < npdevs; i++)
        if (pdevs[i]->unit == units[iommu_index] && pdevs[i]->rid == rid)
            return -EEXIST;
    if (npdevs >= MAX_DEVICES)
        return -ENOSPC;
    d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->index = npdevs;
    d->unit = units[iommu_index];
    d->rid = rid;
    pdevs[npdevs] = d;
    return npdevs++;
}

int mfd_platform_spec_walk(const char *spec, int (*iommu)(void *arg, const char *entry),
                           int (*device)(void *arg, int iommu_index, const char *id),
                           void *arg)
{
    char *copy, *save = NULL, *ent;
    int rc = 0;

    copy = strdup(spec);
    if (!copy)
        return -ENOMEM;
    for (ent = strtok_r(copy, ";", &save); ent && !rc; ent = strtok_r(NULL, ";", &save)) {
        char *devs = NULL, *last = strrchr(ent, ':'), *s2 = NULL, *id;
        int idx;

        while (*ent == ' ')
            ent++;
        if (!*ent)
            continue;
        /* the last ':'-field is the device list when it starts with a digit */
        if (last && last[1] >= '0' && last[1] <= '9') {
            *last = '\0';
            devs = last + 1;
        }
        idx = iommu(arg, ent);
        if (idx < 0) {
            rc = idx;
            break;
        }
        for (id = devs ? strtok_r(devs, ",", &s2) : NULL; id && !rc;
             id = strtok_r(NULL, ",", &s2))
            rc = device(arg, idx, id);
    }
    free(copy);
    return rc;
}

static int spec_iommu(void *arg, const char *entry)
{
    (void)arg;
    return add_iommu_locked(entry);
}

static int spec_device(void *arg, int idx, const char *id)
{
    char *end;
    unsigned long v = strtoul(id, &end, 0);
    int rc;

    (void)arg;
    if (end == id || *end)
        return -EINVAL;
    rc = add_device_locked(idx, (uint32_t)v);
    return rc < 0 ? rc : 0;
}

/* Parse MOCKFD_PLATFORM (grammar at the top). Caller holds plat_lock. */
static int load_env_locked(const char *env)
{
    return mfd_platform_spec_walk(env, spec_iommu, spec_device, NULL);
}


/* Why a platform spec fails even when it is well formed (the unset default
 * included): -ENODEV, the model's driver is not linked in (the drivers are
 * weak references: a program or suite that links mockfd/core without
 * mockfd/drivers); -ENOMEM, the 8 GiB NORESERVE table pool cannot be
 * mapped (RLIMIT_AS, `ulimit -v`) or fault injection (mockfd fail-nth) hit
 * an allocation of the lazy load, which runs inside the first call that
 * needs a device; a probe error from the driver (-EIO, -ETIMEDOUT: the
 * hardware never acknowledged). */
static void ensure_locked(void)
{
    static bool reported;
    const char *env, *spec;
    int rc;

    if (env_loaded || nunits)
        return;
    env_loaded = true;
    env = getenv("MOCKFD_PLATFORM");
    spec = env ? env : MFD_DEFAULT_PLATFORM;
    rc = load_env_locked(spec);
    if (!rc)
        return;
    /* Nothing was built: let the next call try again (a transient -ENOMEM,
     * e.g. an injected failure, must not leave the process without its
     * machine for good). A partial platform stays as it is. */
    if (!nunits)
        env_loaded = false;
    if (reported)
        return;
    reported = true;
    if (env)
        fprintf(stderr, "mockfd: bad MOCKFD_PLATFORM \"%s\": %s\n", env, strerror(-rc));
    else
        fprintf(stderr, "mockfd: MOCKFD_PLATFORM unset and the default \"%s\" failed: %s%s\n",
                MFD_DEFAULT_PLATFORM, strerror(-rc),
                rc == -ENODEV ? " (is the VT-d driver, mockfd/drivers, linked in?)" : "");
}

struct emu_iommu *mfd_platform_iommu(int index)
{
    struct emu_iommu *hw = NULL;

    mfd_platform_lock();
    ensure_locked();
    if (index >= 0 && index < nunits)
        hw = units[index]->hw;
    mfd_platform_unlock();
    return hw;
}

const uint64_t *mfd_platform_table_ptr(uint64_t gpa)
{
    return table_ptr(gpa);
}

void mfd_platform_set_iommu_hook(mfd_platform_iommu_hook fn, void *arg)
{
    mfd_platform_lock();
    iommu_hook = fn;
    iommu_hook_arg = arg;
    mfd_platform_unlock();
}

struct mfd_pdev *mfd_platform_device(int index)
{
    struct mfd_pdev *d = NULL;

    mfd_platform_lock();
    ensure_locked();
    if (index >= 0 && index < npdevs)
        d = pdevs[index];
    mfd_platform_unlock();
    return d;
}

int mockfd_platform_add_iommu(const char *spec)
{
    int rc;

    mfd_platform_lock();
    rc = add_iommu_locked(spec);
    mfd_platform_unlock();
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return rc;
}

int mockfd_platform_add_device(int iommu_index, uint32_t rid)
{
    int rc;

    mfd_platform_lock();
    rc = add_device_locked(iommu_index, rid);
    mfd_platform_unlock();
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return rc;
}
