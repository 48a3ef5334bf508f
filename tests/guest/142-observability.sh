#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: what an operator watches agrees with what the ring did. A
# verified run with the nvme_ring_io tracepoints on: a submit and a
# complete event per command the device ran, their largest latency the
# ring's lat_max_ns; the ring's reads, writes, bytes and latency counters
# add up across queues, each queue's stat line holds them all, one moment
# however it is read (and nvme-ring stat shows those moments), and stat -i
# shows them as rates; the disk's
# /proc/diskstats and /sys/block stat moved by exactly the ring's reads,
# writes and sectors (and not at all with iostats=0); a refused command
# gives a reject event with its reason,
# a full CQ a cq_full event per counted one, an idle SQ poller sleep and
# wake events, and enable and disable state events.
# KERNELS: 6.1
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring nri-io nri-hammer
cleanup_rings ob ob2 ob3
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
[ -d "$tr/events" ] || tr=/sys/kernel/debug/tracing
[ -d "$tr/events" ] || skip "no tracefs in this kernel"
ev=$tr/events/nvme_ring_io
for e in submit reject complete cq_full sq_poll_sleep sq_poll_wake state path; do
	[ -d "$ev/nvme_ring_io_$e" ] || fail "no tracepoint nvme_ring_io_$e"
done
cpus=$(cat /sys/devices/system/cpu/online)
trace_off() {
	echo 0 >"$ev/enable"
	echo 0 >"$tr/tracing_on"
}
trap 'trace_off; nri_cleanup_rings' EXIT

# trace_start: an empty buffer, big enough, every event on
trace_start() {
	echo 0 >"$tr/tracing_on"
	echo 8192 >"$tr/buffer_size_kb"
	echo >"$tr/trace"
	echo 1 >"$ev/enable"
	echo 1 >"$tr/tracing_on"
}
# events EVENT RING: the trace's lines of EVENT for RING
events() {
	grep -E " nvme_ring_io_$1: ring=$2( |$)" "$tr/trace"
}
# disk_stat FIELD: field FIELD of /sys/block/$ns/stat (1 reads, 3 sectors
# read, 5 writes, 7 sectors written)
disk_stat() {
	awk -v f="$1" '{ print $f }' "/sys/block/$ns/stat"
}
c() { cat "$NRI_SYS/$1/$2"; }

# a verified run, traced, beside the disk's counters
trace_start
ring_up ob cpus="$cpus"
r0=$(disk_stat 1) rs0=$(disk_stat 3) w0=$(disk_stat 5) ws0=$(disk_stat 7)
d0=$(awk -v d="$ns" '$3 == d { print $4 + $8 }' /proc/diskstats)
nvme-ring perf ob --rw randrw --bs 4k --depth 8 --ios 2000 --size 1M --verify \
	>/tmp/ob.out 2>&1 || fail "perf: $(tail -n 3 /tmp/ob.out)"
echo 0 >"$tr/tracing_on"
reads=$(c ob reads) writes=$(c ob writes) others=$(c ob others)
n=$((reads + writes + others))
if [ "$reads" -eq 0 ] || [ "$writes" -eq 0 ]; then
	fail "reads $reads, writes $writes"
fi
info "ring: $reads reads, $writes writes, $others others, mean $(($(c ob lat_total_ns) / n)) ns, max $(c ob lat_max_ns) ns"
[ "$n" = "$(c ob completed)" ] || fail "$n commands by kind, $(c ob completed) completed"
[ "$(events submit ob | wc -l)" = "$n" ] || fail "$(events submit ob | wc -l) submit events for $n commands"
[ "$(events complete ob | wc -l)" = "$n" ] || fail "$(events complete ob | wc -l) complete events for $n commands"
[ "$(events complete ob | grep -vc ' status=0x0 err=0 ')" = 0 ] || fail "a complete event with an error"
tmax=$(events complete ob | sed 's/.*latency_ns=//' | sort -n | tail -n 1)
[ "$tmax" = "$(c ob lat_max_ns)" ] || fail "largest traced latency $tmax, lat_max_ns $(c ob lat_max_ns)"
events submit ob | head -n 1 | grep -qE 'queue=[0-9]+ slot=0x[0-9a-f]+ opcode=0x0[12] slba=[0-9]+ bytes=4096$' ||
	fail "submit event: $(events submit ob | head -n 1)"

