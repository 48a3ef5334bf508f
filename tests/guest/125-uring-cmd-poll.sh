#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: io_uring per-command I/O (NVME_RING_IO_URING_CMD) on a ring
# with polled completions goes to the device's poll queues: from an
# IORING_SETUP_IOPOLL io_uring, writes and reads verify and no I/O
# interrupt is taken (the same commands on an interrupt-driven ring take
# one each, which shows the count can see them); four times more in flight
# than the queue has still each run their own command; from any other
# io_uring the command is refused with EOPNOTSUPP and a log line.
# TOPOLOGY: poll
. "$(dirname "$0")/lib.sh"

ring_test nri-uring nri-bench
require_poll_queues
ctrl=${ns%n*}
cleanup_rings pc pi pcs

all=$(cat /sys/devices/system/cpu/online)
ring_up pc poll=1 cpus="$all"
ring_up pi cpus="$all"

# 8 verified writes, 8 verified reads, 8 reads in flight together
i0=$(nvme_io_irqs "$ctrl")
out=$(nri-uring cmd-iopoll pi 2>&1) || fail "per-command I/O on an interrupt-driven ring: $out"
i1=$(nvme_io_irqs "$ctrl")
info "interrupt-driven ring: $((i1 - i0)) I/O interrupts"
[ $((i1 - i0)) -ge 8 ] || fail "only $((i1 - i0)) I/O interrupts for 24 interrupt-driven commands"

i0=$(nvme_io_irqs "$ctrl")
out=$(nri-uring cmd-iopoll pc 2>&1) || fail "per-command I/O on an IOPOLL io_uring: $out"
i1=$(nvme_io_irqs "$ctrl")
info "polled ring: $(grep -c ': ok$' <<<"$out") checks passed, $((i1 - i0)) I/O interrupts"
[ $((i1 - i0)) -lt 4 ] || fail "$((i1 - i0)) I/O interrupts during polled per-command I/O"

# a load of them, from the benchmark client
i0=$(nvme_io_irqs "$ctrl")
cpu=$(expand_list "$(qattr pc 0 cpus)" | head -n 1)
out=$(nri-bench --engine ring-cmd --ring pc --queue 0 --cpu "$cpu" --poll iopoll \
	--depth 16 --batch 8 --time 0.5 2>&1) || fail "nri-bench ring-cmd --poll iopoll: $out"
grep -q ' errors=0 ' <<<"$out" || fail "errors reported: $out"
ios=$(sed -n 's/.* ios=\([0-9]*\) .*/\1/p' <<<"$out")
[ "${ios:-0}" -gt 100 ] || fail "only ${ios:-0} I/Os: $out"
i1=$(nvme_io_irqs "$ctrl")
info "$ios polled per-command reads, $((i1 - i0)) I/O interrupts"
[ $((i1 - i0)) -lt 16 ] || fail "$((i1 - i0)) I/O interrupts for $ios polled reads"

# 32 in flight on a polled queue of 8: those beyond wait by polling
ring_up pcs poll=1 nr_queues=1 sq_entries=8 cq_entries=8 cpus="$all"
out=$(nri-uring overcommit-iopoll pcs 2>&1) ||
	fail "polled URING_CMD beyond the queue's depth: $out"
ring_down pcs

# not from an io_uring that does not poll: nothing would reap it
dmesg -c >/dev/null
out=$(nri-bench --engine ring-cmd --ring pc --queue 0 --cpu "$cpu" --depth 4 \
	--time 0.2 2>&1) && fail "ring-cmd without IOPOLL on a polled ring worked: $out"
grep -q 'res -95' <<<"$out" || fail "no EOPNOTSUPP: $out"
dmesg | grep -q "pc: queue 0: a polled ring takes io_uring commands only from an IORING_SETUP_IOPOLL ring" ||
	fail "no log line for the refusal"

[ "$(cat "$NRI_SYS/pc/inflight")" = 0 ] || fail "inflight $(cat "$NRI_SYS/pc/inflight")"
[ "$(cat "$NRI_SYS/pc/submitted")" = "$(cat "$NRI_SYS/pc/completed")" ] ||
	fail "submitted $(cat "$NRI_SYS/pc/submitted") != completed $(cat "$NRI_SYS/pc/completed")"
pass
