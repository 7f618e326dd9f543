# iommu-emu top-level Makefile.
#
# Three builds of the same sources, in separate trees:
#   build/        -O2 -g            (the library, tools, benchmarks)
#   build-asan/   ASan + UBSan      (make test runs the suite here too)
#   build-cov/    --coverage -O0    (make coverage, see mk/coverage.mk)
# Library sources are grouped into components (one directory each). A test
# suite tests/<suite>/ links only the components it names in TDEPS_<suite>,
# so a suite of one model builds without the others.

PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

CC      ?= cc
comma := ,
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
DEFS    := -D_GNU_SOURCE
INCS    := -I. -Iuapi
OPT     ?= -O2 -g
BASE_CFLAGS := $(WARN) $(DEFS) $(INCS) -fPIC -pthread -fvisibility=default
LDLIBS  := -pthread -ldl

SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
COV_FLAGS := -O0 -g --coverage

COMPONENTS := emu/core emu/vtd emu/amdvi emu/smmuv3 mockfd/core mockfd/drivers
comp_srcs = $(wildcard $(1)/*.c)
LIB_SRCS  := $(foreach c,$(COMPONENTS),$(call comp_srcs,$(c)))

# Which components each test suite links (default: all).
TDEPS_core   := emu/core
TDEPS_vtd    := emu/core emu/vtd
TDEPS_amdvi  := emu/core emu/amdvi
TDEPS_smmuv3 := emu/core emu/smmuv3
TDEPS_uapi   :=
tdeps = $(if $(filter undefined,$(origin TDEPS_$(1))),$(COMPONENTS),$(TDEPS_$(1)))

TEST_SUITES := $(notdir $(patsubst %/,%,$(dir $(wildcard tests/*/*.c))))
TEST_SUITES := $(sort $(filter-out common,$(TEST_SUITES)))

CRIT_CFLAGS := $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# ---------------------------------------------------------------------------
# build_tree(DIR, CFLAGS, LDFLAGS): rules for one build tree.
define build_tree
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $(2) -MMD -MP -c $$< -o $$@

-include $$(shell find $(1)/obj -name '*.d' 2>/dev/null)
endef

