#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, once, a 6.12 kernel for the test VM that is made to catch bugs:
# KASAN, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak, fault
# injection (failslab, fail_page_alloc), hung task and lockup detectors,
# from the installed linux-source-6.12 with a small config (x86_64
# defconfig, the drivers the guest tests need as modules, large
# subsystems the VM has no use for left out), and the nvme_ring_io
# module against it. The kernel is cached in build/debug-kernel/<hash of
# debug-kernel.config and the source>/, the module rebuilt each time (in
# build/module/<KVER>/, by build-module.sh);
# prints the make-style facts vm-build.sh and vm-test.sh take (KVER, KDIR,
# KIMAGE, MODROOT, NRI_KO) once done.
#
# Usage: debug-kernel.sh [-j JOBS]

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
if [ "${1:-}" = -j ]; then
	jobs=$2
fi
eval "$("$top/scripts/kernel-env.sh")"
: "${KSRC_TAR:?}"

frag=$top/scripts/debug-kernel.config
# keyed on the config and the source it is built from
hash=$( (cat "$frag"; basename "$KSRC_TAR"; stat -c %s "$KSRC_TAR") |
	sha256sum | cut -c1-12)
out=$top/build/debug-kernel/$hash
src=$out/src
log=$out/build.log

# module_and_env KVER: the module against the debug kernel
# (build-module.sh, the private header from this tree), every time, since
# the kernel is cached but the module changes; then the facts the test VM
# takes, printed.
# KCMDLINE: 4-level paging. With 5-level paging (QEMU's -cpu max has
# LA57) identify_cpu() clears the boot CPU's features for a moment, an
# interrupt then sees pgtable_l5_enabled() false and KASAN reports a
# wild-memory-access on the interrupt descriptor's lock at 0.01 s (2 of
# 17 debug boots on 2026-11-30): a kernel bug, not the module's.
module_and_env() {
	run "$top/scripts/build-module.sh" "$1" "$src" "$src/drivers/nvme/host"
	cat >"$out/env" <<ENV
KVER=$1
KDIR=$src
KIMAGE=$src/arch/x86/boot/bzImage
MODROOT=$out/mods
NRI_KO=$top/build/module/$1/nvme_ring_io.ko
KCMDLINE=no5lvl
ENV
	cat "$out/env"
}

# run CMD...: into the log; on failure say so with the log's end, and stop
run() {
	"$@" >>"$log" 2>&1 && return 0
	echo "debug-kernel: '$*' failed; the end of ${log#"$top"/}:" >&2
	tail -n 30 "$log" >&2
	exit 1
}

if [ -f "$out/env" ]; then
	module_and_env "$(sed -n 's/^KVER=//p' "$out/env")"
	exit 0
fi
for tool in flex bison; do
	command -v "$tool" >/dev/null || "$top/scripts/install-deps.sh" --debug-kernel >&2
done
rm -rf "$top/build/debug-kernel"
mkdir -p "$src"
echo "debug-kernel: building in ${out#"$top"/} (log: ${log#"$top"/}); this takes a while" >&2
start=$(date +%s)
tar -xf "$KSRC_TAR" -C "$src" --strip-components=1

cd "$src"
run make x86_64_defconfig
run scripts/kconfig/merge_config.sh -m .config "$frag"
run make olddefconfig
for opt in KASAN PROVE_LOCKING DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK FAILSLAB \
	FAIL_PAGE_ALLOC BLK_DEV_NVME NVME_TARGET_LOOP BLK_DEV_INTEGRITY; do
	grep -Eq "^CONFIG_$opt=(y|m)" .config ||
		{ echo "debug-kernel: CONFIG_$opt did not stick" >&2; exit 1; }
done
run make -j"$jobs" bzImage modules
run make INSTALL_MOD_PATH="$out/mods" modules_install
echo "debug-kernel: $(cat include/config/kernel.release) built in $(($(date +%s) - start)) s" >&2
module_and_env "$(cat include/config/kernel.release)"
