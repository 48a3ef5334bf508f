#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the nvme_ring_io test VM (busybox sh). Sets the guest up, runs the
# tests listed in /tests/LIST one after the other and powers off, carrying
# the verdict out through isa-debug-exit (port 0xf4).
#
# Console protocol, parsed by scripts/vm-test.sh:
#   NRI-BEGIN <test>
#   ... the test's output, then the kernel log it caused as "dmesg| " lines
#   NRI-END <test>
#   NRI-RESULT <test> pass|fail|skip [reason]
#   NRI-DONE passed=N failed=N skipped=N
# A test counts as failed when it exits with neither 0 nor 77, runs past
# TEST_TIMEOUT, or when the kernel log shows trouble or the kernel picks up a
# taint other than O and E while it runs.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
umask 022

mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

mount -t proc proc /proc
mount -t sysfs sysfs /sys

# The kernel log is read from /dev/kmsg into a file as it comes, and each
# test's part is cut out by sequence number between two marker records, so
# a test that clears the log (dmesg -c) hides nothing from the checks.
KMSG=/run/kmsg
start_kmsg_reader() {
	cat /dev/kmsg >>"$KMSG" 2>/dev/null &
	KMSG_PID=$!
}
start_kmsg_reader

# kmsg_mark TEXT: log a marker record, wait until the reader has it, print
# its sequence number (nothing if it never shows up).
kmsg_mark() {
	tag="nri-vm: $1"
	echo "$tag" >/dev/kmsg
	i=0
	while [ "$i" -lt 100 ]; do
		seq=$(awk -F';' -v t="$tag" '$2 == t { split($1, f, ","); s = f[2] } END { if (s != "") print s }' "$KMSG")
		if [ -n "$seq" ]; then
			echo "$seq"
			return
		fi
		# A reader that fell behind the ring buffer gets EPIPE and stops:
		# start another, the sequence numbers sort out the overlap.
		kill -0 "$KMSG_PID" 2>/dev/null || start_kmsg_reader
		sleep 0.05
		i=$((i + 1))
	done
}

