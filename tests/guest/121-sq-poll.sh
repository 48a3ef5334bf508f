#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: the per-queue SQ poller submits without system calls, sets
# NEED_WAKEUP when it goes to sleep, is woken by a kick, is bound to the
# queue's CPUs, and goes away with the ring.
# TOPOLOGY: extras
. "$(dirname "$0")/lib.sh"

require_module
require_tool nri-uring
trap 'ring_down sp' EXIT

ring_make sp sq_poll=1 sq_poll_idle_ms=400
expect_write_fail 0 "$NRI_CFS/sp/sq_poll_idle_ms"
expect_write_fail 60001 "$NRI_CFS/sp/sq_poll_idle_ms"
expect_write_fail 2 "$NRI_CFS/sp/sq_poll"
echo 1 >"$NRI_CFS/sp/enable" || fail "enable with sq_poll"

nq=$(ring_queues sp | wc -l)
np=$(sq_pollers sp | wc -l)
[ "$np" = "$nq" ] || fail "$np pollers for $nq queues"
for pid in $(sq_pollers sp); do
	allowed=$(awk '/Cpus_allowed_list/ { print $2 }' "/proc/$pid/status")
	found=0
	for q in $(ring_queues sp); do
		[ "$allowed" = "$(qattr sp "$q" cpus)" ] && found=1
	done
	[ "$found" = 1 ] || fail "poller $pid runs on CPUs $allowed, not a queue's"
done
for q in $(ring_queues sp); do
	taskset -c "$(expand_list "$(qattr sp "$q" cpus)" | head -n 1)" \
		nri-uring sqpoll sp || fail "SQ poller on queue $q"
done
nri-io --nlb 256 --bs 8 --seed 60 write sp >/dev/null || fail "write through a polled ring"
nri-io --nlb 256 --bs 8 --seed 60 verify sp >/dev/null || fail "verify through a polled ring"
ring_down sp
sleep 1
[ -z "$(sq_pollers sp)" ] || fail "pollers outlived the ring"
pass
