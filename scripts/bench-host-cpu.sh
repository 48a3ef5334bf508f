#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The host's view of a `make bench` run: for every engine, clients and depth
# of tests/bench/ring-vs-uring.sh, the host CPU its vCPU threads used per
# I/O, next to the guest's own figure, from the record vm-host-cpu.sh kept
# (VM_HOST_CPU). Medians [min-max] over the repeats; ratios are paired per
# repeat, as in the guest's table.
#
#   guest us/IO   non-idle guest CPU per I/O (the guest's table)
#   vCPU us/IO    host CPU of all vCPU threads per I/O
#   vCPU/guest    vCPU / guest: below 100%, the guest counted as busy
#                 time its vCPUs spent off the host CPU, nearly all of it
#                 waiting for QEMU's global lock (see vm-host-cpu.sh);
#                 above, the host spent more on the vCPUs than the guest
#                 saw, as when idle vCPUs are woken and halted again
#   device us/IO  host CPU of QEMU's other threads per I/O: the emulated
#                 NVMe controller, interrupts and timers
#
# Usage: bench-host-cpu.sh RECORD

set -euo pipefail

rec=${1:?usage: bench-host-cpu.sh RECORD}
if [ ! -s "$rec" ]; then
	echo "bench-host-cpu: no host CPU record in $rec; nothing to show"
	exit 0
fi

# one line per complete run: engine clients depth repeat ios guest vcpu other
runs=$(awk '
function val(k,   i, kv) {
	for (i = 6; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == k)
			return kv[2]
	}
	return ""
}
{ key = $2 " " $3 " " $4 " " $5 }
$1 == "begin" { bv[key] = val("host_vcpu_ns"); bo[key] = val("host_other_ns") }
$1 == "end" && (key in bv) { dv[key] = val("host_vcpu_ns") - bv[key]; do_[key] = val("host_other_ns") - bo[key] }
$1 == "result" && (key in dv) {
	ios = val("ios")
	if (ios > 0)
		printf "%s %d %s %.3f %.3f\n", key, ios, val("guest_cpu_us_per_io"),
			dv[key] / 1e3 / ios, do_[key] / 1e3 / ios
}' "$rec")
if [ -z "$runs" ]; then
	echo "bench-host-cpu: $rec holds no complete run"
	exit 0
fi

# the guest's helpers for the figures: median_range, runs_field
. "$(dirname "$0")/../tests/guest/lib.sh"

col() {
	runs_field "$@" <<<"$runs"
}

echo "== host view: host CPU of the vCPU threads per I/O; median [min-max] over the repeats"
printf '%-13s %7s %5s %12s %-22s %10s %13s\n' engine clients depth "guest us/IO" "vCPU us/IO" "vCPU/guest" "device us/IO"
while read -r eng nc d; do
	read -r gm _ <<<"$(col "$eng" "$nc" "$d" 6 | median_range)"
	read -r vm vlo vhi <<<"$(col "$eng" "$nc" "$d" 7 | median_range)"
	read -r om _ <<<"$(col "$eng" "$nc" "$d" 8 | median_range)"
	share=$(awk -v g="$gm" -v v="$vm" 'BEGIN { if (g > 0) printf "%.0f%%", 100 * v / g; else print "-" }')
	printf '%-13s %7d %5d %12.2f %-22s %10s %13.2f\n' "$eng" "$nc" "$d" "$gm" \
		"$(printf '%.2f [%.2f-%.2f]' "$vm" "$vlo" "$vhi")" "$share" "$om"
done < <(awk 'BEGIN { n = split("ring ring-uring ring-sqpoll ring-cmd ring-poll uring-pt uring-direct", o, " ")
		for (i = 1; i <= n; i++) rank[o[i]] = i }
	!seen[$1 " " $2 " " $3]++ { print $2, $3, ($1 in rank) ? rank[$1] : 99, $1 }' <<<"$runs" |
	sort -k1,1n -k2,2n -k3,3n | awk '{ print $4, $1, $2 }')

echo
for r in ring ring-uring ring-sqpoll ring-cmd ring-poll; do
	grep -q "^$r " <<<"$runs" || continue
	echo "== host view, $r / io_uring passthrough: I/O per host vCPU-second, per-repeat paired ratio, median [min-max]"
	while read -r nc d; do
		read -r m lo hi <<<"$(awk -v a="$r" -v c="$nc" -v d="$d" '
			$2 == c && $3 == d && $1 == a { va[$4] = $7 }
			$2 == c && $3 == d && $1 == "uring-pt" { vb[$4] = $7 }
			END { for (k in va) if ((k in vb) && va[k] > 0) print vb[k] / va[k] }' <<<"$runs" | median_range)"
		[ "$m" != - ] || continue
		printf '  clients %d depth %3d: %.2fx [%.2f-%.2f]\n' "$nc" "$d" "$m" "$lo" "$hi"
	done < <(awk -v a="$r" '$1 == a && !seen[$2 " " $3]++ { print $2, $3 }' <<<"$runs")
done
