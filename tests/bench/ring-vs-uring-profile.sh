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
# "path" is kernel + user: the CPU the I/O path itself costs. Within it,
# "shared" is the work both paths hand to the same code: blk-mq, the NVMe
# driver (but for nvme's passthrough entry points in ioctl.c), the target
# (nvmet, null_blk) and interrupt entry. A sample goes to the first of
# these or of the submission interfaces (nvme_ring_io, io_uring, nvme's
# passthrough ioctl and uring_cmd, blk_rq_map_user) met walking its call
# chain from the leaf, so a wakeup in the ring's completion counts as the
# ring's, a tag taken for either as shared. "own" = path - shared: the
# path outside blk-mq, the nvme driver and the device, what the
# project's 2x target compares; a chain that names neither counts as own.
# A benchmark, not a test: it needs perf in the guest (make bench copies
# the host's) and skips without it.
#
# Knobs (environment): BENCH_PROFILE_TIME=3 seconds a run,
# BENCH_PROFILE_REPEATS=2, BENCH_PROFILE_DEPTH=32, BENCH_BATCH=16,
# BENCH_SPAN=1 GiB, BENCH_PROFILE_FREQ=2000 samples a second and vCPU,
# BENCH_PROFILE_TOP=25 functions listed per engine,
# BENCH_PROFILE_ENGINES="ring ring-wait uring-pt uring-pt-wait" (nri-bench
# engines on the ring or on the namespace's generic device: ring,
# ring-wait, ring-uring, ring-cmd, uring-pt, uring-pt-wait). The target
# line compares the ring engine with the smallest own path against the
# io_uring one with the smallest.

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

TIME=${BENCH_PROFILE_TIME:-3}
REPEATS=${BENCH_PROFILE_REPEATS:-2}
DEPTH=${BENCH_PROFILE_DEPTH:-32}
BATCH=${BENCH_BATCH:-16}
SPAN=${BENCH_SPAN:-$((1 << 30))}
FREQ=${BENCH_PROFILE_FREQ:-2000}
RING=benchprof
ENGINES=${BENCH_PROFILE_ENGINES:-"ring ring-wait uring-pt uring-pt-wait"}

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

# The call chain frames that make a kernel sample the submission
# interface's own, or shared (see above), leafward first.
OWN_RE='^(_*nri_|_*io_[a-z_]+|nvme_uring_|nvme_ns_chr_uring|nvme_ns_uring|nvme_map_user_request|nvme_alloc_user_request|nvme_cmd_allowed|nvme_(ns_)?(chr_)?ioctl|nvme_user_cmd|nvme_submit_user_cmd|blk_rq_map_user|blk_rq_unmap_user)'
SHARED_RE='^(_*blk_mq_|blk_execute_rq|blk_add_rq_to_plug|_*blk_account_io|blk_start_plug|blk_finish_plug|_*blk_flush_plug|blk_add_timer|blk_complete_reqs|blk_done_softirq|_*nvme_|_*nvmet_|_*null_|_*nullb_|_*common_interrupt|asm_common_interrupt|asm_sysvec_|_*sysvec_|handle_edge_irq|_*handle_irq_event|_*irq_exit_rcu|_*do_softirq|handle_softirqs|_*msi_)'

# buckets SAMPLES_FILE [TOPFILE]: prints "total idle doorbell clock kernel
# user shared" sample counts (shared: the part of kernel above); writes
# the kernel bucket's samples by function to TOPFILE
buckets() {
	perf script -i "$1" -F ip,sym 2>/dev/null |
		awk -v top="${2:-/dev/null}" -v own_re="$OWN_RE" -v shared_re="$SHARED_RE" '
	# whether the sample is in shared code: its first classified frame
	function shared(   k) {
		for (k = 0; k < n; k++) {
			# io_schedule*() is the block layer sleeping: look further
			if (fr[k] ~ /^io_schedule/)
				continue
			if (fr[k] ~ own_re)
				return 0
			if (fr[k] ~ shared_re)
				return 1
		}
		return 0
	}
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
			if (shared())
				shr++
			else
				ofn[leaf]++
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
		fr[n++] = sym
	}
	END {
		flush()
		printf "%d %d %d %d %d %d %d\n", total, idle, db, clk, kern, user, shr
		for (k in fn)
			printf "%d %s\n", fn[k], k >top
		for (k in ofn)
			printf "%d %s\n", ofn[k], k >(top ".own")
	}'
}

