/* SPDX-License-Identifier: MIT */
/*
 * IOTLB / context-cache helper (emu_internal.h).
 *
 * A fixed pool of `capacity` slots, chained into a power-of-two hash table
 * (>= 2 buckets per slot) keyed by (sid, domain, pasid, iova >> shift, shift).
 * `shifts` is a bitmask of the page sizes currently cached; a lookup probes
 * one bucket per set bit only (typically 1-3), so its cost does not grow with
 * capacity and it never allocates.
 *
 * Replacement: CLOCK (second chance). A hit sets the slot's reference bit; on
 * a full cache the hand sweeps, clearing reference bits, and evicts the first
 * unreferenced slot. Deterministic: same sequence of calls, same evictions.
 *
 * Invalidation matching: a field passed as EMU_TLB_ANY matches every entry;
 * an entry stored with EMU_TLB_ANY in a field (the model does not tag by it)
 * matches every specific value too, so invalidation is never too narrow.
 * Invalidation scans the pool (O(capacity)): it is rare next to lookups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

#define NIL (-1)

struct slot {
    struct emu_tlb_entry e;
    int32_t next;       /* hash chain, or free list when !e.valid */
    uint8_t ref;        /* CLOCK reference bit */
};

struct emu_iotlb {
    unsigned cap, used, hand;
    uint32_t bmask;             /* nbuckets - 1 */
    int32_t *bucket;
    struct slot *s;
    int32_t free_head;
    uint64_t shifts;            /* bit n set: some entry has shift n */
    unsigned shift_cnt[64];
};

static inline uint32_t hash(uint32_t sid, uint32_t domain, uint32_t pasid, uint64_t page,
                            unsigned shift, uint32_t bmask)
{
    uint64_t h = page * 0x9e3779b97f4a7c15ull;

    h ^= ((uint64_t)sid << 32 | domain) * 0xc2b2ae3d27d4eb4full;
    h ^= ((uint64_t)pasid << 8 | shift) * 0x165667b19e3779f9ull;
    h ^= h >> 29;
    return (uint32_t)(h * 0xbf58476d1ce4e5b9ull >> 32) & bmask;
}

static void reset_pool(struct emu_iotlb *t)
{
    for (uint32_t b = 0; b <= t->bmask; b++)
        t->bucket[b] = NIL;
    for (unsigned i = 0; i < t->cap; i++) {
        t->s[i].e.valid = false;
        t->s[i].ref = 0;
        t->s[i].next = i + 1 < t->cap ? (int32_t)(i + 1) : NIL;
    }
    t->free_head = t->cap ? 0 : NIL;
    t->used = 0;
    t->hand = 0;
    t->shifts = 0;
    memset(t->shift_cnt, 0, sizeof(t->shift_cnt));
}

struct emu_iotlb *emu_iotlb_new(unsigned capacity)
{
    struct emu_iotlb *t;
    uint32_t nb = 2;

    if (capacity > (1u << 24)) {    /* keep indices and the bucket array sane */
        errno = EINVAL;
        return NULL;
    }
    while (nb < 2ull * capacity)
        nb <<= 1;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->cap = capacity;
    t->bmask = nb - 1;
    t->bucket = malloc(nb * sizeof(*t->bucket));
    t->s = calloc(capacity ? capacity : 1, sizeof(*t->s));
    if (!t->bucket || !t->s) {
        emu_iotlb_free(t);
        errno = ENOMEM;
        return NULL;
    }
    reset_pool(t);
    return t;
}

void emu_iotlb_free(struct emu_iotlb *tlb)
{
    if (!tlb)
        return;
    free(tlb->bucket);
    free(tlb->s);
    free(tlb);
}

struct emu_tlb_entry *emu_iotlb_lookup(struct emu_iotlb *tlb, uint32_t sid, uint32_t domain,
                                       uint32_t pasid, uint64_t iova)
{
    uint64_t m = tlb->shifts;

    while (m) {
        unsigned sh = (unsigned)__builtin_ctzll(m);
        uint64_t page = iova >> sh;
        int32_t i = tlb->bucket[hash(sid, domain, pasid, page, sh, tlb->bmask)];

        m &= m - 1;
        while (i != NIL) {
            struct slot *s = &tlb->s[i];

            if (s->e.shift == sh && s->e.iova >> sh == page && s->e.sid == sid &&
                s->e.domain == domain && s->e.pasid == pasid) {
                s->ref = 1;
                return &s->e;
            }
            i = s->next;
        }
    }
    return NULL;
}

