#include <errno.h>
#include "emu/core/emu_internal.h"
#include "tests/common/test_util.h"

Test(smoke, no_model_linked)
{
    struct emu_mem *m = emu_mem_new();
    errno = 0;
    cr_assert_null(emu_iommu_new(EMU_VTD, NULL, m));
    cr_assert_eq(errno, EINVAL);
    cr_assert_null(emu_iommu_new(EMU_AMDVI, NULL, m));
    cr_assert_null(emu_iommu_new(EMU_SMMUV3, NULL, m));
    cr_assert_null(emu_iommu_new((enum emu_model)42, NULL, m));
    cr_assert_eq(errno, EINVAL);
    emu_mem_free(m);
    ASSERT_NO_LEAKS();
}
