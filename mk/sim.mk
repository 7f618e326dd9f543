# iommu-sim (issue #8): scenarios with golden traces, a fail-sweep of the
# demo, and `make demo` running the demo scenario.
#
#   make sim-golden     run every scenarios/*.scn (plain and ASan+UBSan
#                       builds): exit status 0 and a trace identical to
#                       scenarios/golden/<name>.trace
#   make sim-failsweep  iommu-sim --fail-sweep scenarios/demo.scn in the ASan
#                       build (every mockfd failure point: error returned, no
#                       state change, no leak, no fd left, no crash)
#   make sim-regen      rewrite the golden traces (review the diff!)

SIM_SCNS := $(sort $(wildcard scenarios/*.scn))
SIM_GOLDEN_DIR := scenarios/golden

DEMO_CMD := $(B)/iommu-sim scenarios/demo.scn
TEST_EXTRA += sim-golden sim-failsweep
TEST_EXTRA_BUILD += $(B)/iommu-sim $(A)/iommu-sim

.PHONY: sim-golden sim-failsweep sim-regen
sim-golden: $(B)/iommu-sim $(A)/iommu-sim
	@set -u; bad=0; n=0; tmp=$$(mktemp -d); \
	for f in $(SIM_SCNS); do \
	    g=$(SIM_GOLDEN_DIR)/$$(basename $$f .scn).trace; n=$$((n+1)); \
	    for t in $(B) $(A); do \
	        $$t/iommu-sim $$f >$$tmp/out 2>$$tmp/err; rc=$$?; \
	        if [ $$rc -ne 0 ]; then echo "sim-golden: $$f ($$t): exit $$rc"; cat $$tmp/err; bad=$$((bad+1)); \
	        elif [ ! -f $$g ]; then echo "sim-golden: $$g missing (make sim-regen)"; bad=$$((bad+1)); \
	        elif ! diff -u $$g $$tmp/out >$$tmp/diff; then echo "sim-golden: $$f ($$t) differs from $$g:"; head -n 40 $$tmp/diff; bad=$$((bad+1)); fi; \
	    done; \
	done; rm -rf $$tmp; \
	echo "sim-golden: $$n scenarios, $$bad failures"; [ $$bad -eq 0 ]

sim-failsweep: $(A)/iommu-sim
	@out=$$(mktemp); ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0 \
	    $(A)/iommu-sim --fail-sweep scenarios/demo.scn >$$out; rc=$$?; \
	    grep -v ': ok$$' $$out | tail -n 20; rm -f $$out; exit $$rc

sim-regen: $(B)/iommu-sim
	@mkdir -p $(SIM_GOLDEN_DIR)
	@for f in $(SIM_SCNS); do \
	    g=$(SIM_GOLDEN_DIR)/$$(basename $$f .scn).trace; \
	    $(B)/iommu-sim $$f >$$g; rc=$$?; \
	    echo "sim-regen: $$g (exit $$rc)"; \
	done
