#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: where the guest's CPU goes per I/O, ring against io_uring NVMe
# passthrough: one pinned client at depth 32 (4 KiB random reads), profiled
# with perf (cpu-clock samples on every vCPU, with call chains). Each
# non-idle sample is put in one bucket, and the table shows microseconds of
# guest CPU per I/O in each:
#
#   doorbell  the SQ doorbell write in the NVMe driver: samples that land
#             on the unlock right after it, in nvme_queue_rq(s). Under
#             emulation the vCPU stops at the write until QEMU's device
#             model has let go of its global lock, so this bucket measures
#             the emulated device, not the I/O path.
#   clock     reading the clock source (read_hpet, read_tsc ...)
#   kernel    all other kernel work: the submission interface, blk-mq, the
#             driver, interrupts, scheduling
#   user      the client itself
#
# "path" is kernel + user: the CPU the I/O path itself costs. A benchmark,
# not a test: it needs perf in the guest (make bench copies the host's) and
# skips without it.
#
# Knobs (environment): BENCH_PROFILE_TIME=3 seconds a run,
# BENCH_PROFILE_REPEATS=2, BENCH_PROFILE_DEPTH=32, BENCH_BATCH=16,
# BENCH_SPAN=1 GiB, BENCH_PROFILE_FREQ=2000 samples a second and vCPU,
# BENCH_PROFILE_TOP=25 functions listed per engine,
# BENCH_PROFILE_ENGINES="ring uring-pt" (nri-bench engines on the ring or
# on the namespace's generic device: ring, ring-uring, ring-cmd, uring-pt).

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

TIME=${BENCH_PROFILE_TIME:-3}
REPEATS=${BENCH_PROFILE_REPEATS:-2}
DEPTH=${BENCH_PROFILE_DEPTH:-32}
BATCH=${BENCH_BATCH:-16}
SPAN=${BENCH_SPAN:-$((1 << 30))}
FREQ=${BENCH_PROFILE_FREQ:-2000}
RING=benchprof
ENGINES=${BENCH_PROFILE_ENGINES:-"ring uring-pt"}

require_module
require_tool nri-bench
command -v perf >/dev/null ||
	skip "perf is not in the guest image (VM_EXTRA_BINS=perf; make bench adds it when the host has perf)"
ns=$(first_ns)
ng=$(ns_generic_dev "$ns")
[ -c "$ng" ] || skip "$ng (the namespace's generic device) is missing"
perf record -q -o /tmp/prof.check -e cpu-clock -- true >/dev/null 2>&1 ||
	skip "perf cannot sample cpu-clock in this guest"

trap 'ring_down $RING' EXIT
ring_up "$RING" cpus="$(cat /sys/devices/system/cpu/online)" iostats="${BENCH_IOSTATS:-0}"
read -r -d "" -a nodes <<<"$(online_nodes)" || true
cpu=$(node_cpus "${nodes[0]}" | head -n 1)

echo "== profile: one client on CPU $cpu, depth $DEPTH, batch $BATCH, ${TIME}s a run, $REPEATS repeats"
echo "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource); perf cpu-clock at $FREQ Hz on all $(online_cpus | wc -l) vCPUs"

# buckets SAMPLES_FILE [TOPFILE]: prints "total idle doorbell clock kernel
# user" sample counts; writes the kernel bucket's samples by function to
# TOPFILE
buckets() {
	perf script -i "$1" -F ip,sym 2>/dev/null | awk -v top="${2:-/dev/null}" '
	function flush() {
		if (!n)
			return
		total++
		if (stack ~ / (default_idle|pv_native_safe_halt|mwait_idle|cpu_idle_poll|acpi_idle_do_entry|default_idle_call)\+?/ && leaf ~ /halt|idle/)
			idle++
		else if (leaf == "_raw_spin_unlock" && caller ~ /^nvme_(queue_rqs?|submit_cmds)/)
			db++
		else if (leaf ~ /^(read_hpet|read_tsc|hpet_|acpi_pm_read|kvm_clock)/)
			clk++
		else if (udso)
			user++
		else {
			kern++
			fn[leaf]++
		}
		n = 0; stack = ""; leaf = ""; caller = ""; udso = 0
	}
	/^[[:space:]]*$/ { flush(); next }
	{
		sym = $2
		sub(/\+0x[0-9a-f]+$/, "", sym)
		if (!n) {
			leaf = sym
			# kernel addresses are in the top half
			udso = $1 !~ /^ffff/
		} else if (n == 1) {
			caller = sym
		}
		stack = stack " " sym
		n++
	}
	END {
		flush()
		printf "%d %d %d %d %d %d\n", total, idle, db, clk, kern, user
		for (k in fn)
			printf "%d %s\n", fn[k], k >top
	}'
}

