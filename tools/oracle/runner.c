/* SPDX-License-Identifier: MIT */
/*
 * ioc-run: run ioctl corpus programs (tools/oracle/ioc.h) and print their
 * result lines, each program under a "== <name>" header.
 *
 *   ioc-run FILE...        built static: against the real /dev/iommu (in the
 *                          oracle VM)
 *   ioc-run-mock FILE...   built with -DIOC_MOCK and linked with the mock:
 *                          against mockfd (set MOCKFD_KERNEL=6.12 to compare
 *                          with the 6.12 kernel)
 *
 * Exit status: 0, or 1 if a file could not be read or had a syntax error.
 */
#include "tools/oracle/ioc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef IOC_MOCK
#include "mockfd/mockfd.h"

static const struct ioc_backend backend = {
    .open = mockfd_open, .ioctl = mockfd_ioctl, .close = mockfd_close,
    .read = mockfd_read, .write = mockfd_write,
};
#else
static int dev_open(void)
{
    return open("/dev/iommu", O_RDWR | O_CLOEXEC);
}

static int dev_ioctl(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg);
}

static long dev_read(int fd, void *buf, size_t n)
{
    return read(fd, buf, n);
}

static long dev_write(int fd, const void *buf, size_t n)
{
    return write(fd, buf, n);
}

static const struct ioc_backend backend = {
    .open = dev_open, .ioctl = dev_ioctl, .close = close,
    .read = dev_read, .write = dev_write,
};
#endif

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (s = malloc((size_t)n + 1)) != NULL) {
        if (fread(s, 1, (size_t)n, f) != (size_t)n) {
            free(s);
            s = NULL;
        } else {
            s[n] = 0;
        }
    }
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    int rc = 0;

    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    for (int i = 1; i < argc; i++) {
        const char *base = strrchr(argv[i], '/');
        char *text = slurp(argv[i]), *out = NULL;

        base = base ? base + 1 : argv[i];
        printf("== %s\n", base);
        if (!text) {
            printf("error: cannot read %s\n", argv[i]);
            rc = 1;
            continue;
        }
        if (ioc_run(&backend, text, &out))
            rc = 1;
        fputs(out ? out : "", stdout);
        free(out);
        free(text);
    }
    printf("== end\n");
    return rc;
}
