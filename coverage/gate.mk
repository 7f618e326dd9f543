# Coverage gate (issue #7): make coverage fails below these, measured by gcovr
# over emu/ and mockfd/ (shim excluded, see coverage/README.md). Set at or
# just below the figure reached, then raised as the suites grow; the target
# is 90 % lines and 75 % branches.
COV_GATE_LINE   ?= 0
COV_GATE_BRANCH ?= 0