RES=/tmp/prof.results
: >"$RES"
nerr=0
for rep in $(seq 1 "$REPEATS"); do
	for eng in $ENGINES; do
		case $eng in
		ring | ring-uring | ring-cmd) target=(--ring "$RING") ;;
		uring-pt) target=(--dev "$ng") ;;
		*) fail "BENCH_PROFILE_ENGINES: $eng is not one of ring, ring-uring, ring-cmd, uring-pt" ;;
		esac
		if ! perf record -q -o /tmp/prof.data -a -g -e cpu-clock -F "$FREQ" -- \
			nri-bench --engine "$eng" "${target[@]}" --cpu "$cpu" \
			--depth "$DEPTH" --batch "$BATCH" --time "$TIME" \
			--span "$SPAN" --seed "$rep" >/tmp/prof.out 2>&1; then
			echo "FAIL: $eng: perf or the client failed:"
			cat /tmp/prof.out
			nerr=$((nerr + 1))
			continue
		fi
		ios=$(sed -n 's/.* ios=\([0-9]*\) .*/\1/p' /tmp/prof.out | tail -n 1)
		if [ -z "$ios" ] || [ "$ios" = 0 ]; then
			echo "FAIL: $eng: no I/O:"
			cat /tmp/prof.out
			nerr=$((nerr + 1))
			continue
		fi
		echo "$eng $ios $(buckets /tmp/prof.data "/tmp/prof.top.$eng")" >>"$RES"
		echo "$ios" >"/tmp/prof.ios.$eng"
	done
done

echo
echo "== guest CPU per I/O by bucket (us), all vCPUs, median of $REPEATS repeats"
awk -v f="$FREQ" -v t="$TIME" '
function us(s, ios) { return s / f * 1e6 / ios }
{
	e = $1; n[e]++; i = n[e]
	iops[e, i] = $2 / t
	busy[e, i] = us($3 - $4, $2); db[e, i] = us($5, $2); ck[e, i] = us($6, $2)
	kn[e, i] = us($7, $2); us_[e, i] = us($8, $2); path[e, i] = us($7 + $8, $2)
}
function med(a, e,   k, m, v, j, x) {
	m = n[e]
	for (k = 1; k <= m; k++) v[k] = a[e, k]
	for (k = 2; k <= m; k++) { x = v[k]; for (j = k - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
END {
	printf "%-10s %9s %8s %9s %7s %7s %6s %7s\n", "engine", "IOPS", "busy", "doorbell", "clock", "kernel", "user", "path"
	for (e in n)
		printf "%-10s %9d %8.2f %9.2f %7.2f %7.2f %6.2f %7.2f\n", e, med(iops, e), med(busy, e), med(db, e), med(ck, e), med(kn, e), med(us_, e), med(path, e)
	if (n["ring"] && n["uring-pt"]) {
		printf "\nring / io_uring passthrough, I/O per CPU-second: busy %.2fx, path (without doorbell and clock) %.2fx\n",
			med(busy, "uring-pt") / med(busy, "ring"), med(path, "uring-pt") / med(path, "ring")
	}
}' "$RES"

# where the kernel bucket goes, last repeat: functions by their own samples
TOP=${BENCH_PROFILE_TOP:-25}
for eng in $ENGINES; do
	[ -s "/tmp/prof.top.$eng" ] || continue
	echo
	echo "== $eng: kernel bucket by function (own samples), us per I/O, top $TOP"
	# then the rest in one line, and the module's own functions in all
	sort -rn "/tmp/prof.top.$eng" |
		awk -v f="$FREQ" -v ios="$(cat "/tmp/prof.ios.$eng")" -v top="$TOP" '
		{ u = $1 / f * 1e6 / ios }
		$2 ~ /^_*nri_/ { own += u; nown++ }
		NR <= top { printf "  %6.3f  %s\n", u, $2; next }
		{ rest += u; nrest++ }
		END {
			if (nrest)
				printf "  %6.3f  (the other %d functions)\n", rest, nrest
			if (nown)
				printf "  %6.3f  (nvme_ring_io'"'"'s own %d functions, above or not)\n", own, nown
		}'
done

[ "$nerr" = 0 ] || fail "$nerr profiled run(s) failed"
exit 0
