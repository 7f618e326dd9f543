# Fuzzing (issue #7): AFL++ and libFuzzer builds of every harness in fuzz/,
# bounded CI runs and campaigns. docs/fuzzing.md explains the whole thing.
#
#   make fuzz-build    every harness, every variant, into build/fuzz/ (no run)
#   make fuzz          fuzz-build, then a CmpLog campaign of FUZZ_TARGET for
#                      FUZZ_SECONDS (afl-fuzz -c); output build/fuzz/out/<target>
#   make fuzz-smoke    a bounded run of each harness (CI); fails on any crash/hang
#
# Variants of harness H (library sources compiled once per variant into
# build/fuzz/obj-<variant>/, never the gcc-built libiommuemu.a):
#   build/fuzz/H            afl-clang-fast (or AFL_CC=afl-clang-lto), plain
#   build/fuzz/H.cmplog     AFL_LLVM_CMPLOG=1, for afl-fuzz -c
#   build/fuzz/H.asan       AFL_USE_ASAN=1 AFL_USE_UBSAN=1
#   build/fuzz/H.libfuzzer  clang -fsanitize=fuzzer,address,undefined

FZ := build/fuzz
FUZZ_HARNESSES := mmio_vtd mmio_amdvi mmio_smmuv3 ioctl
# afl-clang-fast by default: peers.md §3.5 (LTO links slowly; fine for long
# campaigns: make fuzz-build AFL_CC=afl-clang-lto).
AFL_CC ?= afl-clang-fast
LIBFUZZER_CC ?= clang
FUZZ_TARGET ?= ioctl
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 30

FUZZ_BASE := $(WARN) $(DEFS) $(INCS) -pthread -g
FZ_CFLAGS_plain     := $(FUZZ_BASE) -O2
FZ_CFLAGS_cmplog    := $(FUZZ_BASE) -O2
FZ_CFLAGS_asan      := $(FUZZ_BASE) -O1 -fno-omit-frame-pointer -DFUZZ_SANITIZED
FZ_CFLAGS_libfuzzer := $(FUZZ_BASE) -O1 -fno-omit-frame-pointer -DFUZZ_SANITIZED \
                       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FZ_CC_plain     := $(AFL_CC)
FZ_CC_cmplog    := AFL_LLVM_CMPLOG=1 $(AFL_CC)
FZ_CC_asan      := AFL_USE_ASAN=1 AFL_USE_UBSAN=1 $(AFL_CC)
FZ_CC_libfuzzer := $(LIBFUZZER_CC)
FZ_LD_libfuzzer := -fsanitize=fuzzer,address,undefined -DFUZZ_LIBFUZZER
FZ_VARIANTS := plain cmplog asan libfuzzer
fz_suffix = $(if $(filter plain,$(1)),,.$(1))

# Per-harness sources beside the library (the shared bodies, fuzz/harness_*.c).
FZ_SRC_mmio_vtd    := fuzz/mmio.c fuzz/harness_mmio.c
FZ_SRC_mmio_amdvi  := fuzz/mmio.c fuzz/harness_mmio.c
FZ_SRC_mmio_smmuv3 := fuzz/mmio.c fuzz/harness_mmio.c
FZ_SRC_ioctl       := fuzz/ioctl.c fuzz/harness_ioctl.c
FZ_DEF_mmio_vtd    := -DFUZZ_MODEL=EMU_VTD
FZ_DEF_mmio_amdvi  := -DFUZZ_MODEL=EMU_AMDVI
FZ_DEF_mmio_smmuv3 := -DFUZZ_MODEL=EMU_SMMUV3

# fz_variant(V): library objects of variant V.
define fz_variant
$(FZ)/obj-$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(FZ_CC_$(1)) $$(FZ_CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
-include $$(shell find $(FZ)/obj-$(1) -name '*.d' 2>/dev/null)
endef
$(foreach v,$(FZ_VARIANTS),$(eval $(call fz_variant,$(v))))

# fz_harness(H, V): one binary. The harness entry (fuzz/mmio.c, fuzz/ioctl.c)
# is compiled at link time with its -D switches; the body and library come
# from the variant's object tree.
define fz_harness
$(FZ)/$(1)$(call fz_suffix,$(2)): $(firstword $(FZ_SRC_$(1))) \
        $(patsubst %.c,$(FZ)/obj-$(2)/%.o,$(wordlist 2,9,$(FZ_SRC_$(1))) $(LIB_SRCS)) \
        fuzz/entry.h $(wildcard fuzz/*.h)
	@mkdir -p $$(dir $$@)
	$$(FZ_CC_$(2)) $$(FZ_CFLAGS_$(2)) $$(FZ_DEF_$(1)) $$(FZ_LD_$(2)) -o $$@ \
	    $$(filter %.c %.o,$$^) -ldl
endef
$(foreach h,$(FUZZ_HARNESSES),$(foreach v,$(FZ_VARIANTS),$(eval $(call fz_harness,$(h),$(v)))))

FUZZ_BINS := $(foreach h,$(FUZZ_HARNESSES),$(foreach v,$(FZ_VARIANTS),$(FZ)/$(h)$(call fz_suffix,$(v))))

# Seed generator: the normal gcc build, linked with the harness bodies so that
# it can name ioctl verbs and check (--check) what each seed reaches.
$(FZ)/gen_seeds: $(B)/obj/fuzz/gen_seeds.o $(B)/obj/fuzz/harness_ioctl.o \
                 $(B)/obj/fuzz/harness_mmio.o $(LIB_OBJS_B)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_B) -o $@ $^ $(LDLIBS)

.PHONY: fuzz-build fuzz fuzz-smoke fuzz-seeds fuzz-cmin fuzz-speed
fuzz-build: $(FUZZ_BINS) $(FZ)/gen_seeds

fuzz: fuzz-build
	bash scripts/fuzz-campaign.sh -t $(FUZZ_TARGET) -s $(FUZZ_SECONDS) -j 1

fuzz-smoke: $(foreach h,$(FUZZ_HARNESSES),$(FZ)/$(h).asan)
	bash scripts/fuzz-smoke.sh -s $(FUZZ_SMOKE_SECONDS) $(FUZZ_HARNESSES)

# Regenerate the raw seeds (build/fuzz/seeds/<harness>/), for fuzz-cmin.
fuzz-seeds: $(FZ)/gen_seeds
	$(FZ)/gen_seeds $(FZ)/seeds

# Minimise seeds + a campaign's queue into fuzz/corpus/<harness> (afl-cmin).
fuzz-cmin: fuzz-build fuzz-seeds
	bash scripts/fuzz-cmin.sh $(FUZZ_HARNESSES)

fuzz-speed: $(foreach h,$(FUZZ_HARNESSES),$(FZ)/$(h))
	bash scripts/fuzz-speed.sh $(FUZZ_HARNESSES)

