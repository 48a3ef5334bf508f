#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: one pinned client per queue, all verifying at once; each
# queue's commands are dispatched on its own hardware context; a client on a
# foreign CPU is served through the queue's CPUs (remote_submits).
# TOPOLOGY: any
. "$(dirname "$0")/lib.sh"

ring_test nri-io
ctrl=${ns%n*}
grep -q "${ctrl}q1\b" /proc/interrupts || skip "no per-queue interrupts for $ctrl"
trap 'ring_down mq' EXIT
ring_up mq cpus="$(cat /sys/devices/system/cpu/online)"
nq=$(ring_queues mq | wc -l)
[ "$nq" -ge 2 ] || skip "one hardware queue only"

# irqs: "QID COUNT" per NVMe I/O queue, from the queues' own vectors
irqs() {
	awk -v c="$ctrl" '{
		for (i = 2; i <= NF; i++)
			if ($i ~ "^" c "q[0-9]+$") {
				n = 0
				for (j = 2; j < i; j++)
					if ($j ~ /^[0-9]+$/) n += $j
				q = substr($i, length(c) + 2)
				if (q != "0") print q, n
			}
	}' /proc/interrupts
}

# queue_only Q QID: run a pinned verify on queue Q; only NVMe queue QID
# may see completions
queue_only() {
	local q=$1 qid=$2 id before after
	irqs >/tmp/i0
	nri-io --queue "$q" --pin --lba $((q * 4096)) --nlb 512 --bs 8 --depth 8 \
		--seed $((q + 30)) verify mq >/dev/null || fail "queue $q: verify"
	irqs >/tmp/i1
	while read -r id before; do
		after=$(awk -v q="$id" '$1 == q { print $2 }' /tmp/i1)
		if [ "$id" = "$qid" ]; then
			[ $((after - before)) -gt 0 ] ||
				fail "queue $q: no completion on NVMe queue $qid"
		elif [ $((after - before)) -gt 2 ]; then
			fail "queue $q: NVMe queue $id saw $((after - before)) interrupts, expected them all on queue $qid"
		fi
	done </tmp/i0
	info "queue $q (CPUs $(qattr mq "$q" cpus), hctx $(qattr mq "$q" hctx)): completions on NVMe queue $qid only"
}

# every_queue write|verify: nri-io on all queues at once, each client pinned
# to its queue's CPUs, in an LBA range of its own; every one must succeed
every_queue() {
	local op=$1 q
	for q in $(ring_queues mq); do
		nri-io --queue "$q" --pin --lba $((q * 4096)) --nlb 1024 --bs 8 --depth 32 \
			--seed $((q + 30)) "$op" mq >"/tmp/$op$q" 2>&1 &
	done
	wait
	for q in $(ring_queues mq); do
		grep -q ": ok" "/tmp/$op$q" || fail "queue $q, $op: $(cat "/tmp/$op$q")"
	done
}

every_queue write
every_queue verify
for q in $(ring_queues mq); do
	[ "$(qattr mq "$q" remote_submits)" = 0 ] || fail "queue $q: pinned clients went remote"
	queue_only "$q" "$(qattr mq "$q" nvme_qid)"
done

# a client on another queue's CPU: served remotely, still on queue 0's
# NVMe queue
c1=$(expand_list "$(qattr mq 1 cpus)" | head -n 1)
qid0=$(qattr mq 0 nvme_qid)
irqs >/tmp/i0
taskset -c "$c1" nri-io --queue 0 --lba 100 --nlb 64 --bs 8 --seed 30 verify mq >/dev/null ||
	fail "remote client"
irqs >/tmp/i1
[ "$(qattr mq 0 remote_submits)" -gt 0 ] || fail "remote_submits did not move"
before=$(awk -v q="$qid0" '$1 == q { print $2 }' /tmp/i0)
after=$(awk -v q="$qid0" '$1 == q { print $2 }' /tmp/i1)
[ $((after - before)) -gt 0 ] || fail "remote submissions did not reach NVMe queue $qid0"
pass
