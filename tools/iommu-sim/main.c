/* SPDX-License-Identifier: MIT */
/*
 * iommu-sim: run scenario files against the emulated platform and print a
 * deterministic trace (contract.md §3). Each file runs in a forked child:
 * the platform is process-wide, so every scenario starts from an empty
 * machine. Exit status: 0 every expect held, 1 one failed (or a run
 * crashed), 2 usage or parse error (file:line on stderr).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../mockfd/core/mockfd_internal.h"
#include "sim.h"

const char sim_help[] =
"usage: iommu-sim [OPTIONS] FILE...      (FILE - reads stdin)\n"
"\n"
"Runs scenario files against emulated VT-d / AMD-Vi / SMMUv3 IOMMUs behind the\n"
"mock iommufd and prints a deterministic trace (no host addresses, no times).\n"
"Exit status: 0 all expects held, 1 an expect failed, 2 usage/parse error.\n"
"\n"
"Options:\n"
"  --trace=text|json   trace format (json: one JSON object per line)\n"
"  --quiet             print only failures\n"
"  --fail-nth=N        fail the Nth mockfd allocation/lookup point, check the\n"
"                      failing call returned an error, changed nothing, leaked nothing\n"
"  --fail-sweep        rerun with N = 1, 2, ... until a run completes\n"
"  --self-check        verify the uapi and fd-record field tables against the structs\n"
"  --help              this text\n"
"\n"
"Scenario language (one statement per line, # starts a comment):\n"
"  iommu NAME = MODEL[:PROFILE]        add an IOMMU (vtd, amdvi, smmuv3; profiles\n"
"                                      default, qemu, nodirty, ... per model)\n"
"  device NAME = IOMMU RID             add a device (RID/StreamID) and open its\n"
"                                      VFIO cdev fd\n"
"  buffer NAME = SIZE [pattern=BYTE]   user memory (4K multiple, <= 1G); SIZE may\n"
"                                      use K/M/G; NAME+OFF is an address in it\n"
"  fill BUF[+OFF] [len=N] pattern=B | poke BUF[+OFF] BYTE... | protect BUF none|ro|rw\n"
"  [NAME =] IOCTL [DEV] FIELD=VALUE... [size=N] [tail=BYTES] [guard] [fd=X]\n"
"      IOCTL: any iommufd ioctl, by full name (IOMMU_IOAS_MAP) or short name\n"
"      (IOAS_ALLOC, MAP, UNMAP, COPY, IOVA_RANGES, ALLOW_IOVAS, OPTION, VFIO_IOAS,\n"
"      HWPT_ALLOC, GET_HW_INFO, SET_DIRTY_TRACKING, GET_DIRTY_BITMAP, INVALIDATE,\n"
"      FAULT_QUEUE_ALLOC, VIOMMU_ALLOC, VDEVICE_ALLOC, VEVENTQ_ALLOC, HW_QUEUE_ALLOC,\n"
"      DESTROY, CHANGE_PROCESS, MAP_FILE); VFIO cdev calls on a device: BIND,\n"
"      ATTACH, DETACH, DEVICE_GET_INFO; VFIO compat on the iommufd: VFIO_IOMMU_MAP_DMA,\n"
"      ... (VFIO_CHECK_EXTENSION arg=N for value arguments).\n"
"      Every struct field is settable by its uapi name; unset fields are 0, the\n"
"      size word is sizeof(struct) unless size= is given. tail=00,00,01 (or\n"
"      tail=00 00 01) appends bytes after the struct; guard makes the memory end\n"
"      exactly at size (a read past it faults). NAME = names the new object\n"
"      (out_ioas_id, out_hwpt_id, out_devid, ...); NAME_fd names a returned fd.\n"
"      VALUES: numbers (0x10, 4096, 64K), constants by full or short name OR-ed\n"
"      with | (FIXED_IOVA|READABLE, DIRTY_TRACKING, INTEL_VTD), object names\n"
"      (ioas0), devices (dev0 = its bound device ID), buffers (buf0+0x10),\n"
"      iommufd. BIND's iommufd field defaults to the scenario's iommufd.\n"
"  let NAME = FIELD                    name a field of the last ioctl (an ID)\n"
"  dma DEV read|write iova=X len=N [pattern=B|from=BUF|into=BUF] [pasid=N]\n"
"  mmio IOMMU read REG|OFFSET [width=N]      register access by name or offset\n"
"  mmio IOMMU write REG|OFFSET VALUE [width=N]\n"
"  walk DEV iova=X [pasid=N] [write]   a 1-byte DMA printing each table level\n"
"  dump mem BUF[+OFF] [len=N]          hex dump of user memory\n"
"  open DEV|iommufd | close DEV|iommufd|FD | read FD [len=N]\n"
"                                      a fault fd / vEVENTQ fd read prints one line\n"
"                                      per record (iommu_hwpt_pgfault; vevent header +\n"
"                                      the queue type's payload), others a hex dump\n"
"  write FD [cookie=C [code=SUCCESS|INVALID]].. [bytes=HEX,..] [len=N]\n"
"                                      page responses to a fault fd (decoded)\n"
"  expect errno=ENAME|0                result of the last ioctl / dma / open / read / write\n"
"  expect ret=N\n"
"  expect FIELD=VALUE                  a field of the last ioctl's struct after the call\n"
"  expect FIELD [& MASK] ==|!= VALUE\n"
"  expect mmio IOMMU REG [& MASK] ==|!= VALUE\n"
"  expect bitmap BUF[+OFF] bits=0,1,5|none [nbits=N]   exactly these bits set\n"
"  expect data pattern=B | expect data=HEX,HEX..      data of the last dma read / read\n"
"  expect mem BUF[+OFF] [len=N] pattern=B|bytes=HEX,..\n"
"  expect log \"TEXT\" | expect log none  a driver log line of the last statement\n"
"  expect nrec=N | expect recN.FIELD=VALUE | expect recN.FIELD [& MASK] ==|!= VALUE\n"
"                                      records of the last fault/vEVENTQ read or write\n"
"                                      (rec0.cookie=1, rec2.flags=LOST_EVENTS)\n"
"  trace all|none|default|+CAT|-CAT    categories: ioctl mmio table ad fault inval\n"
"                                      xlate event dma expect setup log (table off by\n"
"                                      default)\n"
"  say TEXT                            a heading in the trace\n"
"\n"
"Trace: one line per ioctl (fields in, '= result', '-> ' fields the call changed),\n"
"indented lines for what the hardware did (mmio, fetch, set-A/D, xlate, FAULT,\n"
"inval, event), register values decoded by field. Host addresses print as\n"
"buf0+0x10 or pool+0x3000 (the driver's table pool). See docs/scenarios.md.\n"
"Record a program's ioctls as a scenario: MOCKFD_RECORD=out.scn LD_PRELOAD=\n"
"build/libmockfd-preload.so ./prog; replay with iommu-sim out.scn.\n";

/* the scenario text being run: a root for LeakSanitizer in forked children */
static char *sim_text_root;

