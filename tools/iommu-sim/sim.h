/* SPDX-License-Identifier: MIT */
/*
 * iommu-sim internals: one scenario run (struct sim), its symbols, the trace
 * emitter and the fail-nth machinery. docs/scenarios.md describes the
 * language; contract.md §3 the command line.
 */
#ifndef IOMMU_SIM_SIM_H
#define IOMMU_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../emu/emu.h"
#include "../../mockfd/core/uapi_desc.h"

#define SIM_MAXSYM 256
#define SIM_MAXTOK 64
#define SIM_NAMELEN 32

enum sym_kind { S_NONE, S_IOMMU, S_DEVICE, S_BUFFER, S_OBJ, S_FD };

struct sym {
    char name[SIM_NAMELEN];
    enum sym_kind kind;
    bool dead;                /* object destroyed / fd closed */
    uint64_t v;               /* OBJ: id; BUFFER: address; FD: fd; IOMMU/DEVICE: index */
    uint64_t len;             /* BUFFER: bytes */
    int fd;                   /* DEVICE: open cdev fd or -1 */
    int iommu;                /* DEVICE: symbol index of its IOMMU */
    uint32_t rid;             /* DEVICE */
    bool bound;               /* DEVICE: devid valid */
    uint32_t devid;           /* DEVICE */
    struct emu_iommu *hw;     /* IOMMU: model instance once known */
    enum emu_model model;     /* IOMMU */
    bool host_fd;             /* FD: a host fd of ours (memfd), close(2)d */
    int fdk;                  /* FD: SIM_FDK_* (what its read/write records are) */
    uint32_t evtype;          /* FD of a vEVENTQ: its IOMMU_VEVENTQ_TYPE_* */
};

/* What a `read` / `write` of an fd carries (records.c). */
enum { SIM_FDK_RAW, SIM_FDK_FAULT, SIM_FDK_VEVENTQ };

/* Trace categories (`trace +mmio -table`). */
enum {
    T_IOCTL = 1 << 0, T_MMIO = 1 << 1, T_TABLE = 1 << 2, T_AD = 1 << 3, T_FAULT = 1 << 4,
    T_INVAL = 1 << 5, T_XLATE = 1 << 6, T_EVENT = 1 << 7, T_DMA = 1 << 8, T_EXPECT = 1 << 9,
    T_SETUP = 1 << 10, T_LOG = 1 << 11,
    T_DEFAULT = T_IOCTL | T_MMIO | T_FAULT | T_INVAL | T_EVENT | T_DMA | T_EXPECT | T_SETUP |
                T_XLATE | T_AD | T_LOG,
};

struct sim {
    const char *file;
    int line;
    bool dry;                 /* parse pass: validate and define symbols only */
    bool json, quiet;
    unsigned trace;           /* T_* mask */
    bool in_mmio_verb;        /* an explicit mmio verb prints its own line */
    FILE *defer;              /* hardware events of a call in flight */
    char *defer_buf;
    size_t defer_len;
    int iommufd;

    struct sym syms[SIM_MAXSYM];
    int nsym;

    /* the last ioctl / dma, for expect */
    const struct mfd_uioctl *last_u;
    unsigned char last[512];
    size_t last_len;
    long last_ret;
    int last_err;
    bool have_last;
    unsigned char *dma_data;
    size_t dma_len;

    /* the records of the last read / write of a fault or vEVENTQ fd
     * (records.c), for `expect recN.FIELD` */
    struct srec {
        const struct mfd_ustruct *hdr, *pay;   /* pay NULL: header only */
        size_t off;                            /* in rec_data */
    } recs[256];
    int nrec;
    unsigned char *rec_data;
    size_t rec_len;
    bool have_recs;

    /* the drivers' log lines (mockfd/core/platform.h) of the last
     * statement that ran, for `expect log` */
    char **logs;
    int nlog, caplog;

    int failed;               /* expects that did not hold */

    /* fail-nth (sweep.c) */
    unsigned long fail_nth;   /* 0: off */
    unsigned long fail_consumed;
    bool fail_hit;
    int fail_violations;

