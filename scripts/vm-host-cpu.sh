#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of the benchmarks' CPU accounting. Follows a test VM's console
# log and, at every line "NRI-MARK <words>" a guest script prints, appends
#
#   <words> host_vcpu_ns=<N> host_other_ns=<N>
#
# to OUT: the CPU time the host has given so far to the QEMU process's vCPU
# threads, and to all its other threads (the main loop with the device
# models, RCU, workers), from /proc/<pid>/task/*/schedstat. Differences
# between two marks are the host CPU the guest's vCPUs and the emulated
# devices used in between. vm-test.sh runs this when VM_HOST_CPU is set; it
# ends with the QEMU process.
#
# Why: under TCG a vCPU that touches an emulated device waits for QEMU's
# global lock while the device model holds it. The guest cannot tell that
# wait from work, so its own CPU accounting counts it as busy; the host's
# accounting of the vCPU thread does not.
#
# Usage: vm-host-cpu.sh CONSOLE_LOG OUT

set -u

log=$1
out=$2
: >"$out"

# QEMU's command line names the console log (-serial file:LOG); wait for
# the process (vm-test.sh starts it right after this script)
find_qemu() {
	local d comm

	for d in /proc/[0-9]*; do
		read -r comm <"$d/comm" 2>/dev/null || continue
		case $comm in qemu-system-*) ;; *) continue ;; esac
		if tr '\0' '\n' <"$d/cmdline" 2>/dev/null | grep -qxF -- "file:$log"; then
			echo "${d#/proc/}"
			return 0
		fi
	done
	return 1
}

pid=
for _ in $(seq 600); do
	pid=$(find_qemu) && break
	sleep 0.1
done
if [ -z "$pid" ]; then
	echo "vm-host-cpu: no QEMU process writing $log found" >&2
	exit 1
fi

snapshot() {
	local t comm run vcpu=0 other=0

	for t in /proc/"$pid"/task/*; do
		read -r comm <"$t/comm" 2>/dev/null || continue
		read -r run _ <"$t/schedstat" 2>/dev/null || continue
		case $comm in
		"CPU "*/TCG | "CPU "*/KVM) vcpu=$((vcpu + run)) ;;
		*) other=$((other + run)) ;;
		esac
	done
	echo "host_vcpu_ns=$vcpu host_other_ns=$other"
}

tail --pid="$pid" -F -n +1 "$log" 2>/dev/null | while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"NRI-MARK "*) echo "${line#NRI-MARK } $(snapshot)" >>"$out" ;;
	esac
done
exit 0