static char *slurp(FILE *f)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);

    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);

        n += r;
        if (n + 1 < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);

        if (!nb) {
            free(buf);
            return NULL;
        }
        buf = nb;
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

int sim_run_forked(const char *name, const char *text, bool json, bool quiet,
                   unsigned long nth, int done_status)
{
    pid_t pid;
    int st;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        struct sim *s = calloc(1, sizeof(*s));
        char *copy = strdup(text);
        int rc;

        if (!s || !copy)
            _exit(2);
        sim_init(s);
        s->json = json;
        s->quiet = quiet;
        if (nth) {
            s->fail_nth = nth;
            mfd_fail_nth_set(nth);
        }
        rc = sim_run_text(s, name, copy);
        sim_fini(s);
        free(copy);
        free(s);
        fflush(stdout);
        exit(done_status >= 0 ? done_status : rc);
    }
    if (waitpid(pid, &st, 0) < 0) {
        perror("waitpid");
        return -1;
    }
    return st;
}

static int run_file(const char *name, const char *text, bool json, bool quiet)
{
    int st = sim_run_forked(name, text, json, quiet, 0, -1);

    if (st < 0)
        return 2;
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "iommu-sim: %s: crashed (signal %d)\n", name, WTERMSIG(st));
        return 1;
    }
    return WEXITSTATUS(st) > 2 ? 1 : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    bool json = false, quiet = false, sweep = false;
    unsigned long nth = 0;
    int worst = 0, nfiles = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(sim_help, stdout);
            return 0;
        } else if (!strcmp(a, "--trace=json")) {
            json = true;
        } else if (!strcmp(a, "--trace=text")) {
            json = false;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "--fail-sweep")) {
            sweep = true;
        } else if (!strncmp(a, "--fail-nth=", 11)) {
            char *end;

            nth = strtoul(a + 11, &end, 0);
            if (*end || !nth) {
                fprintf(stderr, "iommu-sim: --fail-nth wants N >= 1\n");
                return 2;
            }
        } else if (!strcmp(a, "--self-check")) {
            char msg[256];

            if (mfd_uapi_check(msg, sizeof(msg))) {
                fprintf(stderr, "iommu-sim: uapi tables: %s\n", msg);
                return 1;
            }
            if (rec_check(msg, sizeof(msg))) {
                fprintf(stderr, "iommu-sim: record tables: %s\n", msg);
                return 1;
            }
            printf("uapi tables: %zu ioctls, %zu constants, every struct byte covered\n",
                   mfd_uapi_nioctls, mfd_uapi_nconsts);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "iommu-sim: unknown option %s (see --help)\n", a);
            return 2;
        } else {
            nfiles++;
        }
    }
    if (!nfiles) {
        fprintf(stderr, "usage: iommu-sim [--trace=json] [--quiet] [--fail-nth=N|--fail-sweep] "
                        "FILE... (see --help)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        FILE *f;
        char *text;
        int rc;

        if (a[0] == '-' && a[1])
            continue;
        f = strcmp(a, "-") ? fopen(a, "r") : stdin;
        if (!f) {
            fprintf(stderr, "iommu-sim: %s: %s\n", a, strerror(errno));
            worst = 2;
            continue;
        }
        text = slurp(f);
        if (f != stdin)
            fclose(f);
        if (!text) {
            fprintf(stderr, "iommu-sim: %s: out of memory\n", a);
            return 2;
        }
        sim_text_root = text;
        if (!strcmp(a, "-"))
            a = "<stdin>";
        if (sweep || nth)
            rc = sim_fail_sweep(a, text, json, nth);
        else
            rc = run_file(a, text, json, quiet);
        free(text);
        sim_text_root = NULL;
        if (rc == 2 || (rc == 1 && worst == 0))
            worst = rc;
    }
    return worst;
}
