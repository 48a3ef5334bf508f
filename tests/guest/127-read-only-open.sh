#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a plain user who may only read the ring's device node
# (mode 0644) opens it read-only: info, statistics, a read-only mapping
# and waiting work; SUBMIT, REPAIR_INDICES and the io_uring KICK and CMD
# are refused with EBADF and a log line, and the data on the namespace is
# unchanged. Opening it for writing is refused by the mode.
. "$(dirname "$0")/lib.sh"

ring_test nri-io nri-rdonly
cleanup_rings ro
ring_up ro mode=0644 cpus="$(cat /sys/devices/system/cpu/online)"
nri-io --lba 800 --nlb 16 --seed 27 write ro >/dev/null || fail "write as root"

dmesg -c >/dev/null
out=$(run_as_user nri-rdonly ro 800 2>&1) || fail "read-only opener: $out"
info "$(grep -c ': ok$' <<<"$out") checks passed"
dmesg | grep -q "ro: URING_CMD refused: the ring is open read-only" ||
	fail "no log line for the refused URING_CMD"
dmesg | grep -q "ro: SUBMIT refused: the ring is open read-only" ||
	fail "no log line for the refused SUBMIT"
nri-io --lba 800 --nlb 16 --seed 27 verify ro >/dev/null ||
	fail "the data changed under a read-only opener"
run_as_user nri-io --lba 800 --nlb 1 write ro >/dev/null 2>&1 &&
	fail "a plain user opened a 0644 ring for writing"
pass