# suite_rule(TREE, SUITE, CFLAGS, LDFLAGS): one Criterion binary per suite.
define suite_rule
$(1)/tests/$(2): $(patsubst %.c,$(1)/obj/%.o,$(wildcard tests/$(2)/*.c) $(foreach c,$(call tdeps,$(2)),$(call comp_srcs,$(c))))
	@mkdir -p $$(dir $$@)
	$$(CC) $(3) $(4) -o $$@ $$^ $$(CRIT_LIBS) $$(LDLIBS)
endef

B := build
A := build-asan
C := build-cov
CFLAGS_B := $(BASE_CFLAGS) $(OPT) $(CRIT_CFLAGS)
CFLAGS_A := $(BASE_CFLAGS) $(SAN_FLAGS) $(CRIT_CFLAGS)
CFLAGS_C := $(BASE_CFLAGS) $(COV_FLAGS) $(CRIT_CFLAGS)
$(eval $(call build_tree,$(B),$(CFLAGS_B),))
$(eval $(call build_tree,$(A),$(CFLAGS_A),-fsanitize=address,undefined))
$(eval $(call build_tree,$(C),$(CFLAGS_C),--coverage))
$(foreach t,$(TEST_SUITES),$(eval $(call suite_rule,$(B),$(t),$(CFLAGS_B),)))
$(foreach t,$(TEST_SUITES),$(eval $(call suite_rule,$(A),$(t),$(CFLAGS_A),-fsanitize=address$(comma)undefined)))
$(foreach t,$(TEST_SUITES),$(eval $(call suite_rule,$(C),$(t),$(CFLAGS_C),--coverage)))

LIB_OBJS_B := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS))
LIB_OBJS_A := $(patsubst %.c,$(A)/obj/%.o,$(LIB_SRCS))
SHIM_SRCS  := $(wildcard mockfd/shim/*.c)
SIM_SRCS   := $(wildcard tools/iommu-sim/*.c)
EXAMPLES   := $(patsubst examples/%.c,%,$(wildcard examples/*.c))
BENCHES    := $(patsubst bench/%.c,%,$(wildcard bench/*.c))

.PHONY: all lib deps test test-unit test-asan demo bench clean install tests-build
all: lib $(B)/libmockfd-preload.so $(if $(SIM_SRCS),$(B)/iommu-sim) $(addprefix $(B)/examples/,$(EXAMPLES)) \
     $(addprefix $(B)/bench/,$(BENCHES)) $(B)/iommuemu.pc
lib: $(B)/libiommuemu.a $(B)/libiommuemu.so

deps:
	@bash scripts/install-deps.sh

# One relocatable object, so that static linking pulls every model at once
# (the core refers to the models weakly; see emu/core/iommu.c).
$(B)/iommuemu.o: $(LIB_OBJS_B)
	$(LD) -r -o $@ $^
$(B)/libiommuemu.a: $(B)/iommuemu.o
	rm -f $@; $(AR) rcs $@ $^
$(B)/libiommuemu.so: $(LIB_OBJS_B)
	$(CC) -shared -Wl,-soname,libiommuemu.so.0 -o $@ $^ $(LDLIBS)
$(B)/libmockfd-preload.so: $(patsubst %.c,$(B)/obj/%.o,$(SHIM_SRCS)) $(LIB_OBJS_B)
	$(CC) -shared -o $@ $^ $(LDLIBS)
$(A)/libmockfd-preload.so: $(patsubst %.c,$(A)/obj/%.o,$(SHIM_SRCS)) $(LIB_OBJS_A)
	$(CC) -shared -fsanitize=address,undefined -o $@ $^ $(LDLIBS)
$(B)/iommu-sim: $(patsubst %.c,$(B)/obj/%.o,$(SIM_SRCS)) $(B)/libiommuemu.a
	$(CC) $(CFLAGS_B) -o $@ $^ $(LDLIBS)
$(A)/iommu-sim: $(patsubst %.c,$(A)/obj/%.o,$(SIM_SRCS)) $(LIB_OBJS_A)
	$(CC) $(CFLAGS_A) -fsanitize=address,undefined -o $@ $^ $(LDLIBS)
$(B)/examples/%: $(B)/obj/examples/%.o $(B)/libiommuemu.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_B) -o $@ $^ $(LDLIBS)
$(B)/bench/%: $(B)/obj/bench/%.o $(B)/libiommuemu.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_B) -o $@ $^ $(LDLIBS)
$(B)/iommuemu.pc: Makefile
	@mkdir -p $(B)
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include/iommu-emu\n\nName: iommu-emu\nDescription: Software IOMMU models and a userspace iommufd\nVersion: %s\nCflags: -I$${includedir} -I$${includedir}/uapi\nLibs: -L$${libdir} -liommuemu -pthread\n' '$(PREFIX)' '$(VERSION)' > $@

tests-build: $(addprefix $(B)/tests/,$(TEST_SUITES)) $(addprefix $(A)/tests/,$(TEST_SUITES)) \
             $(B)/libmockfd-preload.so $(A)/libmockfd-preload.so

# `make test`: everything, then every suite in the plain and the sanitizer
# build, then whatever later fragments add to TEST_EXTRA (scenarios, corpus
# replay, golden files). scripts/run-tests.sh prints one closing count line.
TEST_EXTRA ?=
test: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) all tests-build $(TEST_EXTRA_BUILD)
	@bash scripts/run-tests.sh $(TEST_SUITES) -- $(TEST_EXTRA)

# Run one suite quickly while developing: make check-vtd (plain) / check-asan-vtd.
# Suites that run programs under the shim need them built first.
SHIM_SUITES := shim selftest sim
$(foreach s,$(SHIM_SUITES),check-$(s) check-asan-$(s)): $(B)/libmockfd-preload.so \
    $(addprefix $(B)/examples/,$(EXAMPLES)) $(if $(SIM_SRCS),$(B)/iommu-sim $(A)/iommu-sim)
check-%: $(B)/tests/%
	$(B)/tests/$* --jobs 2
check-asan-%: $(A)/tests/%
	$(A)/tests/$* --jobs 2

DEMO_CMD ?= $(B)/examples/ioas_demo
demo: deps
	@$(MAKE) --no-print-directory -s -j$(JOBS) all
	@$(DEMO_CMD)

bench: deps
	@$(MAKE) --no-print-directory all
	@set -e; for b in $(BENCHES); do echo "== bench/$$b"; $(B)/bench/$$b; done

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/include/iommu-emu/emu $(DESTDIR)$(PREFIX)/include/iommu-emu/mockfd \
	    $(DESTDIR)$(PREFIX)/include/iommu-emu/uapi/linux
	install -m 644 $(B)/libiommuemu.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libiommuemu.so $(B)/libmockfd-preload.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/iommu-sim $(DESTDIR)$(PREFIX)/bin/
	install -m 644 emu/emu.h $(DESTDIR)$(PREFIX)/include/iommu-emu/emu/
	install -m 644 mockfd/mockfd.h $(DESTDIR)$(PREFIX)/include/iommu-emu/mockfd/
	install -m 644 uapi/linux/*.h $(DESTDIR)$(PREFIX)/include/iommu-emu/uapi/linux/
	install -m 644 $(B)/iommuemu.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf $(B) $(A) $(C) coverage/html

# Later issues add fragments here: fuzz, coverage, oracle, scenarios.
-include $(sort $(wildcard mk/*.mk))
