#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: 4 KiB random reads with their metadata (8 bytes a block in
# a separate buffer) on a namespace formatted with metadata: a ring
# (buffers and metadata in its data area) against io_uring NVMe
# passthrough on /dev/ngXnY (fixed data buffers, metadata in user memory,
# which the kernel pins for every command), one client pinned to the first
# CPU, engines interleaved within every repeat. Prints the medians and the
# per-repeat ratios ring / passthrough. A benchmark, not a test: it fails
# only when a client reports an error, and skips without a metadata
# namespace (make bench adds one: VM_NVME_META).
#
# Knobs (environment): BENCH_TIME=2 seconds a run, BENCH_REPEATS=3,
# BENCH_DEPTHS="1 32".

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

TIME=${BENCH_TIME:-2}
REPEATS=${BENCH_REPEATS:-3}
DEPTHS=${BENCH_DEPTHS:-"1 32"}
RES=/tmp/bench-meta.results

ring_test nri-bench
mns=$(meta_ns 0)
ng=$(ns_generic_dev "$mns")
[ "$(cat "/sys/block/$mns/metadata_bytes")" -gt 0 ] || skip "$mns has no metadata"
cpu=$(online_cpus | head -n 1)
cleanup_rings benchmeta
ring_make benchmeta device="/dev/$mns" cpus="$cpu" iostats="${BENCH_IOSTATS:-0}"
echo 1 >"$NRI_CFS/benchmeta/enable" || fail "enable on $mns"
[ "$(cat "$NRI_SYS/benchmeta/metadata_layout")" = separate ] ||
	skip "$mns keeps its metadata in its blocks, not in a separate buffer"

echo "== setup"
echo "namespace /dev/$mns ($ng): $(cat "/sys/block/$mns/queue/logical_block_size")-byte LBAs with $(cat "/sys/block/$mns/metadata_bytes") bytes of separate metadata; client on CPU $cpu"
ncpu=$(online_cpus | wc -l)
# idle + iowait jiffies of all CPUs, for the CPU the run cost
stat_idle() {
	awk '$1 == "cpu" { print $5 + $6 }' /proc/stat
}

: >"$RES"
for ((rep = 1; rep <= REPEATS; rep++)); do
	for d in $DEPTHS; do
		order="ring uring-pt"
		[ $((rep % 2)) -eq 1 ] || order="uring-pt ring"
		for eng in $order; do
			if [ "$eng" = ring ]; then
				target=(--ring benchmeta)
			else
				target=(--dev "$ng")
			fi
			i0=$(stat_idle)
			t0=$EPOCHREALTIME
			out=$(nri-bench --engine "$eng" "${target[@]}" --meta --cpu "$cpu" \
				--depth "$d" --time "$TIME" --span $((256 << 20)) \
				--seed "$rep" 2>&1) || fail "$eng depth $d: $out"
			t1=$EPOCHREALTIME
			i1=$(stat_idle)
			read -r iops ios <<<"$(awk '{ for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] } }
				END { print v["iops"], v["ios"] }' <<<"$out")"
			[ "${ios:-0}" -gt 0 ] || fail "$eng depth $d: no I/O: $out"
			cpu_us=$(awk -v n="$ncpu" -v t0="$t0" -v t1="$t1" -v i0="$i0" -v i1="$i1" -v ios="$ios" \
				'BEGIN { printf "%.2f", (n * (t1 - t0) - (i1 - i0) / 100) * 1e6 / ios }')
			echo "$eng $d $rep $iops $cpu_us" >>"$RES"
			echo "  $eng depth $d repeat $rep: $iops IOPS, $cpu_us us CPU/IO"
		done
	done
done

# ratio DEPTH FIELD MODE: per-repeat ring / passthrough of FIELD (4: IOPS),
# or passthrough / ring (5: CPU per I/O, so that above 1 favours the ring)
ratio() {
	awk -v d="$1" -v f="$2" -v m="$3" '
	$2 == d && $1 == "ring" { a[$3] = $(f + 0) }
	$2 == d && $1 == "uring-pt" { b[$3] = $(f + 0) }
	END {
		for (r in a) {
			if (!(r in b) || a[r] <= 0 || b[r] <= 0)
				continue
			if (m == "up")
				print a[r] / b[r]
			else
				print b[r] / a[r]
		}
	}' "$RES" | median_range
}

echo "== ring / io_uring passthrough with metadata: per-repeat ratio, median [min-max]"
printf '%5s  %-22s %-22s\n' depth IOPS "IOPS per CPU-second"
for d in $DEPTHS; do
	read -r im ilo ihi <<<"$(ratio "$d" 4 up)"
	read -r em elo ehi <<<"$(ratio "$d" 5 down)"
	[ "$im" != - ] || continue
	printf '%5d  %-22s %-22s\n' "$d" \
		"$(printf '%.2fx [%.2f-%.2f]' "$im" "$ilo" "$ihi")" \
		"$(printf '%.2fx [%.2f-%.2f]' "$em" "$elo" "$ehi")"
done
echo "== raw: engine depth repeat IOPS CPU-us/IO"
cat "$RES"
ring_down benchmeta
dmesg_clean
pass
