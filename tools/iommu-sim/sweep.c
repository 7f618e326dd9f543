/* SPDX-License-Identifier: MIT */
/*
 * Fault injection (peers.md §2.5 item 3; the kernel's iommufd_fail_nth.c):
 * mockfd has one failure point, mfd_should_fail(), on every allocation and
 * lookup that can fail in the kernel. --fail-nth=N fails the Nth point of a
 * run; --fail-sweep reruns the scenario with N = 1, 2, ... in a forked child
 * each time until a run completes without reaching N. At the failing
 * statement it checks that
 *   - the call returned an error,
 *   - an ioctl changed no state: the object table (ID, type, users) and
 *     every IOAS's areas, read before and after (with injection disarmed),
 *   - no fd was left behind (count of /proc/self/fd),
 *   - nothing leaked (LSan's recoverable check, ASan build),
 *   - and the process did not crash (the parent sees the child's status).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../mockfd/core/io_pagetable.h"
#include "../../mockfd/core/mockfd_internal.h"
#include "../../mockfd/mockfd.h"
#include "sim.h"

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

#define SNAP_MAX 8192

struct snap {
    size_t n;
    uint64_t w[SNAP_MAX];
};

static struct snap pre_snap, post_snap;
static int pre_fds;

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    /* not the library's own cached fds (mfd_private_fd): opened by the
     * first call that needs them, whichever that is */
    while ((e = readdir(d)))
        n += e->d_name[0] != '.' && !mfd_private_fd(atoi(e->d_name));
    closedir(d);
    return n - 1;   /* the directory's own fd */
}

static void put(struct snap *sn, uint64_t v)
{
    if (sn->n < SNAP_MAX)
        sn->w[sn->n++] = v;
}

/* The iommufd's objects and IOAS areas, through mockfd's own tables. */
static void take(struct sim *s, struct snap *sn)
{
    struct mfd_file *f;
    struct mfd_ctx *ctx;
    struct mfd_obj *o;
    uint32_t id = 0;

    sn->n = 0;
    if (s->iommufd < 0 || !(f = mfd_file_get(s->iommufd)))
        return;
    ctx = mfd_ctx_from_file(f);
    while (ctx && (o = mfd_obj_next(ctx, id))) {
        id = o->id;
        put(sn, o->id);
        put(sn, (uint64_t)o->type);
        put(sn, (uint64_t)o->users);
        if (o->type == MFD_OBJ_IOAS) {
            struct mfd_ioas *ioas = mfd_container_of(o, struct mfd_ioas, obj);

            for (struct iopt_area *a = iopt_area_iter_first(&ioas->iopt, 0, UINT64_MAX); a;
                 a = iopt_area_iter_next(a, 0, UINT64_MAX)) {
                put(sn, iopt_area_iova(a));
                put(sn, iopt_area_last_iova(a));
                put(sn, iopt_area_uva(a));
            }
        }
    }
    mfd_file_put(f);
}

/* Disarm, run fn, re-arm with the points still to go. */
static void pause_take(struct sim *s, struct snap *sn)
{
    s->fail_consumed += mfd_fail_nth_count();
    mfd_fail_nth_set(0);
    take(s, sn);
    if (!s->fail_hit && s->fail_consumed < s->fail_nth)
        mfd_fail_nth_set(s->fail_nth - s->fail_consumed);
}

void fail_before(struct sim *s)
{
    if (!s->fail_nth || s->fail_hit || s->dry)
        return;
    pause_take(s, &pre_snap);
    pre_fds = count_fds();
}

void fail_after(struct sim *s, const char *what, bool returned_error, bool is_ioctl)
{
    int err = errno, fds;
    const char *en;
    char why[256] = "";
    size_t o = 0;

    if (!s->fail_nth || s->fail_hit || s->dry)
        return;
    if (s->fail_consumed + mfd_fail_nth_count() < s->fail_nth)
        return;
    s->fail_hit = true;
    s->fail_consumed += mfd_fail_nth_count();
    mfd_fail_nth_set(0);
    en = returned_error ? mfd_errno_name(err) : NULL;
    if (!returned_error)
        o += (size_t)snprintf(why + o, sizeof(why) - o, " the call succeeded;");
    if (is_ioctl) {
        take(s, &post_snap);
        if (post_snap.n != pre_snap.n ||
            memcmp(post_snap.w, pre_snap.w, pre_snap.n * sizeof(uint64_t)))
            o += (size_t)snprintf(why + o, sizeof(why) - o, " objects/areas changed;");
    }
    fds = count_fds();
    if (fds != pre_fds)
        o += (size_t)snprintf(why + o, sizeof(why) - o, " fd count %d -> %d;", pre_fds, fds);
    if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check())
        o += (size_t)snprintf(why + o, sizeof(why) - o, " LeakSanitizer reported a leak;");
    if (o)
        s->fail_violations++;
    printf("fail-nth %lu: %s:%d %s -> %s: %s%s\n", s->fail_nth, s->file, s->line, what,
           returned_error ? (en ? en : "error") : "success", o ? "VIOLATION" : "ok", why);
    fflush(stdout);
    /* the run ends at the injected failure: what follows would test the
     * scenario's expectations, not the error path */
    sim_fini(s);
    exit(o ? 1 : 0);
}

int sim_fail_sweep(const char *file, const char *text, bool json, unsigned long only)
{
    unsigned long n, points = 0, bad = 0;

    for (n = only ? only : 1; n < 1000000; n++) {
        int st;

        /* a child that completes without reaching point n exits 3 */
        st = sim_run_forked(file, text, json, !only, n, only ? -1 : 3);
        if (st < 0)
            return 2;
        if (WIFSIGNALED(st)) {
            printf("fail-nth %lu: %s: CRASH (signal %d)\n", n, file, WTERMSIG(st));
            bad++;
            points++;
        } else if (WEXITSTATUS(st) == 3 && !only) {
            break;
        } else if (WEXITSTATUS(st) == 2) {
            return 2;
        } else {
            points++;
            bad += WEXITSTATUS(st) != 0;
        }
        if (only)
            break;
    }
    if (!only)
        printf("fail-sweep %s: %lu failure points, %lu violations\n", file, points, bad);
    return bad ? 1 : 0;
}
