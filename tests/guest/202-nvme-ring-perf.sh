#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: nvme-ring perf drives every queue of a ring (one pinned
# client per queue): --verify writes patterns and checks every byte read
# back, for read, write and mixed workloads; -o json reports every queue
# with no errors and the ring's counters moved on every queue; reads and
# writes are reported apart in fio's shape (--rwmixread, time suffixes);
# stat -o prometheus gives the counters in Prometheus' text format.
# TOPOLOGY: any
. "$(dirname "$0")/lib.sh"

ring_test nvme-ring
name=nr202

cleanup_rings "$name"

nvme-ring create "$name" --device "/dev/$ns" --depth 32 --data-size 2M ||
	fail "create $name"
nq=$(cat "$NRI_SYS/$name/nr_queues")
info "$nq queue(s)"

nvme-ring perf "$name" --rw randwrite --bs 4k --depth 8 --ios 2000 --size 1M --verify ||
	fail "perf randwrite --verify"
nvme-ring perf "$name" --rw randread --bs 4k --depth 16 --time 2 --size 1M --verify ||
	fail "perf randread --verify"
nvme-ring perf "$name" --rw randrw --bs 8k --depth 8 --time 1 --size 1M --verify -o json >/tmp/perf.json ||
	{ cat /tmp/perf.json; fail "perf randrw --verify -o json"; }
cat /tmp/perf.json
grep -q '"result": "ok"' /tmp/perf.json || fail "json result is not ok"
[ "$(grep -c '"queue": ' /tmp/perf.json)" -eq "$nq" ] || fail "json has not $nq queues"
if grep -E '"(errors|mismatches)": [1-9]' /tmp/perf.json; then
	fail "errors or mismatches reported"
fi
grep -qE '"verified_bytes": [1-9]' /tmp/perf.json || fail "nothing verified"
nvme-ring perf "$name" --rw read --bs 16k --depth 4 --ios 400 ||
	fail "perf read"

# fio-grade reports: reads and writes apart, --rwmixread, time suffixes,
# latency min <= mean <= max with fio's percentiles, the clients' CPU
nvme-ring perf "$name" --rw randrw --rwmixread 80 --depth 8 --time 1500ms --size 1M \
	-o json >/tmp/mix.json || { cat /tmp/mix.json; fail "perf --rwmixread 80 -o json"; }
