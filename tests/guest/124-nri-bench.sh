#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nri-bench, the client make bench runs, works with every
# engine: a short run each does I/O without errors and reports it, in
# key=value and in JSON; polled engines run when the namespace has poll
# queues; bad options are refused. Speed is not checked here (make bench).
# Run in the poll-queue boot of make check, where every engine works.
# TOPOLOGY: poll
. "$(dirname "$0")/lib.sh"

ring_test nri-bench
blk=/dev/$ns
ng=$(ns_generic_dev "$ns")
[ -c "$ng" ] || skip "$ng (the namespace's generic device) is missing"

trap 'ring_down nb; ring_down nbsq; ring_down nbp; ring_down nbs' EXIT
all=$(cat /sys/devices/system/cpu/online)
ring_up nb cpus="$all"
ring_up nbsq cpus="$all" sq_poll=1
cpu=$(online_cpus | head -n 1)

# run LABEL ARGS...: a short run that must report I/O and no error
run() {
	local label=$1 out ios
	shift
	out=$(nri-bench "$@" --cpu "$cpu" --depth 8 --batch 4 --time 0.3 2>&1) ||
		fail "$label: nri-bench failed: $out"
	ios=$(sed -n 's/.* ios=\([0-9]*\) .*/\1/p' <<<"$out")
	[ "${ios:-0}" -gt 0 ] || fail "$label: no I/O reported: $out"
	grep -q ' errors=0 ' <<<"$out" || fail "$label: errors reported: $out"
	info "$label: $ios I/Os"
}

run ring --engine ring --ring nb
run ring-wait --engine ring-wait --ring nb
run ring-uring --engine ring-uring --ring nb
run ring-cmd --engine ring-cmd --ring nb
run ring-sqpoll --engine ring-sqpoll --ring nbsq
# more io_uring commands in flight than the queue has contexts (8): those
# beyond wait for one to free up (in io_uring's worker, or where its retry
# would reread the SQ, in the submitting task), none fails
ring_up nbs cpus="$all" sq_entries=8 cq_entries=8
out=$(nri-bench --engine ring-cmd --ring nbs --queue 0 --cpu "$cpu" --depth 32 --batch 8 \
	--time 0.5 2>&1) || fail "ring-cmd, depth 32 on 8 contexts: $out"
grep -q ' errors=0 ' <<<"$out" || fail "ring-cmd, depth 32 on 8 contexts: errors: $out"
info "ring-cmd, depth 32 on 8 contexts: $(sed -n 's/.* ios=\([0-9]*\) .*/\1/p' <<<"$out") I/Os"
ring_down nbs
run uring-pt --engine uring-pt --dev "$ng"
run uring-pt-wait --engine uring-pt-wait --dev "$ng"
# an io_uring SQ thread on another CPU; the client's own CPU is reported
sqcpu=$(online_cpus | tail -n 1)
run uring-pt-sqpoll --engine uring-pt --dev "$ng" --sqpoll-cpu "$sqcpu"
out=$(nri-bench --engine uring-pt --dev "$ng" --sqpoll-cpu "$sqcpu" --cpu "$cpu" \
	--depth 8 --time 0.3) || fail "uring-pt with an SQ thread: $out"
grep -q ' client_cpu_us_per_io=[0-9]' <<<"$out" || fail "no client_cpu_us_per_io: $out"
expect_fail nri-bench --engine ring --ring nb --sqpoll-cpu 0 --time 0.1
run uring-direct --engine uring-direct --dev "$blk"

# JSON: one object with the same counts
out=$(nri-bench --engine ring --ring nb --cpu "$cpu" --depth 4 --time 0.2 -o json) ||
	fail "json run failed"
grep -Eq '^\{.*"ios": [1-9][0-9]*,.*"errors": 0,.*\}$' <<<"$out" ||
	fail "JSON output: $out"

# polled engines, when the namespace has poll queues
if mkdir "$NRI_CFS/nbp" && echo "$blk" >"$NRI_CFS/nbp/device" &&
	echo "$all" >"$NRI_CFS/nbp/cpus" && echo 1 >"$NRI_CFS/nbp/poll" &&
	echo 1 >"$NRI_CFS/nbp/enable" 2>/dev/null; then
	run ring-poll --engine ring --ring nbp
	run ring-wait-poll --engine ring-wait --ring nbp
	run ring-poll-hybrid --engine ring --ring nbp --poll hybrid
	run uring-pt-iopoll --engine uring-pt --dev "$ng" --poll iopoll
else
	info "no poll queues on $ns: polled engines not run (the poll-queue boot runs them)"
fi

# bad options are refused, with a message
expect_fail nri-bench --engine nope --ring nb
expect_fail nri-bench --engine ring --ring nb --depth 0
expect_fail nri-bench --engine ring --ring no-such-ring --time 0.1
expect_fail nri-bench --engine ring --ring nb --depth 100000 --time 0.1
pass
