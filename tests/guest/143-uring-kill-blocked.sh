#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a client killed while io_uring_enter() waits in the module
# for a free command: on the namespace whose every command takes 2 s, a
# ring queue of 8 commands and 32 URING_CMD in flight (nri-uring
# overcommit-batch), the commands beyond the 8 wait in the submitting task
# (Debian's 6.12 io_uring would reissue them from a reused SQ slot after
# -EAGAIN; see "io_uring before 6.13.4"). kill -9 ends that wait at once:
# the client is gone within seconds, the 8 at the device complete,
# nothing stays in flight, the counters add up, and the ring serves the
# next client. Then the same on a polled ring, whose waiting submitter
# reaps the poll queue instead of sleeping.
# TOPOLOGY: slow
. "$(dirname "$0")/lib.sh"

ring_test nri-uring nri-io
slow=$(slow_ns)
cleanup_rings kb kp
f=$(slow_factor)

# in_module PID: whether PID sleeps in the module (wchan names the
# function); its wchan in last_value
# shellcheck disable=SC2317 # called through wait_for
in_module() {
	last_value=
	read -r last_value 2>/dev/null </proc/"$1"/wchan
	[[ $last_value == nri_* || $last_value == __nri_* ]]
}

# kill_blocked RING MODE: nri-uring MODE on RING, killed once the queue's
# 8 commands are at the device and its io_uring_enter() waits in the
# module for the rest; then the ring checked
kill_blocked() {
	local r=$1 mode=$2 pid w s c n t0 out

	nri-uring "$mode" "$r" >/tmp/"$r".out 2>&1 &
	pid=$!
	wait_for 10 value_is "$NRI_SYS/$r/queues/0/inflight" -ge 8 ||
		fail "$r: only ${last_value:-no} commands in flight; the client: $(cat /tmp/"$r".out)"
	n=$last_value
	if [ "$mode" = overcommit-iopoll ]; then
		# it reaps the poll queue, running (wchan 0): its 32 SQEs
		# went in one io_uring_enter(), so it is there
		sleep 0.5
		read -r w </proc/"$pid"/wchan
	else
		wait_for 10 in_module "$pid" ||
			fail "$r: the client is not waiting in the module (wchan ${last_value:-none}): $(cat /tmp/"$r".out)"
		w=$last_value
	fi
	info "$r ($mode): $n in flight, the client in $w ($(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null))"
	t0=$(now_ms)
	kill -KILL "$pid"
	# the 8 at the device take what is left of their 2 s, the waiter
	# nothing; a wait the kill did not end would last until the 24
	# beyond the queue had had their turns, 6 s more
	exits_within "$pid" 5 || fail "$r: the client killed in $w is still there after $((5 * f)) s"
	info "$r: the client gone $(($(now_ms) - t0)) ms after kill -9"
	wait "$pid" 2>/dev/null
	wait_for 10 value_is "$NRI_SYS/$r/inflight" -eq 0 ||
		fail "$r: $last_value commands in flight after the client was killed"
	s=$(cat "$NRI_SYS/$r/submitted")
	c=$(cat "$NRI_SYS/$r/completed")
	[ "$s" = "$c" ] || fail "$r: submitted $s, completed $c"
	[ "$(cat "$NRI_SYS/$r/state")" = live ] || fail "$r: $(cat "$NRI_SYS/$r/state") after the kill"
	info "$r: $s submitted, $c completed"
	out=$(nri-io --opcode 2 --data-len 512 cmd "$r" 2>&1) ||
		fail "$r: a read after the kill: $out"
	grep -q "completions 1 of 1: ok 1" <<<"$out" || fail "$r: a read after the kill: $out"
}

dmesg -c >/dev/null
ring_make kb device="/dev/$slow" cpus=0 nr_queues=1 sq_entries=8 cq_entries=8
echo 1 >"$NRI_CFS/kb/enable" || fail "kb: enable on the slow namespace"
kill_blocked kb overcommit-batch
ring_down kb

if [ "$(cat /sys/module/nvme/parameters/poll_queues 2>/dev/null || echo 0)" -gt 0 ]; then
	ring_make kp device="/dev/$slow" cpus=0 nr_queues=1 poll=1 sq_entries=8 cq_entries=8
	echo 1 >"$NRI_CFS/kp/enable" || fail "kp: enable a polled ring on the slow namespace"
	kill_blocked kp overcommit-iopoll
	ring_down kp
else
	info "no poll queues (nvme.poll_queues=0): the polled ring's part not run"
fi
dmesg_clean
pass
