#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a 32-bit client (built with -m32, the uapi alone) uses a ring
# through the compat ioctls: GET_INFO, GET_QUEUE_INFO, SET_QUEUE,
# REPAIR_INDICES, SUBMIT and COMPLETE work, every queue maps at its
# layout.mmap_offset, and a block written through each queue reads back.
. "$(dirname "$0")/lib.sh"

ring_test nri-compat32
cleanup_rings c32
ring_up c32 cpus="$(cat /sys/devices/system/cpu/online)"
nq=$(ring_queues c32 | wc -l)
[ "$nq" -ge 2 ] || info "only $nq queue: the higher offsets are not exercised here"

out=$(nri-compat32 c32 4096 2>&1) || fail "32-bit client: $out"
info "$(head -n 1 <<<"$out")"
grep -q '32-bit pointers' <<<"$out" || fail "not a 32-bit client: $out"
n=$(grep -c 'write and read back: ok$' <<<"$out")
[ "$n" = "$nq" ] || fail "$n of $nq queues worked: $out"
[ "$(cat "$NRI_SYS/c32/inflight")" = 0 ] || fail "inflight $(cat "$NRI_SYS/c32/inflight")"
pass
