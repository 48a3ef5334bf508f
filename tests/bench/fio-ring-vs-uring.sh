#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: fio with the nvmering engine against fio's own io_uring_cmd
# engine (cmd_type=nvme on /dev/ngXnY, fixed buffers, registered files),
# the same job otherwise: 4 KiB random reads, one job pinned to the first
# CPU, depth 1, 32 and 128, the ring engine in its wait and ioctl modes.
# Engines are interleaved within every repeat; the table shows medians of
# IOPS, guest CPU per I/O (every vCPU, from /proc/stat) and the job's own
# CPU per I/O (fio's usr_cpu + sys_cpu), and the paired ratio of the ring
# engine's best mode to io_uring_cmd in IOPS per CPU-second (target 1.2x).
# A benchmark, not a test: it fails only when fio reports an error.
#
# Knobs: BENCH_TIME=2, BENCH_REPEATS=3, BENCH_DEPTHS="1 32 128",
# BENCH_SPAN=1 GiB.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

TIME=${BENCH_TIME:-2}
REPEATS=${BENCH_REPEATS:-3}
DEPTHS=${BENCH_DEPTHS:-"1 32 128"}
SPAN=${BENCH_SPAN:-$((1 << 30))}
ENGINE=/usr/lib/nvme-ring/nvmering-fio.so
RES=/tmp/fio-bench.results
ENGINES="ring-wait ring-ioctl uring-cmd"

ring_test fio
[ -f "$ENGINE" ] || skip "$ENGINE is not in the image (scripts/install-deps.sh --fio, then make userspace)"
ng=$(ns_generic_dev "$ns")
[ -c "$ng" ] || skip "$ng (the namespace's generic device) is missing"
cpu=$(online_cpus | head -n 1)
trap 'ring_down fiob' EXIT
ring_up fiob cpus="$cpu" sq_entries=256 cq_entries=256 data_size=4M \
	iostats="${BENCH_IOSTATS:-0}"
ncpu=$(online_cpus | wc -l)

echo "== setup"
echo "fio $(fio --version); namespace /dev/$ns ($ng); job on CPU $cpu; ${TIME}s runs, $REPEATS repeats, depths $DEPTHS"

stat_idle() {
	awk '$1 == "cpu" { print $5 + $6 }' /proc/stat
}

# jfield KEY FILE: the first value after "KEY" : in fio's JSON (its read
# section comes first; the job options, strings, before it)
jfield() {
	awk -v k="\"$1\"" '$1 == k { gsub(/,/, "", $3); print $3; exit }' "$2"
}

# run_once ENGINE DEPTH REPEAT: appends "engine depth repeat iops
# cpu_us_per_io job_cpu_us_per_io p50_us p99_us"
run_once() {
	local eng=$1 d=$2 rep=$3 args i0 i1 t0 t1 b
	b=$((d < 16 ? d : 16))
	case $eng in
	ring-wait | ring-ioctl)
		args=(--ioengine="external:$ENGINE" --filename=/dev/nvme_ring/fiob
			--ring_submit="${eng#ring-}") ;;
	uring-cmd)
		args=(--ioengine=io_uring_cmd --cmd_type=nvme --filename="$ng"
			--fixedbufs=1 --registerfiles=1) ;;
	esac
	i0=$(stat_idle)
	t0=$EPOCHREALTIME
	if ! fio --name=bench "${args[@]}" --rw=randread --bs=4k --iodepth="$d" \
		--iodepth_batch_submit="$b" --iodepth_batch_complete_min=1 \
		--size="$SPAN" --time_based=1 --runtime="$TIME" \
		--cpus_allowed="$cpu" --randseed=$((rep * 10 + d)) \
		--output-format=json >/tmp/fio-bench.json 2>&1; then
		echo "FAIL: fio $eng depth $d:"
		tail -n 20 /tmp/fio-bench.json
		return 1
	fi
	t1=$EPOCHREALTIME
	i1=$(stat_idle)
	awk -v eng="$eng" -v d="$d" -v rep="$rep" -v ncpu="$ncpu" -v t0="$t0" \
		-v t1="$t1" -v i0="$i0" -v i1="$i1" \
		-v ios="$(jfield total_ios /tmp/fio-bench.json)" \
		-v iops="$(jfield iops /tmp/fio-bench.json)" \
		-v usr="$(jfield usr_cpu /tmp/fio-bench.json)" \
		-v sys="$(jfield sys_cpu /tmp/fio-bench.json)" \
		-v rt="$(jfield job_runtime /tmp/fio-bench.json)" \
		-v p50="$(awk -F'"' '/"50.000000"/ { gsub(/[^0-9]/, "", $3); print $3 / 1000; exit }' /tmp/fio-bench.json)" \
		-v p99="$(awk -F'"' '/"99.000000"/ { gsub(/[^0-9]/, "", $3); print $3 / 1000; exit }' /tmp/fio-bench.json)" '
	BEGIN {
		if (!ios)
			exit 1
		busy = ncpu * (t1 - t0) - (i1 - i0) / 100
		printf "%s %d %d %.0f %.2f %.2f %.1f %.1f\n", eng, d, rep, iops,
			busy * 1e6 / ios, (usr + sys) / 100 * rt * 1e3 / ios, p50, p99
	}' >>"$RES" || { echo "FAIL: fio $eng depth $d: no I/O in its report"; return 1; }
	tail -n 1 "$RES" | awk '{ printf "  %-10s depth %3d repeat %d: %7.0f IOPS, %6.2f us CPU/IO, job %6.2f us/IO, p50 %s us, p99 %s us\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
}