    /* address symbolisation (trace.c) */
    uint64_t pool_base, pool_len;
    bool pool_searched;
    uint64_t *tpages;         /* pool pages, numbered by first appearance */
    size_t ntpages, captpages;
    /* the platform's table pool membership test (plat->table_ptr) */
    const uint64_t *(*table_ptr)(uint64_t gpa);
};

/* ---- run.c ---- */
int sim_run_text(struct sim *s, const char *file, char *text);  /* 0 ok, 1 expect, 2 parse */
void sim_init(struct sim *s);
void sim_fini(struct sim *s);
/* parse / runtime error: prints file:line and exits the run with 2 */
_Noreturn void sim_die(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- value.c ---- */
struct sym *sym_find(struct sim *s, const char *name);
struct sym *sym_new(struct sim *s, const char *name, enum sym_kind k);
/* Parse a value for field f (NULL: plain number/symbol). 0 or -1. */
int val_parse(struct sim *s, const struct mfd_ufield *f, const char *str, uint64_t *out);
uint64_t val_num(struct sim *s, const char *str);   /* dies on error */
/* Print value v of field f symbolically. */
void val_print(struct sim *s, const struct mfd_ufield *f, uint64_t v, char *buf, size_t len);
int val_bytes(struct sim *s, const char *str, unsigned char *out, size_t max); /* "00,01" */
const char *sym_of_id(struct sim *s, uint64_t id);

/* ---- trace.c ---- */
/* A trace record: event kind, key/value pairs rendered as text or JSON. */
struct trec {
    const char *ev;
    char head[512];           /* text-mode headline */
    int n;
    struct { const char *sec; char k[40]; char v[256]; } kv[64];
};
void tr_begin(struct trec *t, const char *ev);
void tr_kv(struct trec *t, const char *sec, const char *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tr_emit(struct sim *s, struct trec *t, unsigned cat, const char *text);
void defer_start(struct sim *s);
void defer_flush(struct sim *s);
void sim_say(struct sim *s, unsigned cat, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Address / value symbolisation: "buf0+0x10", "pool+0x3000|0x3". */
void sym_addr(struct sim *s, uint64_t v, char *buf, size_t len);
void sym_val(struct sim *s, uint64_t v, char *buf, size_t len);
void sym_text(struct sim *s, const char *in, char *out, size_t len);
void sim_hook(void *opaque, const struct emu_iommu *iommu, const struct emu_trace_rec *rec);
/* mfd_platform_log_hook: a driver's log line (traced, kept for expect log) */
void sim_log_hook(void *arg, int index, struct emu_iommu *hw, const char *line);
void sim_logs_clear(struct sim *s);
const char *iommu_symname(struct sim *s, const struct emu_iommu *hw);

/* ---- records.c: fault-fd and vEVENTQ-fd records ---- */
/* Decode `len` bytes read from (or written to) fd symbol y into s->recs and
 * trace one line per record; false if y carries no records (raw fd). */
bool rec_decode(struct sim *s, const struct sym *y, const unsigned char *p, size_t len, bool write);
/* `expect recN.FIELD ...`: the field (NULL: unknown) and its value. */
const struct mfd_ufield *rec_field(struct sim *s, const char *lhs, uint64_t *v);
bool rec_lhs(const char *lhs);     /* syntax of recN.FIELD / nrec (parse pass) */
int rec_check(char *buf, size_t len);   /* --self-check of the record tables */
/* Extra constants of the record structs (not ioctl fields), for values. */
extern const struct mfd_uconst sim_consts[];
extern const size_t sim_nconsts;

/* ---- sweep.c ---- */
void fail_before(struct sim *s);                      /* around one statement */
void fail_after(struct sim *s, const char *what, bool returned_error, bool is_ioctl);
int sim_fail_sweep(const char *file, const char *text, bool json, unsigned long only);
/* Run scenario `text` in a forked child (the mock's state is process-wide:
 * a fresh one per run), with fail-nth point `nth` armed if non-zero. The
 * child exits with sim_run_text's status, or with done_status if that is
 * >= 0 and the run completes (main.c). The wait status, or -1 (reported). */
int sim_run_forked(const char *name, const char *text, bool json, bool quiet,
                   unsigned long nth, int done_status);
extern struct sim *sim_current;

/* ---- main.c ---- */
extern const char sim_help[];

#endif
