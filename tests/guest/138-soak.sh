#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: a soak: for NRI_SOAK_SECONDS (60 here, hours with make
# soak) every queue of a ring runs verified reads and writes of mixed
# sizes (4 KiB to 128 KiB, random and sequential) through nvme-ring perf,
# while a checker reads every queue's stat line every second and asserts
# that submitted = completed + inflight (one snapshot under the queue's
# lock) and that no counter ever goes backwards.
# TOPOLOGY: extras
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
secs=${NRI_SOAK_SECONDS:-60}
cleanup_rings soak
ring_up soak cpus="$(cat /sys/devices/system/cpu/online)" data_size=8M
info "soak: ${secs}s on $(cat "$NRI_SYS/soak/nr_queues") queues over $(nr_nodes) node(s)"

# the checker: one line per queue and second, the queue then its stat
# line (queues/<q>/stat: one snapshot, "sub comp err inv rd wr inflight
# kicks cqfull remote reads writes others lat_total lat_max"); the
# previous line of each queue kept to compare. Every column but inflight
# only grows.
checker() {
	local prev=/tmp/soak.prev now=/tmp/soak.now d
	: >"$prev"
	while [ ! -e /tmp/soak.stop ]; do
		for d in "$NRI_SYS"/soak/queues/*; do
			echo "${d##*/} $(cat "$d/stat")"
		done >"$now"
		awk -v prevf="$prev" '
		BEGIN { while ((getline l < prevf) > 0) { n = split(l, f, " "); for (i = 2; i <= n; i++) p[f[1], i] = f[i] } }
		NF != 16 { printf "queue %s: %d fields in its stat line: %s\n", $1, NF - 1, $0 }
		{
			if ($2 != $3 + $8)
				printf "queue %s: submitted %s != completed %s + inflight %s\n", $1, $2, $3, $8
			for (i = 2; i <= NF; i++)
				if (i != 8 && ($1, i) in p && $i < p[$1, i])
					printf "queue %s: column %d went back from %s to %s\n", $1, i, p[$1, i], $i
		}' "$now" >>/tmp/soak.bad
		mv "$now" "$prev"
		echo x >>/tmp/soak.ticks
		sleep 1
	done
}
rm -f /tmp/soak.stop /tmp/soak.bad /tmp/soak.ticks
touch /tmp/soak.bad
checker &
cpid=$!

end=$(($(date +%s) + secs))
runs=0
while [ "$(date +%s)" -lt "$end" ]; do
	for spec in "randrw 4k" "randwrite 128k" "write 16k" "randrw 64k" "read 8k"; do
		read -r rw bs <<<"$spec"
		left=$((end - $(date +%s)))
		[ "$left" -gt 0 ] || break
		[ "$left" -le 10 ] || left=10
		nvme-ring perf soak --rw "$rw" --bs "$bs" --depth 16 --time "$left" \
			--size 8M --verify >/tmp/soak.run 2>&1 ||
			{ touch /tmp/soak.stop; wait "$cpid"; fail "$rw $bs: $(tail -n 5 /tmp/soak.run)"; }
		grep -q "verify: .* 0 mismatches" /tmp/soak.run ||
			{ touch /tmp/soak.stop; wait "$cpid"; fail "$rw $bs: $(grep -i mismatch /tmp/soak.run)"; }
		runs=$((runs + 1))
	done
done
touch /tmp/soak.stop
wait "$cpid"
ticks=$(wc -l </tmp/soak.ticks)
[ ! -s /tmp/soak.bad ] || fail "checker: $(head -n 3 /tmp/soak.bad)"
# once a second, give or take; a debug kernel's sysfs reads are slower
[ "$ticks" -ge $((secs / 2 / $(slow_factor))) ] || fail "the checker ran only $ticks times in ${secs}s"
info "$runs verified runs, $ticks checks; $(cat "$NRI_SYS/soak/completed") commands, $(cat "$NRI_SYS/soak/errors") errors"
[ "$(cat "$NRI_SYS/soak/errors")" = 0 ] || fail "commands failed"
ring_down soak
dmesg_clean
pass