# per queue, the counters add up to the ring's; the maximum is the largest
sum_r=0 sum_l=0 qmax=0
for q in $(ring_queues ob); do
	sum_r=$((sum_r + $(qattr ob "$q" reads)))
	sum_l=$((sum_l + $(qattr ob "$q" lat_total_ns)))
	m=$(qattr ob "$q" lat_max_ns)
	[ "$m" -gt "$qmax" ] && qmax=$m
done
[ "$sum_r" = "$reads" ] || fail "queues' reads $sum_r, ring's $reads"
[ "$sum_l" = "$(c ob lat_total_ns)" ] || fail "queues' lat_total_ns $sum_l, ring's $(c ob lat_total_ns)"
[ "$qmax" = "$(c ob lat_max_ns)" ] || fail "queues' largest lat_max_ns $qmax, ring's $(c ob lat_max_ns)"

# queues/<q>/stat: every counter, in the ABI's order, each as its own file
names="submitted completed errors invalid_descs bytes_read bytes_written inflight
	sq_empty_kicks cq_full_events remote_submits reads writes others lat_total_ns lat_max_ns"
for q in $(ring_queues ob); do
	line=$(cat "$NRI_SYS/ob/queues/$q/stat") || fail "queue $q: no stat"
	i=0
	for f in $names; do
		i=$((i + 1))
		v=$(echo "$line" | awk -v i="$i" '{ print $i }')
		[ "$v" = "$(qattr ob "$q" "$f")" ] || fail "queue $q: stat field $i is $v, $f is $(qattr ob "$q" "$f")"
	done
	[ "$(echo "$line" | wc -w)" = "$i" ] || fail "queue $q: stat has $(echo "$line" | wc -w) fields, not $i: $line"
done

# the disk saw exactly the ring's I/O
[ $(($(disk_stat 1) - r0)) = "$reads" ] || fail "disk reads moved by $(($(disk_stat 1) - r0)), the ring read $reads times"
[ $(($(disk_stat 5) - w0)) = "$writes" ] || fail "disk writes moved by $(($(disk_stat 5) - w0)), the ring wrote $writes times"
[ $((($(disk_stat 3) - rs0) * 512)) = "$(c ob bytes_read)" ] ||
	fail "disk sectors read moved by $(($(disk_stat 3) - rs0)), the ring read $(c ob bytes_read) bytes"
[ $((($(disk_stat 7) - ws0) * 512)) = "$(c ob bytes_written)" ] ||
	fail "disk sectors written moved by $(($(disk_stat 7) - ws0)), the ring wrote $(c ob bytes_written) bytes"
d1=$(awk -v d="$ns" '$3 == d { print $4 + $8 }' /proc/diskstats)
[ $((d1 - d0)) = $((reads + writes)) ] || fail "/proc/diskstats moved by $((d1 - d0)), not $((reads + writes))"
[ "$(awk '{ print $9 }' "/sys/block/$ns/stat")" = 0 ] || fail "the disk says I/O is still in flight"
nvme-ring stat ob -o json | grep -q '"lat_mean_ns": ' || fail "stat -o json lacks lat_mean_ns"
nvme-ring stat ob | grep -q "LAT_AVG(us)" || fail "the stat table lacks the latency columns"

# stat -i under load: reads and writes per second, the interval's latency
nvme-ring perf ob --rw randrw --depth 4 --time 1200 --size 1M >/dev/null 2>&1 &
pid=$!
wait_for 10 value_is "$NRI_SYS/ob/completed" -gt "$n"
# one moment per line however small the reads: submitted = completed +
# inflight while the counters move (the table, formatted per read(), can
# split a line between two moments)
moved=0
for round in $(seq 30); do
	for q in $(ring_queues ob); do
		line=$(dd if="$NRI_SYS/ob/queues/$q/stat" bs=4 2>/dev/null)
		read -r sub comp _ _ _ _ inf _ <<<"$line"
		[ "$sub" = $((comp + inf)) ] || fail "queue $q, read $round in 4-byte reads: submitted $sub != completed $comp + inflight $inf"
		[ "$inf" -gt 0 ] && moved=$((moved + 1))
	done
done
[ "$moved" -gt 0 ] || fail "no stat line was read with commands in flight"
info "queues/<q>/stat in 4-byte reads: $moved of the lines had commands in flight, all consistent"
# nvme-ring stat takes each queue (and so the total) from those lines
for round in $(seq 10); do
	nvme-ring stat ob -o json >/tmp/ob.json || fail "stat -o json under load"
	awk '/"submitted": / { s = $2 + 0 } /"completed": / { c = $2 + 0 }
		/"inflight": / { n++; if (s != c + $2) { print "submitted " s " != completed " c " + inflight " $2 + 0; bad = 1 } }
		END { exit bad || n < 2 }' /tmp/ob.json || fail "stat -o json under load: $(cat /tmp/ob.json)"
