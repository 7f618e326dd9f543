/* SPDX-License-Identifier: MIT */
/*
 * Augmented AVL interval tree over inclusive [start, last] ranges of u64.
 *
 * The io_pagetable keeps three sets of IOVA ranges (areas, reserved, allowed;
 * iommufd.md §11 note 4). The kernel uses augmented red-black interval trees
 * (lib/interval_tree.c) for all three; reserved ranges may overlap each other,
 * so a plain ordered map is not enough. Every operation here is O(log n), so
 * MAP/UNMAP never scan (bench/ioas_map.c: 1M maps + 1M unmaps <= 2 s).
 *
 * Nodes are embedded in the caller's structs (mfd_container_of). Equal starts
 * are allowed (ordered by node address).
 */
#ifndef IOMMU_EMU_MOCKFD_ITREE_H
#define IOMMU_EMU_MOCKFD_ITREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mfd_itree_node {
    uint64_t start, last;           /* inclusive range */
    uint64_t subtree_last;          /* max(last) over this subtree */
    struct mfd_itree_node *left, *right, *parent;
    int height;
};

struct mfd_itree {
    struct mfd_itree_node *root;
    size_t count;
};

void mfd_itree_insert(struct mfd_itree *t, struct mfd_itree_node *n);
void mfd_itree_remove(struct mfd_itree *t, struct mfd_itree_node *n);
static inline bool mfd_itree_empty(const struct mfd_itree *t) { return t->root == NULL; }

/* Lowest-start node intersecting [start, last], or NULL. */
struct mfd_itree_node *mfd_itree_iter_first(const struct mfd_itree *t, uint64_t start,
                                            uint64_t last);
/* Next node (in start order) after n intersecting [start, last], or NULL. */
struct mfd_itree_node *mfd_itree_iter_next(struct mfd_itree_node *n, uint64_t start,
                                           uint64_t last);
/* Max `last` over nodes whose start <= p; false if there is none. */
bool mfd_itree_max_last_upto(const struct mfd_itree *t, uint64_t p, uint64_t *out);
/* Lowest start >= p; false if there is none. */
bool mfd_itree_lower_start(const struct mfd_itree *t, uint64_t p, uint64_t *out);

/*
 * Span iteration over the union of up to two trees inside [first, last], the
 * equivalent of the kernel's interval_tree_for_each_span/_double_span:
 * alternating maximal "used" spans (overlapping or adjacent nodes merged) and
 * "hole" spans, clipped to [first, last].
 */
struct mfd_span_iter {
    const struct mfd_itree *trees[2];
    int ntrees;
    uint64_t first, last;
    uint64_t pos;          /* next position to classify */
    bool exhausted;        /* the current span is the last one */
    bool done;
    /* output */
    bool is_hole;
    uint64_t start_span, last_span;
};

void mfd_span_first(struct mfd_span_iter *it, const struct mfd_itree *a,
                    const struct mfd_itree *b, uint64_t first, uint64_t last);
void mfd_span_next(struct mfd_span_iter *it);
static inline bool mfd_span_done(const struct mfd_span_iter *it) { return it->done; }

#define mfd_for_each_span(it, a, b, first, last) \
    for (mfd_span_first((it), (a), (b), (first), (last)); !mfd_span_done(it); mfd_span_next(it))

#endif
