#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: io_uring drives rings: URING_KICK, URING_WAIT_CQ, NVMe
# commands carried in 128-byte SQEs with data verification (also with four
# times more in flight than the queue has, from an SQ the client refills at
# once), the data area as fixed buffers for passthrough and O_DIRECT, the
# seed's uring_fd, io_uring closed with commands in flight, and a client
# that never reaps.
. "$(dirname "$0")/lib.sh"

ring_test nri-uring
ng=$(ns_generic_dev "$ns")
trap 'ring_down ur; ring_down ur2; ring_down ur3' EXIT

ring_up ur nr_queues=1 cpus="$(cat /sys/devices/system/cpu/online)"
for t in kick waitcq cmd cancel; do
	nri-uring "$t" ur || fail "io_uring $t"
done
[ -c "$ng" ] || fail "$ng missing"
nri-uring fixed ur "$ng" "/dev/$ns" || fail "fixed buffers"
nri-uring seed "/dev/$ns" || fail "SETUP with uring_fd"
[ "$(cat "$NRI_SYS/ur/inflight")" = 0 ] || fail "inflight after the io_uring tests"

# 32 URING_CMD in flight on a queue of 8: each still runs its own command
ring_up ur3 nr_queues=1 sq_entries=8 cq_entries=8 cpus="$(cat /sys/devices/system/cpu/online)"
out=$(nri-uring overcommit ur3 2>&1) || fail "URING_CMD beyond the queue's depth: $out"
info "$(head -n 2 <<<"$out" | tr '\n' ' ')"
ring_down ur3

# a client that never reaps: the CQ fills, nothing is lost, the next
# client takes the queue over
ring_up ur2 nr_queues=1 sq_entries=64 cq_entries=16 cpus="$(cat /sys/devices/system/cpu/online)"
nri-uring noreap ur2 || fail "client that never reaps"
nri-io --nlb 64 --bs 8 --depth 8 write ur2 >/dev/null || fail "ring after a client that never reaped"
s=$(cat "$NRI_SYS/ur2/submitted")
c=$(cat "$NRI_SYS/ur2/completed")
[ "$s" = "$c" ] || fail "submitted $s completed $c"
pass
