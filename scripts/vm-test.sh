#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the nvme_ring_io test VM (QEMU, TCG by default) once and run the given
# guest test scripts in it, in order. Prints TAP: one line per script, then
# the plan; exits 0 only when every script passed or skipped.
#
# Usage: vm-test.sh [--show] TEST_FILE...
#   --show   print every test's console output, not only a failed one's
#
# A test is a bash script that exits 0 (pass), 77 (skip, printing
# "SKIP: reason") or anything else (fail). It may source lib.sh from its own
# folder ('. "$(dirname "$0")/lib.sh"'), which is tests/guest/lib.sh. The
# guest fails a test that times out or during which the kernel log shows a
# WARNING, BUG, Oops, lockdep report, hung task or a new taint other than O/E.
#
# Environment (all optional):
#   VM_CPUS=4             vCPUs
#   VM_NODES=2            NUMA nodes; one socket per node, CPUs and memory
#                         split evenly (VM_CPUS must be a multiple)
#   VM_MEM=2048           guest memory in MiB, all nodes together (rounded
#                         down to a multiple of VM_NODES)
#   VM_NVME=1             NVMe controllers, one namespace each
#   VM_NVME_QUEUES        I/O queue pairs per controller (default VM_CPUS)
#   VM_NVME_BACKEND=file  file: a 1 GiB sparse file in /dev/shm per controller
#                         (keeps data, deleted afterwards); null: null-co,
#                         reads zeroes, drops writes
#   VM_NVME_OPTS          more properties for QEMU's nvme device, e.g.
#                         ioeventfd=on
#   VM_NVME_SIZE=1024     namespace size in MiB
#   VM_NVME_LBA=512       logical block size (512 or 4096)
#   VM_NVME_SLOW_MS=0     >0: one more controller (serial nri-slow) whose
#                         namespace (null-co, reads zeroes) takes this many
#                         milliseconds for every command
#   VM_NVME_META          space-separated nvme-ns property lists, one more
#                         controller (serial nri-meta<i>, file-backed) per
#                         list, whose namespace has that metadata format:
#                         ms (bytes per block), mset (1: extended LBAs),
#                         pi (protection type 0-3), pil (1: PI first),
#                         e.g. "ms=16,mset=0,pi=1 ms=8,mset=1"
#   VM_NVME_SHARED=0      1: one more NVM subsystem (nqn nri-shared) with
#                         two controllers (serial nri-shared, as a subsystem
#                         wants: one for all its controllers)
#                         sharing one file-backed namespace: with native
#                         multipath a head with two paths
#   VM_MEMLESS_NODE=0     1: the last node has CPUs and no memory
#   VM_HUGEPAGES=0        2 MiB huge pages to reserve on every node
#   VM_KERNEL_CMDLINE_EXTRA  appended to the kernel command line
#   VM_EXTRA_FILES        HOSTPATH[:GUESTPATH] ... copied into the image
#                         (default GUESTPATH /extra/<basename>)
#   VM_EXTRA_BINS         host programs copied with their libraries into the
#                         guest's /usr/bin (e.g. perf, for profiling)
#   VM_NET                listen:PORT or connect:PORT: a virtio NIC on a
#                         QEMU socket network between VMs of this host
#                         (make demo-fabrics); the listening VM starts first
#   VM_NET_IP             the guest's address on it (10.x.y.z, a /24)
#   VM_KVM=0              1 uses KVM instead of TCG
#   TEST_TIMEOUT=120      seconds per test, enforced in the guest
#   VM_TIMEOUT            seconds for the whole VM (default 120 + tests x
#                         TEST_TIMEOUT)
#   VM_LOG                serial console log (default build/vm/logs/<time>.log)
#   VM_VERBOSE=0          1 also streams the console to stderr
#   NRI_KO                module to install (default ./nvme_ring_io.ko)
#   NRI_FUZZ_ROUNDS       rounds for tests/guest/130-fuzz.sh (default 300)
#   NRI_FUZZ_JOBS         for 130-fuzz.sh: fuzzers at once (default 1)
#   NRI_FUZZ_INPUTS       for 130-fuzz.sh: run until every interface has
#                         had this many inputs (default: rounds only)
#   NRI_SOAK_SECONDS      length of tests/guest/138-soak.sh (default 60)
#   NRI_CHURN             anonymous rings per client in 131-anon-churn.sh
#                         (default 2000)
#   BENCH_*               passed to tests/bench/*.sh (see there)
#   VM_HOST_CPU           file: record the host CPU of QEMU's vCPU threads
#                         at every "NRI-MARK" console line a guest script
#                         prints (scripts/vm-host-cpu.sh; make bench uses it)
#   VM_QEMU_TRACE         QEMU trace events (-trace PATTERN, e.g.
#                         pci_nvme_mmio_doorbell_sq), into <log>.trace

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "vm-test: $*" >&2
	exit 2
}

