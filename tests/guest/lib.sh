# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for nvme_ring_io guest tests. A test sources this file with
#   . "$(dirname "$0")/lib.sh"
# and exits 0 (pass), 77 (skip) or anything else (fail). Tests learn the VM's
# topology from sysfs only.

NRI_MODULE=nvme_ring_io
: "${NRI_KO:=/lib/modules/$(uname -r)/extra/$NRI_MODULE.ko}"
NRI_TEST=$(basename "$0" .sh)
NRI_USER=nritest

info() {
	echo "INFO: $*"
}

# skip MSG: the test cannot run here; says why, loudly.
skip() {
	echo "SKIP: $*"
	# The guest init reports the reason from here.
	echo "$*" >/tmp/.nri-skip 2>/dev/null
	exit 77
}

# fail MSG: the test failed.
fail() {
	echo "FAIL: $NRI_TEST: $*"
	exit 1
}

pass() {
	echo "PASS: $NRI_TEST"
	exit 0
}

# expect_fail CMD...: CMD must exit non-zero.
expect_fail() {
	if "$@"; then
		fail "'$*' succeeded, expected failure"
	fi
	return 0
}

# expect_ok CMD...: CMD must exit zero.
expect_ok() {
	"$@" || fail "'$*' failed with status $?"
}

# expect_write_fail VALUE FILE: writing VALUE to FILE must be refused.
expect_write_fail() {
	if (echo "$1" >"$2") 2>/dev/null; then
		fail "writing '$1' to $2 succeeded, expected an error"
	fi
	return 0
}

# expect_write_ok VALUE FILE: writing VALUE to FILE must succeed.
expect_write_ok() {
	(echo "$1" >"$2") || fail "writing '$1' to $2 failed"
}

# require_module: load our module if needed, skip if it is not in the image.
require_module() {
	[ -d "/sys/module/$NRI_MODULE" ] && return 0
	[ -f "$NRI_KO" ] || skip "$NRI_KO is not in the image"
	modprobe "$NRI_MODULE" || fail "modprobe $NRI_MODULE failed"
}

# nri_reload: unload and load our module again (through modprobe, so its
# dependencies are loaded first).
nri_reload() {
	if [ -d "/sys/module/$NRI_MODULE" ]; then
		rmmod "$NRI_MODULE" || fail "rmmod $NRI_MODULE failed"
	fi
	modprobe "$NRI_MODULE" || fail "modprobe $NRI_MODULE failed"
}

# nri_reload_held_nothing: reload the module; fails the test when the
# module said at unload that it still held rings or ring memory.
nri_reload_held_nothing() {
	local held
	dmesg -c >/dev/null
	nri_reload
	held=$(dmesg | grep 'still held')
	[ -z "$held" ] || fail "the module still held rings or memory: $held"
}

