/* SPDX-License-Identifier: MIT */
/*
 * ioctl-stream harness: sequences of iommufd / VFIO calls on a fresh
 * /dev/iommu mock per input, with oracles after every call. Format, remapping
 * and oracles: fuzz/harness_ioctl.h and harness_ioctl.c.
 */
#include "fuzz/harness_ioctl.h"

/* Before __AFL_INIT (deferred fork server): the platform and the arena are
 * built once and inherited by every forked child. */
static void fuzz_setup(void)
{
    fuzz_ioctl_setup();
}

static void fuzz_one(const uint8_t *data, size_t len)
{
    fuzz_ioctl_one(data, len);
}

#include "fuzz/entry.h"