show=0
if [ "${1:-}" = --show ]; then
	show=1
	shift
fi
[ "$#" -ge 1 ] || die "usage: vm-test.sh [--show] TEST_FILE..."
eval "$("$top/scripts/kernel-env.sh")"
[ -r "$KIMAGE" ] || die "kernel image $KIMAGE is missing: run 'make deps'"

VM_CPUS=${VM_CPUS:-4}
VM_NODES=${VM_NODES:-2}
VM_MEM=${VM_MEM:-2048}
VM_NVME=${VM_NVME:-1}
VM_NVME_QUEUES=${VM_NVME_QUEUES:-$VM_CPUS}
VM_NVME_BACKEND=${VM_NVME_BACKEND:-file}
VM_NVME_SIZE=${VM_NVME_SIZE:-1024}
VM_NVME_LBA=${VM_NVME_LBA:-512}
VM_HUGEPAGES=${VM_HUGEPAGES:-0}
VM_NVME_SLOW_MS=${VM_NVME_SLOW_MS:-0}
VM_NVME_META=${VM_NVME_META:-}
VM_NVME_SHARED=${VM_NVME_SHARED:-0}
VM_KVM=${VM_KVM:-0}
VM_NET=${VM_NET:-}
VM_NET_IP=${VM_NET_IP:-}
case $VM_NET in
"" | listen:[0-9]* | connect:[0-9]*) ;;
*) die "VM_NET=$VM_NET: use listen:PORT or connect:PORT" ;;
esac
if [ -n "$VM_NET" ]; then
	[[ $VM_NET_IP =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
		die "VM_NET needs VM_NET_IP, the guest's IPv4 address (got '$VM_NET_IP')"
	VM_EXTRA_MODULES="${VM_EXTRA_MODULES:-} virtio_net"
	export VM_EXTRA_MODULES
fi
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

for v in VM_CPUS VM_NODES VM_MEM VM_NVME VM_NVME_QUEUES VM_NVME_SIZE VM_NVME_LBA \
	VM_HUGEPAGES VM_NVME_SLOW_MS TEST_TIMEOUT; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v=${!v} is not a number"
done
if [ "$VM_NODES" -lt 1 ] || [ "$VM_CPUS" -lt 1 ]; then
	die "VM_CPUS and VM_NODES must be >= 1"
fi
[ $((VM_CPUS % VM_NODES)) -eq 0 ] || die "VM_CPUS=$VM_CPUS is not a multiple of VM_NODES=$VM_NODES"
case $VM_NVME_LBA in 512 | 4096) ;; *) die "VM_NVME_LBA must be 512 or 4096" ;; esac
case $VM_NVME_BACKEND in file | null) ;; *) die "VM_NVME_BACKEND must be file or null" ;; esac

tests=()
for t in "$@"; do
	[ -f "$t" ] || die "no such test: $t"
	# lib.sh sits among the tests (a glob picks it up) but is not one.
	[ "${t##*/}" != lib.sh ] || continue
	tests+=("$t")
