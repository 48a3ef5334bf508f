#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: sq_poll_cpus puts the SQ pollers on CPUs the administrator
# names instead of the queues' own: each poller is bound to its one CPU
# (queue i to the list's (i mod n)-th), sysfs shows it, it consumes the
# SQ there while the client runs on the queue's CPU, and data verifies.
# The attribute is refused without sq_poll, with an offline or malformed
# CPU, and nvme-ring create --sq-poll-cpus sets it.
# TOPOLOGY: extras
. "$(dirname "$0")/lib.sh"

ring_test nri-io nvme-ring
read -r -a cpus <<<"$(online_cpus | tr '\n' ' ')"
[ "${#cpus[@]}" -ge 2 ] || skip "needs 2 online CPUs"
first=${cpus[0]}
last=${cpus[-1]}
trap 'ring_down spc; ring_down spc2; nvme-ring destroy spc3 >/dev/null 2>&1' EXIT

ring_make spc cpus="$first" sq_poll=1
expect_write_fail "x" "$NRI_CFS/spc/sq_poll_cpus"
expect_write_fail "9999" "$NRI_CFS/spc/sq_poll_cpus"
echo "$last" >"$NRI_CFS/spc/sq_poll_cpus" || fail "sq_poll_cpus $last"
[ "$(cat "$NRI_CFS/spc/sq_poll_cpus")" = "$last" ] ||
	fail "sq_poll_cpus reads $(cat "$NRI_CFS/spc/sq_poll_cpus")"
echo 1 >"$NRI_CFS/spc/enable" || fail "enable with sq_poll_cpus"
[ "$(qattr spc 0 sq_poll_cpus)" = "$last" ] ||
	fail "queues/0/sq_poll_cpus is '$(qattr spc 0 sq_poll_cpus)', not $last"
[ "$(qattr spc 0 cpus)" = "$first" ] || fail "the queue moved: $(qattr spc 0 cpus)"
pid=$(sq_pollers spc)
[ -n "$pid" ] || fail "no poller thread"
allowed=$(awk '/Cpus_allowed_list/ { print $2 }' "/proc/$pid/status")
[ "$allowed" = "$last" ] || fail "the poller may run on CPUs $allowed, not $last"

# the client on the queue's CPU; the poller consumes on its own
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
taskset -c "$first" nri-io --nlb 2048 --bs 8 --seed 141 write spc >/dev/null ||
	fail "write through the poller"
taskset -c "$first" nri-io --nlb 2048 --bs 8 --seed 141 verify spc >/dev/null ||
	fail "verify through the poller"
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
ran_on=$(awk '{ print $39 }' "/proc/$pid/stat")
info "poller: $((t1 - t0)) ticks of CPU time, last on CPU $ran_on"
[ "$ran_on" = "$last" ] || fail "the poller last ran on CPU $ran_on, not $last"
submitted=$(cat "$NRI_SYS/spc/submitted")
[ "$submitted" -ge 512 ] || fail "only $submitted commands submitted"
ring_down spc

# two queues, one named CPU: both pollers there
ring_make spc2 cpus="$first,$last" sq_poll=1 sq_poll_cpus="$last"
echo 1 >"$NRI_CFS/spc2/enable" || fail "enable spc2"
for q in $(ring_queues spc2); do
	[ "$(qattr spc2 "$q" sq_poll_cpus)" = "$last" ] ||
		fail "spc2 queue $q poller on '$(qattr spc2 "$q" sq_poll_cpus)'"
done
for pid in $(sq_pollers spc2); do
	allowed=$(awk '/Cpus_allowed_list/ { print $2 }' "/proc/$pid/status")
	[ "$allowed" = "$last" ] || fail "spc2 poller $pid may run on $allowed"
done
echo 0 >"$NRI_CFS/spc2/enable"

# without an SQ poller the list is refused at enable, with a reason
echo 0 >"$NRI_CFS/spc2/sq_poll"
dmesg -c >/dev/null
expect_write_fail 1 "$NRI_CFS/spc2/enable"
dmesg | grep -q "spc2: sq_poll_cpus $last: the ring has no SQ poller" ||
	fail "no reason logged: $(dmesg | tail -n 2)"
# auto: back to the queues' CPUs
echo 1 >"$NRI_CFS/spc2/sq_poll"
echo auto >"$NRI_CFS/spc2/sq_poll_cpus" || fail "sq_poll_cpus auto"
echo 1 >"$NRI_CFS/spc2/enable" || fail "enable with sq_poll_cpus auto"
for q in $(ring_queues spc2); do
	[ "$(qattr spc2 "$q" sq_poll_cpus)" = "$(qattr spc2 "$q" cpus)" ] ||
		fail "auto: queue $q poller on '$(qattr spc2 "$q" sq_poll_cpus)'"
done
ring_down spc2

nvme-ring create spc3 --device "/dev/$ns" --cpus "$first" --sq-poll-cpus "$last" \
	>/dev/null || fail "nvme-ring create --sq-poll-cpus"
[ "$(cat "$NRI_CFS/spc3/sq_poll")" = 1 ] || fail "--sq-poll-cpus did not set sq_poll"
[ "$(qattr spc3 0 sq_poll_cpus)" = "$last" ] || fail "create: poller on '$(qattr spc3 0 sq_poll_cpus)'"
nvme-ring destroy spc3 >/dev/null || fail "destroy spc3"
pass
