/* SPDX-License-Identifier: MIT */
/*
 * Augmented AVL interval tree (see itree.h). Ordered by (start, node address);
 * each node carries the maximum `last` of its subtree so that overlap queries
 * prune whole subtrees, like the kernel's lib/interval_tree.c.
 */
#include "itree.h"

static int height(const struct mfd_itree_node *n) { return n ? n->height : 0; }

static void update(struct mfd_itree_node *n)
{
    int hl = height(n->left), hr = height(n->right);

    n->height = 1 + (hl > hr ? hl : hr);
    n->subtree_last = n->last;
    if (n->left && n->left->subtree_last > n->subtree_last)
        n->subtree_last = n->left->subtree_last;
    if (n->right && n->right->subtree_last > n->subtree_last)
        n->subtree_last = n->right->subtree_last;
}

static void replace_child(struct mfd_itree *t, struct mfd_itree_node *parent,
                          struct mfd_itree_node *old, struct mfd_itree_node *new)
{
    if (!parent)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

static struct mfd_itree_node *rotate_left(struct mfd_itree *t, struct mfd_itree_node *x)
{
    struct mfd_itree_node *y = x->right;

    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static struct mfd_itree_node *rotate_right(struct mfd_itree *t, struct mfd_itree_node *x)
{
    struct mfd_itree_node *y = x->left;

    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static struct mfd_itree_node *rebalance(struct mfd_itree *t, struct mfd_itree_node *n)
{
    int bf;

    update(n);
    bf = height(n->left) - height(n->right);
    if (bf > 1) {
        if (height(n->left->left) < height(n->left->right))
            rotate_left(t, n->left);
        return rotate_right(t, n);
    }
    if (bf < -1) {
        if (height(n->right->right) < height(n->right->left))
            rotate_right(t, n->right);
        return rotate_left(t, n);
    }
    return n;
}

/* Heights and subtree maxima change on the whole path to the root. */
static void fixup(struct mfd_itree *t, struct mfd_itree_node *n)
{
    while (n) {
        n = rebalance(t, n);
        n = n->parent;
    }
}

static bool less(const struct mfd_itree_node *a, const struct mfd_itree_node *b)
{
    if (a->start != b->start)
        return a->start < b->start;
    return (uintptr_t)a < (uintptr_t)b;
}

void mfd_itree_insert(struct mfd_itree *t, struct mfd_itree_node *n)
{
    struct mfd_itree_node **link = &t->root, *p = NULL;

    n->left = n->right = NULL;
    n->height = 1;
    n->subtree_last = n->last;
    while (*link) {
        p = *link;
        link = less(n, p) ? &p->left : &p->right;
    }
    *link = n;
    n->parent = p;
    t->count++;
    fixup(t, p);
}

/* Exchange the tree positions of n and its in-order successor s (s has no
 * left child and lies in n's right subtree). Nodes are embedded, so the
 * links move rather than the payloads. */
static void swap_with_successor(struct mfd_itree *t, struct mfd_itree_node *n,
                                struct mfd_itree_node *s)
{
    struct mfd_itree_node *np = n->parent, *nl = n->left, *nr = n->right;
    struct mfd_itree_node *sp = s->parent, *sr = s->right;
    int h = n->height;

    n->height = s->height;
    s->height = h;
    replace_child(t, np, n, s);
    s->left = nl;
    nl->parent = s;
    if (sp == n) {
        s->right = n;
        n->parent = s;
    } else {
        s->right = nr;
        nr->parent = s;
        sp->left = n;
        n->parent = sp;
    }
    n->left = NULL;
    n->right = sr;
    if (sr)
        sr->parent = n;
}

void mfd_itree_remove(struct mfd_itree *t, struct mfd_itree_node *n)
{
    struct mfd_itree_node *child, *parent;

    if (n->left && n->right) {
        struct mfd_itree_node *s = n->right;

        while (s->left)
            s = s->left;
        swap_with_successor(t, n, s);
    }
    child = n->left ? n->left : n->right;
    parent = n->parent;
    replace_child(t, parent, n, child);
    n->left = n->right = n->parent = NULL;
    t->count--;
    fixup(t, parent);
}

/* First node in order, within the subtree of n, intersecting [start, last];
 * requires n->subtree_last >= start. */
static struct mfd_itree_node *subtree_search(struct mfd_itree_node *n, uint64_t start,
                                             uint64_t last)
{
    for (;;) {
        if (n->left && n->left->subtree_last >= start) {
            n = n->left;
            continue;
        }
        if (n->start <= last) {
            if (start <= n->last)
                return n;
            if (n->right) {
                n = n->right;
                if (n->subtree_last >= start)
                    continue;
            }
        }
        return NULL;
    }
}

struct mfd_itree_node *mfd_itree_iter_first(const struct mfd_itree *t, uint64_t start,
                                            uint64_t last)
{
    if (!t->root || t->root->subtree_last < start)
        return NULL;
    return subtree_search(t->root, start, last);
}

struct mfd_itree_node *mfd_itree_iter_next(struct mfd_itree_node *n, uint64_t start,
                                           uint64_t last)
{
    struct mfd_itree_node *r = n->right, *prev;

    for (;;) {
        if (r && r->subtree_last >= start)
            return subtree_search(r, start, last);
        /* Climb until we arrive from a left child. */
        do {
            prev = n;
            n = n->parent;
            if (!n)
                return NULL;
            r = n->right;
        } while (prev == r);
        if (last < n->start)
            return NULL;
        if (start <= n->last)
            return n;
    }
}

bool mfd_itree_max_last_upto(const struct mfd_itree *t, uint64_t p, uint64_t *out)
{
    const struct mfd_itree_node *n = t->root;
    bool found = false;
    uint64_t best = 0;

    while (n) {
        if (n->start <= p) {
            uint64_t cand = n->last;

            if (n->left && n->left->subtree_last > cand)
                cand = n->left->subtree_last;
            if (!found || cand > best)
                best = cand;
            found = true;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    if (found)
        *out = best;
    return found;
}

bool mfd_itree_lower_start(const struct mfd_itree *t, uint64_t p, uint64_t *out)
{
    const struct mfd_itree_node *n = t->root;
    bool found = false;

    while (n) {
        if (n->start >= p) {
            *out = n->start;
            found = true;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return found;
}

/* ---- spans ------------------------------------------------------------------ */

static bool covered_at(const struct mfd_span_iter *it, uint64_t q, uint64_t *run_last)
{
    bool found = false;
    uint64_t best = 0, m;

    for (int i = 0; i < it->ntrees; i++) {
        if (mfd_itree_max_last_upto(it->trees[i], q, &m) && m >= q && (!found || m > best)) {
            best = m;
            found = true;
        }
    }
    if (found)
        *run_last = best;
    return found;
}

void mfd_span_first(struct mfd_span_iter *it, const struct mfd_itree *a,
                    const struct mfd_itree *b, uint64_t first, uint64_t last)
{
    it->trees[0] = a;
    it->trees[1] = b;
    it->ntrees = b ? 2 : 1;
    it->first = first;
    it->last = last;
    it->pos = first;
    it->exhausted = first > last;
    it->done = false;
    it->is_hole = false;
    it->start_span = it->last_span = 0;
    mfd_span_next(it);
}

/* Classify the span starting at it->pos. A used span merges overlapping and
 * adjacent nodes of both trees, as the kernel's interval_tree_span_iter. */
void mfd_span_next(struct mfd_span_iter *it)
{
    uint64_t p, run_last = 0, q;
    bool covered = false;

    if (it->exhausted) {
        it->done = true;
        return;
    }
    p = it->pos;
    q = p;
    while (covered_at(it, q, &run_last)) {
        covered = true;
        if (run_last >= it->last)
            break;
        q = run_last + 1;
    }
    it->start_span = p;
    if (covered) {
        it->is_hole = false;
        it->last_span = run_last < it->last ? run_last : it->last;
    } else {
        uint64_t ns = 0, s;
        bool have = false;

        for (int i = 0; i < it->ntrees; i++) {
            if (mfd_itree_lower_start(it->trees[i], p, &s) && (!have || s < ns)) {
                ns = s;
                have = true;
            }
        }
        /* Not covered at p, so every later node starts above p: ns > p. */
        it->is_hole = true;
        it->last_span = (have && ns - 1 < it->last) ? ns - 1 : it->last;
    }
    if (it->last_span == it->last)
        it->exhausted = true;       /* the next call ends the walk */
    else
        it->pos = it->last_span + 1;
}