# jfield OBJ KEY: KEY's number inside the JSON object OBJ of the total
jfield() {
	awk -v o="\"$1\": {" -v k="\"$2\": " '
		index($0, o) { in_o = 1; next }
		in_o && index($0, k) { sub(/.*": /, ""); sub(/,$/, ""); print; exit }' /tmp/mix.json
}
r=$(jfield read total_ios)
w=$(jfield write total_ios)
info "randrw 80% reads: $r reads, $w writes"
if [ -z "$r" ] || [ -z "$w" ] || [ "$((r + w))" -le 100 ]; then
	fail "no read/write totals: $(cat /tmp/mix.json)"
fi
pct=$((r * 100 / (r + w)))
[ "$pct" -ge 70 ] || fail "--rwmixread 80 gave $r reads and $w writes"
[ "$pct" -le 90 ] || fail "--rwmixread 80 gave $r reads and $w writes"
for d in read write; do
	min=$(jfield "$d" min)
	max=$(jfield "$d" max)
	mean=$(jfield "$d" mean)
	p50=$(jfield "$d" 50.000000)
	p9999=$(jfield "$d" 99.990000)
	awk -v a="$min" -v b="$mean" -v c="$max" -v p="$p50" -v q="$p9999" \
		'BEGIN { exit !(a > 0 && a <= b && b <= c && p > 0 && p <= q && q <= c) }' ||
		fail "$d latency: min $min mean $mean max $max p50 $p50 p99.99 $p9999"
	[ -n "$(jfield "$d" stddev)" ] || fail "$d lacks stddev"
	[ -n "$(jfield "$d" bw_bytes)" ] || fail "$d lacks bw_bytes"
done
for k in usr_cpu sys_cpu usr_us_per_io sys_us_per_io; do
	grep -qE "\"$k\": [0-9.]+" /tmp/mix.json || fail "json lacks $k"
done
grep -q '"rwmixread": 80' /tmp/mix.json || fail "json lacks rwmixread"
nvme-ring perf "$name" --rw randrw --rwmixread 0 --depth 8 --ios 400 --size 1M >/tmp/mix.txt ||
	fail "perf --rwmixread 0"
cat /tmp/mix.txt
grep -q "^write: IOPS=" /tmp/mix.txt || fail "no write line: $(cat /tmp/mix.txt)"
grep -q "^read:" /tmp/mix.txt && fail "reads with --rwmixread 0"
grep -q "lat percentiles (usec):" /tmp/mix.txt || fail "no percentiles"
grep -q "99.99th=" /tmp/mix.txt || fail "no 99.99th percentile"
grep -q "^cpu (clients, while running): usr=" /tmp/mix.txt || fail "no CPU line"
expect_fail nvme-ring perf "$name" --time 1x
expect_fail nvme-ring perf "$name" --rwmixread 50

# every queue did I/O, without errors
for q in $(seq 0 $((nq - 1))); do
	c=$(cat "$NRI_SYS/$name/queues/$q/completed")
	[ "$c" -gt 0 ] || fail "queue $q completed nothing"
	[ "$(cat "$NRI_SYS/$name/queues/$q/errors")" = 0 ] || fail "queue $q has errors"
done
[ "$(cat "$NRI_SYS/$name/inflight")" = 0 ] || fail "commands still in flight"

# the counters in Prometheus' text format: every sample line well formed,
# HELP and TYPE for each metric, the values sysfs has
nvme-ring stat "$name" -o prometheus >/tmp/prom.txt || fail "stat -o prometheus"
nvme-ring stat -o prometheus >/tmp/prom-all.txt || fail "stat -o prometheus (all rings)"
grep -q "ring=\"$name\"" /tmp/prom-all.txt || fail "all rings' output lacks $name"
bad=$(grep -v '^#' /tmp/prom.txt | grep -vE '^nvme_ring_io_[a-z_]+\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\} [0-9]+$')
[ -z "$bad" ] || fail "malformed Prometheus lines: $bad"
grep -v '^#' /tmp/prom.txt | sed 's/{.*//' | sort -u >/tmp/prom.metrics
while read -r m; do
	grep -q "^# HELP $m " /tmp/prom.txt || fail "no HELP for $m"
	grep -qE "^# TYPE $m (counter|gauge)$" /tmp/prom.txt || fail "no TYPE for $m"
done </tmp/prom.metrics
[ "$(wc -l </tmp/prom.metrics)" -ge 11 ] || fail "only $(wc -l </tmp/prom.metrics) metrics"
for q in $(seq 0 $((nq - 1))); do
	v=$(sed -n "s/^nvme_ring_io_completed_total{ring=\"$name\",queue=\"$q\"} //p" /tmp/prom.txt)
	[ "$v" = "$(cat "$NRI_SYS/$name/queues/$q/completed")" ] ||
		fail "queue $q: completed_total '$v', sysfs $(cat "$NRI_SYS/$name/queues/$q/completed")"
	v=$(sed -n "s/^nvme_ring_io_read_bytes_total{ring=\"$name\",queue=\"$q\"} //p" /tmp/prom.txt)
	[ "$v" = "$(cat "$NRI_SYS/$name/queues/$q/bytes_read")" ] || fail "queue $q: read_bytes_total '$v'"
done
grep -q "^nvme_ring_io_ring_info{ring=\"$name\",device=\"/dev/$ns\",state=\"live\",queues=\"$nq\"} 1$" /tmp/prom.txt ||
	fail "no ring_info line: $(grep ring_info /tmp/prom.txt)"
expect_fail nvme-ring stat "$name" -o prometheus --interval 1

# a command the ring refuses: perf fails and says so
if ! { echo 0 >"$NRI_CFS/$name/enable" && echo read >"$NRI_CFS/$name/opcodes" &&
	echo 1 >"$NRI_CFS/$name/enable"; }; then
	fail "reconfigure $name read-only"
fi
rc=0
nvme-ring perf "$name" --rw randwrite --ios 10 2>/tmp/err.txt || rc=$?
[ "$rc" -ne 0 ] || fail "randwrite on a read-only ring succeeded"
grep -q "does not allow write" /tmp/err.txt || fail "no clear message: $(cat /tmp/err.txt)"

# the ring goes away under a running perf: it stops and says so
if ! { echo 0 >"$NRI_CFS/$name/enable" && echo read,write >"$NRI_CFS/$name/opcodes" &&
	echo 1 >"$NRI_CFS/$name/enable"; }; then
	fail "reconfigure $name"
fi
nvme-ring perf "$name" --rw randread --depth 4 --time 25 >/tmp/bg.txt 2>&1 &
pid=$!
wait_for 10 value_is "$NRI_SYS/$name/completed" -gt 100
nvme-ring destroy "$name" >/dev/null || fail "destroy under load"
rc=0
wait "$pid" || rc=$?
cat /tmp/bg.txt
[ "$rc" -ne 0 ] || fail "perf succeeded although its ring was destroyed"
grep -q "ring died: the ring was disabled or destroyed" /tmp/bg.txt || fail "perf did not say the ring died"
dmesg_clean
pass
