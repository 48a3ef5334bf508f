#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 'make check': build, lint, unit tests, guest tests, harness self-tests.
# Every step is reported as it finishes; the last line of output is the
# summary "N passed, N failed, N skipped", each item being one of:
#   build/module, build/userspace          the builds (build/module-6.1:
#                                          the module for Debian 12's 6.1)
#   lint/checkpatch, lint/W=1, lint/sparse, lint/shellcheck
#   unit/...                               'make -C userspace test': each TAP
#                                          line it prints, or one item if none
#   host/<test>                            tests/host/*.sh on the build
#                                          machine (make install, DKMS);
#                                          exit 77 is a skip
#   guest/<test>                           tests/guest/*.sh in the default VM
#                                          (but those whose TOPOLOGY line is
#                                          just "poll")
#                                          (4 CPUs, 2 nodes, 1 NVMe)
#   3node/<test>                           tests/guest/*.sh with a line
#                                          "# TOPOLOGY: any", in a VM with 6
#                                          CPUs, 3 nodes, 2 NVMe controllers
#                                          of 3 queues
#   memless/<test>                         tests/guest/*.sh with a line
#                                          "# TOPOLOGY: ... memless", "slow",
#                                          "meta" or "extras", in a 6-CPU VM whose
#                                          third node has no memory, with
#                                          an NVMe whose commands take 2 s,
#                                          three with metadata formats, a
#                                          namespace two controllers share,
#                                          and a poll queue (only there: those
#                                          whose TOPOLOGY line is just
#                                          "slow", "meta" or "extras"); it
#                                          runs beside the default boot
#   poll/<test>                            tests/guest/*.sh whose TOPOLOGY
#                                          line names poll, in a VM whose
#                                          NVMe has 4 default + 2 poll queues
#                                          and threaded interrupts, beside the
#                                          3-node boot
#   6.1/<test>                             tests/guest/*.sh with a line
#                                          "# KERNELS: 6.1", in a VM booting
#                                          Debian 12's 6.1 kernel (beside
#                                          the 3-node boot)
#   dkms-<kver>/<test>                     001-module-load and 110-data-verify
#                                          booting each kernel host/deb had
#                                          DKMS build the module for, with
#                                          that module (after the 6.1 boot,
#                                          which itself boots the module DKMS
#                                          built for 6.1 when there is one)
#   harness/<case>                         tests/harness/run.sh (in the
#                                          background from the lint on)
# Each guest boot is limited to CHECK_VM_TIMEOUT seconds (default 600).
# With NRI_KERNEL_ENV (make check-debug: every guest on that kernel) lint,
# the 6.1 build, the host checks, the harness self-tests and the stock
# kernels' boots are left out, and the default topology's tests are
# shared by two VMs.
# CHECK_SHARD=K/N runs part K of N of the guest tests (see below).
# Exits non-zero if anything failed.

set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
. scripts/lib.sh
# One check at a time per tree: they share build/check, build/lint, ...
tree_lock build/.check.lock "check: another 'make check' is running in this tree; waiting for it"
log=$top/build/check
rm -rf "$log"
mkdir -p "$log"

# Builds use every CPU (kbuild and the userspace Makefile run one job at
# a time otherwise), unless make check itself was given -j.
case " ${MAKEFLAGS:-} " in
*" -j"* | *" --jobserver"*) ;;
*)
	MAKEFLAGS="${MAKEFLAGS:-} -j$(nproc)"
	export MAKEFLAGS
	;;
esac

passed=0
failed=0
skipped=0
failures=()
t0=$(date +%s)
# A run on a kernel of its own (make check-debug) is about that kernel:
# it leaves out what does not depend on it (lint, the 6.1 build, the
# checks on this machine, the boots of the stock kernels), which make
# check has, so that the CPUs go to the slow guests.
stock=1
[ -z "${NRI_KERNEL_ENV:-}" ] || stock=0
# CHECK_SHARD=K/N: only the guest tests whose place in tests/guest/ is K
# modulo N (every boot they belong to), and the harness only in part 1;
# to run a long make check-debug in N parts, one after another.
shard=${CHECK_SHARD:-1/1}
shard_k=${shard%/*}
shard_n=${shard#*/}
if ! [[ $shard =~ ^[0-9]+/[0-9]+$ ]] || [ "$shard_n" -lt 1 ] ||
	[ "$shard_k" -lt 1 ] || [ "$shard_k" -gt "$shard_n" ]; then
	echo "check: CHECK_SHARD=$shard is not K/N with 1 <= K <= N" >&2
	exit 2
