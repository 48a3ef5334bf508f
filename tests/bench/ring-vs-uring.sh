#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DESCRIPTION: 4 KiB random reads through an nvme_ring_io ring, io_uring
# NVMe passthrough on /dev/ngXnY and io_uring O_DIRECT on /dev/nvmeXnY, with
# the same client (nri-bench), side by side in one boot: depth 1, 32 and
# 128; one pinned client, then one client per queue (two: the first CPU of
# each of the first two NUMA nodes, each with rings of its own, one queue
# on that CPU and memory on its node). Engines are
# interleaved within every repeat; the table shows medians over the repeats
# and the ratios ring / io_uring passthrough. A benchmark, not a test: it
# fails only when a client reports an error.
#
# Each path runs in every mode it has, and the comparison is best against
# best: for each depth, the ring's mode with the lowest CPU per I/O against
# io_uring passthrough's. The ring's modes: ring (SUBMIT, COMPLETE when
# nothing is ready), ring-wait (blocking: one SUBMIT that also waits),
# ring-uring (URING_KICK/URING_WAIT_CQ), ring-cmd (commands in io_uring
# SQEs), ring-sqpoll (SQ poller on the client's CPU), ring-sqpoll-cpu (SQ
# poller on another CPU, sq_poll_cpus), and with poll queues ring-poll and
# ring-wait-poll (a polled ring). io_uring passthrough's: uring-pt (greedy:
# submit and reap, block only when nothing is ready), uring-pt-wait
# (blocking: io_uring_submit_and_wait for a batch), uring-pt-sqpoll (SQ
# thread on the same other CPU, sq_thread_cpu), and with poll queues
# uring-pt-iopoll. uring-direct (O_DIRECT reads on the block device) is a
# reference, not an anchor. Pollers run on a second CPU of each client's
# node; CPU per I/O counts every vCPU, so the poller's too, and "client
# us/IO" the client thread's alone.
#
# Knobs (environment): BENCH_TIME=2 seconds a run, BENCH_REPEATS=3,
# BENCH_DEPTHS="1 32 128", BENCH_BATCH=16, BENCH_SPAN=1 GiB,
# BENCH_ENGINES (default: every mode above the VM has), BENCH_NS (the
# namespace, default the first; ring-vs-uring-loop.sh sets it to a
# device-free one), BENCH_IOSTATS=0 (the rings' iostats attribute: off,
# like for like, as the block layer does not account passthrough
# requests, so io_uring passthrough's commands are not in the disk's
# statistics either; 1 to price the ring's accounting).

# shellcheck source=tests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

TIME=${BENCH_TIME:-2}
REPEATS=${BENCH_REPEATS:-3}
DEPTHS=${BENCH_DEPTHS:-"1 32 128"}
BATCH=${BENCH_BATCH:-16}
SPAN=${BENCH_SPAN:-$((1 << 30))}
IOSTATS=${BENCH_IOSTATS:-0}
ENGINES=${BENCH_ENGINES:-"ring ring-wait ring-uring ring-sqpoll ring-sqpoll-cpu ring-cmd uring-pt uring-pt-wait uring-pt-sqpoll uring-direct"}
RING_MODES="ring ring-wait ring-uring ring-cmd ring-sqpoll ring-sqpoll-cpu ring-poll ring-wait-poll"
PT_MODES="uring-pt uring-pt-wait uring-pt-sqpoll uring-pt-iopoll"
RING=bench
RES=/tmp/bench.results

ring_test nri-bench
ns=${BENCH_NS:-$ns}
blk=/dev/$ns
ng=$(ns_generic_dev "$ns")
[ -b "$blk" ] || skip "$blk is not a block device"
[ -c "$ng" ] || skip "$ng (the namespace's generic device) is missing"

