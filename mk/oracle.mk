# Kernel oracle (issue #10; docs/oracle.md): differential conformance of the
# mock against a real 6.12 kernel with CONFIG_IOMMUFD_TEST, booted under QEMU
# TCG. None of these run in `make test`; the golden suite (tests/golden/)
# checks the mock against the recorded kernel outputs instead.
#
#   make oracle-kernel     build (or reuse the cached) kernel
#   make oracle-selftest   upstream selftests: kernel vs mock, per-test table
#   make oracle-diff       ioctl corpus: kernel vs mock, first differing call
#   make oracle-record     re-record tests/golden/kernel-6.12/ from the kernel
.PHONY: oracle-kernel oracle-selftest oracle-diff oracle-record oracle-tools

ORACLE_CORPUS := $(wildcard tests/golden/corpus/*.ioc)

oracle-kernel:
	@bash scripts/oracle/build-kernel.sh

oracle-selftest:
	@bash scripts/oracle/selftest.sh

# The corpus runner twice: static (for the VM) and linked with the mock. Both
# carry the uapi description tables (mockfd/core/uapi_desc.c, libc and uapi
# headers only) for the corpus's symbol names: the static one compiles that
# file itself, the mock one gets it from the library (which is one relocatable
# object, so compiling it again would define its symbols twice).
IOC_SRCS := tools/oracle/runner.c tools/oracle/ioc.c
IOC_HDRS := tools/oracle/ioc.h mockfd/core/uapi_desc.h
$(B)/oracle/ioc-run: $(IOC_SRCS) $(IOC_HDRS) mockfd/core/uapi_desc.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INCS) -O2 -static -o $@ $(IOC_SRCS) mockfd/core/uapi_desc.c
$(B)/oracle/ioc-run-mock: $(IOC_SRCS) $(IOC_HDRS) $(B)/libiommuemu.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INCS) -O2 -DIOC_MOCK -o $@ $(IOC_SRCS) \
	    $(B)/libiommuemu.a $(LDLIBS)
oracle-tools: $(B)/oracle/ioc-run $(B)/oracle/ioc-run-mock

oracle-diff: oracle-tools
	@bash scripts/oracle/diff.sh

oracle-record: oracle-tools
	@bash scripts/oracle/diff.sh --record