RES=/tmp/prof.results
: >"$RES"
nerr=0
for rep in $(seq 1 "$REPEATS"); do
	for eng in $ENGINES; do
		case $eng in
		ring | ring-wait | ring-uring | ring-cmd) target=(--ring "$RING") ;;
		uring-pt | uring-pt-wait) target=(--dev "$ng") ;;
		*) fail "BENCH_PROFILE_ENGINES: $eng is not one of ring, ring-wait, ring-uring, ring-cmd, uring-pt, uring-pt-wait" ;;
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
	sh[e, i] = us($9, $2); own[e, i] = us($7 + $8 - $9, $2)
}
function med(a, e,   k, m, v, j, x) {
	m = n[e]
	for (k = 1; k <= m; k++) v[k] = a[e, k]
	for (k = 2; k <= m; k++) { x = v[k]; for (j = k - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
END {
	printf "%-13s %9s %8s %9s %7s %7s %6s %7s %7s %7s\n", "engine", "IOPS", "busy", "doorbell", "clock", "kernel", "user", "path", "shared", "own"
	for (e in n)
		printf "%-13s %9d %8.2f %9.2f %7.2f %7.2f %6.2f %7.2f %7.2f %7.2f\n", e, med(iops, e), med(busy, e), med(db, e), med(ck, e), med(kn, e), med(us_, e), med(path, e), med(sh, e), med(own, e)
	if (n["ring"] && n["uring-pt"]) {
		printf "\nring / io_uring passthrough, I/O per CPU-second: busy %.2fx, path (without doorbell and clock) %.2fx, own (path without blk-mq, the nvme driver and the device) %.2fx\n",
			med(busy, "uring-pt") / med(busy, "ring"), med(path, "uring-pt") / med(path, "ring"), med(own, "uring-pt") / med(own, "ring")
	}
	# best against best: each side'"'"'s engine with the smallest own path
	for (e in n) {
		if (e ~ /^ring/ && (rb == "" || med(own, e) < med(own, rb)))
			rb = e
		if (e ~ /^uring-pt/ && (ub == "" || med(own, e) < med(own, ub)))
			ub = e
	}
	if (rb != "" && ub != "") {
		r = med(own, ub) / med(own, rb)
		printf "target (the ring'"'"'s own path at most half of io_uring passthrough'"'"'s, best against best: %s %.2f against %s %.2f us per I/O): %s, %.2fx\n",
			rb, med(own, rb), ub, med(own, ub), (r >= 2 ? "met" : "NOT met"), r
	}
}' "$RES"

echo
echo "== raw: engine ios samples idle doorbell clock kernel user shared"
cat "$RES"

# where the kernel bucket goes, last repeat: functions by their own
# samples; then the same for the part of it outside the shared code
TOP=${BENCH_PROFILE_TOP:-25}
for top in "" .own; do
	for eng in $ENGINES; do
		[ -s "/tmp/prof.top.$eng$top" ] || continue
		echo
		if [ -z "$top" ]; then
			echo "== $eng: kernel bucket by function (own samples), us per I/O, top $TOP"
		else
			echo "== $eng: the kernel part of \"own\" by function, us per I/O, top $TOP"
		fi
		# then the rest in one line, and the module's own functions in all
		sort -rn "/tmp/prof.top.$eng$top" |
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
done

[ "$nerr" = 0 ] || fail "$nerr profiled run(s) failed"
exit 0