# kmsg_between A B: the kernel log records with A < sequence < B, as dmesg
# prints them (an empty A or B leaves that end open).
kmsg_between() {
	awk -v a="${1:--1}" -v b="${2:-}" '
	/^[0-9]+,[0-9]+,[0-9]+,/ {
		i = index($0, ";")
		split(substr($0, 1, i - 1), f, ",")
		seq = f[2] + 0
		if (seq > a && (b == "" || seq < b + 0) && !seen[seq]++)
			printf "[%5d.%06d] %s\n", int(f[3] / 1000000), f[3] % 1000000, substr($0, i + 1)
	}' "$KMSG"
}
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# kmemleak (make check-debug): the runner scans after every test, so the
# scanning thread's own scan every 10 minutes, a minute or more of CPU
# each under TCG, only slows the tests down
[ -w /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak

TEST_TIMEOUT=120
VM_HUGEPAGES=0
VM_NET_IP=
# shellcheck disable=SC1091
[ -f /etc/nri-vm.conf ] && . /etc/nri-vm.conf

# vm-test.sh's VM_NET: the NIC between this host's VMs, VM_NET_IP/24
if [ -n "$VM_NET_IP" ]; then
	modprobe virtio_net
	for _ in $(seq 1 50); do
		[ -e /sys/class/net/eth0 ] && break
		sleep 0.1
	done
	ip addr add "$VM_NET_IP/24" dev eth0 && ip link set eth0 up ||
		echo "vm-init: cannot bring eth0 up as $VM_NET_IP" >&2
fi

KVER=$(uname -r)
export KVER
export NRI_KO="/lib/modules/$KVER/extra/nvme_ring_io.ko"

hostname nri-vm
ip link set lo up 2>/dev/null
# what NVMe over Fabrics hosts need: a host NQN and id, as nvme-cli's
# package makes at install time
mkdir -p /etc/nvme
if [ ! -s /etc/nvme/hostid ]; then
	cat /proc/sys/kernel/random/uuid >/etc/nvme/hostid
	echo "nqn.2014-08.org.nvmexpress:uuid:$(cat /etc/nvme/hostid)" >/etc/nvme/hostnqn
fi

# Kernel log patterns that fail the test during which they appear.
TROUBLE='WARNING:|BUG:|Oops|kernel BUG|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage|bad unlock balance|DEBUG_LOCKS_WARN_ON|INFO: task .* blocked for more than|hung_task|soft lockup|hard LOCKUP|rcu: INFO|self-detected stall|Call Trace|UBSAN|KASAN|KFENCE|list_add corruption|list_del corruption|refcount_t:|Bad page|BUG kmalloc'
# Taint bits a test may add: O (4096, out-of-tree module) and E (8192, unsigned).
TAINT_OK=12288

echo 45 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null

boot_trouble=

modprobe configfs && mount -t configfs configfs /sys/kernel/config
modprobe nvme

# Wait (bounded) for the namespaces of the NVMe controllers QEMU gave us.
nctrl=0
for c in /sys/bus/pci/devices/*/class; do
	[ "$(cat "$c")" = 0x010802 ] && nctrl=$((nctrl + 1))
done
i=0
while [ "$i" -lt 100 ]; do
	nns=0
	for b in /sys/block/nvme*n1; do
		[ -e "$b" ] && nns=$((nns + 1))
	done
	[ "$nns" -ge "$nctrl" ] && break
	sleep 0.1
	i=$((i + 1))
done
if [ "$nns" -lt "$nctrl" ]; then
	echo "NRI-INIT: only $nns of $nctrl NVMe namespaces appeared"
	boot_trouble="$boot_trouble nvme"
fi

if [ "$VM_HUGEPAGES" -gt 0 ] 2>/dev/null; then
	for n in /sys/devices/system/node/node[0-9]*; do
		echo "$VM_HUGEPAGES" >"$n/hugepages/hugepages-2048kB/nr_hugepages"
	done
fi

if [ -f "$NRI_KO" ]; then
	if ! modprobe nvme_ring_io; then
		echo "NRI-INIT: modprobe nvme_ring_io failed"
	fi
else
	echo "NRI-INIT: no nvme_ring_io.ko in the image"
fi

echo "NRI-INIT: kernel $KVER, cpus $(cat /sys/devices/system/cpu/online)," \
	"nodes $(cat /sys/devices/system/node/online 2>/dev/null)," \
	"nvme: $(cd /sys/block && echo nvme*)"
echo "NRI-INIT: boot kernel log:"
boot_seq=$(kmsg_mark "boot done")
[ -n "$boot_seq" ] || echo "NRI-INIT: cannot follow /dev/kmsg; test kernel logs may overlap"
kmsg_between "" "$boot_seq" >/tmp/boot.dmesg
sed 's/^/dmesg| /' /tmp/boot.dmesg
if grep -Eq "$TROUBLE" /tmp/boot.dmesg; then
	boot_trouble="$boot_trouble dmesg"
fi
if [ $(($(cat /proc/sys/kernel/tainted) & ~TAINT_OK)) -ne 0 ]; then
	boot_trouble="$boot_trouble taint=$(cat /proc/sys/kernel/tainted)"
fi

passed=0
failed=0
skipped=0
if [ -n "$boot_trouble" ]; then
	echo "NRI-RESULT boot fail trouble during boot:$boot_trouble"
	failed=$((failed + 1))
fi

# Kill what a test left running (a timed-out test's children, daemons):
# every user process but init. Kernel threads have no exe link.
kill_leftovers() {
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		case $pid in 1 | "$KMSG_PID") continue ;; esac
		readlink "$p/exe" >/dev/null 2>&1 || continue
		kill -KILL "$pid" 2>/dev/null
	done
}

shell=/bin/bash
[ -x "$shell" ] || shell=/bin/sh

while read -r t; do
	[ -n "$t" ] || continue
	name=${t%.sh}
	taint0=$(cat /proc/sys/kernel/tainted)
	echo "NRI-BEGIN $name"
	seq0=$(kmsg_mark "begin $name")
	start=$(date +%s)
	up0=$(cut -d' ' -f1 /proc/uptime)
	rm -f /tmp/.nri-skip
	# Output goes straight to the console, so what a test printed is in the
	# log even when the kernel dies under it.
	(cd /tmp && exec timeout -s KILL "$TEST_TIMEOUT" "$shell" "/tests/$t" </dev/null)
	rc=$?
	end=$(date +%s)
	kill_leftovers
	seq1=$(kmsg_mark "end $name")
	kmsg_between "$seq0" "$seq1" >/tmp/test.dmesg
	sed 's/^/dmesg| /' /tmp/test.dmesg
	echo "NRI-END $name"

	verdict=pass
	reason=
	if [ "$rc" -eq 77 ]; then
		verdict=skip
		reason="SKIP: $(cat /tmp/.nri-skip 2>/dev/null || echo "no reason given")"
	elif [ "$rc" -ne 0 ]; then
		verdict=fail
		if [ $((end - start)) -ge "$TEST_TIMEOUT" ]; then
			reason="timed out after ${TEST_TIMEOUT}s"
		else
			reason="exit status $rc"
		fi
	fi
	bad=$(grep -Em 1 "$TROUBLE" /tmp/test.dmesg)
	if [ -n "$bad" ]; then
		verdict=fail
		reason="$reason${reason:+; }kernel log: $bad"
	fi
	# a kernel with kmemleak (make check-debug): anything of ours it
	# finds unreferenced after the test fails it
	if [ -w /sys/kernel/debug/kmemleak ]; then
		scan0=$(cut -d' ' -f1 /proc/uptime)
		echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
		echo "NRI-SCAN $name $(awk -v a="$scan0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
		if grep -qE 'nvme_ring_io|nri_' /sys/kernel/debug/kmemleak 2>/dev/null; then
			verdict=fail
			reason="$reason${reason:+; }kmemleak: $(grep -m 1 -E 'nvme_ring_io|nri_' /sys/kernel/debug/kmemleak)"
			sed 's/^/kmemleak| /' /sys/kernel/debug/kmemleak | head -n 60
		fi
		echo clear >/sys/kernel/debug/kmemleak 2>/dev/null
	fi
	taint1=$(cat /proc/sys/kernel/tainted)
	new=$((taint1 & ~taint0 & ~TAINT_OK))
	if [ "$new" -ne 0 ]; then
		verdict=fail
		reason="$reason${reason:+; }kernel taint $taint0 -> $taint1"
	fi
	case $verdict in
	pass) passed=$((passed + 1)) ;;
	skip) skipped=$((skipped + 1)) ;;
	fail) failed=$((failed + 1)) ;;
	esac
	# to a tenth of a second, the checks after the test included
	echo "NRI-TIME $name $(awk -v a="$up0" '{ printf "%.1f", $1 - a }' /proc/uptime)"
	echo "NRI-RESULT $name $verdict $reason"
done </tests/LIST

echo "NRI-DONE passed=$passed failed=$failed skipped=$skipped"
sync
# isa-debug-exit: QEMU exits with 2 * byte + 1, so 1 means all passed.
if [ "$failed" -eq 0 ]; then
	printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
else
	printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
fi
poweroff -f
