#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DESCRIPTION: resource exhaustion under fault injection: every slab and
# page allocation made while a ring is enabled (two queues on two nodes,
# SQ pollers) and while an anonymous ring is set up and mapped is made to
# fail in turn (failslab and fail_page_alloc through the task's fail-nth,
# so only the allocations of that one operation fail). Each failed enable
# or SETUP leaves nothing behind and logs an error; each one a fallback
# absorbed gives a working ring. SUBMIT, swept the same way, makes no
# allocation that can fail and completes every read once. Afterwards the
# ring enables and verifies data, and the module unloads holding nothing
# (kmemleak is scanned after the test by the runner). Needs CONFIG_FAULT_INJECTION:
# the kernel make check-debug builds.
. "$(dirname "$0")/lib.sh"

ring_test nri-failnth nri-io
[ -e /proc/self/fail-nth ] ||
	skip "the kernel has no fault injection (CONFIG_FAULT_INJECTION); make check-debug runs this"
dbg=/sys/kernel/debug
[ -d "$dbg/failslab" ] || mount -t debugfs none "$dbg" 2>/dev/null
if [ ! -d "$dbg/failslab" ] || [ ! -d "$dbg/fail_page_alloc" ]; then
	skip "no failslab or fail_page_alloc in debugfs (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC)"
fi

# Sleeping allocations count too (the default counts only atomic ones),
# every page order, and no stack dump per injected failure.
knobs="failslab/ignore-gfp-wait fail_page_alloc/ignore-gfp-wait
fail_page_alloc/ignore-gfp-highmem fail_page_alloc/min-order
failslab/verbose fail_page_alloc/verbose"
declare -A saved
for k in $knobs; do
	saved[$k]=$(cat "$dbg/$k")
done
# shellcheck disable=SC2317 # called through the trap
restore() {
	local k
	for k in $knobs; do
		echo "${saved[$k]}" >"$dbg/$k"
	done
	nri_cleanup_rings
}
trap restore EXIT
for k in failslab/ignore-gfp-wait fail_page_alloc/ignore-gfp-wait \
	fail_page_alloc/ignore-gfp-highmem; do
	echo N >"$dbg/$k"
done
echo 0 >"$dbg/fail_page_alloc/min-order"
echo 0 >"$dbg/failslab/verbose"
echo 0 >"$dbg/fail_page_alloc/verbose"

cleanup_rings fa
read -r -a cpus <<<"$(online_cpus | tr '\n' ' ')"
ring_make fa cpus="${cpus[0]},${cpus[-1]}" data_size=2M sq_entries=64 \
	cq_entries=64 sq_poll=1
dmesg -c >/dev/null

# sweep NAME CMD...: runs the sweep, fails unless it finished cleanly
# with at least one allocation made to fail
sweep() {
	local what=$1 out
	shift
	out=$(nri-failnth "$@" 2>&1) || fail "$what: $out"
	info "$what: $out"
	case $out in
	*" 0 allocation(s) made to fail"*) fail "$what: no allocation was made to fail" ;;
	esac
}

sweep "enable (2 queues, SQ pollers)" enable "$NRI_CFS/fa" 20000
fails=$(dmesg | grep -c "fa: enable: failed with error") || true
info "$fails enables logged their error"
[ "$fails" -gt 0 ] || fail "no enable logged an error: $(dmesg | tail -n 3)"
[ ! -e "$NRI_SYS/fa" ] || fail "the ring is in sysfs after the sweep"

sweep "anonymous SETUP and mmap" setup "/dev/$ns" 20000

echo 0 >"$NRI_CFS/fa/sq_poll"
echo 1 >"$NRI_CFS/fa/enable" || fail "enable with the faults off"
# SUBMIT allocates nothing that can fail (requests come from the tag set,
# the data mapping is built in the command): the sweep ends at once, and
# every read completes once
out=$(nri-failnth submit fa 20000 2>&1) || fail "SUBMIT of 32 reads: $out"
info "SUBMIT of 32 reads: $out"
echo 0 >"$NRI_CFS/fa/enable"

# memory is back: the ring works
echo 1 >"$NRI_CFS/fa/sq_poll"
echo 1 >"$NRI_CFS/fa/enable" || fail "enable once the faults are off"
nri-io --nlb 64 --seed 252 write fa >/dev/null || fail "write"
nri-io --nlb 64 --seed 252 verify fa >/dev/null || fail "verify"
ring_down fa
nri_reload_held_nothing
pass