ncpu=$(online_cpus | wc -l)
# One client: the first CPU of the first node. Then one client per queue:
# the first CPU of each of the first two nodes (no more clients than a
# 2-core host can run). Each client CPU gets rings of its own, as an
# administrator would set them up: one queue on that CPU, memory on its
# node (bench<i>, and benchsqp<i> with an SQ poller, benchpoll<i> polled).
read -r -d "" -a nodes <<<"$(online_nodes)" || true
cpu_one=$(node_cpus "${nodes[0]}" | head -n 1)
[ -n "$cpu_one" ] || fail "no CPU in node ${nodes[0]}"
configs=("$cpu_one")
if [ "${#nodes[@]}" -ge 2 ]; then
	configs+=("$cpu_one $(node_cpus "${nodes[1]}" | head -n 1)")
else
	info "one NUMA node: no one-client-per-queue runs"
fi
read -r -a ccpus <<<"${configs[-1]}"
# each client's poller CPU: another CPU of its node, else any other one
pcpus=()
for c in "${ccpus[@]}"; do
	p=$(node_cpus "$(node_of_cpu "$c")" | grep -vx "$c" | head -n 1)
	[ -n "$p" ] || p=$(online_cpus | grep -vx "$c" | head -n 1)
	pcpus+=("${p:-$c}")
done

SRING=benchsqp
CRING=benchsqc
PRING=benchpoll
# shellcheck disable=SC2317 # called through the trap
rings_down() {
	local i

	for i in "${!ccpus[@]}"; do
		ring_down "$RING$i"
		ring_down "$SRING$i"
		ring_down "$CRING$i"
		ring_down "$PRING$i"
	done
}
trap rings_down EXIT
polled=1
for i in "${!ccpus[@]}"; do
	ring_up "$RING$i" device="$blk" cpus="${ccpus[$i]}" iostats="$IOSTATS"
	ring_up "$SRING$i" device="$blk" cpus="${ccpus[$i]}" iostats="$IOSTATS" sq_poll=1
	ring_up "$CRING$i" device="$blk" cpus="${ccpus[$i]}" iostats="$IOSTATS" \
		sq_poll=1 sq_poll_cpus="${pcpus[$i]}"
	# polled too, when the namespace has poll queues (nvme.poll_queues)
	[ "$polled" = 1 ] || continue
	if ! mkdir "$NRI_CFS/$PRING$i" 2>/dev/null; then
		polled=0
		continue
	fi
	if ! { echo "$blk" >"$NRI_CFS/$PRING$i/device" &&
		echo "${ccpus[$i]}" >"$NRI_CFS/$PRING$i/cpus" &&
		echo "$IOSTATS" >"$NRI_CFS/$PRING$i/iostats" &&
		echo 1 >"$NRI_CFS/$PRING$i/poll" 2>/dev/null &&
		echo 1 >"$NRI_CFS/$PRING$i/enable" 2>/dev/null; }; then
		polled=0
		rmdir "$NRI_CFS/$PRING$i"
	fi
done
if [ "$polled" = 1 ]; then
	[ -n "${BENCH_ENGINES:-}" ] ||
		ENGINES="$ENGINES ring-poll ring-wait-poll uring-pt-iopoll"
else
	info "no polled ring (no poll queues): no ring-poll, ring-wait-poll or uring-pt-iopoll runs"
fi

echo "== setup"
echo "kernel $(uname -r); $ncpu CPUs in ${#nodes[@]} node(s); clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "namespace $blk ($ng): $(cat "/sys/block/$ns/queue/logical_block_size")-byte LBAs, $(($(cat "/sys/block/$ns/size") / 2048)) MiB, $(ns_hctxs "$ns" | wc -l) hardware queue(s)"
for i in "${!ccpus[@]}"; do
	for r in "$RING$i" "$PRING$i"; do
		[ -d "$NRI_SYS/$r" ] || continue
		for q in $(ring_queues "$r"); do
			echo "ring $r (node $(cat "$NRI_SYS/$r/numa_node")) queue $q: CPUs $(qattr "$r" "$q" cpus), hctx $(qattr "$r" "$q" hctx)"
		done
	done
done
echo "runs: ${TIME}s each, $REPEATS repeats, depths $DEPTHS, batch $BATCH, 4 KiB random reads over $((SPAN >> 20)) MiB"
echo "clients: $(for c in "${configs[@]}"; do printf '[CPU %s] ' "$c"; done); pollers (ring-sqpoll-cpu, uring-pt-sqpoll) on CPU ${pcpus[*]}"