done
[ "${#tests[@]}" -ge 1 ] || die "no test to run"
VM_TIMEOUT=${VM_TIMEOUT:-$((120 + ${#tests[@]} * TEST_TIMEOUT))}

mkdir -p "$top/build/vm/logs"
work=$(mktemp -d "$top/build/vm/boot.XXXXXX")
shm_files=()
# shellcheck disable=SC2317 # called through the trap
cleanup() {
	rm -rf "$work"
	if [ "${#shm_files[@]}" -gt 0 ]; then
		rm -f "${shm_files[@]}"
	fi
}
trap cleanup EXIT

log=${VM_LOG:-$top/build/vm/logs/$(date +%Y%m%d-%H%M%S)-$$.log}
mkdir -p "$(dirname "$log")"
: >"$log"

cat >"$work/nri-vm.conf" <<CONF
TEST_TIMEOUT=$TEST_TIMEOUT
VM_HUGEPAGES=$VM_HUGEPAGES
VM_NET_IP=$VM_NET_IP
$(for v in NRI_FUZZ_ROUNDS NRI_FUZZ_INPUTS NRI_FUZZ_JOBS NRI_SOAK_SECONDS NRI_CHURN \
	$(compgen -v BENCH_) $(compgen -v DEMO_); do
	[ -z "${!v:-}" ] || printf 'export %s=%q\n' "$v" "${!v}"
done)
CONF
VM_CONF=$work/nri-vm.conf "$top/scripts/vm-build.sh" "$work/initrd" "${tests[@]}"

# Topology: one socket per node, CPUs and memory split evenly; with
# VM_MEMLESS_NODE=1 the last node has CPUs but no memory.
per_cpus=$((VM_CPUS / VM_NODES))
mem_nodes=$VM_NODES
if [ "${VM_MEMLESS_NODE:-0}" = 1 ]; then
	[ "$VM_NODES" -ge 2 ] || die "VM_MEMLESS_NODE=1 needs VM_NODES >= 2"
	mem_nodes=$((VM_NODES - 1))
fi
per_mem=$((VM_MEM / mem_nodes))
VM_MEM=$((per_mem * mem_nodes))
qemu=(
	qemu-system-x86_64 -M q35 -nodefaults -no-user-config -display none
	-no-reboot -monitor none -serial "file:$log"
	# thread names ("CPU 0/TCG") for the host-side CPU record
	-name "nri-vm,debug-threads=on"
	-device "isa-debug-exit,iobase=0xf4,iosize=0x04"
	-kernel "$KIMAGE" -initrd "$work/initrd"
	-m "$VM_MEM"
	-smp "$VM_CPUS,sockets=$VM_NODES,cores=$per_cpus,threads=1"
)
if [ "$VM_KVM" = 1 ]; then
	qemu+=(-accel kvm -cpu host)
else
	qemu+=(-accel "tcg,thread=multi" -cpu max)
fi
for ((n = 0; n < VM_NODES; n++)); do
	cpus="cpus=$((n * per_cpus))-$(((n + 1) * per_cpus - 1))"
	if [ "$n" -ge "$mem_nodes" ]; then
		qemu+=(-numa "node,nodeid=$n,$cpus")
		continue
	fi
	qemu+=(-object "memory-backend-ram,id=mem$n,size=${per_mem}M"
		-numa "node,nodeid=$n,$cpus,memdev=mem$n")
done
size=$((VM_NVME_SIZE * 1024 * 1024))
for ((c = 0; c < VM_NVME; c++)); do
	if [ "$VM_NVME_BACKEND" = file ]; then
		f=/dev/shm/nri-vm-$$-nvme$c.img
		shm_files+=("$f")
		truncate -s "$size" "$f"
		qemu+=(-blockdev "driver=file,node-name=file$c,filename=$f"
			-blockdev "driver=raw,node-name=nvm$c,file=file$c")
	else
		qemu+=(-blockdev "driver=null-co,node-name=nvm$c,size=$size,read-zeroes=on")
	fi
	qemu+=(-device "nvme,id=nvme$c,serial=nri-$c,max_ioqpairs=$VM_NVME_QUEUES${VM_NVME_OPTS:+,$VM_NVME_OPTS}"
		-device "nvme-ns,drive=nvm$c,bus=nvme$c,nsid=1,logical_block_size=$VM_NVME_LBA,physical_block_size=$VM_NVME_LBA")
done
m=0
for props in $VM_NVME_META; do
	[[ $props =~ ^((ms|mset|pi|pil)=[0-9]+,?)+$ ]] ||
		die "VM_NVME_META: '$props' is not a list of ms=, mset=, pi=, pil="
	f=/dev/shm/nri-vm-$$-meta$m.img
	shm_files+=("$f")
	truncate -s "$size" "$f"
	qemu+=(-blockdev "driver=file,node-name=mfile$m,filename=$f"
		-blockdev "driver=raw,node-name=nvmmeta$m,file=mfile$m"
		-device "nvme,id=nvmemeta$m,serial=nri-meta$m,max_ioqpairs=$VM_NVME_QUEUES"
		-device "nvme-ns,drive=nvmmeta$m,bus=nvmemeta$m,nsid=1,logical_block_size=$VM_NVME_LBA,physical_block_size=$VM_NVME_LBA,${props%,}")
	m=$((m + 1))
done
if [ "$VM_NVME_SHARED" = 1 ]; then
	f=/dev/shm/nri-vm-$$-shared.img
	shm_files+=("$f")
	truncate -s "$size" "$f"
	qemu+=(-blockdev "driver=file,node-name=sfile,filename=$f"
		-blockdev "driver=raw,node-name=nvmshared,file=sfile"
		-device "nvme-subsys,id=nrishared,nqn=nri-shared"
		-device "nvme,id=nvmeshared0,serial=nri-shared,subsys=nrishared,max_ioqpairs=$VM_NVME_QUEUES"
		-device "nvme,id=nvmeshared1,serial=nri-shared,subsys=nrishared,max_ioqpairs=$VM_NVME_QUEUES"
		-device "nvme-ns,drive=nvmshared,bus=nvmeshared0,nsid=1,shared=on,logical_block_size=$VM_NVME_LBA,physical_block_size=$VM_NVME_LBA")
fi
if [ "$VM_NVME_SLOW_MS" -gt 0 ]; then
	qemu+=(-blockdev "driver=null-co,node-name=nvmslow,size=$size,read-zeroes=on,latency-ns=$((VM_NVME_SLOW_MS * 1000000))"
		-device "nvme,id=nvmeslow,serial=nri-slow,max_ioqpairs=$VM_NVME_QUEUES"
		-device "nvme-ns,drive=nvmslow,bus=nvmeslow,nsid=1,logical_block_size=$VM_NVME_LBA,physical_block_size=$VM_NVME_LBA")
fi
# KCMDLINE: what the kernel itself needs (kernel-env.sh; the debug kernel's)
cmdline="console=ttyS0 panic=-1 oops=panic quiet printk.devkmsg=on rdinit=/init ${KCMDLINE:-} ${VM_KERNEL_CMDLINE_EXTRA:-}"
if [ -n "$VM_NET" ]; then
	qemu+=(-netdev "socket,id=net0,${VM_NET%%:*}=127.0.0.1:${VM_NET#*:}"
		-device "virtio-net-pci,netdev=net0,mac=52:54:00:12:34:$(printf %02x "${VM_NET_IP##*.}")")
fi
qemu+=(-append "$cmdline")

echo "# vm-test: $VM_CPUS CPUs in $VM_NODES node(s), ${VM_MEM} MiB, $VM_NVME NVMe" \
	"($VM_NVME_BACKEND, $VM_NVME_QUEUES queues, LBA $VM_NVME_LBA), ${#tests[@]} test(s)"
echo "# vm-test: console log $log"

tailpid=
if [ "${VM_VERBOSE:-0}" = 1 ]; then
	tail -n +1 -f "$log" >&2 &
	tailpid=$!
fi
# QEMU's own trace events (qemu-system-x86_64 -trace help), logged beside
# the console log
if [ -n "${VM_QEMU_TRACE:-}" ]; then
	qemu+=(-trace "$VM_QEMU_TRACE" -D "${log%.log}.trace")
	echo "# vm-test: QEMU trace events $VM_QEMU_TRACE in ${log%.log}.trace"
fi
# boot: run QEMU once, with the host-side CPU recorder when asked for
boot() {
	local rec=

	if [ -n "${VM_HOST_CPU:-}" ]; then
		"$top/scripts/vm-host-cpu.sh" "$log" "$VM_HOST_CPU" &
		rec=$!
	fi
	timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" </dev/null
	qrc=$?
	if [ -n "$rec" ]; then
		wait "$rec" || echo "# vm-test: no host CPU record (VM_HOST_CPU)"
	fi
}

start=$(date +%s)
set +e
boot
# TCG now and then oopses while the kernel boots (seen: an int3 trap in
# timer code while text is being patched), before anything of ours runs.
# Such a boot is tried once more, and says so; a crash once a test has
# begun, or a second one, stands.
if ! grep -aq '^NRI-BEGIN ' "$log" && grep -aq 'Kernel panic' "$log"; then
	echo "# vm-test: the kernel crashed while booting, before any test; booting again"
	cp "$log" "$log.boot1"
	: >"$log"
	boot
fi
set -e
end=$(date +%s)
if [ -n "$tailpid" ]; then
	sleep 0.2
	kill "$tailpid" 2>/dev/null || true
fi

# Parse the console: CR/LF from the serial line, results by name.
tr -d '\r' <"$log" >"$work/console"

section() {
	awk -v n="$1" '$0 == "NRI-BEGIN " n { on = 1 } on { print "#   " $0 } $0 == "NRI-END " n { on = 0 }' \
		"$work/console" | tail -n "${2:-60}"
}

failed=0
i=0
if grep -q '^NRI-RESULT boot fail' "$work/console"; then
	i=$((i + 1))
	failed=1
	echo "not ok $i - boot # $(grep -m 1 '^NRI-RESULT boot fail' "$work/console" | cut -d' ' -f4-)"
	grep -E '^(dmesg\| |NRI-INIT)' "$work/console" | grep -v '^NRI-INIT: boot kernel log' |
		grep -Eiv 'dmesg\| *$' | tail -n 40 | sed 's/^/#   /'
fi
for t in "${tests[@]}"; do
	b=${t##*/}
	[ "$b" != lib.sh ] || continue
	name=${b%.sh}
	i=$((i + 1))
	line=$(grep -m 1 "^NRI-RESULT $name " "$work/console" || true)
	verdict=$(echo "$line" | cut -d' ' -f3)
	reason=$(echo "$line" | cut -d' ' -f4-)
	secs=$(grep -m 1 "^NRI-TIME $name " "$work/console" | cut -d' ' -f3 || true)
	scan=$(grep -m 1 "^NRI-SCAN $name " "$work/console" | cut -d' ' -f3 || true)
	[ -z "$secs" ] || echo "# $name: ${secs}s${scan:+ (kmemleak scan ${scan}s)}" >>"$work/times"
	case $verdict in
	pass)
		echo "ok $i - $name"
		[ "$show" = 0 ] || section "$name" 100000
		;;
	skip)
		echo "ok $i - $name # SKIP ${reason#SKIP: }"
		[ "$show" = 0 ] || section "$name" 100000
		;;
	fail)
		failed=1
		echo "not ok $i - $name # $reason"
		section "$name"
		;;
	*)
		failed=1
		if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
			why="no result: the VM timed out after ${VM_TIMEOUT}s"
		else
			why="no result: the VM stopped (QEMU status $qrc)"
		fi
		echo "not ok $i - $name # $why"
		section "$name"
		;;
	esac
done
echo "1..$i"
# where the time went, slowest first
[ ! -s "$work/times" ] || sort -t: -k2 -rn "$work/times" | head -5

# QEMU's own status must agree: 1 = guest saw no failure, 3 = it saw one.
case $qrc in
1) ;;
3) failed=1 ;;
124 | 137)
	failed=1
	echo "# vm-test: the VM did not finish within ${VM_TIMEOUT}s (VM_TIMEOUT)"
	tail -n 20 "$work/console" | sed 's/^/#   /'
	;;
*)
	failed=1
	echo "# vm-test: QEMU exited with status $qrc (no verdict from the guest)"
	grep -Em 5 'Kernel panic|BUG:|Oops|No working init' "$work/console" | sed 's/^/#   /' || true
	tail -n 5 "$work/console" | sed 's/^/#   /'
	;;
esac
echo "# vm-test: $((end - start))s in the VM; console log $log"
exit "$failed"