fi

item() {
	local verdict=$1 name=$2 why=${3:-}
	case $verdict in
	pass) passed=$((passed + 1)) ;;
	skip) skipped=$((skipped + 1)) ;;
	*)
		failed=$((failed + 1))
		failures+=("$name${why:+ ($why)}")
		;;
	esac
	printf '%-6s %s%s\n' "$verdict" "$name" "${why:+  # $why}"
}

# tap_items PREFIX FILE: one item per TAP line of FILE.
tap_items() {
	local prefix=$1 file=$2 line name why
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			name=${line#ok * - }
			why=${name#*# SKIP}
			item skip "$prefix${name%% # SKIP*}" "${why# }"
			;;
		"ok "*)
			name=${line#ok * - }
			item pass "$prefix$name"
			;;
		"not ok "*)
			name=${line#not ok * - }
			why=
			case $name in *" # "*) why=${name#* # } ;; esac
			item fail "$prefix${name%% # *}" "$why"
			;;
		esac
	done <"$file"
}

# step NAME LOGFILE CMD...: run CMD with output in LOGFILE, show it on failure.
step() {
	local name=$1 out=$2
	shift 2
	echo "--- $name"
	"$@" >"$out" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$out"
	fi
	return "$rc"
}

# the test kernel's module, in the tree, whatever kernel runs here
test_kver=$(sed -n 's/^TEST_KVER=//p' build/kernel.mk)
module_ok=1
if step build/module "$log/module.log" make --no-print-directory module KVER="$test_kver"; then
	item pass build/module
else
	module_ok=0
	item fail build/module "see build/check/module.log"
fi

# the older kernel the module supports (Debian 12's 6.1), when installed
old_kver=$(scripts/older-kernel.sh)
old_ok=0
if [ "$stock" = 0 ]; then
	item skip build/module-6.1 "make check's: make check-debug is about its own kernel"
elif [ -z "$old_kver" ]; then
	item skip build/module-6.1 "no Debian 6.1 kernel installed (make deps installs one)"
elif step build/module-6.1 "$log/module-6.1.log" scripts/build-module.sh "$old_kver"; then
	item pass build/module-6.1
	old_ok=1
else
	item fail build/module-6.1 "see build/check/module-6.1.log"
fi

if [ -f userspace/Makefile ]; then
	if step build/userspace "$log/userspace.log" make --no-print-directory userspace; then
		item pass build/userspace
	else
		item fail build/userspace "see build/check/userspace.log"
	fi
else
	item skip build/userspace "no userspace/Makefile"
fi

# The harness's self-tests boot small VMs that mostly wait (a timeout,
# a panic): they run in the background, beside lint and the unit tests,
# and are reported at the end.
harness_pid=
if [ "$stock" = 0 ]; then
	# it checks the harness, not the kernel: six more slow boots here
	item skip harness "make check's: make check-debug is about its own kernel"
elif [ "$shard_k" != 1 ]; then
	item skip harness "part 1 of CHECK_SHARD's runs it, not $shard"
elif [ "$module_ok" = 1 ]; then
	tests/harness/run.sh >"$log/harness.log" 2>&1 &
	harness_pid=$!
fi

if [ "$stock" = 1 ]; then
	step lint "$log/lint.log" scripts/lint.sh --tap
	tap_items "" "$log/lint.log"
else
	item skip lint "make check's: make check-debug is about its own kernel"
fi

if [ -f userspace/Makefile ] && grep -q '^test:' userspace/Makefile; then
	step unit "$log/unit.log" make --no-print-directory -C userspace test
	rc=$?
	if grep -Eq '^(not )?ok [0-9]' "$log/unit.log"; then
		tap_items unit/ "$log/unit.log"
		[ "$rc" -eq 0 ] || item fail unit/suite "make -C userspace test exited $rc"
	elif [ "$rc" -eq 0 ]; then
		item pass unit/userspace
	else
		item fail unit/userspace "see build/check/unit.log"
	fi
else
	item skip unit "no 'test' target in userspace/Makefile"
fi

# What is checked on the build machine itself, not in the VM: in the
# background, beside the default boot, whose tests leave the host CPUs
# idle at times (waits, sleeps); reported after that boot.
host_tests() {
	local t b rc
	if [ "$stock" = 0 ]; then
		echo "all 77" >"$log/host.results"
		echo "SKIP: make check's: make check-debug is about its own kernel" >"$log/host-all.log"
		return
	fi
	for t in tests/host/*.sh; do
		[ -f "$t" ] || continue
		b=$(basename "$t" .sh)
		"$t" >"$log/host-$b.log" 2>&1
		rc=$?
		echo "$b $rc"
	done >"$log/host.results"
}
host_tests &
host_pid=$!

# host_items: wait for the host checks and report them
host_items() {
	local b rc
	wait "$host_pid"
	while read -r b rc; do
		echo "--- host/$b"
		case $rc in
		0) item pass "host/$b" ;;
		77) item skip "host/$b" "$(sed -n 's/^SKIP: //p' "$log/host-$b.log" | head -n 1)" ;;
		*)
			tail -n 20 "$log/host-$b.log"
			item fail "host/$b" "see build/check/host-$b.log"
			;;
		esac
	done <"$log/host.results"
}

if [ "$module_ok" = 1 ]; then
	shopt -s nullglob
	all=(tests/guest/[0-9]*.sh)
	guest=()
	topo=()
	memless=()
	polled=()
	old=()
	for i in "${!all[@]}"; do
		t=${all[$i]}
		[ $((i % shard_n + 1)) = "$shard_k" ] || continue
		grep -q '^# KERNELS: .*6\.1' "$t" && old+=("$t")
		grep -q '^# TOPOLOGY: any' "$t" && topo+=("$t")
		grep -qE '^# TOPOLOGY: .*(memless|slow|meta|extras)' "$t" && memless+=("$t")
		grep -q '^# TOPOLOGY: .*poll' "$t" && polled+=("$t")
		# a test made for poll queues or the extra NVMe only runs there
		grep -qE '^# TOPOLOGY: (poll|slow|meta|extras)$' "$t" || guest+=("$t")
	done

	# A hung guest must not hold the run for tests x TEST_TIMEOUT.
	vm_timeout=${CHECK_VM_TIMEOUT:-600}

	# Its tests mostly wait for the slow NVMe or soak at a moderate
	# rate: it runs beside the default boot.
	memless_pid=
	if [ "${#memless[@]}" -gt 0 ]; then
		step "guest (memoryless node, slow and metadata NVMe)" "$log/memless.log" \
			env VM_TIMEOUT="$vm_timeout" VM_CPUS=6 VM_NODES=3 VM_NVME_QUEUES=3 \
			VM_MEMLESS_NODE=1 VM_NVME_SLOW_MS=2000 VM_NVME_SHARED=1 \
			VM_NVME_META="ms=16,mset=0,pi=1,pil=0 ms=8,mset=1 ms=8,mset=1,pi=3,pil=1" \
			VM_KERNEL_CMDLINE_EXTRA="nvme.poll_queues=1" \
			scripts/vm-test.sh "${memless[@]}" &
		memless_pid=$!
	fi

	# On a debug kernel every test is several times slower and followed
	# by a kmemleak scan: the default boot's tests, the long pole, are
	# shared by two VMs of that topology at once, alternately.
	guest2=()
	if [ "$stock" = 0 ]; then
		all=("${guest[@]}")
		guest=()
		for i in "${!all[@]}"; do
			if [ $((i % 2)) = 0 ]; then
				guest+=("${all[$i]}")
			else
				guest2+=("${all[$i]}")
			fi
		done
	fi
	guest2_pid=
	if [ "${#guest2[@]}" -gt 0 ]; then
		step "guest (default topology, second VM)" "$log/guest2.log" \
			env VM_TIMEOUT="$vm_timeout" scripts/vm-test.sh "${guest2[@]}" &
		guest2_pid=$!
	fi
	if [ "${#guest[@]}" -gt 0 ]; then
		step "guest (default topology)" "$log/guest.log" \
			env VM_TIMEOUT="$vm_timeout" scripts/vm-test.sh "${guest[@]}"
		host_items
		tap_items guest/ "$log/guest.log"
		grep -q '^1\.\.' "$log/guest.log" || item fail guest "vm-test.sh did not finish"
	else
		host_items
	fi
	if [ -n "$guest2_pid" ]; then
		wait "$guest2_pid"
		tap_items guest/ "$log/guest2.log"
		grep -q '^1\.\.' "$log/guest2.log" || item fail guest "the second VM's vm-test.sh did not finish"
	fi

	# the 6.1 kernel's tests, then a smoke boot of each kernel with the
	# module DKMS built for it (host/deb), beside the 3-node boot
	# (the 6.1 boot itself takes the module DKMS built, when there is
	# one: the same sources, and one boot fewer)
	old_env=$top/build/module/$old_kver/env
	old_what=
	if [ -n "$old_kver" ] && [ -f "build/dkms/$old_kver/env" ]; then
		old_env=$top/build/dkms/$old_kver/env
		old_what=", DKMS-built module"
	fi
	old_side() {
		local e k
		[ "$stock" = 1 ] || return 0
		if [ "$old_ok" = 1 ] && [ "${#old[@]}" -gt 0 ]; then
			step "guest (kernel $old_kver$old_what)" "$log/6.1.log" \
				env VM_TIMEOUT="$vm_timeout" NRI_KERNEL_ENV="$old_env" \
				scripts/vm-test.sh "${old[@]}"
		fi
		for e in build/dkms/*/env; do
			k=$(basename "$(dirname "$e")")
			[ "$k" != "$old_kver" ] || continue
			step "guest (kernel $k, DKMS-built module)" "$log/dkms-$k.log" \
				env VM_TIMEOUT="$vm_timeout" NRI_KERNEL_ENV="$top/$e" \
				scripts/vm-test.sh "${dkms_smoke[@]}"
		done
	}
	dkms_smoke=(tests/guest/001-module-load.sh tests/guest/110-data-verify.sh)
	old_side &
	old_pid=$!

	# the poll boot too: three boots at once, which the two host CPUs
	# finish sooner than one after another (much of each is waiting)
	poll_pid=
	if [ "${#polled[@]}" -gt 0 ]; then
		# threaded interrupts too: completion against teardown races
		# are widest there
		step "guest (poll queues)" "$log/poll.log" \
			env VM_TIMEOUT="$vm_timeout" VM_NVME_QUEUES=6 \
			TEST_TIMEOUT="${TEST_TIMEOUT:-300}" \
			VM_KERNEL_CMDLINE_EXTRA="nvme.poll_queues=2 nvme.use_threaded_interrupts=1" \
			scripts/vm-test.sh "${polled[@]}" &
		poll_pid=$!
	fi

	if [ "${#topo[@]}" -gt 0 ]; then
		step "guest (3 nodes)" "$log/3node.log" \
			env VM_TIMEOUT="$vm_timeout" VM_CPUS=6 VM_NODES=3 VM_NVME_QUEUES=3 VM_NVME=2 \
			scripts/vm-test.sh "${topo[@]}"
		tap_items 3node/ "$log/3node.log"
		grep -q '^1\.\.' "$log/3node.log" || item fail 3node "vm-test.sh did not finish"
	fi
	wait "$old_pid"
	if [ "$stock" = 0 ]; then
		item skip 6.1 "the stock kernels' boots (6.1, DKMS) are make check's"
	elif [ "$old_ok" = 1 ] && [ "${#old[@]}" -gt 0 ]; then
		tap_items 6.1/ "$log/6.1.log"
		grep -q '^1\.\.' "$log/6.1.log" || item fail 6.1 "vm-test.sh did not finish"
	fi
	dkms_seen=0
	[ -z "$old_what" ] || dkms_seen=1
	[ "$stock" = 1 ] || dkms_seen=1
	for e in build/dkms/*/env; do
		[ "$stock" = 1 ] || break
		k=$(basename "$(dirname "$e")")
		[ "$k" != "$old_kver" ] || continue
		dkms_seen=1
		tap_items "dkms-$k/" "$log/dkms-$k.log"
		grep -q '^1\.\.' "$log/dkms-$k.log" || item fail "dkms-$k" "vm-test.sh did not finish"
	done
	[ "$dkms_seen" = 1 ] || item skip dkms "no DKMS-built module to boot (host/deb did not build one)"

	if [ -n "$poll_pid" ]; then
		wait "$poll_pid"
		tap_items poll/ "$log/poll.log"
		grep -q '^1\.\.' "$log/poll.log" || item fail poll "vm-test.sh did not finish"
	fi

	if [ -n "$memless_pid" ]; then
		wait "$memless_pid"
		tap_items memless/ "$log/memless.log"
		grep -q '^1\.\.' "$log/memless.log" || item fail memless "vm-test.sh did not finish"
	fi

	if [ -n "$harness_pid" ]; then
		echo "--- harness"
		wait "$harness_pid" || tail -n 40 "$log/harness.log"
		tap_items "" "$log/harness.log"
		grep -q '^1\.\.' "$log/harness.log" || item fail harness "tests/harness/run.sh did not finish"
	fi
else
	host_items
	item fail guest "not run: the module did not build"
fi

echo
echo "make check: $(($(date +%s) - t0)) s, logs in build/check/ and build/vm/logs/"
if [ "${#failures[@]}" -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
