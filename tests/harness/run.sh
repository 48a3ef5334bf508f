#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-tests of the test VM harness, run on the host by 'make check'. Each
# case boots scripts/vm-test.sh on scenarios from tests/harness/scenarios/
# and checks, from the outside, that the harness reaches the right verdict
# for the right reason:
#   exit-fail    a test exiting 1 fails the run
#   kernel-warn  a test exiting 0 during which the kernel WARNs fails the run
#   timeout      a test past TEST_TIMEOUT is killed, fails the run, and the
#                next test still runs
#   kernel-crash a test during which the kernel panics fails, so does every
#                test that never ran, and the crash is shown
#   skip         a test exiting 77 is reported as SKIP and the run passes
#   vm-knobs     VM_NVME=2, VM_NVME_LBA, VM_NVME_BACKEND=null, VM_HUGEPAGES,
#                VM_NVME_QUEUES, VM_CPUS/VM_NODES, VM_HOST_CPU and
#                run_as_user work
# Prints TAP; exits non-zero when a case did not behave.

set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
sc=$top/tests/harness/scenarios
out=$top/build/harness
mkdir -p "$out"
. "$top/scripts/lib.sh"
tree_lock "$top/build/.harness.lock" "# harness: another harness run is going on in this tree; waiting for it"

eval "$("$top/scripts/kernel-env.sh")"

n=0
failed=0

report() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - harness/$2"
	else
		failed=1
		echo "not ok $n - harness/$2 # $3"
		sed 's/^/#   /' "$out/$2.out" | tail -n 30
	fi
}

# A kernel of its own (make check-debug's: KASAN, kmemleak) boots several
# times slower than the stock one, more so beside the other boots: give
# each VM of the harness that much longer (vm-test.sh's default is 120 s
# and TEST_TIMEOUT per test).
# So does a trivial test, which the timeout case's must pass within its
# TEST_TIMEOUT.
vm_slack=()
test_timeout=5
if [ -n "${NRI_KERNEL_ENV:-}" ]; then
	vm_slack=(VM_TIMEOUT="${HARNESS_VM_TIMEOUT:-900}")
	test_timeout=60
fi

# run NAME [VAR=VALUE...] -- SCENARIO...: vm-test.sh output in $out/NAME.out,
# its exit status in $rc.
run() {
	local name=$1 envs=("${vm_slack[@]}")
	shift
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env "${envs[@]}" "$top/scripts/vm-test.sh" "$@" >"$out/$name.out" 2>&1
	rc=$?
}

# The warning module is built out of the tree, in build/.
rm -rf "$out/warn_module"
cp -r "$top/tests/harness/warn_module" "$out/warn_module"
if ! make -s -C "$KDIR" M="$out/warn_module" modules >"$out/warn_module.log" 2>&1; then
	cat "$out/warn_module.log"
	echo "harness: building the warning module failed" >&2
	exit 1
fi

run exit-fail VM_NVME=0 -- "$sc/exit-fail.sh"
if [ "$rc" -ne 0 ] && grep -q '^not ok 1 - exit-fail # exit status 1' "$out/exit-fail.out"; then
	report ok exit-fail
else
	report fail exit-fail "vm-test.sh exited $rc, or without 'not ok 1 - exit-fail # exit status 1'"
fi

run kernel-warn VM_NVME=0 "VM_EXTRA_FILES=$out/warn_module/nri_warn.ko" -- "$sc/kernel-warn.sh"
if [ "$rc" -ne 0 ] && grep -q '^not ok 1 - kernel-warn # kernel log: .*WARNING:' "$out/kernel-warn.out"; then
	report ok kernel-warn
else
	report fail kernel-warn "vm-test.sh exited $rc, or without 'not ok 1 - kernel-warn # kernel log: ... WARNING:'"
fi

run timeout VM_NVME=0 TEST_TIMEOUT="$test_timeout" -- "$sc/hang.sh" "$sc/after-hang.sh"
if [ "$rc" -ne 0 ] && grep -q '^not ok 1 - hang # timed out' "$out/timeout.out" &&
	grep -q '^ok 2 - after-hang$' "$out/timeout.out"; then
	report ok timeout
else
	report fail timeout "vm-test.sh exited $rc, or without 'not ok 1 - hang # timed out' and 'ok 2 - after-hang'"
fi

run kernel-crash VM_NVME=0 -- "$sc/kernel-crash.sh" "$sc/after-hang.sh"
if [ "$rc" -ne 0 ] && grep -q '^not ok 1 - kernel-crash # no result' "$out/kernel-crash.out" &&
	grep -q '^not ok 2 - after-hang # no result' "$out/kernel-crash.out" &&
	grep -q 'sysrq: Trigger a crash' "$out/kernel-crash.out"; then
	report ok kernel-crash
else
	report fail kernel-crash "vm-test.sh exited $rc, or without 'not ok 1 - kernel-crash # no result', 'not ok 2 - after-hang # no result' and the crash message"
fi

run skip VM_NVME=0 -- "$sc/skip.sh"
if [ "$rc" -eq 0 ] && grep -q '^ok 1 - skip # SKIP skipping on purpose$' "$out/skip.out"; then
	report ok skip
else
	report fail skip "vm-test.sh exited $rc, or without 'ok 1 - skip # SKIP skipping on purpose'"
fi

rm -f "$out/host-cpu.txt"
run vm-knobs VM_CPUS=2 VM_NODES=1 VM_NVME=2 VM_NVME_BACKEND=null VM_NVME_LBA=4096 \
	VM_NVME_QUEUES=1 VM_HUGEPAGES=4 VM_HOST_CPU="$out/host-cpu.txt" -- "$sc/vm-knobs.sh"
# VM_HOST_CPU: both marks recorded, the vCPUs' host CPU growing between them
cpu_ok=$(awk '$1 == "begin" && $2 == "knobs" { split($3, a, "="); b = a[2] }
	$1 == "end" && $2 == "knobs" { split($3, a, "="); e = a[2] }
	END { print (b > 0 && e > b) ? 1 : 0 }' "$out/host-cpu.txt" 2>/dev/null)
if [ "$rc" -eq 0 ] && grep -q '^ok 1 - vm-knobs$' "$out/vm-knobs.out" &&
	[ "$cpu_ok" = 1 ]; then
	report ok vm-knobs
else
	{
		echo "# host CPU record (VM_HOST_CPU):"
		cat "$out/host-cpu.txt" 2>/dev/null
	} >>"$out/vm-knobs.out"
	report fail vm-knobs "vm-test.sh exited $rc, without 'ok 1 - vm-knobs', or no host CPU record of both marks"
fi

echo "1..$n"
exit "$failed"
