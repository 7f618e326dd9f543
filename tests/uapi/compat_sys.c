/* The compatibility items evaluated against the system's (older)
 * linux/iommufd.h, included by absolute path so that -Iuapi cannot redirect
 * it to ours. Nothing of ours may be included in this translation unit. */
#include "tests/uapi/compat.h"

#define UAPI_COMPAT_SECTION 1
#include UAPI_COMPAT_LIST
#undef UAPI_COMPAT_SECTION

#ifdef UAPI_COMPAT_SYS_HEADER
#include UAPI_COMPAT_SYS_HEADER
const char *const uapi_compat_sys_header = UAPI_COMPAT_SYS_HEADER;
#else
const char *const uapi_compat_sys_header = NULL;
#endif

#define UAPI_COMPAT_SECTION 2
#define COMPAT_IOCTL(n) { COMPAT_K_IOCTL, #n, (unsigned long long)(n) },
#define COMPAT_ENUM(n) { COMPAT_K_ENUM, #n, (unsigned long long)(n) },
#define COMPAT_SIZE(s) { COMPAT_K_SIZE, #s, sizeof(struct s) },
#define COMPAT_OFF(s, f) { COMPAT_K_OFF, #s "." #f, offsetof(struct s, f) },
#define COMPAT_MISSING(w)
const struct compat_item uapi_compat_sys[] = {
#include UAPI_COMPAT_LIST
    { 0, NULL, 0 },
};
