#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the features a ring reports match the kernel it runs on:
# every kernel has the core set; the io_uring commands (which need 6.7's
# io_uring) are offered, and work, exactly when the kernel has them, and
# are refused with EOPNOTSUPP where it does not.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nri-io nri-uring
trap 'ring_down kf' EXIT
ring_up kf
feat=$(nri-io info kf | awk '$1 == "features" { print $2 }')
[ -n "$feat" ] || fail "no features line from nri-io info"
kv=$(uname -r | sed -E 's/^([0-9]+)\.([0-9]+).*/\1 \2/')
read -r major minor <<<"$kv"
info "kernel $(uname -r): features $feat"
# MULTI_QUEUE, CQE_STATUS, REMOTE_SUBMIT, LBA_WINDOW, SQ_POLL, POLL,
# REPAIR_INDICES, METADATA, SUBMIT_WAIT, CMD_STATS
core=$(((1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 9) | (1 << 10) | (1 << 11)))
uring=$(((1 << 4) | (1 << 8)))
[ $((feat & core)) -eq "$core" ] || fail "core features missing: $feat"
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 7 ]; }; then
	[ $((feat & uring)) -eq "$uring" ] || fail "io_uring commands not offered on $(uname -r)"
	nri-uring kick kf >/tmp/kick.out 2>&1 || fail "io_uring kick: $(cat /tmp/kick.out)"
else
	[ $((feat & uring)) -eq 0 ] || fail "io_uring commands offered on $(uname -r), which lacks them"
	nri-uring kick kf >/tmp/kick.out 2>&1 && fail "an io_uring kick worked on $(uname -r)"
	grep -q -- "-95" /tmp/kick.out || fail "the kick was not refused with EOPNOTSUPP: $(cat /tmp/kick.out)"
	info "io_uring commands refused: $(head -n 1 /tmp/kick.out)"
fi
pass
