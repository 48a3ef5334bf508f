#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: harness self-test: a test that exits 0 but during which the
# kernel warns must fail the run, even when it clears the kernel log. Loads
# the test-only module nri_warn, which the harness puts at /extra/nri_warn.ko.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

[ -f /extra/nri_warn.ko ] || fail "/extra/nri_warn.ko is not in the image"
insmod /extra/nri_warn.ko || fail "insmod nri_warn failed"
rmmod nri_warn
dmesg -c >/dev/null
pass