# non-idle jiffies and all-CPU idle + iowait from /proc/stat
stat_idle() {
	awk '$1 == "cpu" { print $5 + $6 }' /proc/stat
}

nerr=0

# run_once ENGINE DEPTH REPEAT CPU...: one run; appends a result line
#   engine clients depth repeat iops cpu_us_per_io p50_us p99_us p999_us
#   calls_per_io (submit and wait system calls per I/O) ios
#   client_cpu_us_per_io (the client threads' own CPU)
run_once() {
	local eng=$1 depth=$2 rep=$3 i pid rc target
	shift 3
	local cpus=("$@") pids=() outs=()
	local i0 i1 t0 t1

	rm -f /tmp/bench.ready.* /tmp/bench.out.*
	for i in "${!cpus[@]}"; do
		# the engine nri-bench runs, and its target
		case $eng in
		ring | ring-wait | ring-uring | ring-cmd) target=(--engine "$eng" --ring "$RING$i") ;;
		ring-sqpoll) target=(--engine ring-sqpoll --ring "$SRING$i") ;;
		ring-sqpoll-cpu) target=(--engine ring-sqpoll --ring "$CRING$i") ;;
		ring-poll) target=(--engine ring --ring "$PRING$i") ;;
		ring-wait-poll) target=(--engine ring-wait --ring "$PRING$i") ;;
		uring-pt | uring-pt-wait) target=(--engine "$eng" --dev "$ng") ;;
		uring-pt-sqpoll) target=(--engine uring-pt --dev "$ng" --sqpoll-cpu "${pcpus[$i]}") ;;
		uring-pt-iopoll) target=(--engine uring-pt --dev "$ng" --poll iopoll) ;;
		*) target=(--engine "$eng" --dev "$blk") ;;
		esac
		nri-bench "${target[@]}" --cpu "${cpus[$i]}" \
			--depth "$depth" --batch "$BATCH" --time "$TIME" \
			--span "$SPAN" --seed $((rep * 100 + i + 1)) \
			--ready "/tmp/bench.ready.$i" >"/tmp/bench.out.$i" 2>&1 &
		pids+=($!)
		outs+=("/tmp/bench.out.$i")
	done
	# all set up: start them together
	for i in "${!cpus[@]}"; do
		local n=0
		while [ ! -e "/tmp/bench.ready.$i" ]; do
			if ! kill -0 "${pids[$i]}" 2>/dev/null || [ $n -ge 200 ]; then
				echo "FAIL: $eng depth $depth: client on CPU ${cpus[$i]} did not start:"
				cat "${outs[$i]}"
				kill "${pids[@]}" 2>/dev/null
				wait
				nerr=$((nerr + 1))
				return 1
			fi
			sleep 0.05 2>/dev/null || sleep 1
			n=$((n + 1))
		done
	done
	# the marks let the host record its CPU for each client run (make bench)
	echo "NRI-MARK begin $eng ${#cpus[@]} $depth $rep"
	i0=$(stat_idle)
	t0=$EPOCHREALTIME
	kill -USR1 "${pids[@]}"
	rc=0
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	t1=$EPOCHREALTIME
	i1=$(stat_idle)
	echo "NRI-MARK end $eng ${#cpus[@]} $depth $rep"
	# The SQ pollers (and io_uring's SQ threads) spin for their idle time
	# (1 s) after the last submission: let them go to sleep before the
	# next run, which they would otherwise slow down.
	case $eng in
	*sqpoll*)
		sleep "$(awk -v ms="$(cat "$NRI_CFS/${SRING}0/sq_poll_idle_ms")" 'BEGIN { print ms / 1000 + 0.2 }')"
		;;
	esac
	if [ $rc -ne 0 ]; then
		echo "FAIL: $eng depth $depth on CPUs ${cpus[*]}:"
		cat "${outs[@]}"
		nerr=$((nerr + 1))
		return 1
	fi
	# clients' I/Os and IOPS add up; latency: the worst client's
	cat "${outs[@]}" | awk -v eng="$eng" -v nc="${#cpus[@]}" -v d="$depth" \
		-v rep="$rep" -v ncpu="$ncpu" -v t0="$t0" -v t1="$t1" \
		-v i0="$i0" -v i1="$i1" '
	{
		for (f = 1; f <= NF; f++) {
			split($f, kv, "=")
			v[kv[1]] = kv[2]
		}
		ios += v["ios"]; iops += v["iops"]
		calls += v["submits"] + v["waits"]
		ccpu += v["client_cpu_us_per_io"] * v["ios"]
		if (v["p50_us"] > p50) p50 = v["p50_us"]
		if (v["p99_us"] > p99) p99 = v["p99_us"]
		if (v["p999_us"] > p999) p999 = v["p999_us"]
	}
	END {
		if (!ios)
			exit 1
		busy = ncpu * (t1 - t0) - (i1 - i0) / 100
		printf "%s %d %d %d %.0f %.2f %.1f %.1f %.1f %.3f %d %.2f\n", eng, nc, d,
			rep, iops, busy * 1e6 / ios, p50, p99, p999, calls / ios, ios,
			ccpu / ios
	}' >>"$RES" || {
		echo "FAIL: $eng depth $depth on CPUs ${cpus[*]}: no I/O reported:"
		cat "${outs[@]}"
		nerr=$((nerr + 1))
		return 1
	}
	tail -n 1 "$RES" | awk '{ printf "  %-13s clients %d depth %3d repeat %d: %7.0f IOPS, %6.2f us CPU/IO, p50 %s us, p99 %s us\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
	# I/Os and guest CPU per I/O of the run, for the host's table
	tail -n 1 "$RES" | awk '{ printf "NRI-MARK result %s %d %d %d ios=%d guest_cpu_us_per_io=%s\n", $1, $2, $3, $4, $11, $6 }'
}

