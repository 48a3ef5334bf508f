#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: a test that exits 1 must fail the run.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

fail "failing on purpose"
