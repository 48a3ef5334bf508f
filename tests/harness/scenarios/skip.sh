#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: a test that exits 77 is reported as SKIP
# with its reason, and does not fail the run.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

skip "skipping on purpose"
