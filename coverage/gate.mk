# Coverage gate (issue #7): make coverage fails below these, measured by gcovr
# over emu/ and mockfd/ (shim excluded, see coverage/README.md). Set at or
# just below the figure reached, then raised as the suites grow; the target
# is 90 % lines and 75 % branches.
COV_GATE_LINE   ?= 86
COV_GATE_BRANCH ?= 74
# History: first measured 87.1 % lines / 75.2 % branches (all suites + corpus
# replay, 2025 session of issue #7); gate set one point below for the
# concurrent work in progress.
