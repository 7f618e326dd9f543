/* The compatibility items evaluated against our uapi/linux/iommufd.h. */
#include <linux/iommufd.h>

#include "tests/uapi/compat.h"

#define UAPI_COMPAT_SECTION 2
#define COMPAT_IOCTL(n) { COMPAT_K_IOCTL, #n, (unsigned long long)(n) },
#define COMPAT_ENUM(n) { COMPAT_K_ENUM, #n, (unsigned long long)(n) },
#define COMPAT_SIZE(s) { COMPAT_K_SIZE, #s, sizeof(struct s) },
#define COMPAT_OFF(s, f) { COMPAT_K_OFF, #s "." #f, offsetof(struct s, f) },
#define COMPAT_MISSING(w)
const struct compat_item uapi_compat_ours[] = {
#include UAPI_COMPAT_LIST
    { 0, NULL, 0 },
};
#undef COMPAT_IOCTL
#undef COMPAT_ENUM
#undef COMPAT_SIZE
#undef COMPAT_OFF
#undef COMPAT_MISSING

#define COMPAT_IOCTL(n)
#define COMPAT_ENUM(n)
#define COMPAT_SIZE(s)
#define COMPAT_OFF(s, f)
#define COMPAT_MISSING(w) w,
const char *const uapi_compat_missing[] = {
#include UAPI_COMPAT_LIST
    NULL,
};
