#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: rings with polled completions (poll=1) run on the device's
# poll queues without interrupts: data verifies through SUBMIT/COMPLETE,
# io_uring kicks and the SQ poller; a killed client's commands are reaped;
# teardown under load reaps the rest. Needs nvme.poll_queues (make check
# boots a VM with poll queues for tests tagged poll).
# TOPOLOGY: poll
. "$(dirname "$0")/lib.sh"

ring_test nri-io nvme-ring
require_poll_queues
ctrl=${ns%n*}
trap 'ring_down pl; ring_down pls' EXIT

ring_up pl poll=1 cpus="$(cat /sys/devices/system/cpu/online)"
[ "$(ring_queues pl | wc -l)" = "$npoll" ] || fail "$(ring_queues pl | wc -l) queues for $npoll poll queues"
for q in $(ring_queues pl); do
	h=$(qattr pl "$q" hctx)
	grep -q poll "$dbg/hctx$h/type" || fail "queue $q maps to hctx $h, type $(cat "$dbg/hctx$h/type")"
	for c in $(expand_list "$(qattr pl "$q" cpus)"); do
		[ -n "$(ns_hctx_of_cpu "$ns" "$c")" ] || fail "CPU $c"
	done
done
info "$npoll poll queues; ring queues on hctx $(cat "$NRI_SYS"/pl/queues/*/hctx | tr '\n' ' ')"

i0=$(nvme_io_irqs "$ctrl")
for q in $(ring_queues pl); do
	nri-io --queue "$q" --pin --lba $((q * 8192)) --nlb 2048 --bs 8 --depth 32 \
		--seed $((q + 80)) write pl >/dev/null || fail "queue $q: write"
	nri-io --queue "$q" --pin --lba $((q * 8192)) --nlb 2048 --bs 8 --depth 32 \
		--seed $((q + 80)) verify pl >/dev/null || fail "queue $q: verify"
done
# COMPLETE sleeping between polls (hybrid) instead of spinning
nri-io --queue 0 --hybrid --lba 50000 --nlb 1024 --bs 8 --depth 32 --seed 85 write pl >/dev/null ||
	fail "hybrid write"
nri-io --queue 0 --hybrid --lba 50000 --nlb 1024 --bs 8 --depth 32 --seed 85 verify pl >/dev/null ||
	fail "hybrid verify"
i1=$(nvme_io_irqs "$ctrl")
info "I/O interrupts during polled I/O: $((i1 - i0))"
[ $((i1 - i0)) -lt 16 ] || fail "$((i1 - i0)) I/O interrupts during polled I/O"
nvme-ring perf pl --rw randrw --depth 16 --ios 4000 --verify >/dev/null || fail "perf ioctl on a polled ring"
nvme-ring perf pl --rw randrw --depth 16 --ios 4000 --verify --submit uring >/tmp/u.out 2>&1 ||
	grep -q "Operation not supported" /tmp/u.out || fail "perf uring on a polled ring: $(tail -n 2 /tmp/u.out)"

# a client killed with commands in flight: the next one reaps them
nri-io --lba 0 --nlb 400000 --bs 8 --depth 64 --loops 1000 write pl >/dev/null 2>&1 &
pid=$!
sleep 1
kill -9 "$pid"
wait
nri-io --lba 100 --nlb 64 --seed 81 write pl >/dev/null || fail "client after a killed one"
[ "$(cat "$NRI_SYS/pl/inflight")" = 0 ] || fail "inflight $(cat "$NRI_SYS/pl/inflight")"
[ "$(cat "$NRI_SYS/pl/submitted")" = "$(cat "$NRI_SYS/pl/completed")" ] || fail "submitted != completed"

# disable under load
nri-io --lba 0 --nlb 400000 --bs 8 --depth 64 --loops 1000 write pl >/dev/null 2>&1 &
sleep 1
echo 0 >"$NRI_CFS/pl/enable" || fail "disable under load"
wait
ring_down pl

# polled completions and an SQ poller: no system calls, no interrupts;
# made with the tool this time
nvme-ring create pls --device "/dev/$ns" --cpus "$(cat /sys/devices/system/cpu/online)" \
	--poll --sq-poll --sq-poll-idle 200 >/dev/null || fail "nvme-ring create --poll --sq-poll"
[ "$(cat "$NRI_CFS/pls/poll")" = 1 ] || fail "--poll did not set poll"
i0=$(nvme_io_irqs "$ctrl")
nvme-ring perf pls --rw randrw --depth 16 --ios 4000 --verify --submit sqpoll || fail "perf sqpoll on a polled ring"
i1=$(nvme_io_irqs "$ctrl")
[ $((i1 - i0)) -lt 16 ] || fail "$((i1 - i0)) I/O interrupts with poller and polling"
ring_down pls
pass