static int32_t *chain_of(struct emu_iotlb *t, const struct emu_tlb_entry *e)
{
    return &t->bucket[hash(e->sid, e->domain, e->pasid, e->iova >> e->shift, e->shift, t->bmask)];
}

/* Unlink slot i from its chain and put it on the free list. */
static void drop(struct emu_iotlb *t, int32_t i)
{
    struct slot *s = &t->s[i];
    int32_t *pp = chain_of(t, &s->e);

    while (*pp != NIL && *pp != i)
        pp = &t->s[*pp].next;
    if (*pp == i)
        *pp = s->next;
    if (--t->shift_cnt[s->e.shift] == 0)
        t->shifts &= ~(1ull << s->e.shift);
    s->e.valid = false;
    s->ref = 0;
    s->next = t->free_head;
    t->free_head = i;
    t->used--;
}

void emu_iotlb_insert(struct emu_iotlb *tlb, const struct emu_tlb_entry *e)
{
    struct emu_tlb_entry ne;
    struct emu_tlb_entry *old;
    int32_t i, *head;

    if (!tlb || !e || e->shift > 63 || !tlb->cap)
        return;
    ne = *e;
    ne.iova &= ~((1ull << ne.shift) - 1);
    ne.valid = true;
    /* Same tag and page already cached: refresh it in place. */
    if (tlb->shifts & (1ull << ne.shift)) {
        uint64_t m = tlb->shifts;
        tlb->shifts = 1ull << ne.shift;     /* probe only this size */
        old = emu_iotlb_lookup(tlb, ne.sid, ne.domain, ne.pasid, ne.iova);
        tlb->shifts = m;
        if (old) {
            *old = ne;
            return;
        }
    }
    if (tlb->free_head == NIL) {
        /* CLOCK: terminates within two sweeps since each pass clears ref bits. */
        while (tlb->s[tlb->hand].ref) {
            tlb->s[tlb->hand].ref = 0;
            tlb->hand = (tlb->hand + 1) % tlb->cap;
        }
        drop(tlb, (int32_t)tlb->hand);
        tlb->hand = (tlb->hand + 1) % tlb->cap;
    }
    i = tlb->free_head;
    tlb->free_head = tlb->s[i].next;
    tlb->s[i].e = ne;
    tlb->s[i].ref = 0;
    head = chain_of(tlb, &ne);
    tlb->s[i].next = *head;
    *head = i;
    tlb->used++;
    if (tlb->shift_cnt[ne.shift]++ == 0)
        tlb->shifts |= 1ull << ne.shift;
}

void emu_iotlb_inval_all(struct emu_iotlb *tlb)
{
    if (tlb)
        reset_pool(tlb);
}

static inline bool tag_match(uint32_t want, uint32_t have)
{
    return want == EMU_TLB_ANY || have == EMU_TLB_ANY || want == have;
}

unsigned emu_iotlb_inval(struct emu_iotlb *tlb, uint32_t sid, uint32_t domain, uint32_t pasid,
                         uint64_t addr, uint64_t size)
{
    /* [addr, alast] inclusive, clamped at the top of the address space. */
    uint64_t alast = size == 0 ? UINT64_MAX : (addr + size - 1 < addr ? UINT64_MAX : addr + size - 1);
    unsigned dropped = 0;

    if (!tlb)
        return 0;
    if (size == 0)
        addr = 0;
    for (unsigned i = 0; i < tlb->cap && tlb->used; i++) {
        const struct emu_tlb_entry *e = &tlb->s[i].e;
        uint64_t last;

        if (!e->valid || !tag_match(sid, e->sid) || !tag_match(domain, e->domain) ||
            !tag_match(pasid, e->pasid))
            continue;
        last = e->iova + ((1ull << e->shift) - 1);
        if (last < e->iova)
            last = UINT64_MAX;
        if (e->iova > alast || addr > last)
            continue;
        drop(tlb, (int32_t)i);
        dropped++;
    }
    return dropped;
}

unsigned emu_iotlb_count(const struct emu_iotlb *tlb)
{
    return tlb ? tlb->used : 0;
}
