/*
 * uapi compatibility test tables (see gen_compat.sh): the same generated item
 * list evaluated once against the system's linux/iommufd.h (compat_sys.c) and
 * once against ours (compat_ours.c); two translation units because both
 * headers share one include guard and one set of names.
 */
#ifndef IOMMU_EMU_TESTS_UAPI_COMPAT_H
#define IOMMU_EMU_TESTS_UAPI_COMPAT_H

#include <stddef.h>

enum compat_kind { COMPAT_K_IOCTL, COMPAT_K_ENUM, COMPAT_K_SIZE, COMPAT_K_OFF };

struct compat_item {
    int kind;
    const char *name;
    unsigned long long value;
};

/* Both tables end with a { 0, NULL, 0 } sentinel. */
extern const struct compat_item uapi_compat_sys[];
extern const struct compat_item uapi_compat_ours[];
/* Names the system header has and ours lacks; NULL-terminated. */
extern const char *const uapi_compat_missing[];
/* The system header compared against, or NULL if there was none. */
extern const char *const uapi_compat_sys_header;

#define UAPI_COMPAT_LIST "build/gen/uapi_compat_list.h"

#endif