# rotate the engine order every repeat, so no engine always runs first
engine_order() {
	local rep=$1 list k n
	read -r -a list <<<"$ENGINES"
	n=${#list[@]}
	for ((k = 0; k < n; k++)); do
		printf '%s ' "${list[$(((k + rep) % n))]}"
	done
}

: >"$RES"
echo "== runs"
start=$(date +%s)
for ((rep = 1; rep <= REPEATS; rep++)); do
	for cfg in "${configs[@]}"; do
		read -r -a cpus <<<"$cfg"
		for d in $DEPTHS; do
			for eng in $(engine_order "$rep"); do
				run_once "$eng" "$d" "$rep" "${cpus[@]}" || true
			done
		done
	done
done
echo "runs took $(($(date +%s) - start)) s"

# col ENGINE CLIENTS DEPTH FIELD: one field of the matching runs
col() {
	runs_field "$@" <"$RES"
}

# paired ENGINE_A ENGINE_B CLIENTS DEPTH MODE: per-repeat ratio of A to B,
# MODE iops (A/B IOPS) or eff (A/B IOPS per CPU-second = B/A CPU per I/O)
paired() {
	awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v m="$5" '
	$2 == c && $3 == d && $1 == a { ia[$4] = $5; ca[$4] = $6 }
	$2 == c && $3 == d && $1 == b { ib[$4] = $5; cb[$4] = $6 }
	END {
		for (r in ia)
			if ((r in ib) && ib[r] > 0 && ca[r] > 0)
				print (m == "iops") ? ia[r] / ib[r] : cb[r] / ca[r]
	}' "$RES" | median_range
}

echo
echo "== results: median [min-max] of $REPEATS repeats; CPU/IO is non-idle guest CPU (all vCPUs) per I/O, client us/IO the client threads' own"
printf '%-16s %7s %5s  %-26s %9s %10s %9s %9s %9s %9s\n' engine clients depth "IOPS" "CPU us/IO" "IOPS/CPU-s" "client us" "p50 us" "p99 us" "calls/IO"
for cfg in "${configs[@]}"; do
	read -r -a cpus <<<"$cfg"
	nc=${#cpus[@]}
	for d in $DEPTHS; do
		for eng in $ENGINES; do
			read -r im ilo ihi <<<"$(col "$eng" "$nc" "$d" 5 | median_range)"
			[ "$im" != - ] || continue
			read -r cm _ <<<"$(col "$eng" "$nc" "$d" 6 | median_range)"
			read -r pm _ <<<"$(col "$eng" "$nc" "$d" 7 | median_range)"
			read -r qm _ <<<"$(col "$eng" "$nc" "$d" 8 | median_range)"
			read -r km _ <<<"$(col "$eng" "$nc" "$d" 10 | median_range)"
			read -r um _ <<<"$(col "$eng" "$nc" "$d" 12 | median_range)"
			printf '%-16s %7d %5d  %-26s %9.2f %10.0f %9.2f %9s %9s %9s\n' "$eng" "$nc" "$d" \
				"$(printf '%.0f [%.0f-%.0f]' "$im" "$ilo" "$ihi")" "$cm" \
				"$(awk -v c="$cm" 'BEGIN { print (c > 0) ? 1e6 / c : 0 }')" "$um" "$pm" "$qm" "$km"
		done
	done
done

# has ENGINE: true when ENGINE runs
has() {
	case " $ENGINES " in *" $1 "*) return 0 ;; esac
	return 1
}

# best MODES CLIENTS DEPTH FIELD: the mode of MODES that ran with the lowest
# median FIELD (6: CPU per I/O, 7: p50), "-" when none ran
best() {
	local modes=$1 nc=$2 d=$3 f=$4 eng m bm=- bv=
	for eng in $modes; do
		has "$eng" || continue
		read -r m _ <<<"$(col "$eng" "$nc" "$d" "$f" | median_range)"
		[ "$m" != - ] || continue
		if [ -z "$bv" ] || awk -v a="$m" -v b="$bv" 'BEGIN { exit !(a < b) }'; then
			bm=$eng
			bv=$m
		fi
	done
	echo "$bm"
}

# ratio_line A B CLIENTS DEPTH: "IOPS x [..] IOPS/CPU-s x [..]" of A to B
ratio_line() {
	local rm rlo rhi em elo ehi
	read -r rm rlo rhi <<<"$(paired "$1" "$2" "$3" "$4" iops)"
	read -r em elo ehi <<<"$(paired "$1" "$2" "$3" "$4" eff)"
	[ "$rm" != - ] || return 1
	printf '%-22s %-22s' "$(printf '%.2fx [%.2f-%.2f]' "$rm" "$rlo" "$rhi")" \
		"$(printf '%.2fx [%.2f-%.2f]' "$em" "$elo" "$ehi")"
}

echo
echo "== best against best: each path's mode with the lowest CPU per I/O, per-repeat paired ratio ring / io_uring passthrough, median [min-max]"
printf '%7s %5s  %-16s %-16s %-22s %-22s\n' clients depth "ring best" "io_uring best" "IOPS" "IOPS per CPU-second"
for cfg in "${configs[@]}"; do
	read -r -a cpus <<<"$cfg"
	nc=${#cpus[@]}
	for d in $DEPTHS; do
		rb=$(best "$RING_MODES" "$nc" "$d" 6)
		ub=$(best "$PT_MODES" "$nc" "$d" 6)
		if [ "$rb" = - ] || [ "$ub" = - ]; then continue; fi
		printf '%7d %5d  %-16s %-16s %s\n' "$nc" "$d" "$rb" "$ub" "$(ratio_line "$rb" "$ub" "$nc" "$d")"
	done
done

echo
for r in ring ring-wait ring-uring ring-cmd ring-sqpoll ring-sqpoll-cpu ring-poll ring-wait-poll; do
	has "$r" || continue
	# the like client on the other side
	case $r in
	ring-wait | ring-wait-poll) base=uring-pt-wait ;;
	ring-sqpoll-cpu) base=uring-pt-sqpoll ;;
	ring-poll) base=uring-pt-iopoll ;;
	*) base=uring-pt ;;
	esac
	has "$base" || base=uring-pt
	echo "== $r / $base: per-repeat paired ratio, median [min-max]"
	printf '%7s %5s  %-22s %-22s\n' clients depth "IOPS" "IOPS per CPU-second"
	for cfg in "${configs[@]}"; do
		read -r -a cpus <<<"$cfg"
		nc=${#cpus[@]}
		for d in $DEPTHS; do
			line=$(ratio_line "$r" "$base" "$nc" "$d") || continue
			printf '%7d %5d  %s\n' "$nc" "$d" "$line"
		done
	done
done

# the SQ pollers on another CPU: the client's own CPU per I/O too
if has ring-sqpoll-cpu && has uring-pt-sqpoll; then
	echo
	echo "== SQ pollers on CPU ${pcpus[*]}: ring-sqpoll-cpu against uring-pt-sqpoll (medians; CPU counts the poller)"
	printf '%7s %5s  %-26s %-26s\n' clients depth "total CPU us/IO ring/io_uring" "client us/IO ring/io_uring"
	for cfg in "${configs[@]}"; do
		read -r -a cpus <<<"$cfg"
		nc=${#cpus[@]}
		for d in $DEPTHS; do
			read -r a _ <<<"$(col ring-sqpoll-cpu "$nc" "$d" 6 | median_range)"
			read -r b _ <<<"$(col uring-pt-sqpoll "$nc" "$d" 6 | median_range)"
			read -r ca _ <<<"$(col ring-sqpoll-cpu "$nc" "$d" 12 | median_range)"
			read -r cb _ <<<"$(col uring-pt-sqpoll "$nc" "$d" 12 | median_range)"
			if [ "$a" = - ] || [ "$b" = - ]; then continue; fi
			printf '%7d %5d  %-26s %-26s\n' "$nc" "$d" "$a / $b" "$ca / $cb"
		done
	done
fi

# target LABEL VALUE THRESHOLD: a met / NOT met line
target() {
	if [ "$2" = - ]; then
		echo "target ($1): not measured"
	elif awk -v r="$2" -v t="$3" 'BEGIN { exit !(r >= t) }'; then
		printf 'target (%s): met, %.2fx\n' "$1" "$2"
	else
		printf 'target (%s): NOT met, %.2fx\n' "$1" "$2"
	fi
}

echo
rb=$(best "$RING_MODES" 1 32 6)
ub=$(best "$PT_MODES" 1 32 6)
em=-
[ "$rb" = - ] || [ "$ub" = - ] || read -r em _ <<<"$(paired "$rb" "$ub" 1 32 eff)"
target "ring's best ($rb) >= 1.3x the IOPS per CPU-second of io_uring passthrough's best ($ub), depth 32, one client" "$em" 1.3
target "the project's goal: the same >= 1.5x" "$em" 1.5
em=-
read -r em _ <<<"$(paired ring-wait uring-pt-wait 1 32 eff)"
target "blocking ring client (ring-wait) >= 1.0x the IOPS per CPU-second of the blocking io_uring client (uring-pt-wait), depth 32, one client" "$em" 1.0
rb=$(best "$RING_MODES" 1 1 7)
ub=$(best "$PT_MODES" 1 1 7)
if [ "$rb" != - ] && [ "$ub" != - ]; then
	read -r rp _ <<<"$(col "$rb" 1 1 7 | median_range)"
	read -r up _ <<<"$(col "$ub" 1 1 7 | median_range)"
	read -r rq _ <<<"$(col "$rb" 1 1 8 | median_range)"
	read -r uq _ <<<"$(col "$ub" 1 1 8 | median_range)"
	if awk -v a="$rp" -v b="$up" -v c="$rq" -v e="$uq" 'BEGIN { exit !(a <= b && c <= e) }'; then
		echo "target (depth 1 latency, ring's best $rb no worse than io_uring's best $ub): met, p50 $rp/$up us, p99 $rq/$uq us"
	else
		echo "target (depth 1 latency, ring's best $rb no worse than io_uring's best $ub): NOT met, p50 $rp/$up us, p99 $rq/$uq us"
	fi
fi

echo
echo "== raw: engine clients depth repeat IOPS CPU-us/IO p50 p99 p99.9 calls/IO ios client-us/IO"
cat "$RES"

[ "$nerr" -eq 0 ] || fail "$nerr run(s) failed"
dmesg_clean
pass
