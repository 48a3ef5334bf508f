#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the fence is per command field, not per opcode: on a ring
# with an LBA window, Write Zeroes with NSZ (zero the whole namespace) and
# every reserved bit of CDW2-3 and CDW12-15 of Read, Write, Compare, Write
# Zeroes and Flush are refused with EINVAL and a log line naming the
# field, the allowed bits (FUA, LR, DEAC, access hints) pass, and data
# outside the window is untouched. directives=1 lets DTYPE and DSPEC
# through on writes only.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nri-io
cleanup_rings fa fw fd
all=$(cat /sys/devices/system/cpu/online)
ring_up fa cpus="$all"
nri-io --lba 0 --nlb 64 --seed 31 write fa >/dev/null || fail "pattern outside the window"

ring_up fw cpus="$all" lba_start=1024 lba_count=1024
dmesg -c >/dev/null
out=$(nri-io fields fw 2>&1) || fail "fields: $(grep -E 'ACCEPTED|REFUSED|UNEXPECTED|FAILED' <<<"$out" | head -n 5)"
info "$(grep 'bits refused' <<<"$out")"
dmesg | grep -q "fw: queue [0-9]*: slot 0x0: opcode 0x08 refused: CDW12 bits 0x00800000 are not allowed" ||
	fail "no log line naming NSZ"
nri-io --lba 0 --nlb 64 --seed 31 verify fa >/dev/null || fail "data outside the window changed"

# directives: DTYPE (CDW12 23:20) and DSPEC (CDW13 31:16) of Write only
ring_make fd cpus="$all" lba_start=1024 lba_count=1024 directives=1
[ "$(cat "$NRI_CFS/fd/directives")" = 1 ] || fail "directives readback"
echo 1 >"$NRI_CFS/fd/enable" || fail "enable with directives=1"
out=$(nri-io fields fd 2>&1) && fail "directives=1 changed nothing"
grep -q '^Write CDW12 bit 20:.*ACCEPTED' <<<"$out" || fail "DTYPE still refused: $out"
grep -q '^Write CDW13 bit 16:.*ACCEPTED' <<<"$out" || fail "DSPEC still refused: $out"
grep 'ACCEPTED' <<<"$out" | grep -qv '^Write ' && fail "directives let through more than Write's: $out"
pass