# expand_list "0-2,5": prints 0 1 2 5 one per line (sysfs CPU/node lists).
expand_list() {
	local part lo hi
	local IFS=,
	for part in $1; do
		[ -n "$part" ] || continue
		lo=${part%-*}
		hi=${part#*-}
		seq "$lo" "$hi"
	done
}

online_cpus() {
	expand_list "$(cat /sys/devices/system/cpu/online)"
}

# online_nodes: node numbers (just 0 when the kernel has no NUMA sysfs).
online_nodes() {
	if [ -r /sys/devices/system/node/online ]; then
		expand_list "$(cat /sys/devices/system/node/online)"
	else
		echo 0
	fi
}

nr_nodes() {
	online_nodes | wc -l
}

# node_cpus N: CPUs of node N, one per line.
node_cpus() {
	expand_list "$(cat "/sys/devices/system/node/node$1/cpulist")"
}

# node_of_cpu CPU
node_of_cpu() {
	local d
	for d in /sys/devices/system/cpu/cpu"$1"/node[0-9]*; do
		[ -e "$d" ] && { echo "${d##*node}"; return 0; }
	done
	echo 0
}

# now_ms: milliseconds since boot, to 10 ms (busybox date has no %N).
now_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((10#${up/./} * 10))
}

# ns_serial NS: the serial number of namespace NS's controller.
ns_serial() {
	local s
	read -r s <"/sys/block/$1/device/serial" 2>/dev/null || true
	echo "$s"
}

# nvme_namespaces: block devices of NVMe namespaces (nvme0n1 ...), but not
# the extra ones of vm-test.sh's VM_NVME_SLOW_MS, VM_NVME_META and
# VM_NVME_SHARED, which only slow_ns, meta_ns and shared_head name.
nvme_namespaces() {
	local d
	for d in /sys/block/nvme*n*; do
		[ -e "$d" ] || continue
		case $(ns_serial "${d##*/}") in nri-slow | nri-meta* | nri-shared) continue ;; esac
		basename "$d"
	done
}

# shared_head: the multipath head of vm-test.sh's VM_NVME_SHARED namespace
# (its two paths are hidden disks with no device node); skips the test
# when there is none.
shared_head() {
	local d
	for d in /sys/block/nvme*n*; do
		[ -b "/dev/${d##*/}" ] || continue
		[ "$(ns_serial "${d##*/}")" = nri-shared ] && { basename "$d"; return 0; }
	done
	skip "no shared namespace with two controllers (vm-test.sh VM_NVME_SHARED=1; make check's extras boot has one)"
}

# meta_ns N: the namespace of vm-test.sh's Nth VM_NVME_META controller;
# skips the test when the VM has none.
meta_ns() {
	local d
	for d in /sys/block/nvme*n*; do
		[ -e "$d" ] || continue
		if [ "$(ns_serial "${d##*/}")" = "nri-meta$1" ]; then
			basename "$d"
			return 0
		fi
	done
	skip "no NVMe namespace with metadata number $1 (vm-test.sh VM_NVME_META)"
}

# slow_ns: the namespace whose every command takes VM_NVME_SLOW_MS; skips
# the test when the VM has none.
slow_ns() {
	local d
	for d in /sys/block/nvme*n*; do
		[ -e "$d" ] || continue
		if [ "$(ns_serial "${d##*/}")" = nri-slow ]; then
			basename "$d"
			return 0
		fi
	done
	skip "no slow NVMe namespace (vm-test.sh VM_NVME_SLOW_MS)"
}

# loop_ns_up NQN [QUEUE_SIZE]: an NVMe namespace with no device behind it, for the
# software paths alone: a null_blk disk exported by nvmet as NQN and
# connected through nvme-loop, as an administrator would (nvmet configfs,
# then a fabrics connect, with QUEUE_SIZE entries per I/O queue if given).
# Prints the namespace (nvmeXnY): with native multipath, its head.
loop_ns_up() {
	local nqn=$1 qs=${2:-}
	modprobe null_blk nr_devices=1 queue_mode=2 gb=4 bs=512 irqmode=0 \
		submit_queues="$(online_cpus | wc -l)" || return 1
	fabrics_target_up loop "$nqn" /dev/nullb0 && fabrics_connect loop "$nqn" "$qs"
}

# loop_ns_down NQN: disconnect and take down what loop_ns_up made.
loop_ns_down() {
	nvme disconnect -n "$1" >/dev/null 2>&1
	fabrics_target_down "$1"
	modprobe -r nvme-loop nvmet null_blk 2>/dev/null
	return 0
}

# fabrics_target_up TRANSPORT NQN FILE [ADDR]: an nvmet subsystem NQN
# exporting FILE (a file or block device: namespace 1) on a port of
# TRANSPORT: loop, or tcp on ADDR (default 127.0.0.1) port 4420.
# Configured through nvmet's configfs, as an administrator would.
fabrics_target_up() {
	local tr=$1 nqn=$2 file=$3 addr=${4:-127.0.0.1}
	local cfs=/sys/kernel/config/nvmet sub port
	# nvme-loop is host and target in one
	modprobe nvmet && modprobe "nvme-$tr" || return 1
	[ "$tr" = loop ] || modprobe "nvmet-$tr" || return 1
	sub=$cfs/subsystems/$nqn
	mkdir "$sub" && echo 1 >"$sub/attr_allow_any_host" || return 1
	mkdir "$sub/namespaces/1" &&
		echo -n "$file" >"$sub/namespaces/1/device_path" &&
		echo 1 >"$sub/namespaces/1/enable" || return 1
	for port in 1 2 3 4 5 6 7 8 9; do
		mkdir "$cfs/ports/$port" 2>/dev/null && break
	done
	echo "$tr" >"$cfs/ports/$port/addr_trtype" || return 1
	if [ "$tr" = tcp ]; then
		echo ipv4 >"$cfs/ports/$port/addr_adrfam" &&
			echo "$addr" >"$cfs/ports/$port/addr_traddr" &&
			echo 4420 >"$cfs/ports/$port/addr_trsvcid" || return 1
	fi
	ln -s "$sub" "$cfs/ports/$port/subsystems/$nqn"
}

# fabrics_target_down NQN: take down what fabrics_target_up made.
fabrics_target_down() {
	local nqn=$1 cfs=/sys/kernel/config/nvmet port
	for port in "$cfs"/ports/*; do
		[ -L "$port/subsystems/$nqn" ] && rm "$port/subsystems/$nqn" && rmdir "$port"
	done
	[ -d "$cfs/subsystems/$nqn" ] || return 0
	echo 0 >"$cfs/subsystems/$nqn/namespaces/1/enable" 2>/dev/null
	rmdir "$cfs/subsystems/$nqn/namespaces/1" "$cfs/subsystems/$nqn" 2>/dev/null
	return 0
}

# fabrics_ns NQN: the block device of NQN's namespace, once there: the
# multipath head (under the subsystem) with native multipath, else the
# controller's own namespace
fabrics_ns() {
	local nqn=$1 d n
	for d in /sys/class/nvme-subsystem/nvme-subsys* /sys/class/nvme/nvme*; do
		[ "$(cat "$d/subsysnqn" 2>/dev/null)" = "$nqn" ] || continue
		for n in "$d"/nvme*n*; do
			[ -b "/dev/${n##*/}" ] && { basename "$n"; return 0; }
		done
	done
	return 1
}

# fabrics_ctrl NQN: the live controller connected to NQN (nvme1, ...)
fabrics_ctrl() {
	local d
	for d in /sys/class/nvme/nvme*; do
		[ "$(cat "$d/subsysnqn" 2>/dev/null)" = "$1" ] || continue
		[ "$(cat "$d/state" 2>/dev/null)" = live ] && { basename "$d"; return 0; }
	done
	return 1
}

# fabrics_connect TRANSPORT NQN [QUEUE_SIZE]: nvme connect to NQN (tcp:
# 127.0.0.1:4420), with I/O queues of QUEUE_SIZE entries (default: nvme's,
# 128); prints the namespace's block device (fabrics_ns) once it is there.
fabrics_connect() {
	local tr=$1 nqn=$2 try opts=()
	[ -z "${3:-}" ] || opts=(--queue-size="$3")
	if [ "$tr" = tcp ]; then
		nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$nqn" "${opts[@]}" >/dev/null || return 1
	else
		nvme connect -t "$tr" -n "$nqn" "${opts[@]}" >/dev/null || return 1
	fi
	for try in $(seq 1 100); do
		[ "$try" -eq 1 ] || sleep 0.1
		fabrics_ctrl "$nqn" >/dev/null && fabrics_ns "$nqn" && return 0
	done
	return 1
}

# native_multipath: whether nvme_core makes multipath heads (fabrics
# namespaces are then heads)
native_multipath() {
	[ "$(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)" = Y ]
}

# stop_verified PID OUT RING WHAT: stop the verified nvme-ring perf client
# PID (output in OUT) on RING with SIGTERM and require that it went through
# WHAT unharmed: exit 0, a clean verify, no command completed with an
# error, nothing in flight, every command submitted completed
stop_verified() {
	local rc=0 s
	kill -TERM "$1"
	wait "$1" || rc=$?
	[ "$rc" = 0 ] || fail "the client failed across $4 (exit $rc): $(grep -v '^ ' "$2" | tail -n 4)"
	grep -q "verify: .* 0 mismatches" "$2" || fail "no clean verify across $4: $(grep -i verify "$2")"
	[ "$(cat "$NRI_SYS/$3/errors")" = 0 ] ||
		fail "$(cat "$NRI_SYS/$3/errors") command(s) completed with an error across $4"
	[ "$(cat "$NRI_SYS/$3/inflight")" = 0 ] || fail "$3: commands in flight at the end"
	s=$(cat "$NRI_SYS/$3/submitted")
	[ "$s" = "$(cat "$NRI_SYS/$3/completed")" ] ||
		fail "$3: submitted $s, completed $(cat "$NRI_SYS/$3/completed")"
}

# slow_factor: how many times longer than on a stock kernel a test should
# wait for what takes time in the guest: 10 on make check-debug's kernel
# (KASAN, lockdep and kmemleak under TCG), else 1
slow_factor() {
	case $(uname -r) in
	*-nri-debug) echo 10 ;;
	*) echo 1 ;;
	esac
}

# nap SECONDS: sleep without starting a process. On a debug kernel under
# TCG a fork and exec can take most of a second, so a loop that runs
# sleep(1) every 0.1 s waits many times longer than it says. It times out
# reading a FIFO that nobody writes, opened once per shell (the guest
# has no /dev/fd for a process substitution); sleep(1) if that fails.
nap() {
	local fifo
	if [ -z "${nap_fd:-}" ]; then
		nap_fd=none
		fifo=/tmp/.nri-nap.$BASHPID
		rm -f "$fifo"
		if mkfifo "$fifo" 2>/dev/null; then
			exec {nap_fd}<>"$fifo" || nap_fd=none
		fi
		rm -f "$fifo"
	fi
	if [ "$nap_fd" = none ]; then
		sleep "$1"
	else
		read -r -t "$1" -u "$nap_fd" _ || :
	fi
}

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds, for at
# most SECONDS (times slow_factor) of wall time; 1 when it never did
wait_for() {
	local end
	: "${nri_slow_factor:=$(slow_factor)}"
	end=$((${EPOCHREALTIME/./} + $1 * nri_slow_factor * 1000000))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
		nap 0.1
	done
}

# value_is FILE OP VALUE: whether the value in FILE (a sysfs attribute)
# is OP VALUE, a test(1) comparison (-eq, -ge, =, ...). The value read is
# left in $last_value (empty when FILE cannot be read): a test reports the
# value it judged, not one read again later. With wait_for:
#   wait_for 5 value_is "$NRI_SYS/r/inflight" -eq 0 ||
#	fail "$last_value commands in flight"
value_is() {
	last_value=
	read -r last_value 2>/dev/null <"$1" || return 1
	test "$last_value" "$2" "$3"
}

# gone PID: whether process PID has ended
gone() {
	! kill -0 "$1" 2>/dev/null
}

# exits_within PID SECONDS: whether process PID is gone within SECONDS
# (times slow_factor); if not, it is killed (a test then fails, saying
# what it waited for)
exits_within() {
	wait_for "$2" gone "$1" && return 0
	kill -KILL "$1" 2>/dev/null
	return 1
}

# sq_pollers RING [QUEUE]: the PIDs of RING's SQ poller threads (kernel
# threads nri_sqp/RING/QUEUE), or of QUEUE's, one per line. Each comm is
# read without starting a process: there are hundreds, and on a debug
# kernel a fork takes most of a second.
sq_pollers() {
	local f comm q=${2:-*}
	for f in /proc/[0-9]*/comm; do
		read -r comm 2>/dev/null <"$f" || continue
		# shellcheck disable=SC2254 # $q is a pattern: * or a number
		case $comm in
		"nri_sqp/$1/"$q) f=${f%/comm}; echo "${f#/proc/}" ;;
		esac
	done
}

# nvme_controllers: nvme0 nvme1 ...
nvme_controllers() {
	local d
	for d in /sys/class/nvme/nvme*; do
		[ -e "$d" ] || continue
		basename "$d"
	done
}

# first_ns: the first NVMe namespace; skips the test when there is none.
first_ns() {
	local ns
	ns=$(nvme_namespaces | head -n 1)
	[ -n "$ns" ] || skip "no NVMe namespace"
	echo "$ns"
}

# ns_generic_dev NS: the generic character device of namespace NS
# (nvme0n1 -> /dev/ng0n1)
ns_generic_dev() {
	local ctrl=${1%n*}

	echo "/dev/ng${ctrl#nvme}n${1##*n}"
}

# ns_hctxs NS: hardware queue numbers of NS (blk-mq), one per line.
ns_hctxs() {
	local d
	for d in /sys/block/"$1"/mq/*; do
		[ -d "$d" ] || continue
		basename "$d"
	done | sort -n
}

# ns_hctx_of_cpu NS CPU: the hardware queue whose cpu_list holds CPU.
ns_hctx_of_cpu() {
	local d c
	for d in /sys/block/"$1"/mq/*; do
		[ -r "$d/cpu_list" ] || continue
		for c in $(expand_list "$(tr -d ' ' <"$d/cpu_list")"); do
			if [ "$c" = "$2" ]; then
				basename "$d"
				return 0
			fi
		done
	done
	return 1
}

# run_as_user CMD...: run CMD as the plain user nritest (uid/gid 1000).
run_as_user() {
	su -s /bin/sh "$NRI_USER" -c 'exec "$@"' -- sh "$@"
}

meminfo_kb() {
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}

# meminfo_node_kb N: MemTotal of node N in KiB.
meminfo_node_kb() {
	awk '$3 == "MemTotal:" { print $4 }' "/sys/devices/system/node/node$1/meminfo"
}

# slab_kb: slab memory, reclaimable and not, in KiB.
slab_kb() {
	echo $(($(meminfo_kb SUnreclaim) + $(meminfo_kb SReclaimable)))
}

# Kernel log patterns that fail a test; the runner checks them too, this is
# for a test that wants to look at the log itself.
NRI_TROUBLE='WARNING:|BUG:|Oops|general protection fault|possible circular locking|possible recursive locking|INFO: task .* blocked for more than|Call Trace'

# dmesg_clean: fails the test if the kernel log shows trouble.
dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E "$NRI_TROUBLE" | head -n 1)
	[ -z "$bad" ] || fail "kernel log: $bad"
}

# ---- rings ----

NRI_CFS=/sys/kernel/config/nvme_ring_io
NRI_SYS=/sys/class/nvme_ring_io

# ring_make NAME [ATTR=VALUE ...]: mkdir the ring and set attributes (not
# enabled). The device defaults to the first namespace.
ring_make() {
	local name=$1 kv
	shift
	require_module
	mkdir "$NRI_CFS/$name" || fail "mkdir $NRI_CFS/$name failed"
	echo "/dev/$(first_ns)" >"$NRI_CFS/$name/device" ||
		fail "$name: setting device failed"
	for kv in "$@"; do
		echo "${kv#*=}" >"$NRI_CFS/$name/${kv%%=*}" ||
			fail "$name: writing '${kv#*=}' to ${kv%%=*} failed"
	done
}

# ring_up NAME [ATTR=VALUE ...]: ring_make, then enable.
ring_up() {
	ring_make "$@"
	echo 1 >"$NRI_CFS/$1/enable" || fail "$1: enable failed"
	[ -c "/dev/nvme_ring/$1" ] || fail "/dev/nvme_ring/$1 did not appear"
}

# ring_down NAME: disable and remove (quietly ignores a missing ring).
ring_down() {
	[ -d "$NRI_CFS/$1" ] || return 0
	echo 0 >"$NRI_CFS/$1/enable" 2>/dev/null
	rmdir "$NRI_CFS/$1" || fail "rmdir $NRI_CFS/$1 failed"
}

# ring_queues NAME: queue numbers of an enabled ring, one per line.
ring_queues() {
	local d
	for d in "$NRI_SYS/$1"/queues/*; do
		[ -d "$d" ] && basename "$d"
	done | sort -n
}

# qattr NAME Q ATTR: one queue attribute.
qattr() {
	cat "$NRI_SYS/$1/queues/$2/$3"
}

# require_tool NAME: skip when a userspace tool is not in the image.
require_tool() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not in the image"
}

# ring_test [TOOL...]: the start of a ring test: the module loaded, every
# TOOL in the image, and ns set to the first NVMe namespace; the test skips
# when any of them is missing.
ring_test() {
	local tool
	require_module
	for tool in "$@"; do
		require_tool "$tool"
	done
	ns=$(nvme_namespaces | head -n 1)
	[ -n "$ns" ] || skip "no NVMe namespace"
}

# require_poll_queues: skip unless namespace $ns has poll queues; sets
# npoll to their number and dbg to the namespace's blk-mq debugfs folder.
require_poll_queues() {
	local t
	dbg=/sys/kernel/debug/block/$ns
	npoll=0
	for t in "$dbg"/hctx*/type; do
		[ -r "$t" ] || skip "no blk-mq debugfs for $ns"
		grep -q poll "$t" && npoll=$((npoll + 1))
	done
	[ "$npoll" -gt 0 ] || skip "$ns has no poll queues (boot with nvme.poll_queues=N)"
}

# nvme_io_irqs CTRL: interrupts taken so far by controller CTRL's I/O
# queues (nvme0q1, nvme0q2, ...; not the admin queue).
nvme_io_irqs() {
	awk -v c="$1" '{
		for (i = 2; i <= NF; i++)
			if ($i ~ "^" c "q[1-9][0-9]*$")
				for (j = 2; j < i; j++)
					if ($j ~ /^[0-9]+$/) n += $j
	} END { print n + 0 }' /proc/interrupts
}

# cleanup_rings NAME...: when the test exits, however it exits, disable and
# remove the rings NAME... that are still there. Quietly: the test's own
# result stands.
cleanup_rings() {
	NRI_CLEANUP_RINGS="$*"
	trap nri_cleanup_rings EXIT
}

# shellcheck disable=SC2317 # called from the EXIT trap
nri_cleanup_rings() {
	local name
	for name in $NRI_CLEANUP_RINGS; do
		[ -d "$NRI_CFS/$name" ] || continue
		echo 0 >"$NRI_CFS/$name/enable" 2>/dev/null
		rmdir "$NRI_CFS/$name" 2>/dev/null
	done
	return 0
}

# cmd_expect WHAT WANT RING NRI-IO-OPTION...: one command through RING
# (nri-io cmd) whose first output line, "err E status 0xS flags 0xF", must
# match the extended regex WANT.
cmd_expect() {
	local what=$1 want=$2 ring=$3 out
	shift 3
	out=$(nri-io "$@" cmd "$ring" 2>&1) || fail "$what: nri-io: $out"
	grep -qE "$want" <<<"$out" || fail "$what: got '$(head -n 1 <<<"$out")', want /$want/"
	info "$what: $(head -n 1 <<<"$out")"
}

# expect_fail_msg PATTERN CMD...: CMD must exit non-zero with a message on
# stderr that matches the extended regular expression PATTERN (any case).
# Its output stays in /tmp/out.txt and /tmp/err.txt.
expect_fail_msg() {
	local pat=$1 rc=0
	shift
	"$@" >/tmp/out.txt 2>/tmp/err.txt || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded, expected failure"
	grep -qiE -e "$pat" /tmp/err.txt || fail "'$*': stderr does not match '$pat': $(cat /tmp/err.txt)"
	info "'$*' -> $rc: $(tr '\n' ' ' </tmp/err.txt)"
}

# ---- benchmark figures (tests/bench, and the host's bench-host-cpu.sh) ----

# median_range: "MEDIAN MIN MAX" of the numbers on stdin, "- - -" for none.
median_range() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) { print "- - -"; exit }
		printf "%s %s %s\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

# runs_field ENGINE CLIENTS DEPTH FIELD: field FIELD of the result lines on
# stdin that start with ENGINE CLIENTS DEPTH.
runs_field() {
	awk -v e="$1" -v c="$2" -v d="$3" -v f="$4" \
		'$1 == e && $2 == c && $3 == d { print $f }'
}
