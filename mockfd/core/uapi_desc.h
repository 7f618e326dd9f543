/* SPDX-License-Identifier: MIT */
/*
 * Descriptions of the iommufd / VFIO cdev ABI (uapi/linux/iommufd.h,
 * uapi/linux/vfio.h) by name: every field of every ioctl struct (name,
 * offset, size, how to print it), the named constants, the ioctl numbers and
 * the errno names. Shared by iommu-sim (scenario parser and trace), the
 * MOCKFD_RECORD recorder (record.c) and the kernel-oracle corpus runner
 * (tools/oracle/ioc.c). The tables live in mockfd/core/uapi_desc.c, which
 * needs only libc and the uapi headers, so the oracle's -static in-guest
 * runner links it without the mock. Offsets and sizes are offsetof/sizeof of
 * the uapi structs themselves, and mfd_uapi_check() verifies that each table
 * covers its struct byte for byte and that no name is listed twice.
 */
#ifndef IOMMU_EMU_MOCKFD_UAPI_DESC_H
#define IOMMU_EMU_MOCKFD_UAPI_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mfd_ufk {
    MFD_UF_NUM,     /* plain integer (byte arrays of other sizes print as hex bytes) */
    MFD_UF_SIZE,    /* the size / argsz word */
    MFD_UF_ID,      /* an iommufd object ID */
    MFD_UF_PTR,     /* a user pointer */
    MFD_UF_FD,      /* a file descriptor */
    MFD_UF_FLAGS,   /* OR of constants named prefix* */
    MFD_UF_ENUM,    /* one constant named prefix* */
};

struct mfd_ufield {
    const char *name;
    unsigned off, size;
    enum mfd_ufk kind;
    const char *prefix;     /* constants for FLAGS/ENUM ("IOMMU_IOAS_MAP_") */
    /* PTR: the length of the pointed-to memory is field `lenfield` times
     * lenmul (lenfield NULL: lenmul bytes); lenmul 0 with lenfield: a
     * dirty bitmap (length / page_size bits). In: the kernel reads it. */
    const char *lenfield;
    unsigned lenmul;
    int in;
};

struct mfd_ustruct {
    const char *name;
    unsigned size;
    const struct mfd_ufield *f;
    unsigned nf;
};

struct mfd_uconst {
    const char *name;
    uint64_t val;
};

enum mfd_ufd {
    MFD_UFD_IOMMUFD,   /* issued on /dev/iommu */
    MFD_UFD_DEVICE,    /* issued on a VFIO cdev device fd */
};

struct mfd_uioctl {
    const char *name;            /* IOMMU_IOAS_MAP */
    const char *alias;           /* MAP (scenario shorthand) */
    unsigned long req;
    const struct mfd_ustruct *st;  /* NULL: the argument is a value (VFIO compat) */
    enum mfd_ufd fdk;
    const char *result;          /* field naming the new object, or NULL */
};

extern const struct mfd_uioctl mfd_uapi_ioctls[];
extern const size_t mfd_uapi_nioctls;
extern const struct mfd_uconst mfd_uapi_consts[];
extern const size_t mfd_uapi_nconsts;
extern const struct mfd_ustruct mfd_uapi_payloads[];   /* hw_info payloads etc. */
extern const size_t mfd_uapi_npayloads;

const struct mfd_uioctl *mfd_uapi_ioctl_by_req(unsigned long req);
const struct mfd_uioctl *mfd_uapi_ioctl_by_name(const char *name);
const struct mfd_ufield *mfd_uapi_field(const struct mfd_ustruct *st, const char *name);
/* IOMMU_TEST_CMD's union: the member op uses ("mock_domain", "dirty", ...),
 * NULL for an unknown op; and whether field f of st is live in cmd (fields
 * named "member.field" only when op selects member; all others always). */
const char *mfd_uapi_test_member(uint32_t op);
bool mfd_uapi_field_active(const struct mfd_ustruct *st, const struct mfd_ufield *f,
                           const void *cmd);
/* The value of a constant (mfd_uapi_consts) or ioctl number (by its full
 * name in mfd_uapi_ioctls, no aliases): 0 and *out set, or -1 if unknown. */
int mfd_uapi_value(const char *name, uint64_t *out);
/* "ENOENT" for ENOENT, NULL if unknown; and back (-1 if unknown). */
const char *mfd_errno_name(int e);
int mfd_errno_value(const char *name);
/* 0 if every table covers its struct exactly and no constant or ioctl name
 * is listed twice, else -1 and a message in buf. */
int mfd_uapi_check(char *buf, size_t len);
/* Read / write a little-endian field of `size` bytes (1, 2, 4, 8). */
uint64_t mfd_uapi_get(const void *base, const struct mfd_ufield *f);
void mfd_uapi_set(void *base, const struct mfd_ufield *f, uint64_t v);

/* MOCKFD_RECORD: called first thing in mockfd_ioctl. Returns MFD_RECORD_PASS
 * when not recording (or re-entered); otherwise performs the ioctl itself,
 * records it, and returns its result. */
#define MFD_RECORD_PASS (-0x7fffffff)
int mfd_record_ioctl(int fd, unsigned long request, void *arg);

#endif