: >"$RES"
nerr=0
echo "== runs"
for ((rep = 1; rep <= REPEATS; rep++)); do
	for d in $DEPTHS; do
		# rotate the engine order every repeat
		read -r -a list <<<"$ENGINES"
		for ((k = 0; k < ${#list[@]}; k++)); do
			run_once "${list[$(((k + rep) % ${#list[@]}))]}" "$d" "$rep" || nerr=$((nerr + 1))
		done
	done
done

# col ENGINE DEPTH FIELD: one field of the matching runs
col() {
	awk -v e="$1" -v d="$2" -v f="$3" '$1 == e && $2 == d { print $f }' "$RES"
}

echo
echo "== fio: median [min-max] of $REPEATS repeats; CPU/IO counts every vCPU, job us/IO fio's usr+sys of the job"
printf '%-10s %5s  %-26s %9s %10s %9s %9s %9s\n' engine depth IOPS "CPU us/IO" "IOPS/CPU-s" "job us/IO" "p50 us" "p99 us"
for d in $DEPTHS; do
	for eng in $ENGINES; do
		read -r im ilo ihi <<<"$(col "$eng" "$d" 4 | median_range)"
		[ "$im" != - ] || continue
		read -r cm _ <<<"$(col "$eng" "$d" 5 | median_range)"
		read -r jm _ <<<"$(col "$eng" "$d" 6 | median_range)"
		read -r pm _ <<<"$(col "$eng" "$d" 7 | median_range)"
		read -r qm _ <<<"$(col "$eng" "$d" 8 | median_range)"
		printf '%-10s %5d  %-26s %9.2f %10.0f %9.2f %9s %9s\n' "$eng" "$d" \
			"$(printf '%.0f [%.0f-%.0f]' "$im" "$ilo" "$ihi")" "$cm" \
			"$(awk -v c="$cm" 'BEGIN { print (c > 0) ? 1e6 / c : 0 }')" "$jm" "$pm" "$qm"
	done
done

echo
echo "== fio: the ring engine's best mode / io_uring_cmd, per-repeat paired IOPS per CPU-second, median [min-max]"
for d in $DEPTHS; do
	best=-
	bv=
	for eng in ring-wait ring-ioctl; do
		read -r m _ <<<"$(col "$eng" "$d" 5 | median_range)"
		[ "$m" != - ] || continue
		if [ -z "$bv" ] || awk -v a="$m" -v b="$bv" 'BEGIN { exit !(a < b) }'; then
			best=$eng
			bv=$m
		fi
	done
	[ "$best" != - ] || continue
	read -r em elo ehi <<<"$(awk -v a="$best" -v d="$d" '
		$2 == d && $1 == a { ca[$3] = $5 }
		$2 == d && $1 == "uring-cmd" { cb[$3] = $5 }
		END { for (r in ca) if ((r in cb) && ca[r] > 0) print cb[r] / ca[r] }' "$RES" | median_range)"
	[ "$em" != - ] || continue
	printf 'depth %3d: %s %.2fx [%.2f-%.2f]\n' "$d" "$best" "$em" "$elo" "$ehi"
	if [ "$d" = 32 ]; then
		if awk -v r="$em" 'BEGIN { exit !(r >= 1.2) }'; then
			printf 'target (fio, ring engine >= 1.2x the IOPS per CPU-second of io_uring_cmd, depth 32): met, %.2fx\n' "$em"
		else
			printf 'target (fio, ring engine >= 1.2x the IOPS per CPU-second of io_uring_cmd, depth 32): NOT met, %.2fx\n' "$em"
		fi
	fi
done

echo
echo "== raw: engine depth repeat IOPS CPU-us/IO job-us/IO p50 p99"
cat "$RES"
[ "$nerr" -eq 0 ] || fail "$nerr fio run(s) failed"
dmesg_clean
pass
