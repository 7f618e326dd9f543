# Coverage gate (issue #7): make coverage fails below these, measured by gcovr
# over emu/ and mockfd/ (shim excluded, see coverage/README.md). Set at or
# just below the figure reached, then raised as the suites grow; the target
# is 90 % lines and 75 % branches.
COV_GATE_LINE   ?= 90
COV_GATE_BRANCH ?= 80
# History: first measured 87.1 % lines / 75.2 % branches (all suites + corpus
# replay, 2025 session of issue #7); gate set one point below for the
# concurrent work in progress.
# Raised to 90 / 79 after the cov_* tests (tests/*/test_cov_*.c) brought the
# measurement to 90.1 % lines (10641 of 11811) and 79.4 % branches (6423 of
# 8092); the line gate has a margin of about 10 lines.
# Branches raised to 80 when the campaigns' corpora were checked in
# (fuzz/corpus, 2204 files): on the same tree the corpus replay took the
# measurement from 89.6 % lines (11034 of 12321) / 78.9 % branches (6749 of
# 8558) with the ~30 generated seeds to 90.1 % (11104) / 80.7 % (6905-6909);
# the line gate stays at 90 (margin about 15 lines).