done
kill -0 "$pid" 2>/dev/null || fail "the load ended before stat -i ran"
nvme-ring stat ob -i 1 -c 2 -o json >/tmp/rates.json || fail "stat -i -o json"
# the load runs until the rates are read, however slow the machine
kill -TERM "$pid"
wait "$pid" || fail "perf beside stat -i"
awk '/"total"/ { t = 1 } t && /"(reads_per_sec|writes_per_sec|lat_mean_us)": / {
	v = $2; sub(/,$/, "", v); if (v + 0 <= 0) bad = bad " " $1 } END { exit bad != "" }' \
	/tmp/rates.json || fail "stat -i rates: $(cat /tmp/rates.json)"
nvme-ring stat ob -i 0.2 -c 1 | grep -q "LAT(us)" || fail "stat -i lacks the latency column"

# disable: a state event, and the enable before it had one
trace_start
echo 0 >"$NRI_CFS/ob/enable" || fail "disable"
events state ob | grep -q 'from=live to=disabled' || fail "no live -> disabled event: $(events state ob)"
echo 1 >"$NRI_CFS/ob/enable" || fail "enable"
events state ob | grep -q 'from=disabled to=live' || fail "no disabled -> live event: $(events state ob)"

# iostats=0: the disk's counters stand still
ring_up ob2 cpus="$cpus" iostats=0
r0=$(disk_stat 1) w0=$(disk_stat 5)
nri-io --nlb 64 --seed 81 write ob2 >/dev/null || fail "write on ob2"
nri-io --nlb 64 --seed 81 verify ob2 >/dev/null || fail "verify on ob2"
if [ "$(disk_stat 1)" != "$r0" ] || [ "$(disk_stat 5)" != "$w0" ]; then
	fail "iostats=0, yet the disk counted I/O ($r0 -> $(disk_stat 1) reads, $w0 -> $(disk_stat 5) writes)"
fi
[ "$(c ob2 writes)" -gt 0 ] || fail "ob2 counted no writes"
ring_down ob2

# a refused command: a reject event, with its reason, per refused one
trace_start
if ! { echo 0 >"$NRI_CFS/ob/enable" && echo read >"$NRI_CFS/ob/opcodes" &&
	echo 1 >"$NRI_CFS/ob/enable"; }; then
	fail "ob read-only"
fi
nri-io --nlb 8 write ob >/dev/null 2>&1 && fail "a write on a read-only ring succeeded"
[ "$(c ob invalid_descs)" -gt 0 ] || fail "no refused command counted"
[ "$(events reject ob | wc -l)" = "$(c ob invalid_descs)" ] ||
	fail "$(events reject ob | wc -l) reject events for $(c ob invalid_descs) refused commands"
events reject ob | grep -qE 'opcode=0x01 status=0x[0-9a-f]+ err=-[0-9]+ reason="[^"]+' ||
	fail "reject event: $(events reject ob | head -n 1)"
info "reject: $(events reject ob | head -n 1 | sed 's/.*reason=//')"
ring_down ob

# an SQ poller: a full CQ, sleeps and wakes
trace_start
ring_up ob3 cpus="$cpus" sq_poll=1 sq_poll_idle_ms=10
out=$(nri-hammer cqfull ob3 0 2>&1) || fail "cqfull: $out"
sleep 0.5
nri-io --queue 0 --nlb 8 write ob3 >/dev/null || fail "the next client on ob3"
sleep 0.5
echo 0 >"$tr/tracing_on"
[ "$(c ob3 cq_full_events)" -gt 0 ] || fail "no cq_full_events counted"
[ "$(events cq_full ob3 | wc -l)" = "$(c ob3 cq_full_events)" ] ||
	fail "$(events cq_full ob3 | wc -l) cq_full events for $(c ob3 cq_full_events) counted"
[ "$(events sq_poll_sleep ob3 | wc -l)" -gt 0 ] || fail "no sq_poll_sleep event"
[ "$(events sq_poll_wake ob3 | wc -l)" -gt 0 ] || fail "no sq_poll_wake event"
ring_down ob3
trace_off
dmesg_clean
pass
