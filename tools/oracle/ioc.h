/* SPDX-License-Identifier: MIT */
/*
 * ioc: the oracle's ioctl corpus interpreter (issue #10, docs/oracle.md
 * "Corpus format"). One program is a text file of calls; running it against a
 * backend (the real /dev/iommu, or the mock) yields one result line per call,
 * and two backends agree when their result lines are equal.
 *
 * Line grammar (one call per non-blank, non-comment line; '#' starts a
 * comment; call indexes count from 0):
 *   open                      open /dev/iommu; becomes fd slot 0, 1, ...
 *   close F                   close fd slot F
 *   ioctl F CMD FIELD...      ioctl(fd[F], CMD, &struct) where the struct is
 *                             the concatenation of FIELDs (little-endian)
 *   ioctlv F CMD VALUE        ioctl(fd[F], CMD, VALUE) (integer argument)
 *   ioctlp F CMD PTR          ioctl(fd[F], CMD, PTR): PTR is null or fault
 *   fd C.O                    the u32 at offset O of call C's struct (an
 *                             out_*_fd) becomes the next fd slot
 *   read F N                  read(fd[F], N bytes); the bytes read are this
 *                             call's struct (for id C.O)
 *   write F FIELD...          write(fd[F], struct)
 * FIELD:
 *   u8|u16|u32|u64 EXPR       a literal; EXPR is NUM or SYMBOL joined by '|'
 *   id C.O / id64 C.O         u32 / u64 read from call C's struct after it ran
 *   pad N                     N zero bytes
 *   buf N [=L] [:HEX]         u64 pointer to a fresh N-byte buffer, zeroed
 *                             or starting with HEX; its bytes are part of
 *                             the result line
 *   mem N [=L]                u64 pointer to N bytes of patterned memory to map
 *                             (not printed)
 *   ptr L[+OFF]               u64 pointer into the buffer labelled L
 *   null / fault              u64 0 / a pointer to a PROT_NONE page
 *   mask OFF LEN              (no bytes) print these struct bytes as '?'
 *                             (fd numbers, which differ between backends)
 * Every buffer is 2 MiB aligned, so alignment-derived results (auto IOVA)
 * do not depend on where the backend's mmap put it. Pointer fields print as
 * 'P' so that addresses never enter a result.
 *
 * Result line: "<idx> <verb> [CMD] ret=<r> errno=<NAME> [out=<hex>] [b<k>=<hex>]..."
 */
#ifndef IOMMU_EMU_ORACLE_IOC_H
#define IOMMU_EMU_ORACLE_IOC_H

#include <stddef.h>

struct ioc_backend {
    int (*open)(void);                                 /* fd or -1/errno */
    int (*ioctl)(int fd, unsigned long req, void *arg); /* ioctl(2) contract */
    int (*close)(int fd);
    long (*read)(int fd, void *buf, size_t n);        /* read(2) contract */
    long (*write)(int fd, const void *buf, size_t n);
};

/* Run program `text`; the result lines (and, on a syntax error, one line
 * "error: line N: why") are returned in *out (malloc'd, caller frees).
 * Returns 0, or -1 after a syntax error (the program stops there). */
int ioc_run(const struct ioc_backend *be, const char *text, char **out);

#endif
