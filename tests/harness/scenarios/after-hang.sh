#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: runs after hang.sh to show that the guest
# carries on after a timed-out test.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

pass
